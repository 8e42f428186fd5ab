"""Files the commands write: replaced atomically, and generated files kept current (``--check``)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

import click

from pipereg.cli.app import InputError

NEW_FILE_MODE = 0o644


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

    Raises:
        OSError: the file cannot be written.
        ChangedMeanwhile: see ``read_as``.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
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
    try:
        current: str | None = output.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{output}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    if current == text:
        click.echo(f"pipereg: {output} is up to date", err=True)
        return
    if check:
        state = "missing" if current is None else "out of date"
        click.echo(f"pipereg: {output} is {state}; run: {command}", err=True)
        ctx.exit(1)
    try:
        replace_file(output, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"pipereg: wrote {output} ({what})", err=True)
