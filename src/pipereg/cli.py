"""The ``pipereg`` command: lint, list, show, render and run pipelines.

Exit codes: 0 ok, 1 lint findings (or a failed run), 2 usage or input error. Errors are one line
each on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from pipereg import extjson
from pipereg.discovery import SIZE_VAR, default_roots, discover_paths
from pipereg.errors import PipelineLoadError, PipeRegError
from pipereg.params import MISSING, Param
from pipereg.pipeline import Pipeline
from pipereg.registry import Registry, load_sources
from pipereg.watch import Poller

USAGE_ERROR = 2
_MAX_FILE_BYTES = "pipereg.max_file_bytes"  # ctx.meta key, seen by every command


class InputError(click.ClickException):
    """A bad key, parameter, file or option: one line on stderr, exit 2."""

    exit_code = USAGE_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"pipereg: {self.format_message()}", err=True)


@contextmanager
def _input_errors() -> Iterator[None]:
    try:
        yield
    except PipelineLoadError as exc:
        lines = "\n".join(str(p) for p in exc.problems)
        raise InputError(f"cannot load pipelines:\n{lines}") from exc
    except PipeRegError as exc:
        raise InputError(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    """Lint, list, show, render and run MongoDB aggregation pipelines kept in JSON files."""
    ctx.obj = list(paths) or default_roots()
    ctx.meta[_MAX_FILE_BYTES] = max_file_bytes


def _registry(ctx: click.Context) -> Registry:
    with _input_errors():
        return Registry.from_paths(*ctx.obj, max_file_bytes=ctx.meta[_MAX_FILE_BYTES])


# --- lint -------------------------------------------------------------------------------------


@main.command()
@click.argument("targets", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
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
    watch: bool,
    interval: float | None,
    watch_cycles: int | None,
) -> None:
    """Check pipeline files: JSON, schema and semantic rules. Exit 1 on any finding."""
    roots = list(targets) or ctx.obj
    limit = ctx.meta[_MAX_FILE_BYTES]
    if not watch:
        if interval is not None or watch_cycles is not None:
            given = "--interval" if interval is not None else "--watch-cycles"
            raise click.UsageError(f"{given} needs --watch")
        ctx.exit(_lint(roots, fmt, limit))
    # Stamps taken before the first lint reads the files, so an edit made meanwhile is seen.
    poller = Poller(functools.partial(discover_paths, roots))
    status = _lint(roots, fmt, limit)
    lints = 1
    try:
        while watch_cycles is None or lints < watch_cycles:
            time.sleep(interval or 1.0)
            if poller.changed():
                click.echo("pipereg: files changed, linting again", err=True)
                status = _lint(roots, fmt, limit)
                lints += 1
    except KeyboardInterrupt:
        pass  # Ctrl-C is how --watch ends: no traceback, no "Aborted!"
    ctx.exit(status)


def _lint(roots: Sequence[str], fmt: str, max_file_bytes: int | None) -> int:
    files, problems = discover_paths(roots)
    loaded, problems = load_sources(files, problems, max_file_bytes=max_file_bytes)
    if fmt == "json":
        records = [
            {
                "path": p.path,
                "line": p.line,
                "column": p.column,
                "json_path": p.json_path,
                "code": p.code,
                "severity": p.severity,
                "message": p.message,
            }
            for p in problems
        ]
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            click.echo(str(problem))
    count = sum(len(result.pipelines) for result in loaded)
    click.echo(
        f"{_plural(len(files), 'file')}, {_plural(count, 'pipeline')}, "
        f"{_plural(len(problems), 'finding')}",
        err=True,
    )
    return 1 if problems else 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- list and show ----------------------------------------------------------------------------


@main.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List every pipeline: key, collection, version, parameters."""
    rows = [("KEY", "COLLECTION", "VERSION", "PARAMS")]
    for pipeline in _registry(ctx):
        signature = ", ".join(_signature(name, p) for name, p in pipeline.params.items())
        rows.append((pipeline.key, pipeline.collection, str(pipeline.version), signature))
    _table(rows)


def _signature(name: str, param: Param) -> str:
    if param.default is not MISSING:
        return f"{name}={_json(param.default)}"
    return f"{name}?" if param.optional else name


def _table(rows: Sequence[Sequence[str]], indent: str = "") -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo((indent + "  ".join(cells)).rstrip())


