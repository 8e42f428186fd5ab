"""Pipeline files found: roots, the ``*.json`` files below them, and their module names.

Roots are explicit paths, else ``PIPEREG_PATH`` (``os.pathsep``-separated), else ``./pipelines``;
or a package's resources for pipelines shipped inside a wheel. A file's module name is its path
below its root with ``/`` as ``.`` and no ``.json`` (``billing/invoices.json`` is
``billing.invoices``). Test-case files (``*.test.json``, see :mod:`pipereg.testing.cases`) live
next to pipeline files but are not pipeline files: :func:`discover_paths` skips them and
:func:`discover_cases` finds them. Hidden files and folders (starting with ``.``) are skipped,
symlinked folders are followed once, and a file reached through two roots is read once. A folder
that cannot be listed is a problem, not a silent gap.

Reading is bounded: a file larger than the size limit (:func:`size_limit`) is refused from its
size, before any byte is read, and anything but a regular file (a named pipe, a device) is refused
without waiting on it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from pipereg import codes
from pipereg.errors import PipelineLoadError, Problem
from pipereg.jsontext.read import (
    DEFAULT_MAX_FILE_BYTES,
    SIZE_VAR,
    FileTooLarge,
    read_bytes,
)

ENV_VAR = "PIPEREG_PATH"
DEFAULT_ROOT = "pipelines"
SUFFIX = ".json"
TEST_SUFFIX = ".test.json"


@dataclass(frozen=True)
class SourceFile:
    """One pipeline file to load.

    Attributes:
        path: The path shown in messages (the root as given, joined with the file's place below it).
        module: The module name derived from that place.
        resource: Where to read the bytes from.
    """

    path: str
    module: str
    resource: Traversable

    def read(self, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
        """The file's bytes, at most ``max_bytes`` of them.

        Raises:
            FileTooLarge: the file is larger than ``max_bytes`` (told from its size, unread).
            OSError: the file cannot be read, or is not a regular file (:class:`NotRegularFile`).
        """
        if isinstance(self.resource, Path):
            return read_bytes(self.resource, max_bytes)
        with self.resource.open("rb") as stream:  # a zip member, say: no size to ask for
            data: bytes = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise FileTooLarge(None, max_bytes)
        return data


def default_roots() -> list[str]:
    """``PIPEREG_PATH``'s entries if it is set (and not empty), else ``["pipelines"]``."""
    env = os.environ.get(ENV_VAR, "")
    entries = [entry for entry in env.split(os.pathsep) if entry]
    return entries or [DEFAULT_ROOT]


def size_limit(max_file_bytes: int | None = None) -> int:
    """The largest pipeline file to read, in bytes.

    ``max_file_bytes`` if given, else ``PIPEREG_MAX_FILE_BYTES`` if set, else 10 MiB.

    Raises:
        ValueError: ``max_file_bytes`` is not a positive integer.
        PipelineLoadError: ``PIPEREG_MAX_FILE_BYTES`` is not a positive integer (PR004).
    """
    if max_file_bytes is not None:
        if type(max_file_bytes) is not int or max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be a positive int, not {max_file_bytes!r}")
        return max_file_bytes
    text = os.environ.get(SIZE_VAR, "").strip()
    if not text:
        return DEFAULT_MAX_FILE_BYTES
    if text.isdigit() and text.isascii() and int(text) >= 1:
        return int(text)
    message = f"{text!r} is not a size in bytes (a whole number, at least 1)"
    raise PipelineLoadError([Problem(SIZE_VAR, 0, 0, "", codes.TOO_LARGE, message)])


def discover_paths(
    roots: Sequence[str | os.PathLike[str]],
) -> tuple[list[SourceFile], list[Problem]]:
    """Every pipeline file below ``roots`` (directories, or single files), in a stable order."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    claims = _Claims()
    for shown, path, problem in _targets(roots, problems):
        try:
            is_file, is_dir = path.is_file(), path.is_dir()
        except OSError as exc:  # a parent folder that cannot be searched, say
            problem((), f"pipeline root cannot be read: {exc.strerror or exc}")
            continue
        if is_file:
            if path.name.endswith(TEST_SUFFIX):
                problem((), "a test-case file, not a pipeline file: run it with pipereg test")
            elif claims.claim(path):
                files.append(SourceFile(shown, path.name.removesuffix(SUFFIX), path))
        elif is_dir:
            before = len(problems)
            found = list(_walk(path, (), {os.path.realpath(path)}, problem, _is_pipeline_file))
            if not found and len(problems) == before:
                problem((), "no pipeline files (*.json) below this root")
            for parts, resource in found:
                if claims.claim(cast(Path, resource)):
                    files.append(SourceFile(os.path.join(shown, *parts), _module(parts), resource))
        else:
            problem((), "pipeline root does not exist or is not readable")
    return files, problems


def discover_package(package: str) -> tuple[list[SourceFile], list[Problem]]:
    """Every pipeline file inside an importable package (which may live in a zip or wheel)."""
    try:
        root = resources.files(package)
    except (ModuleNotFoundError, TypeError) as exc:
        return [], [
            Problem(f"package:{package}", 0, 0, "", codes.UNREADABLE, f"cannot open package: {exc}")
        ]
    problems: list[Problem] = []

    def problem(parts: tuple[str, ...], message: str) -> None:
        shown = "/".join((f"package:{package}", *parts))
        problems.append(Problem(shown, 0, 0, "", codes.UNREADABLE, message))

    files = [
        SourceFile(f"package:{package}/{'/'.join(parts)}", _module(parts), resource)
        for parts, resource in _walk(root, (), None, problem, _is_pipeline_file)
    ]
    return files, problems


def discover_cases(
    targets: Sequence[str | os.PathLike[str]],
) -> tuple[list[SourceFile], list[Problem]]:
    """Every test-case file (``*.test.json``) below ``targets`` (folders, or single files).

    A case file's ``module`` is its path below the target folder it was found in, with ``/`` as
    ``.`` and no ``.test.json``, as for the pipeline file it sits next to; for a single file, its
    name without ``.test.json``.
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    claims = _Claims()
    for shown, path, problem in _targets(targets, problems):
        if path.is_dir():
            found = _walk(path, (), {os.path.realpath(path)}, problem, _is_case_file)
            for parts, resource in found:
                if claims.claim(cast(Path, resource)):
                    module = _module((*parts[:-1], parts[-1].removesuffix(TEST_SUFFIX)))
                    files.append(SourceFile(os.path.join(shown, *parts), module, resource))
        elif path.is_file() and path.name.endswith(TEST_SUFFIX):
            if claims.claim(path):
                files.append(SourceFile(shown, path.name.removesuffix(TEST_SUFFIX), path))
        elif path.is_file():
            problem((), f"not a test-case file (expected a name ending in {TEST_SUFFIX})")
        else:
            problem((), "does not exist or is not readable")
    return files, problems


def _targets(
    targets: Sequence[str | os.PathLike[str]], problems: list[Problem]
) -> Iterator[tuple[str, Path, Callable[[tuple[str, ...], str], None]]]:
    # Each target as shown in messages, as a path, and a function recording a PR003 problem
    # at a place below it.
    for target in targets:
        shown = os.fspath(target)

        def problem(parts: tuple[str, ...], message: str, shown: str = shown) -> None:
            problems.append(
                Problem(os.path.join(shown, *parts), 0, 0, "", codes.UNREADABLE, message)
            )

        yield shown, Path(target), problem


def _is_pipeline_file(name: str) -> bool:
    return name.endswith(SUFFIX) and not name.endswith(TEST_SUFFIX)


def _is_case_file(name: str) -> bool:
    return name.endswith(TEST_SUFFIX)


def _walk(
    folder: Traversable,
    parts: tuple[str, ...],
    visited: set[str] | None,
    problem: Callable[[tuple[str, ...], str], None],
    wanted: Callable[[str], bool],
) -> Iterator[tuple[tuple[str, ...], Traversable]]:
    # A folder that cannot be listed would silently drop its pipelines (and their keys) from the
    # registry, so it is a problem. A file that vanishes or cannot be read is reported when read.
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError as exc:
        problem(parts, f"cannot read folder: {exc.strerror or exc}")
        return
    for child in children:
        name = child.name
        if name.startswith(".") or name == "__pycache__":
            continue
        try:
            is_dir = child.is_dir()
        except OSError as exc:
            problem((*parts, name), f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            if visited is not None:
                real = os.path.realpath(cast(Path, child))
                if real in visited:
                    continue  # a symlink loop, or a folder reached twice
                visited.add(real)
            yield from _walk(child, (*parts, name), visited, problem, wanted)
        elif wanted(name):
            yield (*parts, name), child


class _Claims:
    """The real paths of the files found so far: a file reached twice is loaded once."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.folders: dict[Path, str] = {}  # each folder's real path, once worked out

    def claim(self, path: Path) -> bool:
        """Whether the file's real path is new (and now known)."""
        # realpath() looks at every component of a path, in Python; a file that is no symlink
        # lies in its folder's real path.
        if path.is_symlink():
            real = os.path.realpath(path)
        else:
            folder = self.folders.get(path.parent)
            if folder is None:
                folder = self.folders[path.parent] = os.path.realpath(path.parent)
            real = os.path.join(folder, path.name)
        if real in self.seen:
            return False
        self.seen.add(real)
        return True


def _module(parts: tuple[str, ...]) -> str:
    return ".".join((*parts[:-1], parts[-1].removesuffix(SUFFIX)))
