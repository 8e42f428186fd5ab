"""Helpers shared by the tests (imported as ``helpers``; fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
"""Data the tests read: golden files, pipelines, schemas; one folder per kind."""

WriteTree = Callable[[dict[str, Any]], Path]

T = TypeVar("T")

NOBODY = 65534
"""The user and group that file modes bind: tests running as root (CI) drop to it."""


def as_unprivileged(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` run where file modes bind, so that chmod 0 really denies a read.

    Root reads and writes whatever the modes say, and CI runs the tests as root: there,
    the call runs in a fresh child process (``spawn``) that drops to user and group nobody
    before calling; ``function`` must be a module-level function and its arguments and
    result picklable. Anyone else calls it in this process. Files it reads must be reachable
    by nobody: write them below :func:`world_readable_dir`.
    """
    if os.name != "posix" or os.geteuid() != 0:
        return function(*args)
    # Nobody may not read the interpreter's own library (pyenv under /root): the child imports,
    # while still root, every module this process has, lest a lazy import fail once it drops.
    modules = sorted(name for name in sys.modules if name != "__main__")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: T = pool.apply(_call_as_nobody, (function, args, modules))
    return result


def _call_as_nobody(function: Callable[..., T], args: tuple[Any, ...], modules: list[str]) -> T:
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    return function(*args)


@contextlib.contextmanager
def world_readable_dir() -> Iterator[Path]:
    """A fresh folder that user nobody can reach (pytest's tmp_path is private to its user)."""
    with tempfile.TemporaryDirectory(prefix="pipereg-tests-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path


REGENERATE = "PIPEREG_REGEN_GOLDEN"
"""Set this environment variable to 1 to rewrite golden files from what the code produces."""


def golden(files: dict[Path, str | bytes]) -> None:
    """Assert that each golden file holds exactly what the code produced (``path: actual``).

    With ``PIPEREG_REGEN_GOLDEN=1`` every file is rewritten from what the code produced instead,
    and the test fails all the same, so a regeneration run is never mistaken for a passing one:
    review each rewritten file by hand (``git diff``), then run the tests without the variable.
    """
    encoded = {path: a.encode("utf-8") if isinstance(a, str) else a for path, a in files.items()}
    if os.environ.get(REGENERATE) == "1":
        rewritten = []
        for path, data in encoded.items():
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
                rewritten.append(path.name)
        state = f"rewrote {', '.join(rewritten)}" if rewritten else "nothing changed"
        raise AssertionError(f"{REGENERATE}=1: {state}; review, then run without {REGENERATE}")
    for path, actual in files.items():
        if not path.is_file():
            raise AssertionError(f"no golden file {path}: write it with {REGENERATE}=1, review it")
        expected = path.read_bytes()
        hint = f"{path} differs (review the change; {REGENERATE}=1 rewrites the file)"
        if isinstance(actual, str):
            # As text first, so that pytest shows a line diff; then as bytes (line ends count).
            assert actual == expected.decode("utf-8"), hint
        assert encoded[path] == expected, hint


def pipeline_file(pipelines: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A pipeline file document: version 1 unless given, with ``pipelines``."""
    return {"version": 1, **top, "pipelines": pipelines}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no signing; returns its output, stripped."""
    done = subprocess.run(
        ["git", "-c", "user.name=pipereg tests", "-c", "user.email=tests@pipereg.invalid",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-C", str(repo), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def commit_files(repo: Path, files: dict[str, Any], message: str) -> str:
    """Write files in ``repo`` and commit everything; returns the commit's hash.

    ``files`` maps a relative path to a document (written as JSON), a text, or ``None`` (deleted).
    """
    for relative, content in files.items():
        path = repo / relative
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


class BytesResource:
    """A file's bytes, standing in for a Traversable resource (a file without a disk)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read_bytes(self) -> bytes:
        return self.data

    def open(self, mode: str = "rb") -> io.BytesIO:
        assert mode == "rb"
        return io.BytesIO(self.data)


class InstantDriver:
    """A sync driver that answers at once with ``rows`` (after ``delay`` s), or fails."""

    def __init__(self, rows: list[dict[str, Any]], delay: float = 0.0, fail: bool = False) -> None:
        self.rows, self.delay, self.fail = rows, delay, fail

    def aggregate(self, database: Any, collection: str, stages: Any, options: Any) -> Any:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("server went away")
        return iter(self.rows)

    def fetch_all(self, cursor: Any) -> list[dict[str, Any]]:
        return list(cursor)

    def fetch_one(self, cursor: Any) -> dict[str, Any] | None:
        return next(cursor, None)


class AsyncInstantDriver:
    """The async twin of :class:`InstantDriver`."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def aggregate(self, database: Any, collection: str, stages: Any, options: Any) -> Any:
        return iter(self.rows)

    async def fetch_all(self, cursor: Any) -> list[dict[str, Any]]:
        return list(cursor)

    async def fetch_one(self, cursor: Any) -> dict[str, Any] | None:
        return next(cursor, None)
