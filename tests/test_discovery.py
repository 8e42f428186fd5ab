"""Finding pipeline files: roots, module names, skipped and repeated files (pipereg.discovery)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import WriteTree, pipeline_file
from pipereg.discovery import default_roots, discover_package, discover_paths

FILE = pipeline_file({"p": {"collection": "c", "stages": [{"$match": {}}]}})


def test_modules_come_from_paths_below_the_root(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "orders.json": FILE,
            "billing/invoices.json": FILE,
            "billing/deep/er.json": FILE,
            "notes.txt": "not a pipeline file",
        }
    )
    files, problems = discover_paths([root])
    assert problems == []
    assert [(f.module, f.path) for f in files] == [
        ("billing.deep.er", os.path.join(str(root), "billing", "deep", "er.json")),
        ("billing.invoices", os.path.join(str(root), "billing", "invoices.json")),
        ("orders", os.path.join(str(root), "orders.json")),
    ]


def test_hidden_files_and_folders_are_skipped(write_tree: WriteTree) -> None:
    root = write_tree({".#orders.json": FILE, ".git/x.json": FILE, "ok.json": FILE})
    files, _ = discover_paths([root])
    assert [f.module for f in files] == ["ok"]


def test_a_folder_named_like_a_file_is_walked_not_read(write_tree: WriteTree) -> None:
    root = write_tree({"odd.json/inner.json": FILE})
    files, problems = discover_paths([root])
    assert problems == []
    assert [f.module for f in files] == ["odd.json.inner"]


def test_missing_root_is_a_problem(tmp_path: Path) -> None:
    files, problems = discover_paths([tmp_path / "nope"])
    assert files == []
    assert [(p.code, p.path) for p in problems] == [("PR003", str(tmp_path / "nope"))]


def test_a_single_file_root_is_its_own_module(write_tree: WriteTree) -> None:
    root = write_tree({"orders.json": FILE})
    files, _ = discover_paths([root / "orders.json"])
    assert [f.module for f in files] == ["orders"]


def test_the_same_file_through_two_roots_is_read_once(write_tree: WriteTree) -> None:
    root = write_tree({"orders.json": FILE})
    files, _ = discover_paths([root, root / "orders.json", root])
    assert len(files) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_loops_end(write_tree: WriteTree) -> None:
    root = write_tree({"a/orders.json": FILE})
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    files, _ = discover_paths([root])
    assert [f.module for f in files] == ["a.orders"]


def test_default_roots_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_roots() == ["pipelines"]
    monkeypatch.setenv("PIPEREG_PATH", os.pathsep.join(["one", "", "two"]))
    assert default_roots() == ["one", "two"]


def test_package_resources_are_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "shop_service" / "pipelines"
    (package / "billing").mkdir(parents=True)
    (tmp_path / "shop_service" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "orders.json").write_text("{}")
    (package / "billing" / "invoices.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path))
    files, problems = discover_package("shop_service.pipelines")
    assert problems == []
    assert [(f.module, f.path) for f in files] == [
        ("billing.invoices", "package:shop_service.pipelines/billing/invoices.json"),
        ("orders", "package:shop_service.pipelines/orders.json"),
    ]
    assert files[1].read() == b"{}"


def test_unknown_package_is_a_problem() -> None:
    files, problems = discover_package("no_such_package_here")
    assert files == []
    assert problems[0].code == "PR003"
    assert "no_such_package_here" in problems[0].message
