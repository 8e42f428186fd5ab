"""Files the commands write: replaced atomically, and generated files kept current (``--check``)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

import click

from pipereg.cli.app import InputError
from pipereg.jsontext.read import FileTooLarge, NotRegularFile, read_bytes
from pipereg.messages import printable

NEW_FILE_MODE = 0o644
_READ_AT_LEAST = 2**20  # of a generated file, to compare it with the new text


class ChangedMeanwhile(Exception):
    """The file changed on disk after it was read, so the new text would undo that change."""


def replace_file(path: Path, data: bytes, *, read_as: os.stat_result | None = None) -> None:
    """Writes ``data`` to ``path`` so that a reader, or a crash, sees the old file or the new one.

    The bytes go to a temporary file beside the target (a rename is atomic only within one file
    system), are flushed to disk, take the old file's mode, and replace it in one rename. A
    symlink is followed: the link stays a link and its target gets the new text. The temporary
    name starts with "." so discovery and watchers skip it while it exists.

    Args:
        path: The file to write; created with mode 644 if it does not exist.
        data: Its new content.
        read_as: The file's stat when it was read; if it differs now, an editor saved meanwhile
            and :class:`ChangedMeanwhile` is raised instead of replacing that edit.

    A file that exists must be a regular file that this process may write: a named pipe or a
    device (``-o /dev/zero``) is never replaced by a regular file, and a file the user may not
    write stays as it is (the rename would otherwise succeed, as it needs only the folder to be
    writable). As for any write, root may write a file whatever its mode.

    Raises:
        OSError: the file cannot be written, is read-only, or is not a regular file.
        ChangedMeanwhile: see ``read_as``.
    """
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    else:
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file; left as it is")
        if not os.access(target, os.W_OK):  # as writing in place would be refused
            raise PermissionError(errno.EACCES, "the file is read-only; left as it is")
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if read_as is not None:
            now = os.stat(target)
            if (now.st_ino, now.st_size, now.st_mtime_ns) != (
                read_as.st_ino,
                read_as.st_size,
                read_as.st_mtime_ns,
            ):
                raise ChangedMeanwhile("changed on disk since it was read; left as it is")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def generated_file(
    ctx: click.Context, output: Path | None, text: str, *, check: bool, what: str, command: str
) -> None:
    """Prints ``text``, writes it to ``output`` if it differs, or checks that ``output`` is current.

    With ``check``, nothing is written and the command exits 1 when ``output`` is missing or
    differs, naming the ``command`` that regenerates it. ``what`` ends the "wrote" message.

    Raises:
        InputError: ``output`` cannot be read or written.
    """
    if output is None:
        click.echo(text, nl=False)
        return
    data = text.encode("utf-8")
    current: str | None
    try:
        # Bounded: a file much longer than the new text differs (and /dev/zero never ends), and
        # a named pipe or a device is refused unread.
        current = read_bytes(output, max(2 * len(data), _READ_AT_LEAST)).decode("utf-8")
    except FileNotFoundError:
        current = None
    except FileTooLarge:
        current = ""  # it exists, and differs
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{output}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    if current == text:
        click.echo(printable(f"pipereg: {output} is up to date"), err=True)
        return
    if check:
        state = "missing" if current is None else "out of date"
        click.echo(printable(f"pipereg: {output} is {state}; run: {command}"), err=True)
        ctx.exit(1)
    try:
        replace_file(output, data)
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    click.echo(printable(f"pipereg: wrote {output} ({what})"), err=True)
