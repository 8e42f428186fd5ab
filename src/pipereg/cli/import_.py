"""``pipereg import``: existing pipelines (Python source, mongosh scripts) into pipeline files.

Each source becomes one file, ``<out>/<module>.json``, written only when none is there: an
import never overwrites a file (exit 2, nothing written). What cannot be converted faithfully
is left out and listed on stderr as ``file:line: reason`` (exit 1); a source that cannot be
read or parsed is one line ``file:line:col: message`` (exit 2).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from pipereg.cli.app import InputError, roots
from pipereg.cli.output import replace_file
from pipereg.convert.model import Note, Refusal, SourceError, SourceResult
from pipereg.convert.output import file_text, lint, module_from_stem, target, valid_module
from pipereg.convert.python_source import read_python
from pipereg.convert.shell import ParserMissing, read_shell
from pipereg.errors import Problem
from pipereg.messages import plural

LEFT_OUT = 1
_SHELL_SUFFIXES = frozenset({".js", ".mongodb"})


@dataclass
class _Planned:
    result: SourceResult
    path: Path
    text: str
    problems: list[Problem]


@click.command("import")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to. Default: the first pipeline root (--path, $PIPEREG_PATH, "
    "else ./pipelines), where lint and the registry look.",
)
@click.option("--module", help="Module name of the file (one SOURCE). Default: the source's stem.")
@click.option("--collection", help="Collection of bare arrays of stages (Compass exports).")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_context
def import_(
    ctx: click.Context,
    sources: tuple[str, ...],
    out: Path | None,
    module: str | None,
    collection: str | None,
    dry_run: bool,
) -> None:
    """Convert pipelines in Python source (.py) or mongosh syntax (.js, .mongodb, - for stdin).

    Python is read, never run. Literal parts are kept; variables become typed <<placeholders>>,
    and a member added under `if x:` an optional parameter. What cannot be converted faithfully
    (loops, computed keys, **spread, calls the tool cannot type) is left out and listed.
    """
    if module is not None and len(sources) > 1:
        raise click.UsageError("--module names one file: give one SOURCE")
    if module is not None and not valid_module(module):
        raise click.UsageError(f"--module {module!r}: letters, digits, _ and - separated by dots")
    if "-" in sources and module is None:
        raise click.UsageError("reading standard input (-) needs --module")
    folder = out if out is not None else Path(roots(ctx)[0])
    results = _read_all(sources, collection)
    planned = _plan(results, folder, module)
    for plan in planned:
        if plan.path.exists():
            raise InputError(
                f"{plan.path} exists; not overwritten (import into another --out, or move it)"
            )
    left_out = False
    for result in results:
        reported: list[Refusal | Note] = [*result.refusals, *result.notes]
        for item in sorted(reported, key=_line):
            click.echo(str(item), err=True)
        left_out = left_out or bool(result.refusals)
        if not result.pipelines:
            click.echo(f"pipereg: {result.path}: no pipeline converted", err=True)
    for plan in planned:
        _finish(plan, dry_run)
        left_out = left_out or any(p.severity == "error" for p in plan.problems)
    ctx.exit(LEFT_OUT if left_out else 0)


def _line(item: Refusal | Note) -> int:
    return item.line


def _read_all(sources: tuple[str, ...], collection: str | None) -> list[SourceResult]:
    # Every source read before anything is written: one unreadable source stops the import.
    results: list[SourceResult] = []
    errors: list[str] = []
    for source in sources:
        try:
            results.append(_read(source, collection))
        except SourceError as exc:
            errors.append(str(exc))
    if errors:
        raise InputError("\n".join(errors))
    return results


def _read(source: str, collection: str | None) -> SourceResult:
    if source == "-":
        return _shell(sys.stdin.read(), "<stdin>", collection)
    suffix = Path(source).suffix
    if suffix != ".py" and suffix not in _SHELL_SUFFIXES:
        raise SourceError(source, 1, 1, "not a .py, .js or .mongodb file")
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SourceError(source, 1, 1, f"cannot read: {reason}") from exc
    if suffix == ".py":
        return read_python(text, source)
    return _shell(text, source, collection)


def _shell(text: str, path: str, collection: str | None) -> SourceResult:
    try:
        return read_shell(text, path, collection)
    except ParserMissing as exc:
        raise InputError(str(exc)) from exc


def _plan(results: list[SourceResult], folder: Path, module: str | None) -> list[_Planned]:
    planned: list[_Planned] = []
    for result in results:
        if not result.pipelines:
            continue
        name = module or module_from_stem(Path(result.path).stem)
        path = target(folder, name)
        if any(plan.path == path for plan in planned):
            raise InputError(f"two sources make {path}: import them one by one with --module")
        text = file_text(result, str(path))
        planned.append(_Planned(result, path, text, lint(text, path, name)))
    return planned


def _finish(plan: _Planned, dry_run: bool) -> None:
    for problem in plan.problems:
        click.echo(str(problem), err=True)
    count = plural(len(plan.result.pipelines), "pipeline")
    left = f", {len(plan.result.refusals)} left out" if plan.result.refusals else ""
    if dry_run:
        click.echo(plan.text, nl=False)
        click.echo(f"pipereg: would write {plan.path}: {count}{left}", err=True)
        return
    try:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(plan.path, plan.text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{plan.path}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"pipereg: wrote {plan.path}: {count}{left}", err=True)
