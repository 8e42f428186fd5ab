"""The ``pipereg`` group and what every command shares: one-line input errors, the registry."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from pipereg.errors import PipelineLoadError, PipeRegError
from pipereg.jsontext.read import SIZE_VAR
from pipereg.load.discovery import default_roots

if TYPE_CHECKING:
    from pipereg.registry import Registry

USAGE_ERROR = 2
MAX_FILE_BYTES = "pipereg.max_file_bytes"  # ctx.meta key, seen by every command


class InputError(click.ClickException):
    """A bad key, parameter, file or option: one line on stderr, exit 2."""

    exit_code = USAGE_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"pipereg: {self.format_message()}", err=True)


@contextmanager
def input_errors() -> Iterator[None]:
    """Turns pipereg's errors into :class:`InputError`: a message, no traceback."""
    try:
        yield
    except PipelineLoadError as exc:
        lines = "\n".join(str(p) for p in exc.problems)
        raise InputError(f"cannot load pipelines:\n{lines}") from exc
    except PipeRegError as exc:
        raise InputError(str(exc)) from exc


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs (or help lists it).

    ``pipereg lint`` then imports what linting needs, not the DAO, the drivers, the embedded
    engine and the review tools of the other commands.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.lazy.get(cmd_name)
        if cmd_name not in self.commands and where is not None:
            module, attribute = where.split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


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


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
