"""A commit's pipeline files read from git's object store into memory, never onto disk.

``pipereg diff`` compares a revision that may come from anyone (a pull request, a fork), so its
tree is data, not a place to write to or to follow links out of. Entries are listed with
``git ls-tree`` (sizes included, so a blob over the size limit is refused unread) and blobs read
through one ``git cat-file --batch``. A symbolic link is resolved inside the revision's own tree,
as a checkout would resolve it, and a link that leaves the repository, or leads nowhere, is a
PR003 problem: the host's files are never read. A tree entry that is not a plain name (``..``,
``.``, empty) cannot be checked out by git and is refused the same way. A missing or damaged
object is one :class:`~pipereg.errors.RevisionError`.

Files are found as :func:`~pipereg.load.discovery.discover_paths` finds them on disk (hidden
names and test-case files skipped, a folder reached twice walked once, a file reached twice read
once), and come back as :class:`~pipereg.load.discovery.SourceFile` records over in-memory blobs.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from pipereg import codes
from pipereg.errors import Problem, RevisionError
from pipereg.jsontext.read import FileTooLarge
from pipereg.load.discovery import SUFFIX, TEST_SUFFIX, SourceFile

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

LINK_MODE = "120000"
# As Linux's ELOOP: a chain of links longer than this is a loop, or might as well be.
MAX_LINK_HOPS = 40
# A link's text is a path; one longer than PATH_MAX is no link a checkout could follow.
MAX_LINK_BYTES = 4096
# Each link followed costs two git processes: a revision full of links must not cost thousands.
MAX_LINKS = 1000


@dataclass(frozen=True)
class Entry:
    """One entry of a commit's tree, as ``git ls-tree -l`` lists it."""

    mode: str
    kind: str  # blob, tree or commit (a submodule)
    sha: str
    size: int  # -1 for a tree or a submodule
    path: str  # repository-relative, "/"-separated, as git stores it (surrogate-escaped)


class Blob(Traversable):
    """A file's bytes held in memory, read like a file by the loader."""

    def __init__(self, name: str, data: bytes | None, size: int, limit: int) -> None:
        self._name = name
        self._data = data
        self._size = size
        self._limit = limit

    @property
    def name(self) -> str:
        """The file's name, last part of its path."""
        return self._name

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        """The bytes as a binary stream; a blob over the limit was never read, and says so."""
        if self._data is None:
            raise FileTooLarge(self._size, self._limit)
        if mode != "rb":
            return io.TextIOWrapper(io.BytesIO(self._data), *args, **kwargs)
        stream: BinaryIO = io.BytesIO(self._data)
        return stream

    def read_bytes(self) -> bytes:
        """The bytes."""
        with self.open("rb") as stream:
            data: bytes = stream.read()
            return data

    def read_text(self, encoding: str | None = None) -> str:
        """The bytes as UTF-8 text."""
        return self.read_bytes().decode(encoding or "utf-8")

    def iterdir(self) -> Iterator[Traversable]:
        """Nothing: a blob is no folder."""
        return iter(())

    def is_dir(self) -> bool:
        """False: a blob is a file."""
        return False

    def is_file(self) -> bool:
        """True: a blob is a file."""
        return True

    def joinpath(self, *descendants: Any) -> Traversable:
        """No descendants: a blob is no folder."""
        raise FileNotFoundError(self._name)

    def __truediv__(self, child: Any) -> Traversable:
        return self.joinpath(child)


