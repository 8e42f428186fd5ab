"""``pipereg stubs``: a typed-calls module for the pipelines, written, printed or checked."""

from __future__ import annotations

from pathlib import Path

import click

from pipereg.cli.app import InputError, load_registry, roots
from pipereg.cli.output import generated_file
from pipereg.messages import plural
from pipereg.review.stubs import generate


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the module to FILE (replaced atomically). Default: print it.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if FILE is missing or differs from what would be written (CI).",
)
@click.option(
    "--models",
    is_flag=True,
    help="Also a pydantic request model per pipeline (needs the pydantic extra where used).",
)
@click.pass_context
def stubs(ctx: click.Context, output: Path | None, check: bool, models: bool) -> None:
    """Generate a typed Python module: per-pipeline parameter TypedDicts, typed get_pipeline/DAOs.

    Type checkers then reject an unknown key, a missing or unknown parameter and a value of the
    wrong type in service code. Regenerate after changing parameters; --check tells when to.
    """
    if check and output is None:
        raise click.UsageError("--check needs -o FILE: the committed module to compare")
    registry = load_registry(ctx)  # a root without pipeline files does not load (PR003)
    if not len(registry):
        # Files holding only fragments load, but a module without keys could type no call.
        raise InputError(f"no pipelines to type in {', '.join(roots(ctx))}: only fragments")
    text = generate(registry, roots(ctx), models=models)
    generated_file(
        ctx,
        output,
        text,
        check=check,
        what=plural(len(registry), "pipeline"),
        command=f"pipereg stubs -o {output} (with the same --path), and commit it",
    )