@main.command()
@click.argument("key")
@click.pass_context
def show(ctx: click.Context, key: str) -> None:
    """Show a pipeline's definition and parameter table."""
    registry = _registry(ctx)
    with _input_errors():
        pipeline = registry.get(key)
    click.echo(
        f"{pipeline.key}  version {pipeline.version}  fingerprint {pipeline.fingerprint[:12]}"
    )
    if pipeline.description:
        click.echo(pipeline.description)
    click.echo(f"file: {pipeline.path}\ncollection: {pipeline.collection}")
    if pipeline.params:
        click.echo("\nparameters:")
        rows: list[tuple[str, ...]] = [
            ("NAME", "TYPE", "REQUIRED", "DEFAULT", "CONSTRAINTS", "DESCRIPTION")
        ]
        for name, param in pipeline.params.items():
            rows.append(_param_row(name, param))
        _table(rows, indent="  ")
    if pipeline.options:
        click.echo(f"\noptions: {_json(dict(pipeline.options))}")
    click.echo("\nstages:")
    click.echo(json.dumps(pipeline.definition["stages"], indent=2, ensure_ascii=False))


def _param_row(name: str, param: Param) -> tuple[str, ...]:
    if param.default is not MISSING:
        required = "no"
        default = _json(param.default)
    else:
        required = "optional" if param.optional else "yes"
        default = "-"
    if param.nullable:
        required += ", nullable"
    constraints = []
    if param.enum is not None:
        constraints.append("one of " + "|".join(_json(v) for v in param.enum))
    for label, value in (
        ("min", param.minimum),
        ("max", param.maximum),
        ("minLength", param.min_length),
        ("maxLength", param.max_length),
        ("minItems", param.min_items),
        ("maxItems", param.max_items),
    ):
        if value is not None:
            constraints.append(f"{label} {_json(value)}")
    if param.pattern is not None:
        constraints.append(f"pattern {param.pattern}")
    return (
        name,
        param.type_name,
        required,
        default,
        ", ".join(constraints) or "-",
        param.description,
    )


def _json(value: Any) -> str:
    return extjson.dumps(value, indent=None)


# --- render and run ---------------------------------------------------------------------------


def _param_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "-p",
        "--param",
        "pairs",
        multiple=True,
        metavar="NAME=VALUE",
        help="A parameter, parsed by its declared type (arrays and objects as JSON). Repeatable.",
    )(command)
    command = click.option(
        "--params",
        "params_json",
        metavar="JSON",
        help="Parameters as a JSON object (Extended JSON allowed); -p values override it.",
    )(command)
    return click.option(
        "--canonical", is_flag=True, help="Print canonical Extended JSON instead of relaxed."
    )(command)


