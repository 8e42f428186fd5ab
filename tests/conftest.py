"""Shared fixtures: pipeline trees written to a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Before the import below: helpers.golden's asserts then show a diff of what changed.
pytest.register_assert_rewrite("helpers")

import pipereg  # noqa: E402
from helpers import WriteTree, world_readable_dir  # noqa: E402


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write ``{"relative/path.json": document or text}`` below a fresh root; return the root."""

    def write(files: dict[str, Any]) -> Path:
        root = tmp_path / "pipelines"
        root.mkdir(exist_ok=True)
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_text(json.dumps(content, indent=2), encoding="utf-8")
        return root

    return write


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    """A fresh folder that user nobody can reach, for tests run through as_unprivileged."""
    with world_readable_dir() as path:
        yield path


@pytest.fixture(autouse=True)
def _isolated_default_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's default registry or the caller's PIPEREG_PATH."""
    monkeypatch.delenv("PIPEREG_PATH", raising=False)
    pipereg.set_default_registry(None)
    yield
    pipereg.set_default_registry(None)
