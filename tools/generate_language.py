"""Generate ``src/pipereg/language/_generated.py`` from mongo-php-library's operator definitions.

The MongoDB PHP library keeps one YAML file per aggregation operator under
``generator/config/{stage,query,expression,accumulator}/`` (name, manual link, type, encoding,
description, arguments). This script reads them from a checkout, or from a bare clone's commit
(``--rev``, default ``HEAD``) when the path holds no work tree, and writes the facts as plain
Python literals. Only what the YAML states is kept; pipereg's reading of it (argument
positions, placement, versions the YAML is silent on) lives in ``pipereg/language/_supplement.py``.

Usage::

    python tools/generate_language.py PATH [--rev REV] [--output FILE]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

GROUPS = ("stage", "query", "expression", "accumulator")
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "pipereg" / "language" / "_generated.py"
REPOSITORY = "https://github.com/mongodb/mongo-php-library"
# "New in MongoDB 5.0." in a description: the only version facts the YAML states.
_NEW_IN = re.compile(r"New in MongoDB (\d+\.\d+)")
# The `tests:` section holds examples with PHP-specific tags and flow-style quirks that strict
# YAML refuses; the generator needs none of it, so it is cut before parsing.
_TESTS = re.compile(r"(?m)^tests:")


@dataclass(frozen=True)
class Source:
    """Where the YAML files are read from: a work tree, or a commit of a (bare) clone."""

    path: Path
    rev: str | None

    def files(self) -> list[str]:
        """Return the YAML files' paths relative to the repository root, sorted."""
        if self.rev is None:
            root = self.path / "generator" / "config"
            found = [p.relative_to(self.path).as_posix() for p in root.glob("*/*.yaml")]
        else:
            listing = self._git("ls-tree", "-r", "--name-only", self.rev, "generator/config")
            found = listing.splitlines()
        return sorted(f for f in found if f.endswith(".yaml") and f.split("/")[2] in GROUPS)

    def read(self, name: str) -> str:
        """Return one file's text."""
        if self.rev is None:
            return (self.path / name).read_text(encoding="utf-8")
        return self._git("show", f"{self.rev}:{name}")

    def commit(self) -> str:
        """Return the commit the files come from."""
        return self._git("rev-parse", self.rev or "HEAD").strip()

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True
        ).stdout


def load(source: Source) -> list[tuple[Any, ...]]:
    """Read every operator definition as a sorted list of plain tuples (see the output header)."""
    rows = []
    for name in source.files():
        group = name.split("/")[2]
        spec = yaml.safe_load(_TESTS.split(source.read(name))[0])
        if "switchBranch" in spec["type"]:
            continue  # $switch's {case, then} branch, described as an operator of its own
        description = " ".join(spec["description"].split())
        introduced = _NEW_IN.search(description)
        arguments = tuple(
            (
                str(arg["name"]),
                tuple(str(t) for t in arg["type"]),
                bool(arg.get("optional", False)),
                arg.get("variadic"),
                arg.get("variadicMin"),
            )
            for arg in spec.get("arguments") or ()
        )
        rows.append(
            (
                spec["name"],
                group,
                tuple(spec["type"]),
                spec["encode"],
                arguments,
                introduced.group(1) if introduced else None,
                _first_sentence(description),
                spec["link"],
            )
        )
    return sorted(rows, key=lambda row: (row[0], row[1]))


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?\.)(\s+[A-Z]|$)", text)
    return match.group(1) if match else text


def render(rows: list[tuple[Any, ...]], commit: str) -> str:
    """Return the generated module's text, formatted as ``ruff format`` lays it out."""
    lines = [
        '"""MongoDB aggregation operators as plain data. Generated: do not edit.',
        "",
        f"Source: {REPOSITORY}",
        f"Commit: {commit}",
        "Files: generator/config/{stage,query,expression,accumulator}/*.yaml",
        "Regenerate: python tools/generate_language.py PATH_TO_MONGO_PHP_LIBRARY [--rev REV]",
        "",
        "Each row: (name, group, types, encode, arguments, introduced, description, link), where",
        "group is the source folder, types and encode are the YAML's own words, introduced is the",
        'version a description states as "New in MongoDB X.Y" (else None), and each argument is',
        "(name, types, optional, variadic, variadic_min).",
        '"""',
        "",
        "# Descriptions are the source's sentences, kept whole rather than rewrapped.",
        "# ruff: noqa: E501",
        "",
        "from __future__ import annotations",
        "",
        "Argument = tuple[str, tuple[str, ...], bool, str | None, int | None]",
        "Row = tuple[str, str, tuple[str, ...], str, tuple[Argument, ...], str | None, str, str]",
        "",
        f'COMMIT = "{commit}"',
        "",
        "OPERATORS: tuple[Row, ...] = (",
    ]
    lines += [f"    {row!r}," for row in rows]
    lines.append(")")
    return _format("\n".join(lines) + "\n")


def _format(text: str) -> str:
    # The project's own formatter lays the literals out, so `ruff format --check` passes on the
    # output as written; run from the repository root so pyproject.toml's settings apply.
    root = OUTPUT.parents[3]
    return subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(OUTPUT), "-"],
        input=text,
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    ).stdout


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, generate, and write the module (or check it is current)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a mongo-php-library checkout or (bare) clone")
    parser.add_argument("--rev", help="read this commit (default: the work tree, else HEAD)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="'-' for standard output")
    args = parser.parse_args(argv)
    rev = args.rev
    if rev is None and not (args.path / "generator" / "config").is_dir():
        rev = "HEAD"  # a bare clone or a snapshot without a work tree
    source = Source(args.path, rev)
    text = render(load(source), source.commit())
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