def parse_params(
    pipeline: Pipeline, pairs: Sequence[str], params_json: str | None
) -> dict[str, Any]:
    """Parameters from the command line: ``--params`` JSON, then ``-p NAME=VALUE`` pairs on top."""
    params: dict[str, Any] = {}
    if params_json:
        try:
            loaded = extjson.loads(params_json)
        except ValueError as exc:
            raise InputError(f"--params is not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise InputError("--params must be a JSON object")
        params.update(loaded)
    seen: set[str] = set()
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise InputError(f"-p {pair!r}: expected NAME=VALUE")
        if name in seen:
            raise InputError(f"-p {name}: given twice")
        seen.add(name)
        param = pipeline.params.get(name)
        # Unknown names pass through so the ParameterError names them with a did-you-mean.
        params[name] = text if param is None else parse_text(pipeline.key, param, text)
    return params


_INTEGER = re.compile(r"-?[0-9]+\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


def parse_text(key: str, param: Param, text: str) -> Any:
    """One command-line value, read by its declared type; coercion then checks it fully."""
    if param.nullable and text == "null":
        return None
    try:
        if param.type in ("int", "long"):
            if not _INTEGER.match(text):
                raise ValueError("expected an integer such as 42")
            return int(text)
        if param.type == "double":
            if not _NUMBER.match(text):
                raise ValueError("expected a number such as 4.5")
            return float(text)
        if param.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError("expected true or false")
        if param.type in ("array", "object"):
            return extjson.loads(text)
    except ValueError as exc:
        raise InputError(
            f"{key}: parameter {param.name!r}: cannot read {text!r} as {param.type_name}: {exc}"
        ) from exc
    return text


@main.command()
@click.argument("key")
@_param_options
@click.option(
    "--full", is_flag=True, help="Print the collection and options (as the DAO sends them) too."
)
@click.pass_context
def render(
    ctx: click.Context,
    key: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    canonical: bool,
    full: bool,
) -> None:
    """Render a pipeline with parameters and print it as Extended JSON."""
    from pipereg.dao import prepare_call  # noqa: PLC0415

    registry = _registry(ctx)
    with _input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        call = prepare_call(registry, key, params, {})
    output: Any = call.stages
    if full:  # what the DAO sends: collection, stages and options with the tagged comment
        output = {"collection": call.collection, "pipeline": call.stages, "options": call.options}
    click.echo(extjson.dumps(output, canonical=canonical))


@main.command()
@click.argument("key")
@_param_options
@click.option(
    "--uri", envvar="PIPEREG_MONGODB_URI", help="MongoDB URI; default: the embedded engine."
)
@click.option("--db", "db_name", help="Database name (default: the URI's, else 'pipereg').")
@click.option(
    "--data",
    "data",
    multiple=True,
    metavar="COLLECTION=FILE|DIR",
    help="Seed the embedded engine: a JSON array file per collection, or a folder of "
    "COLLECTION.json files. Repeatable.",
)
@click.pass_context
def run(
    ctx: click.Context,
    key: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    canonical: bool,
    uri: str | None,
    db_name: str | None,
    data: tuple[str, ...],
) -> None:
    """Run a pipeline and print its results as Extended JSON.

    Without --uri it runs on mongomock, an in-memory engine seeded from --data files.
    """
    from pipereg.dao import PipelineDAO  # noqa: PLC0415 - keeps the other commands' start fast

    registry = _registry(ctx)
    with _input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        pipeline.prepare(params)  # report parameter errors before connecting
    if uri and data:
        raise InputError("--data seeds the embedded engine only; it cannot be used with --uri")
    database = _connect(uri, db_name) if uri else _embedded(db_name, data)
    dao = PipelineDAO(database, registry)
    try:
        results = dao.fetch_all(key, params)
    except Exception as exc:  # a driver error: one line, with the note naming the pipeline
        notes = " ".join(getattr(exc, "__notes__", []))
        click.echo(f"pipereg: {type(exc).__name__}: {exc} {notes}".rstrip(), err=True)
        ctx.exit(1)
    click.echo(extjson.dumps(results, canonical=canonical))


def _connect(uri: str, db_name: str | None) -> Any:
    import pymongo  # noqa: PLC0415
    from pymongo.errors import ConfigurationError, InvalidURI  # noqa: PLC0415

    # Fail in seconds when no server answers, unless the URI says otherwise.
    timeout: dict[str, Any] = {"serverSelectionTimeoutMS": 5000}
    if "serverselectiontimeoutms" in uri.lower():
        timeout = {}
    try:
        client: Any = pymongo.MongoClient(
            uri, tz_aware=True, tzinfo=extjson.CODEC_OPTIONS.tzinfo, **timeout
        )
    except (ConfigurationError, InvalidURI, ValueError) as exc:
        raise InputError(f"--uri: {exc}") from exc
    if db_name:
        return client[db_name]
    return client.get_default_database(default="pipereg")


def _embedded(db_name: str | None, data: Sequence[str]) -> Any:
    try:
        import mongomock  # noqa: PLC0415
    except ImportError as exc:
        raise InputError(
            "the embedded engine needs mongomock: pip install mongomock (or pass --uri)"
        ) from exc
    database: Any = mongomock.MongoClient(tz_aware=True)[db_name or "pipereg"]
    for collection, documents in _seed_data(data).items():
        if not collection or collection.startswith("$") or "\x00" in collection:
            raise InputError(f"--data: {collection!r} is not a collection name")
        if documents:
            try:
                database[collection].insert_many(documents)
            except Exception as exc:  # mongomock raises pymongo's errors (duplicate _id, ...)
                raise InputError(f"--data: cannot load collection {collection!r}: {exc}") from exc
    return database


def _seed_data(specs: Sequence[str]) -> Mapping[str, list[dict[str, Any]]]:
    seeds: dict[str, list[dict[str, Any]]] = {}
    for spec in specs:
        collection, sep, location = spec.partition("=")
        if sep:
            seeds.setdefault(collection, []).extend(_documents(Path(location)))
        elif Path(spec).is_dir():
            for file in sorted(Path(spec).glob("*.json")):
                seeds.setdefault(file.stem, []).extend(_documents(file))
        else:
            raise InputError(f"--data {spec!r}: expected COLLECTION=FILE or a folder")
    return seeds


def _documents(file: Path) -> list[dict[str, Any]]:
    try:
        loaded = extjson.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--data {os.fspath(file)}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"--data {os.fspath(file)}: not valid JSON: {exc}") from exc
    if not isinstance(loaded, list) or not all(isinstance(doc, dict) for doc in loaded):
        raise InputError(f"--data {os.fspath(file)}: expected a JSON array of documents")
    return loaded
