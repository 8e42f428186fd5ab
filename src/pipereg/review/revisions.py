"""The pipelines of a git revision, a folder or the work tree, loaded for :mod:`~.review.diff`.

A revision's pipeline files are read from git's object store into memory
(:mod:`~pipereg.review.git_tree`), never checked out nor written anywhere, and then loaded by the
normal loader (:func:`~pipereg.load.sources.load_sources`), so a revision loads as the files on disk
would, except that no link is followed out of the repository. The work tree is discovered on
disk, and there too a file whose real path lies outside the repository is refused (PR003): a
pull request that commits a link to ``~/.ssh/id_rsa`` must not get it quoted in the CI log.
Paths in messages are shown relative to the repository's top level, as in the revision.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from pipereg import codes
from pipereg.errors import PipelineLoadError, Problem, RevisionError
from pipereg.fragments.fragment import Fragment
from pipereg.load.discovery import SUFFIX, TEST_SUFFIX, SourceFile, discover_paths, size_limit
from pipereg.load.sources import load_sources
from pipereg.messages import show
from pipereg.pipeline import Pipeline
from pipereg.review.git_tree import revision_sources

# Where the default base comes from, first found wins.
MAIN_BRANCHES = ("origin/HEAD", "main", "master")


def git(repo: Path | str, *args: str) -> str:
    """Run git in ``repo`` and return its output, stripped.

    Raises:
        RevisionError: git is missing or fails; the message is git's first line of complaint.
    """
    try:
        done = subprocess.run(
            ["git", "-C", os.fspath(repo), *args],
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",  # a path that is not UTF-8 is git's data, not a crash
            check=False,
        )
    except OSError as exc:
        raise RevisionError(f"cannot run git: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        complaint = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise RevisionError(f"git {args[0]} failed: {complaint or f'exit {done.returncode}'}")
    return done.stdout.strip()


def toplevel(cwd: Path | str = ".") -> Path:
    """The top level of the git repository holding ``cwd``.

    Raises:
        RevisionError: ``cwd`` is not inside a git repository.
    """
    try:
        return Path(git(cwd, "rev-parse", "--show-toplevel"))
    except RevisionError as exc:
        raise RevisionError(
            f"{os.path.abspath(cwd)} is not inside a git repository; "
            "to compare two folders, pass both: pipereg diff BASE_DIR HEAD_DIR"
        ) from exc


def resolve(repo: Path, revision: str) -> str:
    """The commit ``revision`` names (a branch, tag, hash, ``HEAD~2``...), as a full hash.

    Raises:
        RevisionError: no such commit.
    """
    if revision.startswith("-"):  # never let a revision be read as an option
        raise RevisionError(f"{show(revision)} is not a revision (it starts with -)")
    try:
        return git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        )
    except RevisionError as exc:
        raise RevisionError(f"{show(revision)} is neither a folder nor a commit in {repo}") from exc


def default_base(repo: Path) -> tuple[str, str]:
    """The merge base of the main branch and ``HEAD``, and a label naming it.

    The main branch is ``origin/HEAD`` if it exists, else ``main``, else ``master``.

    Raises:
        RevisionError: no main branch, or no common ancestor; the message says what to pass.
    """
    for branch in MAIN_BRANCHES:
        try:
            resolve(repo, branch)
        except RevisionError:
            continue
        try:
            commit = git(repo, "merge-base", branch, "HEAD")
        except RevisionError as exc:
            raise RevisionError(
                f"{branch} and HEAD have no common ancestor; pass the base to compare with: "
                "pipereg diff BASE"
            ) from exc
        return commit, f"{branch} (merge base {commit[:7]})"
    raise RevisionError(
        f"no main branch to compare with (none of {', '.join(MAIN_BRANCHES)} exists); "
        "pass the base to compare with: pipereg diff BASE [HEAD]"
    )


def repo_roots(repo: Path, roots: Sequence[str]) -> list[str]:
    """Pipeline roots as paths relative to the repository's top level (``.`` for all of it).

    Relative roots are relative to the top level, so ``pipereg diff`` means the same anywhere in
    the repository; absolute ones must lie inside it.

    Raises:
        RevisionError: a root outside the repository.
    """
    top = repo.resolve()
    found = []
    for root in roots:
        path = Path(root)
        full = path.resolve() if path.is_absolute() else (top / path).resolve()
        try:
            found.append(full.relative_to(top).as_posix() or ".")
        except ValueError:
            raise RevisionError(f"pipeline root {root} is outside the repository {top}") from None
    return found


def load_revision(
    repo: Path,
    commit: str,
    label: str,
    roots: Sequence[str],
    max_file_bytes: int | None,
    *,
    errors: list[Problem] | None = None,
    fragments: dict[str, Fragment] | None = None,
) -> dict[str, Pipeline]:
    """Every pipeline under ``roots`` (repository-relative) at ``commit``.

    The files are read from git's object store into memory (:func:`revision_sources`): nothing
    is written to disk, and no link is followed out of the revision.

    Args:
        errors: Where to collect the problems of files that do not load, instead of raising;
            only the pipelines that did load are returned then (see :func:`load_folder`).
        fragments: Filled with the fragments loaded, by key (see :func:`load_folder`).

    Raises:
        RevisionError: git fails, the repository is damaged, or a file does not load (every
            problem listed, located).
    """
    limit = size_limit(max_file_bytes)
    files, problems = revision_sources(repo, commit, roots, limit)
    return _finish(files, problems, label, limit, errors, fragments)


def load_worktree(
    repo: Path,
    roots: Sequence[str],
    max_file_bytes: int | None,
    *,
    fragments: dict[str, Fragment] | None = None,
) -> dict[str, Pipeline]:
    """Every pipeline under ``roots`` (repository-relative) in the work tree, as on disk."""
    limit = size_limit(max_file_bytes)
    top = os.path.join(os.fspath(repo), "")
    paths = [repo / root for root in roots]
    return _load(paths, "the work tree", limit, top, None, fragments, confine=repo)


def load_folder(
    folder: Path,
    roots: Sequence[str],
    label: str,
    max_file_bytes: int | None,
    *,
    errors: list[Problem] | None = None,
    fragments: dict[str, Fragment] | None = None,
) -> dict[str, Pipeline]:
    """Every pipeline under ``roots`` below ``folder``; paths are shown relative to ``folder``.

    A root that does not exist or holds no pipeline file is empty, not an error: a revision
    from before the pipelines existed has none.

    Args:
        errors: Where to collect the problems of files that do not load, instead of raising.
            The pipelines of those files are then left out (what a file with errors would give
            is anyone's guess), the others returned: the base of a diff may be the broken
            state that the head fixes.
        fragments: Filled with the fragments loaded, by key, so that a diff can name the
            fragment that changed a pipeline.

    Raises:
        RevisionError: a file does not load and ``errors`` is ``None``; the message names
            ``label`` and every problem.
    """
    top = os.path.join(os.fspath(folder), "")
    return _load([folder / root for root in roots], label, max_file_bytes, top, errors, fragments)


def load_paths(
    roots: Sequence[str],
    label: str,
    max_file_bytes: int | None,
    *,
    errors: list[Problem] | None = None,
    fragments: dict[str, Fragment] | None = None,
) -> dict[str, Pipeline]:
    """Every pipeline under ``roots`` as given (two folders compared); see :func:`load_folder`."""
    return _load([Path(root) for root in roots], label, max_file_bytes, "", errors, fragments)


def _load(
    roots: Sequence[Path],
    label: str,
    max_file_bytes: int | None,
    top: str,
    errors: list[Problem] | None,
    fragments: dict[str, Fragment] | None = None,
    *,
    confine: Path | None = None,
) -> dict[str, Pipeline]:
    def shown(path: str) -> str:
        return path[len(top) :] if top and path.startswith(top) else path

    files, problems = discover_paths([root for root in roots if has_pipelines(root)])
    if confine is not None:
        files, problems = _confined(files, problems, confine)
    files = [dataclasses.replace(f, path=shown(f.path)) for f in files]
    problems = [dataclasses.replace(p, path=shown(p.path)) for p in problems]
    return _finish(files, problems, label, max_file_bytes, errors, fragments)


def _confined(
    files: list[SourceFile], problems: list[Problem], repo: Path
) -> tuple[list[SourceFile], list[Problem]]:
    # The files whose real path lies inside the repository; each other one is a PR003 problem.
    top = os.path.join(os.path.realpath(repo), "")
    kept = []
    found = list(problems)
    for source in files:
        if os.path.realpath(cast(Path, source.resource)).startswith(top):
            kept.append(source)
        else:
            message = "leads out of the repository through a symbolic link; not read"
            found.append(Problem(source.path, 0, 0, "", codes.UNREADABLE, message))
    return kept, found


def _finish(
    files: Sequence[SourceFile],
    problems: Sequence[Problem],
    label: str,
    max_file_bytes: int | None,
    errors: list[Problem] | None,
    fragments: dict[str, Fragment] | None,
) -> dict[str, Pipeline]:
    # The files loaded together; their problems raised (or collected), their pipelines by key.
    loaded, found = load_sources(files, problems, max_file_bytes=max_file_bytes)
    failed = [p for p in found if p.severity == "error"]
    if failed and errors is None:
        lines = "\n".join(str(p) for p in failed)
        raise RevisionError(f"cannot load the pipelines of {label}:\n{lines}") from (
            PipelineLoadError(failed)
        )
    if errors is not None:
        errors.extend(failed)
    broken = {p.path for p in failed}
    if fragments is not None:
        fragments.update((f.key, f) for result in loaded for f in result.fragments)
    return {
        p.key: p for result in loaded if result.source.path not in broken for p in result.pipelines
    }


def has_pipelines(root: Path) -> bool:
    """Whether ``root`` is a file, or a folder with a pipeline file (``*.json``) below it."""
    if root.is_file():
        return True
    if not root.is_dir():
        return False
    return any(
        not any(part.startswith(".") for part in path.relative_to(root).parts)
        and not path.name.endswith(TEST_SUFFIX)  # test-case files are not pipeline files
        for path in root.rglob(f"*{SUFFIX}")
    )
