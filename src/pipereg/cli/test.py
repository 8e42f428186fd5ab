"""``pipereg test``: run the test cases in ``*.test.json`` files and report pass or fail."""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, load_registry, roots
from pipereg.cli.output import ChangedMeanwhile, replace_file
from pipereg.errors import CaseLoadError, EngineError
from pipereg.messages import plural

_LABELS = {
    "pass": "PASS",
    "fail": "FAIL",
    "skip": "SKIP",
    "unsupported": "UNSUPPORTED",
    "error": "ERROR",
    "updated": "UPDATED",
}
_COUNTED = {
    "pass": "passed",
    "fail": "failed",
    "skip": "skipped",
    "unsupported": "unsupported",
    "error": "error",
    "updated": "updated",
}


def _database_prefix(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Checked before connecting: a name the server refuses would fail every case, one by one.
    from pipereg.testing.runner import prefix_problem  # noqa: PLC0415 - keeps the other commands' start fast

    problem = prefix_problem(value)
    if problem is not None:
        raise click.BadParameter(f"{value!r}: {problem}")
    return value


@click.command("test")
@click.argument("targets", nargs=-1, type=click.Path())
@click.option(
    "--uri",
    help="Run on this MongoDB server (each case in a new database, dropped afterwards) "
    "instead of the embedded engine.",
)
@click.option(
    "--db-prefix",
    default="pipereg_test",
    show_default=True,
    callback=_database_prefix,
    help="With --uri: case databases are named PREFIX_<random>.",
)
@click.option(
    "-k",
    "keyword",
    metavar="TEXT",
    help="Only cases whose file::name or pipeline key contains TEXT (any letter case).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only cases that did not pass.")
@click.option(
    "--update",
    is_flag=True,
    help="Write the actual results of failing cases into their expect (review the diff).",
)
@click.option(
    "--update-all",
    is_flag=True,
    help="Write the actual results of every case that ran into its expect.",
)
@click.pass_context
def test(
    ctx: click.Context,
    targets: tuple[str, ...],
    uri: str | None,
    db_prefix: str,
    keyword: str | None,
    quiet: bool,
    update: bool,
    update_all: bool,
) -> None:
    """Run pipeline test cases (*.test.json files under TARGETS, default the pipeline roots).

    Exit 0 when no case failed (skipped and unsupported cases do not fail; with --update, nor
    do the cases updated), 1 when one failed or raised an error, 2 when a case file or the
    pipelines cannot be loaded.
    """
    from pipereg.load.discovery import discover_cases  # noqa: PLC0415
    from pipereg.testing.cases import load_cases  # noqa: PLC0415 - keeps the other commands' start fast
    from pipereg.testing.runner import EmbeddedEngine, ServerEngine, Status, run_case  # noqa: PLC0415

    registry = load_registry(ctx)
    files, problems = discover_cases(list(targets) or roots(ctx))
    cases, found = load_cases(files, registry, max_file_bytes=ctx.meta[MAX_FILE_BYTES])
    with input_errors():
        if problems or found:
            raise CaseLoadError([*problems, *found])
    if not files:
        raise InputError("no test-case files (*.test.json) found")
    if keyword:
        wanted = keyword.lower()
        cases = [c for c in cases if wanted in c.id.lower() or wanted in c.key.lower()]
    try:
        engine = ServerEngine(uri, db_prefix) if uri else EmbeddedEngine()
    except EngineError as exc:
        raise InputError(str(exc)) from exc
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    updates: dict[str, dict[str, Sequence[Any]]] = defaultdict(dict)
    rewritten = (Status.PASS, Status.FAIL) if update_all else (Status.FAIL,)
    try:
        for case in cases:
            outcome = run_case(case, registry, engine)
            status = outcome.status.value
            if (
                (update or update_all)
                and outcome.status in rewritten
                and outcome.actual is not None
            ):
                updates[case.path][case.name] = outcome.actual
                status = "updated" if outcome.status is Status.FAIL else status
            counts[status] += 1
            if quiet and outcome.status is Status.PASS:
                continue
            label = _LABELS[status]
            click.echo(f"{label:<11} {case.path}:{case.line}: {case.name} [{case.key}]")
            if outcome.detail:
                click.echo("\n".join(f"    {line}" for line in outcome.detail.splitlines()))
    finally:
        if isinstance(engine, ServerEngine):
            engine.close()
    elapsed = time.perf_counter() - started
    summary = ", ".join(
        f"{counts[status]} {word}{'s' if status == 'error' and counts[status] > 1 else ''}"
        for status, word in _COUNTED.items()
        if counts[status]
    )
    where = "on the server" if uri else "on the embedded engine"
    click.echo(f"{plural(len(cases), 'case')} {where}: {summary or 'none run'} in {elapsed:.2f}s")
    _write_updates(updates)
    ctx.exit(1 if counts["fail"] or counts["error"] else 0)


def _write_updates(updates: Mapping[str, Mapping[str, Sequence[Any]]]) -> None:
    """Write each file's new expectations; files whose text would not change are left alone."""
    from pipereg.testing.update import update_expectations  # noqa: PLC0415

    for path, results in updates.items():
        file = Path(path)
        try:
            read_as = os.stat(file)
            text = file.read_bytes().decode("utf-8")
            new = update_expectations(text, results)
            if new == text:
                continue
            replace_file(file, new.encode("utf-8"), read_as=read_as)
        except (OSError, UnicodeDecodeError, ChangedMeanwhile) as exc:
            raise InputError(
                f"{path}: cannot update: {getattr(exc, 'strerror', None) or exc}"
            ) from exc
        click.echo(f"pipereg: updated {plural(len(results), 'case')} in {path}", err=True)
