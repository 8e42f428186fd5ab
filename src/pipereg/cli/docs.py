"""``pipereg docs``: the Markdown catalog of every pipeline, printed, written, or checked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from pipereg import catalog
from pipereg.cli.app import InputError, load_registry, plural


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
    if output is None:
        click.echo(text, nl=False)
        return
    if check:
        ctx.exit(_check(Path(output), text))
    try:
        _write_atomically(Path(output), text)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"pipereg: wrote {output} ({plural(len(pipelines), 'pipeline')})", err=True)


def _check(path: Path, text: str) -> int:
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if current == text:
        click.echo(f"pipereg: {path} is up to date", err=True)
        return 0
    state = "missing" if current is None else "out of date"
    click.echo(f"pipereg: {path} is {state}; run: pipereg docs -o {path}", err=True)
    return 1


def _write_atomically(path: Path, text: str) -> None:
    # A reader (or a crash) sees the old catalog or the new one, never half of one: write a
    # temporary file beside it, then rename it over the target.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
