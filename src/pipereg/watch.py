"""Reload on change: poll the stamps of pipeline files and act when they change.

A file's stamp is its modification time (in nanoseconds), size and inode, read with one
``os.stat`` per file per poll; a file added or removed below a root, or a root appearing or
vanishing, is a change too. Polling with the standard library behaves the same on every
platform and file system (network mounts and containers' bind mounts included, where change
notifications often never arrive); an event-based watcher such as ``watchfiles`` reacts faster
but adds a compiled wheel for a development feature.

Modification times move in steps (a few milliseconds on Linux, up to 2 s on FAT), so a file
rewritten with the same size within one step keeps its stamp. As git does with "racily clean"
entries, a file whose modification time is too recent to trust also keeps a hash of its bytes
until it ages. Files inside a zip or wheel have no stamp of their own: their bytes are hashed.

:class:`Poller` answers "did anything change since I last looked?"; :class:`Watch` runs one in a
daemon thread and reloads a registry (``Registry.watch``); ``pipereg lint --watch`` polls in the
foreground.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from pipereg.errors import Problem
from pipereg.jsontext.read import FileTooLarge
from pipereg.load.discovery import SourceFile, size_limit

logger = logging.getLogger("pipereg")

Discover = Callable[[], tuple[list[SourceFile], list[Problem]]]
"""Finds the files to load again, e.g. ``functools.partial(discover_paths, roots)``."""

# A modification time this close to the poll may still be shared by a later write.
RACY_NS = 2_000_000_000

R = TypeVar("R")


@dataclass(frozen=True)
class _Stamp:
    meta: tuple[object, ...]  # (mtime_ns, size, inode); a digest for archives; or why unreadable
    digest: str | None = None  # the bytes' hash, kept while the mtime is too recent to trust


def _digest(source: SourceFile, max_bytes: int) -> str:
    # The loader's own limit: a file over it is never read whole, here either; the load that
    # follows reports it (PR004).
    import hashlib  # noqa: PLC0415 - OpenSSL's module, for archives only

    try:
        return hashlib.sha256(source.read(max_bytes)).hexdigest()
    except FileTooLarge as exc:
        return f"over the size limit: {exc.size}"


def _look(
    source: SourceFile, now: int, before: _Stamp | None, max_bytes: int
) -> tuple[_Stamp, bool]:
    """The file's stamp now, and whether the file is unchanged since ``before``."""
    try:
        if not isinstance(source.resource, os.PathLike):
            stamp = _Stamp((_digest(source, max_bytes),))
            return stamp, stamp == before
        status = os.stat(source.resource)
        meta = (status.st_mtime_ns, status.st_size, status.st_ino)
        racy = status.st_mtime_ns >= now - RACY_NS
        if before is None or before.meta != meta:
            return _Stamp(meta, _digest(source, max_bytes) if racy else None), False
        if before.digest is None:
            return before, True  # its mtime was old when stamped: any write since moved it
        digest = _digest(source, max_bytes)
        return _Stamp(meta, digest if racy else None), digest == before.digest
    except OSError as exc:  # gone or unreadable since discovery: the next poll settles it
        stamp = _Stamp(("unreadable", type(exc).__name__))
        return stamp, stamp == before


class Poller:
    """Tells whether the files a discovery finds changed since the last look.

    The first look happens when the poller is made, so make it before reading the files: a change
    made while they are being read is then seen by the next :meth:`changed`.
    """

    def __init__(self, discover: Discover, max_bytes: int | None = None) -> None:
        self._discover = discover
        self._max_bytes = size_limit(max_bytes)  # the loader's limit, as the registry's
        self._stamps: dict[str, _Stamp] = {}
        self._problems: list[str] = []
        self._look_again()

    def changed(self) -> bool:
        """Whether any file changed, appeared or vanished since the previous look."""
        return self._look_again()

    def _look_again(self) -> bool:
        files, problems = self._discover()
        now = time.time_ns()
        # A root that is missing or empty is a discovery problem; when that changes, so does this.
        messages = [str(problem) for problem in problems]
        same = messages == self._problems and len(files) == len(self._stamps)
        stamps: dict[str, _Stamp] = {}
        for source in files:
            before = self._stamps.get(source.path)
            stamps[source.path], unchanged = _look(source, now, before, self._max_bytes)
            same = same and unchanged
        self._stamps, self._problems = stamps, messages
        return not same


class Watch(Generic[R]):
    """A daemon thread that calls ``reload`` after files change; stop it with :meth:`stop`.

    Usable as a context manager, which stops it on exit. Callbacks run on the watch thread; an
    exception from a callback is logged and the thread goes on.
    """

    def __init__(
        self,
        discover: Discover,
        reload: Callable[[], R],
        interval: float,
        *,
        on_reload: Callable[[R], object],
        on_error: Callable[[Exception], object],
        max_bytes: int | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.interval = interval
        self._reload = reload
        self._on_reload = on_reload
        self._on_error = on_error
        # Taken here, in the caller's thread, so every change after watch() returns is seen.
        self._poller = Poller(discover, max_bytes)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pipereg-watch", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the thread is still polling."""
        return self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling and wait (up to ``timeout`` seconds) for a reload in progress to finish.

        Once it returns (without a timeout), no callback runs any more. Called from a callback,
        it stops the thread after that callback returns.
        """
        self._stopping.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> Watch[R]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Watch every {self.interval}s, {state}>"

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self._poll()

    def _poll(self) -> None:
        callback: functools.partial[object]
        try:
            if not self._poller.changed():
                return
            result = self._reload()
        except Exception as exc:  # a watcher that dies on one bad edit is useless: report it
            callback = functools.partial(self._on_error, exc)
        else:
            callback = functools.partial(self._on_reload, result)
        try:
            callback()
        except Exception:
            logger.exception("pipereg: watch callback %r failed", callback.func)