def shown(path: str) -> str:
    """A path from git as it may appear in a message: bytes that are not UTF-8 as ``\\xNN``."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Revision:
    """One commit's tree in one repository, listed on demand and read into memory."""

    def __init__(self, repo: str | os.PathLike[str], commit: str, limit: int) -> None:
        self.repo = os.fspath(repo)
        self.commit = commit
        self.limit = limit

    def run(self, *args: str) -> bytes:
        """Git's output for ``args`` in the repository.

        Raises:
            RevisionError: git cannot run or fails (a damaged repository, say); one line.
        """
        # Pathspecs are literal: a link's text ("*", ":(glob)**") names one path, no pattern.
        command = ["git", "--literal-pathspecs", "-C", self.repo, *args]
        try:
            done = subprocess.run(command, capture_output=True, check=False)
        except OSError as exc:
            raise RevisionError(f"cannot run git: {exc.strerror or exc}") from exc
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").splitlines()
            complaint = next((line for line in lines if line.strip()), f"exit {done.returncode}")
            raise RevisionError(f"git {args[0]} failed: {complaint}")
        return done.stdout

    def listing(self, path: str, *, recursive: bool) -> list[Entry]:
        """The entries at ``path`` (every file below it if ``recursive``), in git's order."""
        args = ["ls-tree", "-l", "-z", "--full-tree", *(["-r"] if recursive else [])]
        out = self.run(*args, self.commit, "--", path)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, sha, size = meta.decode("ascii").split()
            path_text = name.decode("utf-8", "surrogateescape")
            if not (size == "-" or size.isdigit()):  # git says BAD for an object it cannot read
                raise RevisionError(
                    f"git ls-tree: object {sha} ({shown(path_text)}) is missing or damaged; "
                    "the repository is damaged (try git fsck)"
                )
            entries.append(Entry(mode, kind, sha, int(size) if size != "-" else -1, path_text))
        return entries

    def entry(self, path: str) -> Entry | None:
        """The entry at exactly ``path``, or ``None`` if the revision has none there."""
        return next((e for e in self.listing(path, recursive=False) if e.path == path), None)


def revision_sources(
    repo: str | os.PathLike[str], commit: str, roots: Sequence[str], limit: int
) -> tuple[list[SourceFile], list[Problem]]:
    """Every pipeline file under ``roots`` at ``commit``, in memory, and the problems found.

    A root the revision does not have gives nothing (a revision from before the pipelines
    existed has none). Paths are repository-relative, as in the revision.

    Raises:
        RevisionError: git fails, or an object the tree names is missing (a damaged repository).
    """
    revision = Revision(repo, commit, limit)
    problems: list[Problem] = []
    found: list[tuple[str, str, Entry]] = []  # shown path, module, the blob to read
    claimed: set[str] = set()  # repository paths of the blobs found, so each is read once

    def problem(path: str, message: str) -> None:
        problems.append(Problem(shown(path), 0, 0, "", codes.UNREADABLE, message))

    for root in roots:
        top = "" if root in ("", ".") else root.strip("/")
        walker = _Walker(revision, problem)
        for parts, entry in walker.walk(top, top, {top}):
            if entry.path in claimed:
                continue
            claimed.add(entry.path)
            if parts:
                module = ".".join((*parts[:-1], parts[-1].removesuffix(SUFFIX)))
                path = "/".join((top, *parts)) if top else "/".join(parts)
            else:  # the root is a file itself
                path = top
                module = top.rsplit("/", 1)[-1].removesuffix(SUFFIX)
            found.append((path, module, entry))
    blobs = _read_blobs(revision, [entry for _, _, entry in found if entry.size <= limit])
    files = [
        SourceFile(shown(path), module, Blob(path, blobs.get(entry.sha), entry.size, limit))
        for path, module, entry in found
    ]
    return files, problems


