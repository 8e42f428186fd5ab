"""The load cache: a hit serves exactly what a full load serves, and anything doubtful is a miss."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from bson.json_util import CANONICAL_JSON_OPTIONS, dumps
from tests.helpers import REPO, pipeline_file

from helpers import FIXTURES, as_unprivileged
from pipereg.errors import PipelineLoadError
from pipereg.load import cache
from pipereg.load import sources as sources_module
from pipereg.registry import Registry

EXAMPLES = json.loads((FIXTURES / "example_params.json").read_text())


def typed(value: Any) -> str:
    """Canonical Extended JSON: equal strings mean equal values, types and key order."""
    return dumps(value, json_options=CANONICAL_JSON_OPTIONS)


def served(registry: Registry) -> dict[str, Any]:
    """Everything a registry serves, in a comparable form (renders of the example params too)."""
    pipelines = {}
    for pipeline in registry:
        renders = [typed(pipeline.prepare(params)) for params in EXAMPLES.get(pipeline.key, [])]
        pipelines[pipeline.key] = (
            pipeline.module,
            pipeline.name,
            pipeline.version,
            pipeline.collection,
            pipeline.description,
            pipeline.path,
            pipeline.module_description,
            pipeline.includes,
            pipeline.fingerprint,
            pipeline.tag,
            typed(dict(pipeline.definition)),
            typed(dict(pipeline.options)),
            list(pipeline.params.items()),
            renders,
        )
    return {"pipelines": pipelines, "warnings": registry.warnings}


def entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def misses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count full loads (every miss runs one)."""
    calls: list[int] = []
    original = sources_module.load_sources

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sources_module, "load_sources", counting)
    return calls


