"""Finding pipeline files: roots, module names, skipped and repeated files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import WriteTree, pipeline_file
from pipereg.load.discovery import default_roots, discover_cases, discover_package, discover_paths

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


CASES = {"cases": {"c": {"pipeline": "p", "expect": []}}}


def test_test_case_files_are_not_pipeline_files(write_tree: WriteTree) -> None:
    root = write_tree(
        {"orders.json": FILE, "orders.test.json": CASES, "billing/invoices.test.json": CASES}
    )
    files, problems = discover_paths([root])
    assert problems == []
    assert [f.module for f in files] == ["orders"]


def test_a_case_file_named_as_a_pipeline_root_is_a_problem(write_tree: WriteTree) -> None:
    root = write_tree({"orders.test.json": CASES})
    files, problems = discover_paths([root / "orders.test.json"])
    assert files == []
    assert [(p.code, p.message) for p in problems] == [
        ("PR003", "a test-case file, not a pipeline file: run it with pipereg test")
    ]


def test_a_root_of_only_case_files_has_no_pipeline_files(write_tree: WriteTree) -> None:
    root = write_tree({"orders.test.json": CASES})
    files, problems = discover_paths([root])
    assert files == []
    assert [p.message for p in problems] == ["no pipeline files (*.json) below this root"]


def test_package_discovery_skips_case_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "svc_cases_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "orders.json").write_text("{}", encoding="utf-8")
    (package / "orders.test.json").write_text("{}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    files, problems = discover_package("svc_cases_pkg")
    assert problems == []
    assert [f.module for f in files] == ["orders"]


def test_case_files_are_found_with_their_modules(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "orders.json": FILE,
            "orders.test.json": CASES,
            "billing/invoices.test.json": CASES,
            ".hidden/x.test.json": CASES,
        }
    )
    files, problems = discover_cases([root, root / "orders.test.json"])
    assert problems == []
    assert [(f.module, f.path) for f in files] == [
        ("billing.invoices", os.path.join(str(root), "billing", "invoices.test.json")),
        ("orders", os.path.join(str(root), "orders.test.json")),
    ]


def test_case_discovery_problems(write_tree: WriteTree, tmp_path: Path) -> None:
    root = write_tree({"orders.json": FILE})
    files, problems = discover_cases([root / "orders.json", tmp_path / "nowhere"])
    assert files == []
    assert [p.message for p in problems] == [
        "not a test-case file (expected a name ending in .test.json)",
        "does not exist or is not readable",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_file_reached_through_symlinks_is_found_once(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "orders.json").write_text("{}")
    (real / "sub").mkdir()
    (real / "sub" / "x.json").write_text("{}")
    links = tmp_path / "links"
    links.mkdir()
    (links / "alias.json").symlink_to(real / "orders.json")  # a file link
    (tmp_path / "folder").symlink_to(real, target_is_directory=True)  # a folder link
    files, problems = discover_paths([real, links, tmp_path / "folder", real / "sub" / "x.json"])
    assert problems == []
    assert sorted(f.path for f in files) == sorted(
        [os.path.join(str(real), "orders.json"), os.path.join(str(real), "sub", "x.json")]
    )