class _Walker:
    # The blobs below a folder of the revision, links resolved inside the tree, as discovery
    # walks a folder on disk.
    def __init__(self, revision: Revision, problem: Callable[[str, str], None]) -> None:
        self.revision = revision
        self.problem = problem
        self.links = 0

    def walk(
        self, folder: str, shown_as: str, visited: set[str]
    ) -> Iterator[tuple[tuple[str, ...], Entry]]:
        prefix = f"{folder}/" if folder else ""
        for listed in self.revision.listing(folder or ".", recursive=True):
            entry = listed
            if entry.path != folder and not entry.path.startswith(prefix):
                continue  # git matched more than the folder
            rel = entry.path[len(prefix) :] if entry.path != folder else ""
            parts = tuple(rel.split("/")) if rel else ()
            where = "/".join(p for p in (shown_as, *parts) if p)
            if any(part in ("", ".", "..") for part in entry.path.split("/")):
                self.problem(where, "not a plain path in the revision; git cannot check it out")
                continue
            if any(part.startswith(".") or part == "__pycache__" for part in parts):
                continue
            name = parts[-1] if parts else entry.path.rsplit("/", 1)[-1]
            wanted = name.endswith(SUFFIX) and not name.endswith(TEST_SUFFIX)
            if entry.mode == LINK_MODE:
                target, why = self.follow(entry)
                if target is None:
                    if wanted or not parts:  # as on disk: a broken link is read, and fails
                        self.problem(where, why)
                    continue
                if target.kind == "tree":
                    if target.path not in visited:  # a loop, or a folder reached twice
                        visited.add(target.path)
                        for below, blob in self.walk(target.path, where, visited):
                            yield (*parts, *below), blob
                    continue
                entry = target
            if entry.kind != "blob":
                continue  # a submodule: not part of this repository's files
            if parts and not wanted:
                continue
            if not parts and name.endswith(TEST_SUFFIX):
                self.problem(
                    where, "a test-case file, not a pipeline file: run it with pipereg test"
                )
                continue
            yield parts, entry

    def follow(self, link: Entry) -> tuple[Entry | None, str]:
        # What a link finally points to inside the revision, or None and why not.
        entry = link
        for _ in range(MAX_LINK_HOPS):
            self.links += 1
            if self.links > MAX_LINKS:
                return None, f"more than {MAX_LINKS} symbolic links in the revision; not followed"
            if entry.size > MAX_LINK_BYTES:
                return None, "symbolic link text is too long to follow"
            data = _read_blobs(self.revision, [entry])[entry.sha]
            folder = entry.path.rsplit("/", 1)[0] if "/" in entry.path else ""
            target = inside(folder, data.decode("utf-8", "surrogateescape"))
            if target is None:
                return None, "symbolic link leads out of the repository; not followed"
            found = self.revision.entry(target)
            if found is None:
                return None, "symbolic link leads to nothing in this revision"
            if found.mode != LINK_MODE:
                return found, ""
            entry = found
        return None, "too many levels of symbolic links"


def inside(folder: str, link: str) -> str | None:
    """A link's target as a repository path, or ``None`` when it leaves the repository.

    An absolute target leaves it; so does one that climbs above the top level with ``..``.
    """
    if link.startswith("/") or "\0" in link:
        return None
    parts: list[str] = []
    for part in (*folder.split("/"), *link.split("/")):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts) or None


def _read_blobs(revision: Revision, entries: Sequence[Entry]) -> dict[str, bytes]:
    # Each blob's bytes by hash, through one `git cat-file --batch`, one object at a time so a
    # pipe never fills both ways.
    wanted = list(dict.fromkeys(entry.sha for entry in entries))
    if not wanted:
        return {}
    command = ["git", "-C", revision.repo, "cat-file", "--batch"]
    blobs: dict[str, bytes] = {}
    try:
        batch = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError as exc:
        raise RevisionError(f"cannot run git: {exc.strerror or exc}") from exc
    with batch:
        assert batch.stdin is not None  # both are pipes, as asked
        assert batch.stdout is not None
        try:
            for sha in wanted:
                batch.stdin.write(f"{sha}\n".encode("ascii"))
                batch.stdin.flush()
                header = batch.stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    raise RevisionError(
                        f"git cat-file: object {sha} is missing or not a file; "
                        "the repository is damaged (try git fsck)"
                    )
                size = int(header[2])
                data = batch.stdout.read(size)
                if len(data) != size or batch.stdout.read(1) != b"\n":
                    raise RevisionError(f"git cat-file stopped early while reading {sha}")
                blobs[sha] = data
        except BrokenPipeError as exc:
            raise RevisionError("git cat-file stopped early; the repository is damaged") from exc
        finally:
            batch.stdin.close()
    return blobs
