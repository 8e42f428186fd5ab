"""``pipereg fmt``: rewrite pipeline files in the canonical layout, or check that they are.

Files are found as lint finds them (:func:`pipereg.load.discovery.discover_paths`) and laid out by
:mod:`pipereg.review.fmt`. A file is rewritten only when its bytes change, and atomically: the new
text goes to a temporary file in the same folder, which then replaces the original in one rename, so
an interrupted run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import cast

import click

from pipereg.cli.app import MAX_FILE_BYTES, input_errors, roots
from pipereg.cli.output import ChangedMeanwhile, replace_file
from pipereg.errors import PipelineLoadError
from pipereg.jsontext.read import FileTooLarge, read_problem
from pipereg.load.discovery import SourceFile, discover_paths, size_limit
from pipereg.messages import plural
from pipereg.review.fmt import BOM, format_bytes

ERRORS = 2
CHANGES = 1


class _NotWritten(Exception):
    """The formatted text could not replace the file; the message says why."""


@click.command()
@click.argument("targets", nargs=-1, type=click.Path(exists=True), metavar="[PATH]...")
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing; list the files that would change and exit 1 if there are any.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Change nothing; print a unified diff of each change and exit 1 if there are any.",
)
@click.pass_context
def fmt(ctx: click.Context, targets: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Lay out pipeline files canonically (default: every file under the roots).

    Prints each file it rewrote. Only whitespace changes: key order, numbers as written and
    string values are kept. A file that is not valid JSON is reported as lint reports it and
    left alone (exit 2).
    """
    with input_errors():
        limit = size_limit(ctx.meta[MAX_FILE_BYTES])
    files, problems = discover_paths(list(targets) or roots(ctx))
    errors = [str(problem) for problem in problems]
    write = not (check or show_diff)
    changed = 0
    for source in files:
        try:
            if _format(source, limit, write, show_diff):
                changed += 1
        except PipelineLoadError as exc:
            errors.extend(str(problem) for problem in exc.problems)
        except _NotWritten as exc:
            errors.append(f"{source.path}: {exc}")
    for error in errors:
        click.echo(error, err=True)
    outcome = "reformatted" if write else "would be reformatted"
    summary = f"{plural(len(files), 'file')}, {changed} {outcome}"
    if errors:
        summary += f", {plural(len(errors), 'error')}"
    click.echo(summary, err=True)
    if errors:
        ctx.exit(ERRORS)
    ctx.exit(CHANGES if changed and not write else 0)


def _format(source: SourceFile, limit: int, write: bool, show_diff: bool) -> bool:
    # Formats one file; returns whether it changes. A file that cannot be read or parsed is a
    # PipelineLoadError with lint's problems; one that cannot be replaced is _NotWritten.
    path = cast(Path, source.resource)  # discover_paths finds files on disk, not in packages
    try:
        before = os.stat(path)
        data = source.read(limit)
    except (FileTooLarge, OSError) as exc:
        raise PipelineLoadError([read_problem(source.path, exc)]) from exc
    formatted = format_bytes(data, source.path)
    if formatted == data:
        return False
    if data.startswith(BOM):
        verb = "removed" if write else "would be removed"
        click.echo(f"{source.path}: UTF-8 byte-order mark {verb}", err=True)
    if show_diff:
        click.echo(_unified_diff(source.path, data, formatted), nl=False)
    elif write:
        try:
            replace_file(path, formatted, read_as=before)
        except ChangedMeanwhile as exc:
            raise _NotWritten(f"{exc}, run fmt again") from exc
        except OSError as exc:
            raise _NotWritten(f"cannot write: {exc.strerror or exc}") from exc
        click.echo(source.path)
    else:
        click.echo(source.path)
    return True


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    lines = difflib.unified_diff(
        old.removeprefix(BOM).decode("utf-8").splitlines(keepends=True),
        new.decode("utf-8").splitlines(keepends=True),
        f"a/{path}",
        f"b/{path}",
    )
    # Like diff and git: a last line without a line ending is marked as such.
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )
