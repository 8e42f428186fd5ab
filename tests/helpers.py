"""Helpers shared by the tests (imported as ``helpers``; fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

WriteTree = Callable[[dict[str, Any]], Path]


def pipeline_file(pipelines: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A pipeline file document: version 1 unless given, with ``pipelines``."""
    return {"version": 1, **top, "pipelines": pipelines}


def line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears in ``text``."""
    return text[: text.index(needle)].count("\n") + 1
