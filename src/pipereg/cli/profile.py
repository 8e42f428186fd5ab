"""``pipereg profile``: what MongoDB recorded (profiler, slow-query log), by pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from pipereg.cli.app import InputError, load_registry, table
from pipereg.cli.database import connect
from pipereg.messages import plural

if TYPE_CHECKING:
    from pipereg.explain.profile import Entry, PipelineStats, Report

# What the report reads of a profiler document.
_PROFILE_FIELDS = dict.fromkeys(
    ("command.comment", "originatingCommand.comment", "millis", "docsExamined",
     "keysExamined", "nreturned", "planSummary"),
    1,
)  # fmt: skip


@click.command()
@click.option("--log", "logs", multiple=True, type=click.Path(dir_okay=False),
              help="mongod's JSON log (MongoDB 4.4+; gzip accepted): its Slow query entries. "
              "Repeatable.")  # fmt: skip
@click.option("--uri", envvar="PIPEREG_MONGODB_URI",
              help="MongoDB URI whose profiler (system.profile) to read, with --db.")  # fmt: skip
@click.option("--db", "db_name", help="The database whose system.profile to read.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.pass_context
def profile(
    ctx: click.Context, logs: tuple[str, ...], uri: str | None, db_name: str | None, fmt: str
) -> None:
    """Attribute recorded queries to pipelines: time, work and plan per key and version.

    Reads the profiler (--uri and --db) and/or slow-query logs (--log), groups what they recorded
    by the pipereg tag in each command's comment, and shows count, total, p50, p95 and max
    duration, documents and keys examined against returned, plans (COLLSCAN flagged), and the
    pipeline's file and line in the current tree. "stale": the tag's fingerprint is not the
    current file's (the pipeline changed since, or is gone). Most total time first.
    """
    if not logs and not uri:
        raise InputError(
            "profile needs a source: --log FILE (repeatable) and/or --uri URI --db NAME"
        )
    if uri and not db_name:
        raise InputError("--uri needs --db NAME: the profiler is kept per database")
    # Imported here, as the other commands that read servers do: keeps every command's start fast.
    from pipereg.explain.profile import summarise  # noqa: PLC0415
    from pipereg.review.catalog import locate_pipelines  # noqa: PLC0415

    registry = load_registry(ctx)
    entries: list[Entry] = []
    for path in logs:
        entries.extend(_log_entries(path))
    if uri:
        entries.extend(_profiler_entries(uri, db_name))
    pipelines = {pipeline.key: pipeline for pipeline in registry}
    report = summarise(entries, pipelines, locate_pipelines(pipelines.values()))
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(markdown(report))
    else:
        print_text(report)


def _log_entries(path: str) -> list[Entry]:
    from pipereg.explain.slowlog import LogReading, read_log  # noqa: PLC0415

    reading = LogReading()
    try:
        entries = list(read_log(path, reading))
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"--log {path}: cannot read: {reason}") from exc
    if reading.lines and reading.not_json == reading.lines:
        raise InputError(
            f"--log {path}: not a MongoDB JSON log (no line is JSON; MongoDB 4.4+ writes "
            "one JSON document per line)"
        )
    if reading.not_json:
        click.echo(f"pipereg: --log {path}: skipped {plural(reading.not_json, 'line')} "
                   "that are not JSON", err=True)  # fmt: skip
    return entries


def _profiler_entries(uri: str, db_name: str | None) -> Iterator[Entry]:
    from pymongo.errors import PyMongoError  # noqa: PLC0415

    from pipereg.explain.profile import from_profiler  # noqa: PLC0415

    database = connect(uri, db_name)
    try:
        documents = list(database["system.profile"].find({}, _PROFILE_FIELDS))
    except PyMongoError as exc:
        raise InputError(f"--uri: cannot read {database.name}.system.profile: {exc}") from exc
    finally:
        database.client.close()
    return (from_profiler(document) for document in documents)


HEADINGS = ["pipeline", "count", "total ms", "p50", "p95", "max", "docs/keys/returned",
            "plan", "file"]  # fmt: skip


def _cells(stats: PipelineStats) -> list[str]:
    data: dict[str, Any] = stats.to_json()
    plans = ", ".join(stats.plans) or "-"
    if stats.collscan:
        plans = "COLLSCAN! " + ", ".join(p for p in stats.plans if "COLLSCAN" not in p)
    where = "not in the tree" if stats.file is None else f"{stats.file}:{stats.line or '?'}"
    if stats.stale:
        where += " (stale)"
    return [
        f"{stats.key}@{stats.version}",
        str(stats.count),
        _number(data["total_ms"]),
        _number(data["p50_ms"]),
        _number(data["p95_ms"]),
        _number(data["max_ms"]),
        f"{stats.docs_examined}/{stats.keys_examined}/{stats.returned}",
        plans.strip(", "),
        where,
    ]


def _number(value: float) -> str:
    # Milliseconds: whole from 100 up (a day's total runs to millions, never in e-notation).
    if isinstance(value, int) or value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


def print_text(report: Report) -> None:
    """The text format: one row per pipeline version, then the untagged line."""
    if report.pipelines:
        table([HEADINGS, *(_cells(stats) for stats in report.pipelines)])
    else:
        click.echo("no entry carries a pipereg tag")
    click.echo(_untagged(report))


def _untagged(report: Report) -> str:
    total = report.to_json()["untagged"]["total_ms"]
    count = report.untagged_count
    return f"untagged: {count} {'entry' if count == 1 else 'entries'}, {_number(total)} ms"


def markdown(report: Report) -> str:
    """The Markdown format: a table, then the untagged line."""
    rows: Sequence[list[str]] = [_cells(stats) for stats in report.pipelines]
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join([*lines, "", _untagged(report)])
