"""A source's converted pipelines as one pipeline file: canonical, versioned, linted.

The text is laid out by :mod:`pipereg.review.fmt` (the layout ``pipereg fmt`` writes, so
formatting the file changes nothing) and checked by the loader that serves it, so every finding
is known before the file is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

from pipereg.convert.model import SourceResult
from pipereg.errors import Problem
from pipereg.load.discovery import SourceFile
from pipereg.load.sources import load_sources
from pipereg.review.fmt import format_text

FORMAT_VERSION = 1
_MODULE = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def module_from_stem(stem: str) -> str:
    """A module name from a source's file name: characters a module cannot have become ``_``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem) or "imported"


def valid_module(name: str) -> bool:
    """Whether ``name`` can be a module name (dot-separated letters, digits, ``_`` and ``-``)."""
    return _MODULE.fullmatch(name) is not None


def target(out: Path, module: str) -> Path:
    """Where a module's file goes below ``out``: ``billing.invoices`` is ``billing/invoices.json``.

    Discovery gives the file that module name back.
    """
    return out.joinpath(*module.split(".")).with_suffix(".json")


def file_text(result: SourceResult, path: str) -> str:
    """The pipeline file for ``result``'s pipelines, canonically laid out.

    Args:
        result: What one source gave; its pipelines must have distinct names.
        path: The file's path, for messages.
    """
    document = {
        "version": FORMAT_VERSION,
        "description": f"Imported from {PurePosixPath(result.path).name} by pipereg import",
        "pipelines": {pipeline.name: pipeline.definition() for pipeline in result.pipelines},
    }
    return format_text(json.dumps(document, ensure_ascii=False), path)


def lint(text: str, path: Path, module: str) -> list[Problem]:
    """Every problem the loader finds in a file's text, located at ``path`` (not read)."""
    source = SourceFile(str(path), module, path)
    _, problems = load_sources([source], contents=[text.encode("utf-8")])
    return problems
