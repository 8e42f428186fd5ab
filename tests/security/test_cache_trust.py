"""The load cache and the watcher under attack: what no file holds is never served.

The cache serves a load's result without checking the files again, so it must trust nothing it
did not write: a directory others can write (or that is not the user's), an entry that is not a
regular file of the user's, and an entry that does not fully validate are all misses, and the
load runs in full. The watcher reads changed files within the registry's own size limit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from helpers import pipeline_file
from pipereg.errors import PipelineLoadError
from pipereg.load import cache
from pipereg.load.cache import CacheWarning
from pipereg.registry import Registry

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file owners and modes are POSIX's")


def simple() -> dict[str, Any]:
    return pipeline_file(
        {
            "top": {
                "collection": "orders",
                "params": {"limit": {"type": "int", "default": 10}},
                "stages": [{"$limit": "<<limit>>"}],
            }
        }
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "m.json").write_text(json.dumps(simple()))
    return folder


def entry_of(directory: Path) -> Path:
    (entry,) = [p for p in directory.iterdir() if not p.name.startswith(".")]
    return entry


def planted(root: Path, tmp_path: Path, mode: int) -> Path:
    """A cache directory of ``mode`` holding an entry for root's files that adds a pipeline."""
    good = tmp_path / "good"
    Registry.from_paths(root, cache_dir=good)
    entry = entry_of(good)
    document = json.loads(entry.read_text())
    evil = dict(document["pipelines"][0], name="evil", key="m.evil")
    document["pipelines"].append(evil)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / entry.name).write_text(json.dumps(document))
    shared.chmod(mode)
    return shared


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o775, 0o757])
def test_a_directory_others_can_write_is_not_trusted(root: Path, tmp_path: Path, mode: int) -> None:
    shared = planted(root, tmp_path, mode)
    with pytest.warns(CacheWarning, match="can be written by other users; not used"):
        registry = Registry.from_paths(root, cache_dir=shared)
    assert registry.keys() == ["m.top"]  # the planted pipeline is not served
    assert len(list(shared.iterdir())) == 1  # and nothing is written there either


def test_the_same_entry_in_the_users_own_directory_would_be_served(
    root: Path, tmp_path: Path
) -> None:
    # The control for the test above: the planted entry is well formed, so only the directory's
    # mode kept it out. (Whoever can write the user's own directory can edit the files too.)
    shared = planted(root, tmp_path, 0o700)
    assert Registry.from_paths(root, cache_dir=shared).keys() == ["m.evil", "m.top"]


def test_a_directory_not_owned_by_the_user_is_not_trusted(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = planted(root, tmp_path, 0o700)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(shared).st_uid + 1)
    with pytest.warns(CacheWarning, match="is not owned by the user"):
        assert Registry.from_paths(root, cache_dir=shared).keys() == ["m.top"]


def test_a_created_directory_is_private(root: Path, tmp_path: Path) -> None:
    directory = tmp_path / "new" / "cache"
    Registry.from_paths(root, cache_dir=directory)
    assert directory.stat().st_mode & 0o777 == 0o700
    assert entry_of(directory).stat().st_mode & 0o077 == 0


class Hung(BaseException):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung("start-up waited on the cache entry")


def test_a_named_pipe_at_the_entry_path_does_not_block_start_up(root: Path, tmp_path: Path) -> None:
    directory = tmp_path / "c"
    Registry.from_paths(root, cache_dir=directory)
    entry = entry_of(directory)
    entry.unlink()
    os.mkfifo(entry)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        registry = Registry.from_paths(root, cache_dir=directory)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert registry.get("m.top").render() == [{"$limit": 10}]


def test_a_link_at_the_entry_path_is_not_followed(root: Path, tmp_path: Path) -> None:
    shared = planted(root, tmp_path, 0o700)
    directory = tmp_path / "c"
    directory.mkdir(mode=0o700)
    name = entry_of(shared).name
    (directory / name).symlink_to(shared / name)
    assert Registry.from_paths(root, cache_dir=directory).keys() == ["m.top"]


def test_an_entry_others_can_write_is_not_trusted(root: Path, tmp_path: Path) -> None:
    shared = planted(root, tmp_path, 0o700)
    entry_of(shared).chmod(0o666)
    assert Registry.from_paths(root, cache_dir=shared).keys() == ["m.top"]


def tampered(root: Path, tmp_path: Path, change: Any) -> Registry:
    directory = tmp_path / "c"
    Registry.from_paths(root, cache_dir=directory)
    entry = entry_of(directory)
    document = json.loads(entry.read_text())
    change(document)
    entry.write_text(json.dumps(document))
    return Registry.from_paths(root, cache_dir=directory)


def drop_declarations(document: dict[str, Any]) -> None:
    pipeline = document["pipelines"][0]
    pipeline["params"] = []
    pipeline["definition"]["params"] = {}


def rename_placeholder(document: dict[str, Any]) -> None:
    document["pipelines"][0]["definition"]["stages"] = [{"$limit": "<<other>>"}]


def bad_declaration(document: dict[str, Any]) -> None:
    document["declarations"][0][1] = {"type": "string", "pattern": "a{99999999999999999999}"}


def wrong_types(document: dict[str, Any]) -> None:
    document["pipelines"][0]["definition"]["options"] = {"comment": "<<nope>>"}


def deep(document: dict[str, Any]) -> None:
    nested: Any = 1
    for _ in range(100):
        nested = {"$and": [nested]}
    document["pipelines"][0]["definition"]["stages"] = [{"$match": {"a": "<<x>>", "b": nested}}]


@pytest.mark.parametrize(
    "change",
    [drop_declarations, rename_placeholder, bad_declaration, wrong_types, deep],
    ids=lambda f: f.__name__,
)
def test_a_tampered_entry_is_a_miss_not_a_failing_render(
    root: Path, tmp_path: Path, change: Any
) -> None:
    registry = tampered(root, tmp_path, change)
    assert registry.get("m.top").render() == [{"$limit": 10}]


def test_an_entry_larger_than_any_these_files_make_is_a_miss(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_ENTRY_MARGIN", 0)
    monkeypatch.setattr(cache, "_ENTRY_GROWTH", 1)

    def grow(document: dict[str, Any]) -> None:
        document["pipelines"][0]["description"] = "x" * 10_000
        document["pipelines"][0]["definition"]["description"] = "x" * 10_000

    assert tampered(root, tmp_path, grow).get("m.top").description == ""


def test_watch_reads_within_the_registrys_limit(root: Path, tmp_path: Path) -> None:
    registry = Registry.from_paths(root, max_file_bytes=4096)
    errors: list[Exception] = []
    reloads: list[object] = []
    with registry.watch(0.05, on_reload=reloads.append, on_error=errors.append) as watch:
        # Racy timestamps make the poller hash the file: a file over the limit is not read.
        with (root / "big.json").open("wb") as big:  # past the default 10 MiB too, sparse
            big.truncate(11 * 2**20)
        deadline = time.monotonic() + 10
        while not errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watch.running
    assert errors, "the reload after the change should have failed"
    assert isinstance(errors[0], PipelineLoadError)  # located, not a raw FileTooLarge
    assert "big.json: PR004 file is 11,534,336 bytes, over the limit of 4,096" in str(errors[0])
    assert reloads == []


def test_cache_dir_removal_races_are_misses(root: Path, tmp_path: Path) -> None:
    directory = tmp_path / "c"
    Registry.from_paths(root, cache_dir=directory)
    shutil.rmtree(directory)
    assert Registry.from_paths(root, cache_dir=directory).keys() == ["m.top"]
