"""``pipereg lint``: JSON, schema and semantic checks, once or on every change."""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from pipereg import codes
from pipereg.check import grammar, reports
from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, roots
from pipereg.errors import Finding, Problem
from pipereg.jsontext.parse import Positions, decode_text
from pipereg.load.discovery import SourceFile, discover_paths
from pipereg.load.file import LoadedFile, locate
from pipereg.load.sources import load_sources
from pipereg.messages import clip, plural
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
    "--uri",
    envvar="PIPEREG_LINT_URI",
    metavar="URI",
    help="Also send every pipeline, rendered with example parameters, to this MongoDB as an "
    "explain that executes nothing, and report what the server refuses (PR092).",
)
@click.option("--db", "db_name", metavar="NAME", help="With --uri: the database (default: the "
              "URI's, else pipereg).")  # fmt: skip
@click.option(
    "--target-version",
    metavar="X.Y",
    callback=lambda _ctx, _param, value: _version(value),
    help="Report stages and operators newer than this server version (PR091), e.g. 7.0.",
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
    uri: str | None,
    db_name: str | None,
    target_version: str | None,
    watch: bool,
    interval: float | None,
    watch_cycles: int | None,
) -> None:
    """Check pipeline files: JSON, schema and semantic rules. Exit 1 on any finding.

    Given files or folders, only their findings are reported, but the fragments they include
    are still found in the roots (``--path``, ``PIPEREG_PATH`` or ``./pipelines``, those that
    exist).
    """
    paths = list(targets) or roots(ctx)
    # Includes cross files: the roots hold the fragments the files given may include.
    context = [root for root in roots(ctx) if os.path.exists(root)] if targets else []
    limit = ctx.meta[MAX_FILE_BYTES]
    extra = _Extra(target_version, None if uri is None else _connect(uri, db_name))
    if extra.database is not None:
        ctx.call_on_close(extra.database.client.close)  # PyMongo warns about a client left open
    if not watch:
        if interval is not None or watch_cycles is not None:
            given = "--interval" if interval is not None else "--watch-cycles"
            raise click.UsageError(f"{given} needs --watch")
        ctx.exit(_lint(paths, context, fmt, limit, engine, extra))
    # Stamps taken before the first lint reads the files, so an edit made meanwhile is seen.
    poller = Poller(functools.partial(discover_paths, [*paths, *context]), limit)
    status = _lint(paths, context, fmt, limit, engine, extra)
    lints = 1
    try:
        while watch_cycles is None or lints < watch_cycles:
            time.sleep(interval or 1.0)
            if poller.changed():
                click.echo("pipereg: files changed, linting again", err=True)
                status = _lint(paths, context, fmt, limit, engine, extra)
                lints += 1
    except KeyboardInterrupt:
        pass  # Ctrl-C is how --watch ends: no traceback, no "Aborted!"
    ctx.exit(status)


def _lint(
    paths: Sequence[str],
    context: Sequence[str],
    fmt: str,
    max_file_bytes: int | None,
    engine: str | None,
    extra: _Extra,
) -> int:
    # ``context``: roots loaded along with ``paths`` (files given) for their fragments, and
    # not reported on. Then files left out may include fragments of the files given, so "never
    # included" (PR066) is only said when the roots are linted.
    files, missing = discover_paths(paths)
    files, others = _with_roots(files, context)
    loaded, problems = load_sources(
        [*files, *others], missing, max_file_bytes=max_file_bytes, unused_fragments=not context
    )
    every = [fragment for result in loaded for fragment in result.fragments]
    if others:
        shown = {source.path for source in files}
        hidden = {p.path for p in problems if p.path not in shown and p.severity == "error"}
        problems = [*missing, *(p for p in problems[len(missing) :] if p.path in shown)]
        hidden -= {p.path for p in missing}
        loaded = loaded[: len(files)]
        if hidden:
            click.echo(
                f"pipereg: {_other_files(len(hidden))} under the roots "
                f"{'has' if len(hidden) == 1 else 'have'} problems (not shown): includes of "
                "fragments there were not checked",
                err=True,
            )
    if engine == "embedded":
        from pipereg.testing import embedded  # noqa: PLC0415 - imports mongomock

        with input_errors():
            problems = [*problems, *embedded.lint(loaded, every)]
    if extra.target_version is not None:
        problems = [*problems, *_newer(loaded, extra.target_version)]
    if extra.database is not None:
        problems = [*problems, *_verified(extra.database, loaded)]
    click.echo(reports.FORMATS[fmt](problems), nl=False)
    count = sum(len(result.pipelines) for result in loaded)
    click.echo(
        f"{plural(len(files), 'file')}, {plural(count, 'pipeline')}, "
        f"{plural(len(problems), 'finding')}",
        err=True,
    )
    return 1 if problems else 0


def _with_roots(
    files: list[SourceFile], context: Sequence[str]
) -> tuple[list[SourceFile], list[SourceFile]]:
    # The files given, and the files below the roots that were not. A file given that is also
    # below a root takes its module name from the root, as it has when the roots are loaded (its
    # fragments are known by that name), and keeps the path it was given by.
    if not context:
        return files, []
    below, _ = discover_paths(context)  # a root's own problems are for a lint of the roots
    modules = {os.path.realpath(str(source.resource)): source.module for source in below}
    given = [
        SourceFile(
            source.path,
            modules.pop(os.path.realpath(str(source.resource)), source.module),
            source.resource,
        )
        for source in files
    ]
    others = [s for s in below if os.path.realpath(str(s.resource)) in modules]
    return given, others


def _other_files(count: int) -> str:
    return "1 other file" if count == 1 else f"{count} other files"


@dataclass(frozen=True)
class _Extra:
    # The checks beyond the file's own: a target server version, a server to verify against.
    target_version: str | None
    database: Any


def _version(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9]+(\.[0-9]+){0,2}", value):
        raise click.BadParameter(f"{value!r} is not a server version such as 7.0 or 6.0.11")
    return value


def _newer(loaded: Sequence[LoadedFile], version: str) -> list[Problem]:
    problems: list[Problem] = []
    for result in loaded:
        findings = [
            Finding(
                at,
                codes.NEWER_THAN_TARGET,
                f"{op.name} came in MongoDB {op.introduced}, after the target version {version}",
            )
            for pipeline in result.pipelines
            for at, op in grammar.operators(
                pipeline.definition["stages"], ("pipelines", pipeline.name, "stages")
            )
            if op.newer_than(version)
        ]
        if findings:
            text = decode_text(result.source.read(), result.source.path)
            problems += locate(findings, result.source.path, Positions(text))
    return problems


def _verified(database: Any, loaded: Sequence[LoadedFile]) -> list[Problem]:
    from pymongo.errors import ConnectionFailure  # noqa: PLC0415

    from pipereg.explain.verify import verify  # noqa: PLC0415 - imports pymongo

    try:
        return verify(database, loaded)
    except ConnectionFailure as exc:
        reason = str(exc).split(" (configured timeouts", 1)[0]
        raise InputError(f"--uri: no server answers: {clip(reason)}") from exc


def _connect(uri: str, db_name: str | None) -> Any:
    # Imported for --uri only: the database module brings the drivers' glue and the embedded
    # engine, which a lint of files never needs (tests/cli/test_lazy_imports.py).
    from pipereg.cli.database import connect  # noqa: PLC0415

    return connect(uri, db_name)