def write(root: Path, files: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, document in files.items():
        (root / name).write_text(json.dumps(document, indent=2))
    return root


def simple(limit: int = 10) -> dict[str, Any]:
    return pipeline_file(
        {
            "top": {
                "collection": "orders",
                "params": {"limit": {"type": "int", "default": limit}},
                "stages": [{"$sort": {"total": -1}}, {"$limit": "<<limit>>"}],
            }
        }
    )


def test_bundled_pipelines_hit_serves_what_a_full_load_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = REPO / "pipelines"
    plain = served(Registry.from_paths(root))
    calls = misses(monkeypatch)
    first = Registry.from_paths(root, cache_dir=tmp_path)
    assert len(calls) == 1
    assert len(entries(tmp_path)) == 1
    second = Registry.from_paths(root, cache_dir=tmp_path)
    assert len(calls) == 1  # a hit: nothing checked again
    assert served(first) == plain
    assert served(second) == plain
    assert any(p.includes for p in second)  # fragments across files come back expanded
    assert any(EXAMPLES.get(p.key) for p in second)


def test_warnings_are_reproduced_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    document = simple()
    document["fragments"] = {"unused": {"stages": [{"$match": {"a": 1}}]}}
    root = write(tmp_path / "p", {"m.json": document})
    plain = Registry.from_paths(root)
    assert [w.code for w in plain.warnings] == ["PR066"]
    Registry.from_paths(root, cache_dir=tmp_path / "c")
    calls = misses(monkeypatch)
    caplog.clear()
    hit = Registry.from_paths(root, cache_dir=tmp_path / "c")
    assert not calls
    assert hit.warnings == plain.warnings
    assert [r.getMessage() for r in caplog.records] == [str(plain.warnings[0])]


def test_environment_variable_turns_it_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    Registry.from_paths(root)
    assert len(entries(tmp_path / "c")) == 1
    monkeypatch.setenv(cache.ENV_VAR, "")
    assert cache.cache_dir(None) is None


def test_default_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pipelines", {"m.json": simple()})
    Registry.from_paths()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipelines"]


@pytest.mark.parametrize("change", ["bytes", "whitespace", "rename", "add", "limit"])
def test_any_change_is_a_miss_with_the_new_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    root = write(tmp_path / "p", {"m.json": simple(), "n.json": simple()})
    directory = tmp_path / "c"
    Registry.from_paths(root, cache_dir=directory)
    limit = None
    if change == "bytes":
        write(root, {"n.json": simple(limit=11)})
    elif change == "whitespace":
        (root / "n.json").write_text((root / "n.json").read_text() + "\n")
    elif change == "rename":
        (root / "n.json").rename(root / "o.json")
    elif change == "add":
        write(root, {"o.json": simple()})
    else:
        limit = 5000
    calls = misses(monkeypatch)
    after = Registry.from_paths(root, cache_dir=directory, max_file_bytes=limit)
    assert len(calls) == 1
    assert served(after) == served(Registry.from_paths(root, max_file_bytes=limit))
    assert len(entries(directory)) == 2


def test_a_changed_pipereg_source_digest_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    Registry.from_paths(root, cache_dir=tmp_path / "c")
    monkeypatch.setattr(cache, "source_digest", lambda: "0" * 64)
    calls = misses(monkeypatch)
    Registry.from_paths(root, cache_dir=tmp_path / "c")
    assert len(calls) == 1


def test_source_digest_covers_pipereg_source_files(tmp_path: Path) -> None:
    digest = cache.source_digest()
    assert digest == cache.source_digest()
    assert cache.source_digest.cache_info().currsize == 1  # computed once per process
    package = Path(cache.__file__).parent.parent
    assert cache.package_digest(package, "0.1.0") != cache.package_digest(package, "0.1.1")
    copy = tmp_path / "pipereg"
    for path in package.rglob("*.py"):
        if "__pycache__" not in path.parts:
            (copy / path.relative_to(package)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(package)).write_bytes(path.read_bytes())
    before = cache.package_digest(copy, "v")
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "x.py").write_text("ignored")
    assert cache.package_digest(copy, "v") == before
    (copy / "compile" / "reference.py").write_text(
        (copy / "compile" / "reference.py").read_text() + "\n"
    )
    assert cache.package_digest(copy, "v") != before


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "",
        lambda text: "\xff not json",
        lambda text: "[]",
        lambda text: json.dumps({**json.loads(text), "format": 0}),
        lambda text: json.dumps({**json.loads(text), "key": "x"}),
        lambda text: json.dumps({**json.loads(text), "pipelines": {}}),
        lambda text: json.dumps({**json.loads(text), "problems": [["a"]]}),
        lambda text: json.dumps({**json.loads(text), "problems": [[1, 0, 0, "", "", "", "error"]]}),
        lambda text: json.dumps({**json.loads(text), "pipelines": [1]}),
        lambda text: text.replace('"version":1', '"version":true'),
        lambda text: text.replace('"key":"m.top"', '"key":"other.top"'),
        lambda text: text.replace('"stages":[', '"stages":{"a":[').replace("}]}]", "}]}}]"),
        lambda text: text.replace('"params":{"limit":{', '"params":{"limit":[{').replace(
            '"default":10}', '"default":10}]'
        ),
        lambda text: text.replace('"type":"int"', '"type":"int","minimum":"x"'),
        lambda text: text.replace('"includes":[]', '"includes":[1]'),
        lambda text: text.replace('"params":[0]', '"params":[5]'),
        lambda text: text.replace('"params":[0]', '"params":[-1]'),
        lambda text: text.replace('"params":[0]', '"params":[true]'),
        lambda text: text.replace('"params":[0]', '"params":[]'),
        lambda text: text.replace('"declarations":[["limit"', '"declarations":[["other"'),
        lambda text: text.replace('"declarations":[["limit",{', '"declarations":[["limit",[{'),
        lambda text: json.dumps({**json.loads(text), "declarations": {}}),
        lambda text: text.replace('"description":""', '"description":null'),
    ],
)
def test_a_damaged_cache_file_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Any
) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    directory = tmp_path / "c"
    Registry.from_paths(root, cache_dir=directory)
    [entry] = entries(directory)
    text = entry.read_text()
    damaged = damage(text)
    assert damaged != text  # the damage applies
    entry.write_bytes(damaged.encode("utf-8", "surrogateescape"))
    calls = misses(monkeypatch)
    registry = Registry.from_paths(root, cache_dir=directory)
    assert len(calls) == 1
    assert served(registry) == served(Registry.from_paths(root))
    assert entry.read_text() == text  # rewritten whole


