"""``pipereg lint``: JSON, schema and semantic checks, once or on every change."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

import click

from pipereg import reports
from pipereg.cli.app import MAX_FILE_BYTES, input_errors, plural, roots
from pipereg.discovery import discover_paths
from pipereg.registry import load_sources
from pipereg.watch import Poller


@click.command()
@click.argument("targets", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(reports.FORMATS)),
    default="text",
    help="text (default), json, github (workflow annotations) or sarif (SARIF 2.1.0).",
)
@click.option(
    "--engine",
    type=click.Choice(["embedded"]),
    help="Also warn (PR070) about pipelines this engine cannot run: "
    "embedded is mongomock, behind run and test without --uri.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Lint again whenever a file changes, until Ctrl-C; exit with the last lint's status.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="With --watch: how often to look for changes (default 1).",
)
# Stops --watch after this many lints, so tests need no Ctrl-C; not for users.
@click.option("--watch-cycles", type=click.IntRange(min=1), hidden=True)
@click.pass_context
def lint(
    ctx: click.Context,
    targets: tuple[str, ...],
    fmt: str,
    engine: str | None,
    watch: bool,
    interval: float | None,
    watch_cycles: int | None,
) -> None:
    """Check pipeline files: JSON, schema and semantic rules. Exit 1 on any finding."""
    paths = list(targets) or roots(ctx)
    limit = ctx.meta[MAX_FILE_BYTES]
    if not watch:
        if interval is not None or watch_cycles is not None:
            given = "--interval" if interval is not None else "--watch-cycles"
            raise click.UsageError(f"{given} needs --watch")
        ctx.exit(_lint(paths, fmt, limit, engine, whole=not targets))
    # Stamps taken before the first lint reads the files, so an edit made meanwhile is seen.
    poller = Poller(functools.partial(discover_paths, paths))
    status = _lint(paths, fmt, limit, engine, whole=not targets)
    lints = 1
    try:
        while watch_cycles is None or lints < watch_cycles:
            time.sleep(interval or 1.0)
            if poller.changed():
                click.echo("pipereg: files changed, linting again", err=True)
                status = _lint(paths, fmt, limit, engine, whole=not targets)
                lints += 1
    except KeyboardInterrupt:
        pass  # Ctrl-C is how --watch ends: no traceback, no "Aborted!"
    ctx.exit(status)


def _lint(
    paths: Sequence[str], fmt: str, max_file_bytes: int | None, engine: str | None, *, whole: bool
) -> int:
    # Some files named on the command line may hold fragments that files left out include:
    # "never included" (PR066) is only said of the whole roots.
    files, problems = discover_paths(paths)
    loaded, problems = load_sources(
        files, problems, max_file_bytes=max_file_bytes, unused_fragments=whole
    )
    if engine == "embedded":
        from pipereg import embedded  # noqa: PLC0415 - imports mongomock

        with input_errors():
            problems = [*problems, *embedded.lint(loaded)]
    click.echo(reports.FORMATS[fmt](problems), nl=False)
    count = sum(len(result.pipelines) for result in loaded)
    click.echo(
        f"{plural(len(files), 'file')}, {plural(count, 'pipeline')}, "
        f"{plural(len(problems), 'finding')}",
        err=True,
    )
    return 1 if problems else 0
