"""``pipereg render`` and ``pipereg run``: a pipeline with parameters, printed or executed."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from pipereg import extjson
from pipereg.cli.app import InputError, input_errors, load_registry
from pipereg.cli.arguments import param_options, parse_params


@click.command()
@click.argument("key")
@param_options
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

    registry = load_registry(ctx)
    with input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        call = prepare_call(registry, key, params, {})
    output: Any = call.stages
    if full:  # what the DAO sends: collection, stages and options with the tagged comment
        output = {"collection": call.collection, "pipeline": call.stages, "options": call.options}
    click.echo(extjson.dumps(output, canonical=canonical))


@click.command()
@click.argument("key")
@param_options
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

    registry = load_registry(ctx)
    with input_errors():
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
