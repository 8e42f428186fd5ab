"""``pipereg render`` and ``pipereg run``: a pipeline with parameters, printed or executed."""

from __future__ import annotations

from typing import Any

import click

from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, load_registry
from pipereg.cli.arguments import param_options, parse_params
from pipereg.cli.database import connect, embedded
from pipereg.jsontext import extjson
from pipereg.load.discovery import size_limit


@click.command()
@click.argument("key")
@param_options
@click.option(
    "--full", is_flag=True, help="Print the collection and options (as the DAO sends them) too."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "shell"]),
    default="json",
    help="json (Extended JSON, the default) or shell: the mongosh statement the DAO would run.",
)
@click.pass_context
def render(
    ctx: click.Context,
    key: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    canonical: bool,
    full: bool,
    output_format: str,
) -> None:
    """Render a pipeline with parameters and print it as Extended JSON."""
    from pipereg.dao import prepare_call  # noqa: PLC0415

    registry = load_registry(ctx)
    with input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        call = prepare_call(registry, key, params, {})
    if output_format == "shell":
        from pipereg.convert.shell_text import statement  # noqa: PLC0415

        click.echo(statement(call.collection, call.stages, call.options), nl=False)
        return
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
    database = (
        connect(uri, db_name)
        if uri
        else embedded(db_name, data, size_limit(ctx.meta[MAX_FILE_BYTES]))
    )
    dao = PipelineDAO(database, registry)
    try:
        results = dao.fetch_all(key, params)
    except Exception as exc:  # a driver error: one line, with the note naming the pipeline
        notes = " ".join(getattr(exc, "__notes__", []))
        click.echo(f"pipereg: {type(exc).__name__}: {exc} {notes}".rstrip(), err=True)
        ctx.exit(1)
    finally:
        database.client.close()  # PyMongo warns about a client left open
    click.echo(extjson.dumps(results, canonical=canonical))
