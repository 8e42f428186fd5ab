"""Pipeline files found: roots, the ``*.json`` files below them, and their module names.

Roots are explicit paths, else ``PIPEREG_PATH`` (``os.pathsep``-separated), else ``./pipelines``;
or a package's resources for pipelines shipped inside a wheel. A file's module name is its path
below its root with ``/`` as ``.`` and no ``.json`` (``billing/invoices.json`` is
``billing.invoices``). Hidden files and folders (starting with ``.``) are skipped, symlinked folders
are followed once, and a file reached through two roots is read once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from pipereg.errors import Problem

ENV_VAR = "PIPEREG_PATH"
DEFAULT_ROOT = "pipelines"
SUFFIX = ".json"


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

    def read(self) -> bytes:
        """The file's bytes."""
        return self.resource.read_bytes()


def default_roots() -> list[str]:
    """``PIPEREG_PATH``'s entries if it is set (and not empty), else ``["pipelines"]``."""
    env = os.environ.get(ENV_VAR, "")
    entries = [entry for entry in env.split(os.pathsep) if entry]
    return entries or [DEFAULT_ROOT]


def discover_paths(
    roots: Sequence[str | os.PathLike[str]],
) -> tuple[list[SourceFile], list[Problem]]:
    """Every pipeline file below ``roots`` (directories, or single files), in a stable order."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for root in roots:
        shown = os.fspath(root)
        path = Path(root)
        if path.is_file():
            if _claim(path, seen):
                files.append(SourceFile(shown, path.name.removesuffix(SUFFIX), path))
        elif path.is_dir():
            found = list(_walk(path, (), {os.path.realpath(path)}))
            if not found:
                problems.append(
                    Problem(shown, 0, 0, "", "PR003", "no pipeline files (*.json) below this root")
                )
            for parts, resource in found:
                if _claim(cast(Path, resource), seen):
                    files.append(SourceFile(os.path.join(shown, *parts), _module(parts), resource))
        else:
            problems.append(
                Problem(shown, 0, 0, "", "PR003", "pipeline root does not exist or is not readable")
            )
    return files, problems


def discover_package(package: str) -> tuple[list[SourceFile], list[Problem]]:
    """Every pipeline file inside an importable package (which may live in a zip or wheel)."""
    try:
        root = resources.files(package)
    except (ModuleNotFoundError, TypeError) as exc:
        return [], [Problem(f"package:{package}", 0, 0, "", "PR003", f"cannot open package: {exc}")]
    return [
        SourceFile(f"package:{package}/{'/'.join(parts)}", _module(parts), resource)
        for parts, resource in _walk(root, (), None)
    ], []


def _walk(
    folder: Traversable, parts: tuple[str, ...], visited: set[str] | None
) -> Iterator[tuple[tuple[str, ...], Traversable]]:
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError:
        return  # an unreadable folder yields nothing; a missing file is reported when read
    for child in children:
        name = child.name
        if name.startswith(".") or name == "__pycache__":
            continue
        if child.is_dir():
            if visited is not None:
                real = os.path.realpath(cast(Path, child))
                if real in visited:
                    continue  # a symlink loop, or a folder reached twice
                visited.add(real)
            yield from _walk(child, (*parts, name), visited)
        elif name.endswith(SUFFIX):
            yield (*parts, name), child


def _claim(path: Path, seen: set[str]) -> bool:
    real = os.path.realpath(path)
    if real in seen:
        return False
    seen.add(real)
    return True


def _module(parts: tuple[str, ...]) -> str:
    return ".".join((*parts[:-1], parts[-1].removesuffix(SUFFIX)))
