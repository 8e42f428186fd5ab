"""``pipereg schema``: write out the JSON Schemas editors use, for projects without ``schemas/``."""

from __future__ import annotations

import json

import click

from pipereg.check.editor_schema import editor_schema
from pipereg.check.schema import CASES_SCHEMA_FILE, SCHEMA_FILE
from pipereg.cli.app import InputError

_KINDS = {"pipelines": SCHEMA_FILE, "tests": CASES_SCHEMA_FILE}


def render(kind: str = "pipelines") -> str:
    """The schema of ``kind`` (``pipelines`` or ``tests``) as the text written out."""
    return json.dumps(editor_schema(_KINDS[kind]), indent=2, ensure_ascii=False) + "\n"


@click.command()
@click.option(
    "--kind",
    type=click.Choice(list(_KINDS)),
    default="pipelines",
    help="pipelines (pipeline files, the default) or tests (*.test.json case files).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the schema to this file (default: standard output).",
)
def schema(kind: str, output: str | None) -> None:
    """Print the JSON Schema of pipeline files (or test-case files), for editors.

    It completes stage names and operators with their descriptions and flags unknown stage
    names. Point files at it with ``"$schema": "<path>"``, or by the schema's stable ``$id``
    (``urn:pipereg:schema:pipeline-file:1``) in the editor's settings.
    """
    text = render(kind)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise InputError(f"-o: cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"pipereg: wrote {output}", err=True)
