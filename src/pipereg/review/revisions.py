"""The pipelines of a git revision, a folder or the work tree, loaded for :mod:`~.review.diff`.

A revision's pipeline roots are materialised into a temporary folder (``git ls-tree`` and
``git cat-file --batch``), never by checking out, and then loaded by the normal loader
(:func:`~pipereg.load.sources.load_sources` over
:func:`~pipereg.load.discovery.discover_paths`), so a
revision loads exactly as the files on disk would. Paths in messages are shown relative to the
repository's top level, as in the revision.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from pipereg.errors import PipelineLoadError, Problem, RevisionError
from pipereg.fragments.fragment import Fragment
from pipereg.load.discovery import SUFFIX, TEST_SUFFIX, discover_paths, size_limit
from pipereg.load.sources import load_sources
from pipereg.pipeline import Pipeline

# Where the default base comes from, first found wins.
MAIN_BRANCHES = ("origin/HEAD", "main", "master")
_CHUNK = 1 << 16


def git(repo: Path | str, *args: str) -> str:
    """Run git in ``repo`` and return its output, stripped.

    Raises:
        RevisionError: git is missing or fails; the message is git's first line of complaint.
    """
    try:
        done = subprocess.run(
            ["git", "-C", os.fspath(repo), *args],
            capture_output=True,
            text=True,
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
        raise RevisionError(f"{revision!r} is not a revision (it starts with -)")
    try:
        return git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        )
    except RevisionError as exc:
        raise RevisionError(f"{revision!r} is neither a folder nor a commit in {repo}") from exc


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

    Args:
        errors: Where to collect the problems of files that do not load, instead of raising;
            only the pipelines that did load are returned then (see :func:`load_folder`).
        fragments: Filled with the fragments loaded, by key (see :func:`load_folder`).

    Raises:
        RevisionError: git fails, or a file does not load (every problem listed, located).
    """
    limit = size_limit(max_file_bytes)
    with tempfile.TemporaryDirectory(prefix="pipereg-diff-") as folder:
        dest = Path(folder)
        materialise(repo, commit, roots, dest, limit)
        return load_folder(dest, roots, label, limit, errors=errors, fragments=fragments)


def load_worktree(
    repo: Path,
    roots: Sequence[str],
    max_file_bytes: int | None,
    *,
    fragments: dict[str, Fragment] | None = None,
) -> dict[str, Pipeline]:
    """Every pipeline under ``roots`` (repository-relative) in the work tree, as on disk."""
    limit = size_limit(max_file_bytes)
    return load_folder(repo, roots, "the work tree", limit, fragments=fragments)


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
) -> dict[str, Pipeline]:
    def shown(path: str) -> str:
        return path[len(top) :] if top and path.startswith(top) else path

    files, problems = discover_paths([root for root in roots if has_pipelines(root)])
    files = [dataclasses.replace(f, path=shown(f.path)) for f in files]
    problems = [dataclasses.replace(p, path=shown(p.path)) for p in problems]
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


def materialise(
    repo: Path, commit: str, roots: Sequence[str], dest: Path, max_file_bytes: int
) -> int:
    """Write the files under ``roots`` at ``commit`` below ``dest``; returns how many.

    Reads blobs one at a time through one ``git cat-file --batch``, in chunks, so memory stays
    bounded. A blob over ``max_file_bytes`` becomes a sparse file of its size, which the loader
    then refuses from its size (PR004) as it would on disk. Symbolic links are recreated, and
    what they point to inside the repository is written too (as of ``commit``), so a link to a
    file outside the roots reads as it would in a checkout; submodules are skipped.
    """
    entries = _blobs(repo, commit, roots)
    if not entries:
        return 0
    seen = {path for _, _, path in entries}
    count = 0
    with subprocess.Popen(
        ["git", "-C", os.fspath(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as batch:
        assert batch.stdin is not None  # both are pipes, as asked
        assert batch.stdout is not None
        while entries:
            mode, sha, path = entries.pop(0)
            count += 1
            target = dest.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            batch.stdin.write(f"{sha}\n".encode())
            batch.stdin.flush()
            size = int(batch.stdout.readline().split()[2])
            if mode == "120000":
                link = batch.stdout.read(size).decode("utf-8", "surrogateescape")
                os.symlink(link, target)
                pointed = _inside(path.parent, link)
                if pointed is not None:
                    found = [e for e in _blobs(repo, commit, [pointed]) if e[2] not in seen]
                    seen.update(e[2] for e in found)
                    entries += found
            else:
                _copy(batch.stdout.read, size, target, max_file_bytes)
            batch.stdout.read(1)  # the newline after each blob
        batch.stdin.close()
    return count


def _blobs(repo: Path, commit: str, paths: Sequence[str]) -> list[tuple[str, str, PurePosixPath]]:
    # Mode, blob hash and path of every file (and link) under paths at commit.
    listing = git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    entries = []
    for record in listing.split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((mode, sha, PurePosixPath(name)))
    return entries


def _inside(folder: PurePosixPath, link: str) -> str | None:
    # A link's target as a repository path, or None when it leaves the repository (or is
    # absolute): what lies outside is not part of the revision.
    if link.startswith("/"):
        return None
    parts: list[str] = []
    for part in (*folder.parts, *PurePosixPath(link).parts):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or None


def _copy(read: Callable[[int], bytes], size: int, target: Path, max_file_bytes: int) -> None:
    with target.open("wb") as out:
        left = size
        while left:
            chunk = read(min(left, _CHUNK))
            if not chunk:
                raise RevisionError(f"git cat-file stopped early while reading {target.name}")
            if size <= max_file_bytes:
                out.write(chunk)
            left -= len(chunk)
        if size > max_file_bytes:
            out.truncate(size)