def served_twice(root: Path, directory: Path) -> tuple[str, str]:
    """What two loads through the cache serve, as repr (it pickles); run via as_unprivileged."""
    first = Registry.from_paths(root, cache_dir=directory)
    return repr(served(first)), repr(served(Registry.from_paths(root, cache_dir=directory)))


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no POSIX file modes")
def test_an_unwritable_cache_dir_is_a_miss(world_tmp: Path) -> None:
    root = write(world_tmp / "p", {"m.json": simple()})
    directory = world_tmp / "c"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        first, again = as_unprivileged(served_twice, root, directory)
    finally:
        directory.chmod(0o700)
    assert first == again == repr(served(Registry.from_paths(root)))
    assert entries(directory) == []


def test_a_cache_dir_that_is_a_file_is_a_miss(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    (tmp_path / "c").write_text("not a folder")
    registry = Registry.from_paths(root, cache_dir=tmp_path / "c")
    assert served(registry) == served(Registry.from_paths(root))


def test_a_failing_load_is_not_cached_and_fails_alike(tmp_path: Path) -> None:
    document = simple()
    document["pipelines"]["top"]["stages"].append({"$limit": "<<nope>>"})
    root = write(tmp_path / "p", {"m.json": document})
    with pytest.raises(PipelineLoadError) as plain:
        Registry.from_paths(root)
    for _ in range(2):
        with pytest.raises(PipelineLoadError) as cached:
            Registry.from_paths(root, cache_dir=tmp_path / "c")
        assert cached.value.problems == plain.value.problems
    assert not (tmp_path / "c").exists()


def test_an_unreadable_file_bypasses_the_cache(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    (root / "big.json").write_text(json.dumps(simple()) + " " * 2000)
    with pytest.raises(PipelineLoadError) as plain:
        Registry.from_paths(root, max_file_bytes=1000)
    with pytest.raises(PipelineLoadError) as cached:
        Registry.from_paths(root, max_file_bytes=1000, cache_dir=tmp_path / "c")
    assert cached.value.problems == plain.value.problems
    assert not (tmp_path / "c").exists()


def test_the_cache_keeps_the_newest_entries(tmp_path: Path) -> None:
    root = tmp_path / "p"
    directory = tmp_path / "c"
    directory.mkdir()
    (directory / "unrelated.json").write_text("{}")
    for limit in range(cache.KEPT + 3):
        write(root, {"m.json": simple(limit)})
        Registry.from_paths(root, cache_dir=directory)
    kept = [p for p in entries(directory) if p.name != "unrelated.json"]
    assert len(kept) == cache.KEPT
    assert (directory / "unrelated.json").exists()
    assert not list(directory.glob(".tmp-*"))


def test_reload_uses_the_cache_and_sees_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path / "p", {"m.json": simple()})
    registry = Registry.from_paths(root, cache_dir=tmp_path / "c")
    write(root, {"m.json": simple(limit=3)})
    report = registry.reload()
    assert report.changed == ("m.top",)
    assert registry.render("m.top") == [{"$sort": {"total": -1}}, {"$limit": 3}]
    write(root, {"m.json": simple()})
    calls = misses(monkeypatch)
    registry.reload()  # back to bytes seen before: a hit
    assert not calls
    assert registry.render("m.top") == [{"$sort": {"total": -1}}, {"$limit": 10}]


def test_fragments_across_files_from_the_cache(tmp_path: Path) -> None:
    shared = pipeline_file({}, fragments={"recent": {"stages": [{"$sort": {"at": -1}}]}})
    shared.pop("pipelines")
    user = pipeline_file(
        {"top": {"collection": "c", "stages": [{"$include": "shared.recent"}, {"$limit": 1}]}}
    )
    root = write(tmp_path / "p", {"shared.json": shared, "user.json": user})
    plain = Registry.from_paths(root)
    Registry.from_paths(root, cache_dir=tmp_path / "c")
    hit = Registry.from_paths(root, cache_dir=tmp_path / "c")
    assert hit.get("user.top").includes == ("shared.recent",)
    assert served(hit) == served(plain)
    assert hit.render("user.top") == [{"$sort": {"at": -1}}, {"$limit": 1}]


@pytest.mark.parametrize("step", ["mkstemp", "replace"])
def test_a_failing_write_is_a_miss_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # Stands in for an unwritable directory where file modes do not bind (root, Windows).
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile if step == "mkstemp" else cache.os, step, refuse)
    root = write(tmp_path / "p", {"m.json": simple()})
    registry = Registry.from_paths(root, cache_dir=tmp_path / "c")
    assert served(registry) == served(Registry.from_paths(root))
    assert list((tmp_path / "c").iterdir()) == []
