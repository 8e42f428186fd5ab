"""Reading JSON files: bytes read safely and within a size limit, decoded, parsed; written once.

:func:`read_json` is the whole sequence for a file on disk: :func:`read_bytes` (a regular file only,
refused from its size when over the limit, never waiting on a named pipe or a device), then
:func:`parse_bytes` (strict UTF-8, then :func:`~pipereg.jsontext.parse.parse_json`: duplicate
keys, ``NaN`` and nesting past MongoDB's limit refused, every problem located). Each failure is
a :class:`~pipereg.jsontext.parse.ParseFailure` carrying :class:`~pipereg.errors.Problem`
records, so a caller reports reading and parsing alike.

Loading pipeline files takes the same bytes through :func:`~pipereg.jsontext.parse.parse_document`
instead (the fast path that also keeps each pipeline's text); see :mod:`pipereg.load.file`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from pipereg import codes
from pipereg.errors import Problem
from pipereg.jsontext.parse import ParseFailure, decode_text, parse_json

SIZE_VAR = "PIPEREG_MAX_FILE_BYTES"
# Pipeline files are hand-written: the bundled ones are a few kilobytes. 10 MiB leaves room for
# generated files while keeping a stray dump or a disk image from being parsed into memory.
DEFAULT_MAX_FILE_BYTES = 10 * 2**20


class FileTooLarge(Exception):
    """A file is larger than the size limit; ``size`` is ``None`` when only a bounded read told."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit


class NotRegularFile(OSError):
    """A ``*.json`` entry that is a folder, a named pipe, a device or a socket: never read."""


# Opening a named pipe for reading waits for a writer; O_NONBLOCK makes the open return at once,
# and the fstat below then refuses it. It changes nothing for regular files.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """A file's bytes, at most ``max_bytes`` of them, never waiting on a pipe or a device.

    Raises:
        FileTooLarge: the file is larger than ``max_bytes`` (told from its size, unread).
        OSError: the file cannot be read, or is not a regular file (:class:`NotRegularFile`).
    """
    # One open file answers both questions (what is it, how big), so a file replaced between
    # discovery and reading is judged by what is actually read.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise NotRegularFile(f"not a regular file ({kind})")
        if info.st_size > max_bytes:
            raise FileTooLarge(info.st_size, max_bytes)
        with os.fdopen(fd, "rb", buffering=0) as stream:
            fd = -1  # closed with the stream
            # What fstat promised and one byte more, which tells a file that grew since: asking
            # for the limit instead allocates a buffer of the limit for every file.
            data = _read_at_most(stream, info.st_size + 1)
            if len(data) > info.st_size:
                data += _read_at_most(stream, max_bytes + 1 - len(data))
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:  # it grew since the fstat
        raise FileTooLarge(None, max_bytes)
    return data


def _read_at_most(stream: BinaryIO, size: int) -> bytes:
    # Up to size bytes, fewer only at the end of the file (a raw read may return less).
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_problem(path: str, exc: FileTooLarge | OSError) -> Problem:
    """The problem for a file that could not be read: PR004 if too large, else PR003."""
    if isinstance(exc, FileTooLarge):
        size = f" {exc.size:,} bytes," if exc.size is not None else ""
        message = (
            f"file is{size} over the limit of {exc.limit:,} bytes "
            f"(set by max_file_bytes, {SIZE_VAR} or pipereg --max-file-bytes)"
        )
        return Problem(path, 0, 0, "", codes.TOO_LARGE, message)
    return Problem(path, 0, 0, "", codes.UNREADABLE, f"cannot read: {exc.strerror or exc}")


def parse_bytes(data: bytes, path: str) -> tuple[Any, str]:
    """A file's bytes decoded and parsed strictly: the document and its text.

    Raises:
        ParseFailure: not UTF-8, or not JSON pipereg accepts; its problems are located.
    """
    text = decode_text(data, path)
    return parse_json(text, path), text


def read_json(file: Path, max_bytes: int, path: str | None = None) -> tuple[Any, str]:
    """A JSON file on disk, read within ``max_bytes`` and parsed strictly: the document and text.

    ``path`` is the path shown in problems (default: ``file`` as given).

    Raises:
        ParseFailure: the file cannot be read, is too large, or is not JSON pipereg accepts.
    """
    shown = os.fspath(file) if path is None else path
    try:
        data = read_bytes(file, max_bytes)
    except (FileTooLarge, OSError) as exc:
        raise ParseFailure([read_problem(shown, exc)]) from exc
    return parse_bytes(data, shown)
