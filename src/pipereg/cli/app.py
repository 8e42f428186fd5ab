"""The ``pipereg`` group and what every command shares: one-line input errors, the registry."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from pipereg.errors import PipelineLoadError, PipeRegError
from pipereg.jsontext.read import SIZE_VAR
from pipereg.load.discovery import default_roots
from pipereg.messages import clip, printable, show

if TYPE_CHECKING:
    from pipereg.registry import Registry

USAGE_ERROR = 2
DEBUG_VAR = "PIPEREG_DEBUG"
MAX_FILE_BYTES = "pipereg.max_file_bytes"  # ctx.meta key, seen by every command


class InputError(click.ClickException):
    """A bad key, parameter, file or option: one line on stderr (and its details), exit 2.

    The message is one line whatever it quotes: control characters in it, a newline in a file
    name included, are printed as escapes (see :func:`~pipereg.messages.printable`). Lines that
    belong to the error, such as the problems of a file that does not load, are ``details``,
    printed one per line below it, each escaped the same way.
    """

    exit_code = USAGE_ERROR

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)

    def show(self, file: Any = None) -> None:
        """Print the error and its details to standard error, each line escaped."""
        lines = [f"pipereg: {self.format_message()}", *self.details]
        click.echo("\n".join(printable(line) for line in lines), err=True)

    @classmethod
    def of(cls, exc: PipeRegError) -> InputError:
        """The input error for one of pipereg's errors: its problems, if any, as details."""
        problems = getattr(exc, "problems", None)
        if problems is None and isinstance(exc.__cause__, PipelineLoadError):
            problems = exc.__cause__.problems  # a revision that does not load, say
        if problems is None:
            return cls(str(exc))
        head = "cannot load pipelines:" if isinstance(exc, PipelineLoadError) else str(exc)
        return cls(head.split("\n", 1)[0], [str(p) for p in problems])


@contextmanager
def input_errors() -> Iterator[None]:
    """Turns pipereg's errors into :class:`InputError`: a message, no traceback."""
    try:
        yield
    except PipeRegError as exc:
        raise InputError.of(exc) from exc


class Group(click.Group):
    """The ``pipereg`` group: commands imported when they run, no traceback from any input.

    A command's module is imported only when that command runs (or help lists it), so
    ``pipereg lint`` imports what linting needs, not the DAO, the drivers, the embedded engine
    and the review tools of the other commands (:data:`COMMANDS`).

    Each command turns the errors it expects into :class:`InputError` itself; this is the last
    guard. A :class:`~pipereg.errors.PipeRegError` that escaped is an input error all the
    same; anything else is pipereg's bug, reported in one line (exit 2) that says so, with the
    traceback only when ``PIPEREG_DEBUG`` is set.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, the ones not imported yet included."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported on first use."""
        where = self.lazy.get(cmd_name)
        if cmd_name not in self.commands and where is not None:
            module, attribute = where.split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuses an argument holding NUL, which no path, key or value can hold."""
        # A shell cannot pass one (argv strings end at NUL), but main() called from Python can,
        # and every os function would raise ValueError on it.
        for arg in args:
            if "\x00" in arg:
                raise click.UsageError(f"argument {show(arg)} holds a NUL character", ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Runs the command, turning any escaped exception into one line."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except PipeRegError as exc:
            raise InputError.of(exc) from exc
        except Exception as exc:  # the last guard: see the docstring
            if os.environ.get(DEBUG_VAR):
                raise
            # RecursionError and MemoryError come from input too deep or too large to handle.
            detail = clip(str(exc), 200)
            raise InputError(
                f"internal error ({type(exc).__name__}{': ' + detail if detail else ''}); "
                f"please report it, with {DEBUG_VAR}=1 set for the traceback"
            ) from exc


COMMANDS = {
    "lint": "pipereg.cli.lint:lint",
    "list": "pipereg.cli.show:list_",
    "show": "pipereg.cli.show:show",
    "render": "pipereg.cli.run:render",
    "run": "pipereg.cli.run:run",
    "diff": "pipereg.cli.diff:diff",
    "explain": "pipereg.cli.explain:explain",
    "docs": "pipereg.cli.docs:docs",
    "fmt": "pipereg.cli.fmt:fmt",
    "stubs": "pipereg.cli.stubs:stubs",
    "test": "pipereg.cli.test:test",
    "profile": "pipereg.cli.profile:profile",
    "import": "pipereg.cli.import_:import_",
    "schema": "pipereg.cli.schema:schema",
}
"""Every command by name, and where it is defined (imported when it runs)."""


@click.group(cls=Group, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--path",
    "paths",
    multiple=True,
    type=click.Path(),
    help="A pipeline root (repeatable). Default: $PIPEREG_PATH, else ./pipelines.",
)
@click.option(
    "--max-file-bytes",
    type=click.IntRange(min=1),
    envvar=SIZE_VAR,
    metavar="N",
    help=f"Refuse pipeline files larger than N bytes. Default: ${SIZE_VAR}, else 10 MiB.",
)
@click.version_option(package_name="pipereg")
@click.pass_context
def main(ctx: click.Context, paths: tuple[str, ...], max_file_bytes: int | None) -> None:
    """Lint, format, render, run, explain and compare MongoDB aggregation pipelines in JSON."""
    ctx.obj = list(paths) or default_roots()
    ctx.meta[MAX_FILE_BYTES] = max_file_bytes


def roots(ctx: click.Context) -> list[str]:
    """The pipeline roots given by ``--path``, ``$PIPEREG_PATH`` or the default."""
    return list(ctx.obj)


def load_registry(ctx: click.Context) -> Registry:
    """Every pipeline under the roots, loaded; a load failure is an :class:`InputError`."""
    from pipereg.registry import Registry  # noqa: PLC0415 - not every command loads one

    with input_errors():
        return Registry.from_paths(*roots(ctx), max_file_bytes=ctx.meta[MAX_FILE_BYTES])


def table(rows: Sequence[Sequence[str]], indent: str = "") -> None:
    """Prints rows as left-aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo((indent + "  ".join(cells)).rstrip())


def compact_json(value: Any) -> str:
    """A value as one line of relaxed Extended JSON."""
    from pipereg.jsontext import extjson  # noqa: PLC0415 - bson.json_util, for a few commands

    return extjson.dumps(value, indent=None)
