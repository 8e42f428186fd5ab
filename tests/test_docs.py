"""The code in README.md and docs/*.md works as written: the Python blocks run, the files lint.

Every ```python block of a page runs, in page order, in one namespace per page, so a block may use
what an earlier one defined. Blocks run from the repository's top folder, where ``pipelines/``
holds the bundled examples, except on a page that writes files of its own: a block preceded by
``<!-- file: PATH -->`` is that file's whole text, and the page's Python blocks then run in a
fresh folder holding those files, as a reader who followed the page has them; those files must
lint clean and their test cases pass. mongomock stands in for ``pymongo.MongoClient`` and
mongomock-motor for ``pymongo.AsyncMongoClient``, so the blocks need no server; a block with a
top-level ``await`` runs in an event loop.

A block that must not run says why on the line above it, ``<!-- not run: REASON -->``; it is
still compiled, so it cannot hold a syntax error.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import REPO
from pipereg._moved import MOVED
from pipereg.cli import main

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!-- (not run|file): (\S.*?) -->$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, text, first line and the marker above it."""

    language: str
    text: str
    line: int
    marker: tuple[str, str] | None


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the ``<!-- ... -->`` marker on the line above each."""
    found = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = lines.index("```", index + 1)
        above = MARKER.match(lines[index - 1]) if index else None
        marker = (above.group(1), above.group(2)) if above else None
        text = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(opening.group(1), text, index + 2, marker))
        index = end + 1
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


def compiled(block: Block, page: Path) -> Any:
    return compile(
        block.text,
        f"{page_id(page)}:{block.line}",
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )


def written_files(page: Path, folder: Path) -> list[Path]:
    """Write the page's ``<!-- file: PATH -->`` blocks below ``folder``; return their paths."""
    paths = []
    for block in blocks(page):
        if block.marker and block.marker[0] == "file":
            path = folder / block.marker[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
            paths.append(path)
    return paths


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drivers' clients replaced by mongomock's, so the blocks' clients need no server."""
    import mongomock
    import mongomock_motor
    import pymongo

    monkeypatch.setattr(pymongo, "MongoClient", mongomock.MongoClient)
    monkeypatch.setattr(pymongo, "AsyncMongoClient", mongomock_motor.AsyncMongoMockClient)


@pytest.mark.usefixtures("no_server")
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path if written_files(page, tmp_path) else REPO)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.language != "python":
            continue
        code = compiled(block, page)
        if block.marker is not None:
            assert block.marker[0] == "not run", f"{page_id(page)}:{block.line}"
            continue
        result = eval(code, namespace)  # a block with top-level await returns its coroutine
        if inspect.iscoroutine(result):
            asyncio.run(result)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_marker_stands_above_a_block_it_fits(page: Path) -> None:
    markers, fenced = 0, False
    for line in page.read_text(encoding="utf-8").splitlines():
        fenced = fenced != bool(FENCE.match(line) or line == "```")
        markers += not fenced and MARKER.match(line) is not None
    # A marker that is not directly above a block would silently mark nothing.
    marked = [block for block in blocks(page) if block.marker]
    assert len(marked) == markers
    for block in marked:
        kind, _ = block.marker or ("", "")
        assert (kind, block.language) in {("not run", "python"), ("file", "json")}, block


def test_the_blocks_are_found() -> None:
    # The parser must see what a reader sees: a test that found no block would pass on nothing.
    readme = blocks(REPO / "README.md")
    assert [b.language for b in readme if b.language in {"python", "json", "toml"}] == [
        "json",
        "python",
        "toml",
        "python",
        "json",
    ]
    api = blocks(REPO / "docs" / "python-api.md")
    assert sum(b.language == "python" and b.marker is None for b in api) == 3


PAGES_WITH_FILES = [
    page
    for page in PAGES
    if any(b.marker for b in blocks(page) if b.marker and b.marker[0] == "file")
]


@pytest.mark.parametrize("page", PAGES_WITH_FILES, ids=page_id)
def test_the_files_a_page_writes_lint_clean_and_their_cases_pass(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert written_files(page, tmp_path)
    monkeypatch.chdir(tmp_path)
    lint = CliRunner().invoke(main, ["lint"])
    assert lint.exit_code == 0, lint.output
    test = CliRunner().invoke(main, ["test"])
    assert test.exit_code == 0, test.output
    assert re.search(r"\b(\d+) cases? on the embedded engine: \1 passed", test.output), test.output


def test_the_walk_throughs_are_the_pages_that_write_files() -> None:
    assert [page_id(page) for page in PAGES_WITH_FILES] == [
        "README.md",
        "docs/getting-started.md",
        "docs/migrating.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_whole_json_document_parses(page: Path) -> None:
    # Blocks that show members out of context ("fragments": {...}) do not open with a bracket.
    for block in blocks(page):
        if block.language == "json" and block.text.lstrip()[:1] in {"{", "["}:
            try:
                json.loads(block.text)
            except json.JSONDecodeError as exc:
                pytest.fail(f"{page_id(page)}:{block.line + exc.lineno - 1}: {exc.msg}")


def test_the_changelog_names_every_moved_module_path() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    for old, new in MOVED.items():
        assert f"| `{old}` | `{new}` |" in changelog, old


def test_every_docs_page_is_in_the_site_navigation() -> None:
    # mkdocs --strict also fails on a page left out of the nav; this says which, without a build.
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s+(\S+\.md)\s*$", config, re.M))
    assert listed == {page.name for page in (REPO / "docs").glob("*.md")}
