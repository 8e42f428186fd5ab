"""Pipelines of a git revision, a folder or the work tree, on real git repos.

Each test builds its repository with ``git init`` and commits in a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import commit_files, git, pipeline_file
from pipereg.errors import Problem, RevisionError
from pipereg.review.git_tree import revision_sources
from pipereg.review.revisions import (
    default_base,
    load_folder,
    load_revision,
    load_worktree,
    repo_roots,
    resolve,
    toplevel,
)


def doc(match: int, version: int = 1) -> dict[str, object]:
    return pipeline_file(
        {"q": {"collection": "c", "stages": [{"$match": {"n": match}}]}}, version=version
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a main branch of two commits: pipelines/orders.json at n=1, then n=2."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit_files(root, {"pipelines/orders.json": doc(1), "README": "hi\n"}, "first")
    commit_files(root, {"pipelines/orders.json": doc(2, version=2)}, "second")
    return root


def match_of(pipelines: dict[str, object]) -> object:
    pipeline = pipelines["orders.q"]
    return pipeline.definition["stages"][0]["$match"]["n"]  # type: ignore[attr-defined]


def test_a_revision_loads_as_it_was_committed(repo: Path) -> None:
    (repo / "pipelines/orders.json").write_text("not even JSON")  # the work tree is never read
    first = resolve(repo, "HEAD~1")
    pipelines = load_revision(repo, first, "HEAD~1", ["pipelines"], None)
    assert match_of(pipelines) == 1
    assert pipelines["orders.q"].path == "pipelines/orders.json"  # type: ignore[attr-defined]
    assert match_of(load_revision(repo, resolve(repo, "main"), "main", ["pipelines"], None)) == 2


def test_the_work_tree_is_the_files_on_disk(repo: Path) -> None:
    (repo / "pipelines/orders.json").write_text(__import__("json").dumps(doc(3)))
    assert match_of(load_worktree(repo, ["pipelines"], None)) == 3


def test_a_file_that_does_not_load_names_the_revision_and_the_problem(repo: Path) -> None:
    broken = commit_files(repo, {"pipelines/orders.json": '{"version": 1,'}, "broken")
    with pytest.raises(RevisionError) as caught:
        load_revision(repo, broken, "my-branch", ["pipelines"], None)
    lines = str(caught.value).splitlines()
    assert lines[0] == "cannot load the pipelines of my-branch:"
    assert lines[1].startswith("pipelines/orders.json:1:")
    assert "PR001" in lines[1]


def test_a_file_that_does_not_load_can_be_collected_and_left_out(repo: Path) -> None:
    broken = commit_files(repo, {"pipelines/broken.json": '{"version": 1,'}, "broken")
    errors: list[Problem] = []
    pipelines = load_revision(repo, broken, "my-branch", ["pipelines"], None, errors=errors)
    assert list(pipelines) == ["orders.q"]  # the files that load still load
    (problem,) = errors
    assert (problem.path, problem.code) == ("pipelines/broken.json", "PR001")


def test_a_root_missing_at_a_revision_is_empty(repo: Path) -> None:
    assert load_revision(repo, resolve(repo, "HEAD"), "HEAD", ["elsewhere"], None) == {}
    assert load_worktree(repo, ["elsewhere"], None) == {}


def test_only_the_roots_are_read(repo: Path) -> None:
    files, problems = revision_sources(repo, resolve(repo, "HEAD"), ["pipelines"], 1000)
    assert [(f.path, f.module) for f in files] == [("pipelines/orders.json", "orders")]
    assert problems == []


def test_a_root_that_is_a_file_is_read_alone(repo: Path) -> None:
    files, _ = revision_sources(repo, resolve(repo, "HEAD"), ["pipelines/orders.json"], 1000)
    assert [(f.path, f.module) for f in files] == [("pipelines/orders.json", "orders")]


def test_a_linked_folder_is_walked_once(repo: Path) -> None:
    os.symlink("../pipelines", repo / "pipelines" / "loop")  # a loop through a link
    os.symlink("pipelines", repo / "alias")
    head = commit_files(repo, {}, "links to folders")
    files, problems = revision_sources(repo, head, ["alias", "pipelines"], 1000)
    assert [(f.path, f.module) for f in files] == [("alias/orders.json", "orders")]
    assert problems == []


def test_a_blob_over_the_size_limit_is_refused_unread(repo: Path) -> None:
    head = resolve(repo, "HEAD")
    with pytest.raises(RevisionError, match=r"pipelines/orders.json: PR004 file is \d+ bytes"):
        load_revision(repo, head, "HEAD", ["pipelines"], 20)


def test_symbolic_links_are_recreated(repo: Path) -> None:
    os.symlink("orders.json", repo / "pipelines" / "alias.json")
    commit = commit_files(repo, {}, "a link")
    # Written as a plain file, the link would hold the text "orders.json" and fail to load. As a
    # link, discovery reads the real file once, under the first name in order.
    pipelines = load_revision(repo, commit, "HEAD", ["pipelines"], None)
    assert set(pipelines) == {"alias.q"}


def test_a_link_to_a_file_outside_the_roots_reads_it_as_of_the_revision(repo: Path) -> None:
    (repo / "pipelines" / "orders.json").unlink()
    os.symlink("../shared/s.json", repo / "pipelines" / "s.json")
    first = commit_files(repo, {"shared/s.json": doc(1)}, "a link out of the root")
    (repo / "shared" / "s.json").write_text(__import__("json").dumps(doc(9)))  # never read
    assert match_of_key(load_revision(repo, first, "HEAD", ["pipelines"], None), "s.q") == 1
    os.symlink("../../elsewhere.json", repo / "pipelines" / "out.json")  # leaves the repository
    second = commit_files(repo, {}, "a link out of the repository")
    with pytest.raises(RevisionError, match=r"pipelines/out.json: PR003"):
        load_revision(repo, second, "HEAD", ["pipelines"], None)


def match_of_key(pipelines: dict[str, object], key: str) -> object:
    return pipelines[key].definition["stages"][0]["$match"]["n"]  # type: ignore[attr-defined]


def test_the_default_base_is_the_merge_base_with_main(repo: Path) -> None:
    fork = resolve(repo, "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"pipelines/orders.json": doc(5, version=3)}, "feature work")
    git(repo, "checkout", "-q", "main")
    commit_files(repo, {"README": "main moved on\n"}, "main work")
    git(repo, "checkout", "-q", "feature")
    commit, label = default_base(repo)
    assert commit == fork
    assert label == f"main (merge base {fork[:7]})"


def test_origin_head_wins_over_main(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "branch", "-q", "-m", "main", "local-only")
    _, label = default_base(clone)
    assert label.startswith("origin/HEAD (merge base ")


def test_master_is_the_last_resort(repo: Path) -> None:
    git(repo, "branch", "-q", "-m", "main", "master")
    assert default_base(repo)[1].startswith("master ")


def test_no_main_branch_says_what_to_pass(repo: Path) -> None:
    git(repo, "branch", "-q", "-m", "main", "trunk")
    with pytest.raises(
        RevisionError, match=r"none of origin/HEAD, main, master exists.*pipereg diff BASE"
    ):
        default_base(repo)


def test_no_common_ancestor_says_what_to_pass(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "unrelated")
    commit_files(repo, {"other.txt": "x\n"}, "unrelated root")
    with pytest.raises(RevisionError, match="main and HEAD have no common ancestor"):
        default_base(repo)


@pytest.mark.parametrize("revision", ["no-such-branch", "-h", "HEAD~9"])
def test_a_bad_revision_is_an_error(repo: Path, revision: str) -> None:
    with pytest.raises(RevisionError, match=r"neither a folder nor a commit|is not a revision"):
        resolve(repo, revision)


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(RevisionError, match=r"not inside a git repository.*BASE_DIR HEAD_DIR"):
        toplevel(tmp_path)


def test_roots_are_relative_to_the_top_level(repo: Path) -> None:
    assert toplevel(repo / "pipelines") == repo.resolve()
    assert repo_roots(repo, ["pipelines", str(repo / "pipelines" / "sub"), "."]) == [
        "pipelines",
        "pipelines/sub",
        ".",
    ]
    with pytest.raises(RevisionError, match="outside the repository"):
        repo_roots(repo, ["../elsewhere"])


def test_a_folder_shows_paths_below_it(tmp_path: Path, repo: Path) -> None:
    assert load_folder(repo, ["pipelines"], "x", None)["orders.q"].path == "pipelines/orders.json"


def test_test_case_files_are_not_pipelines_at_a_revision(repo: Path) -> None:
    cases = {"cases": {"c": {"pipeline": "q", "expect": []}}}
    head = commit_files(
        repo, {"pipelines/orders.test.json": cases, "tests_only/orders.test.json": cases}, "cases"
    )
    pipelines = load_revision(repo, head, "HEAD", ["pipelines", "tests_only"], None)
    assert sorted(pipelines) == ["orders.q"]
