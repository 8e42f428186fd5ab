"""``pipereg render`` and ``pipereg run``: a pipeline with parameters, printed or executed."""

from __future__ import annotations

from typing import Any

import click

from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, load_registry
from pipereg.cli.arguments import param_options, parse_params
from pipereg.cli.completion import PipelineCommand, complete_keys
from pipereg.cli.database import connect, embedded
from pipereg.cli.results import FORMATS, empty_hint, print_results
from pipereg.jsontext import extjson
from pipereg.load.discovery import size_limit
from pipereg.messages import driver_error


@click.command(cls=PipelineCommand)
@click.argument("key", shell_complete=complete_keys)
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


@click.command(cls=PipelineCommand)
@click.argument("key", shell_complete=complete_keys)
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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="json",
    help="json (an Extended JSON array, the default), jsonl (one document per line, for "
    "tools) or table (columns, for reading).",
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
    output_format: str,
) -> None:
    """Run a pipeline and print its results (Extended JSON, JSON Lines or a table).

    Without --uri it runs on mongomock, an in-memory engine seeded from --data files. When
    there are no results and the command line is the likely reason (a URI naming no database,
    no --data for the pipeline's collection), a one-line hint goes to standard error.
    """
    from pipereg.dao import PipelineDAO  # noqa: PLC0415 - keeps the other commands' start fast

    registry = load_registry(ctx)
    with input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        pipeline.prepare(params)  # report parameter errors before connecting
    if uri and data:
        raise InputError("--data seeds the embedded engine only; it cannot be used with --uri")
    if canonical and output_format == "table":
        raise InputError("--canonical applies to --format json and jsonl, not table")
    database = (
        connect(uri, db_name)
        if uri
        else embedded(db_name, data, size_limit(ctx.meta[MAX_FILE_BYTES]))
    )
    dao = PipelineDAO(database, registry)
    try:
        results = dao.fetch_all(key, params)
        hint = None
        if not results:
            hint = empty_hint(
                pipeline.collection,
                uri_names_database=_names_database(database) if uri and not db_name else None,
                seeded=None if uri else database.list_collection_names(),
            )
    except Exception as exc:  # a driver error: one line, with the note naming the pipeline
        click.echo(f"pipereg: {driver_error(exc)}", err=True)
        ctx.exit(1)
    finally:
        database.client.close()  # PyMongo warns about a client left open
    print_results(results, output_format, canonical)
    if hint is not None:
        click.echo(f"pipereg: {hint}", err=True)


def _names_database(database: Any) -> bool:
    try:
        database.client.get_default_database()  # the URI's database; no server round trip
    except Exception:  # ConfigurationError, PyMongo's or a stand-in client's: none named
        return False
    return True
