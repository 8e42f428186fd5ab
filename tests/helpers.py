"""Helpers shared by the tests (imported as ``helpers``; fixtures live in conftest.py)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
"""Data the tests read: golden files, pipelines, schemas; one folder per kind."""

WriteTree = Callable[[dict[str, Any]], Path]


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
