"""``pipereg list`` and ``pipereg show``: what pipelines there are and what each one takes."""

from __future__ import annotations

import json

import click

from pipereg.cli.app import compact_json, input_errors, load_registry, table
from pipereg.cli.completion import PipelineCommand, complete_keys
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING
from pipereg.review.param_table import summarize


@click.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List every pipeline: key, collection, version, parameters."""
    rows = [("KEY", "COLLECTION", "VERSION", "PARAMS")]
    for pipeline in load_registry(ctx):
        signature = ", ".join(_signature(name, p) for name, p in pipeline.params.items())
        on = "(database)" if pipeline.collection is None else pipeline.collection
        rows.append((pipeline.key, on, str(pipeline.version), signature))
    table(rows)


def _signature(name: str, param: Param) -> str:
    if param.default is not MISSING:
        return f"{name}={compact_json(param.default)}"
    return f"{name}?" if param.optional else name


@click.command(cls=PipelineCommand)
@click.argument("key", shell_complete=complete_keys)
@click.pass_context
def show(ctx: click.Context, key: str) -> None:
    """Show a pipeline's definition and parameter table."""
    registry = load_registry(ctx)
    with input_errors():
        pipeline = registry.get(key)
    click.echo(
        f"{pipeline.key}  version {pipeline.version}  fingerprint {pipeline.fingerprint[:12]}"
    )
    if pipeline.description:
        click.echo(pipeline.description)
    on = (
        "none (database-level: db.aggregate)"
        if pipeline.collection is None
        else pipeline.collection
    )
    click.echo(f"file: {pipeline.path}\ncollection: {on}")
    if pipeline.includes:
        click.echo(f"fragments: {', '.join(pipeline.includes)}")
    if pipeline.params:
        click.echo("\nparameters:")
        rows: list[tuple[str, ...]] = [
            ("NAME", "TYPE", "REQUIRED", "DEFAULT", "CONSTRAINTS", "DESCRIPTION")
        ]
        for name, param in pipeline.params.items():
            rows.append(_param_row(name, param))
        table(rows, indent="  ")
    if pipeline.options:
        click.echo(f"\noptions: {compact_json(dict(pipeline.options))}")
    click.echo("\nstages (fragments inlined):" if pipeline.includes else "\nstages:")
    click.echo(json.dumps(pipeline.definition["stages"], indent=2, ensure_ascii=False))


def _param_row(name: str, param: Param) -> tuple[str, ...]:
    row = summarize(name, param)
    required = f"{row.required}, nullable" if row.nullable else row.required
    return (row.name, row.type, required, row.default, row.constraints, row.description)
