"""``pipereg docs``: the Markdown catalog of every pipeline, printed, written, or checked."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pipereg.cli.app import load_registry
from pipereg.cli.output import generated_file
from pipereg.messages import plural
from pipereg.review import catalog


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the catalog to FILE (replaced atomically) instead of printing it.",
)
@click.option(
    "--check",
    is_flag=True,
    help="With -o: write nothing; exit 1 if FILE differs from the catalog (stale or missing).",
)
@click.pass_context
def docs(ctx: click.Context, output: str | None, check: bool) -> None:
    """Generate the Markdown catalog of every pipeline: parameters, stages, an example."""
    if check and output is None:
        raise click.UsageError("--check needs -o FILE")
    registry = load_registry(ctx)
    pipelines = list(registry)
    link_from = None if output is None else os.path.dirname(output) or "."
    text = catalog.markdown(
        pipelines, lines=catalog.locate_pipelines(pipelines), link_from=link_from
    )
    generated_file(
        ctx,
        None if output is None else Path(output),
        text,
        check=check,
        what=plural(len(pipelines), "pipeline"),
        command=f"pipereg docs -o {output}",
    )
