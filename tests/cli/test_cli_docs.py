"""`pipereg docs`: print, write atomically, or check the catalog (pipereg.cli.docs)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, WriteTree, pipeline_file
from pipereg.cli import main

PIPELINE = {"p": {"description": "Counts", "collection": "c", "stages": [{"$count": "n"}]}}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def project(write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_tree({"m.json": pipeline_file(PIPELINE, description="A module")})
    monkeypatch.chdir(root.parent)
    (root.parent / "docs").mkdir()
    return root.parent


def test_prints_the_catalog(project: Path) -> None:
    result = invoke("docs")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Pipeline catalog\n")
    assert "- [Module `m`](#module-m) (`pipelines/m.json`: A module)\n" in result.stdout
    assert "| file | [`pipelines/m.json:5`](pipelines/m.json#L5) |" in result.stdout


def test_writes_the_file_with_links_from_its_folder(project: Path) -> None:
    result = invoke("docs", "-o", "docs/catalog.md")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "wrote docs/catalog.md (1 pipeline)" in result.stderr
    text = (project / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert "[`pipelines/m.json:5`](../pipelines/m.json#L5)" in text
    assert stat.S_IMODE(os.stat(project / "docs" / "catalog.md").st_mode) == 0o644
    assert sorted(p.name for p in (project / "docs").iterdir()) == ["catalog.md"]  # no temp


def test_rewriting_keeps_the_file_mode(project: Path) -> None:
    target = project / "docs" / "catalog.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o664)
    assert invoke("docs", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert target.read_text(encoding="utf-8").startswith("# Pipeline catalog")


def test_check(project: Path) -> None:
    missing = invoke("docs", "-o", "docs/catalog.md", "--check")
    assert missing.exit_code == 1
    assert "docs/catalog.md is missing; run: pipereg docs -o docs/catalog.md" in missing.stderr
    assert not (project / "docs" / "catalog.md").exists()  # --check writes nothing
    assert invoke("docs", "-o", "docs/catalog.md").exit_code == 0
    current = invoke("docs", "-o", "docs/catalog.md", "--check")
    assert current.exit_code == 0
    assert "docs/catalog.md is up to date" in current.stderr
    (project / "pipelines" / "m.json").write_text(
        json.dumps(pipeline_file(PIPELINE, version=2)), encoding="utf-8"
    )
    stale = invoke("docs", "-o", "docs/catalog.md", "--check")
    assert stale.exit_code == 1
    assert "docs/catalog.md is out of date" in stale.stderr


def test_check_needs_a_file(project: Path) -> None:
    result = invoke("docs", "--check")
    assert result.exit_code == 2
    assert "--check needs -o FILE" in result.stderr


def test_unreadable_check_target_is_an_input_error(project: Path) -> None:
    (project / "docs" / "catalog.md").write_bytes(b"\xff\xfe")
    result = invoke("docs", "-o", "docs/catalog.md", "--check")
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: docs/catalog.md: cannot read:")


def test_unwritable_target_is_one_line_exit_2(project: Path) -> None:
    result = invoke("docs", "-o", "no/such/dir/catalog.md")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "pipereg: no/such/dir/catalog.md: cannot write: No such file or directory\n"
    )
    assert "Traceback" not in result.output


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "docs" / "catalog.md"
    target.write_text("old", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    result = invoke("docs", "-o", str(target))
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in target.parent.iterdir()] == ["catalog.md"]


def test_pipelines_that_do_not_load_are_an_input_error(write_tree: WriteTree) -> None:
    root = write_tree({"bad.json": "{"})
    result = invoke("--path", str(root), "docs")
    assert result.exit_code == 2
    assert "cannot load pipelines:" in result.stderr
    assert result.stdout == ""


def test_the_bundled_catalog_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke("docs", "-o", "pipelines/CATALOG.md", "--check")
    assert result.exit_code == 0, result.stderr
