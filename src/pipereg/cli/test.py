"""``pipereg test``: run the test cases in ``*.test.json`` files and report pass or fail."""

from __future__ import annotations

import time
from collections import Counter

import click

from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, load_registry, roots
from pipereg.errors import CaseLoadError, EngineError
from pipereg.messages import plural

_LABELS = {
    "pass": "PASS",
    "fail": "FAIL",
    "skip": "SKIP",
    "unsupported": "UNSUPPORTED",
    "error": "ERROR",
}
_COUNTED = {
    "pass": "passed",
    "fail": "failed",
    "skip": "skipped",
    "unsupported": "unsupported",
    "error": "error",
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
@click.pass_context
def test(
    ctx: click.Context,
    targets: tuple[str, ...],
    uri: str | None,
    db_prefix: str,
    keyword: str | None,
    quiet: bool,
) -> None:
    """Run pipeline test cases (*.test.json files under TARGETS, default the pipeline roots).

    Exit 0 when no case failed (skipped and unsupported cases do not fail), 1 when one failed
    or raised an error, 2 when a case file or the pipelines cannot be loaded.
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
    try:
        for case in cases:
            outcome = run_case(case, registry, engine)
            counts[outcome.status.value] += 1
            if quiet and outcome.status is Status.PASS:
                continue
            label = _LABELS[outcome.status.value]
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
    ctx.exit(1 if counts["fail"] or counts["error"] else 0)
