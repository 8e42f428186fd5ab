"""Hostile revisions for ``pipereg diff``: a tree is data, never a place to write to or read out of.

Each test crafts a commit the way an attacker would in a pull request (``git mktree`` accepts
entries that no checkout would write) and asserts that ``pipereg diff`` writes nothing, reads no
host file, and answers in located problems or one line, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import commit_files, git, pipeline_file
from pipereg.cli import main
from pipereg.errors import RevisionError
from pipereg.review.git_tree import MAX_LINK_HOPS, revision_sources
from pipereg.review.revisions import load_revision

SECRET = "TOP-SECRET-7f3a"
KINDS = {"040000": "tree", "160000": "commit"}


def doc(match: int = 1) -> str:
    stages = [{"$match": {"n": match}}]
    return json.dumps(pipeline_file({"q": {"collection": "c", "stages": stages}}))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose main branch has pipelines/orders.json; the current folder."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit_files(root, {"pipelines/orders.json": doc()}, "first")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A host file outside the repository that must never be read."""
    path = tmp_path / "secret.json"
    path.write_text(f'{{"version": 1, "pipelines": {{"{SECRET}": 1}}, "x": "{SECRET}"}}')
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def blob(repo: Path, text: str) -> str:
    return (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
            input=text.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


def tree(repo: Path, *entries: tuple[str, str, str]) -> str:
    """A tree object from (mode, hash, name) entries, any names git would refuse to check out."""
    lines = "".join(
        f"{mode} {KINDS.get(mode, 'blob')} {sha}\t{name}\n" for mode, sha, name in entries
    )
    return (
        subprocess.run(
            ["git", "-C", str(repo), "mktree", "--missing"],
            input=lines.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


def commit(repo: Path, tree_sha: str) -> str:
    return git(repo, "commit-tree", "-m", "crafted", tree_sha)


def assert_clean(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2)


def test_a_dot_dot_entry_writes_nothing_and_is_refused(repo: Path, tmp_path: Path) -> None:
    evil = tree(repo, ("100644", blob(repo, doc(7)), "evil.json"))
    up = tree(repo, ("040000", evil, ".."), ("100644", blob(repo, doc(2)), "orders.json"))
    head = commit(repo, tree(repo, ("040000", up, "pipelines")))
    before = sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts)
    result = invoke("diff", "main", head)
    assert_clean(result)
    assert "pipelines/../evil.json: PR003 not a plain path" in result.output
    assert sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts) == before


def test_a_dot_entry_is_refused(repo: Path) -> None:
    inner = tree(repo, ("100644", blob(repo, doc()), "."))
    head = commit(repo, tree(repo, ("040000", inner, "pipelines")))
    files, problems = revision_sources(repo, head, ["pipelines"], 1000)
    assert files == []
    assert [p.message for p in problems] == [
        "not a plain path in the revision; git cannot check it out"
    ]


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_a_committed_link_out_of_the_repository_is_never_read(
    repo: Path, secret: Path, how: str
) -> None:
    target = str(secret) if how == "absolute" else os.path.relpath(secret, repo / "pipelines")
    os.symlink(target, repo / "pipelines" / "leak.json")
    head = commit_files(repo, {}, "a link to a host file")
    result = invoke("diff", "main", head)
    assert_clean(result)
    assert SECRET not in result.output
    assert "pipelines/leak.json: PR003 symbolic link leads out of the repository" in result.output


def test_a_link_in_the_work_tree_out_of_the_repository_is_never_read(
    repo: Path, secret: Path
) -> None:
    os.symlink(secret, repo / "pipelines" / "leak.json")  # as a checkout of that commit has it
    result = invoke("diff", "main")
    assert_clean(result)
    assert SECRET not in result.output
    assert "pipelines/leak.json: PR003 leads out of the repository" in result.output


def test_a_linked_root_out_of_the_repository_is_never_read(repo: Path, secret: Path) -> None:
    outside = secret.parent / "outside"
    outside.mkdir()
    (outside / "s.json").write_text(secret.read_text())
    os.symlink(outside, repo / "pipelines" / "sub")
    head = commit_files(repo, {}, "a link to a host folder")
    result = invoke("diff", "main", head)
    assert SECRET not in result.output
    assert "pipelines/sub: PR003" not in result.output  # not a pipeline file name: skipped


def test_a_link_loop_is_a_problem_not_a_hang(repo: Path) -> None:
    os.symlink("b.json", repo / "pipelines" / "a.json")
    os.symlink("a.json", repo / "pipelines" / "b.json")
    head = commit_files(repo, {}, "a loop")
    files, problems = revision_sources(repo, head, ["pipelines"], 1000)
    assert [f.path for f in files] == ["pipelines/orders.json"]
    assert {p.message for p in problems} == {"too many levels of symbolic links"}
    assert MAX_LINK_HOPS <= 40


def test_a_link_text_that_looks_like_a_pathspec_names_one_path(repo: Path) -> None:
    os.symlink("*", repo / "pipelines" / "glob.json")
    head = commit_files(repo, {}, "a pathspec as a link")
    _, problems = revision_sources(repo, head, ["pipelines"], 1000)
    assert [p.message for p in problems] == ["symbolic link leads to nothing in this revision"]


def test_an_empty_name_is_one_line(repo: Path) -> None:
    inner = tree(repo, ("100644", blob(repo, doc()), ""))
    head = commit(repo, tree(repo, ("040000", inner, "pipelines")))
    result = invoke("diff", "main", head)
    assert_clean(result)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_a_missing_blob_is_one_line(repo: Path) -> None:
    missing = "1" * 40
    head = commit(repo, tree(repo, ("040000", tree(repo, ("100644", missing, "x.json")), "p")))
    with pytest.raises(RevisionError, match="missing or damaged; the repository is damaged"):
        load_revision(repo, head, "crafted", ["p"], None)
    result = invoke("--path", "p", "diff", "main", head)
    assert_clean(result)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_a_missing_tree_is_one_line(repo: Path) -> None:
    head = commit(repo, tree(repo, ("040000", "2" * 40, "pipelines")))
    result = invoke("diff", "main", head)
    assert_clean(result)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_a_corrupt_object_is_one_line(repo: Path) -> None:
    head = commit_files(repo, {"pipelines/orders.json": doc(5)}, "second")
    sha = git(repo, "rev-parse", f"{head}:pipelines/orders.json")
    loose = repo / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(loose, 0o644)
    loose.write_bytes(b"not zlib at all")
    result = invoke("diff", "main~1", head)
    assert_clean(result)
    assert result.exit_code == 2


def test_a_file_name_that_is_not_utf8_is_shown_escaped(repo: Path) -> None:
    inner = tree(
        repo,
        (
            "100644",
            blob(repo, "{"),
            "bad\udcff.json".encode("utf-8", "surrogateescape").decode("latin-1"),
        ),
    )
    head = commit(repo, tree(repo, ("040000", inner, "pipelines")))
    result = invoke("diff", "main", head)
    assert_clean(result)


def test_a_submodule_entry_is_skipped(repo: Path) -> None:
    sub = tree(repo, ("160000", "3" * 40, "mod.json"), ("100644", blob(repo, doc()), "q.json"))
    head = commit(repo, tree(repo, ("040000", sub, "pipelines")))
    files, problems = revision_sources(repo, head, ["pipelines"], 1000)
    assert [f.path for f in files] == ["pipelines/q.json"]
    assert problems == []


def test_nothing_is_written_to_the_temporary_folder(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    head = commit_files(repo, {"pipelines/orders.json": doc(3)}, "second")
    result = invoke("diff", "main~1", head)
    assert_clean(result)
    assert list(scratch.iterdir()) == []
