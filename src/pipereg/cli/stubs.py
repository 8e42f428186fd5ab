"""``pipereg stubs``: a typed-calls module for the pipelines, written, printed or checked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from pipereg.cli.app import InputError, load_registry, plural, roots
from pipereg.stubs import generate


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
@click.pass_context
def stubs(ctx: click.Context, output: Path | None, check: bool) -> None:
    """Generate a typed Python module: per-pipeline parameter TypedDicts, typed get_pipeline/DAOs.

    Type checkers then reject an unknown key, a missing or unknown parameter and a value of the
    wrong type in service code. Regenerate after changing parameters; --check tells when to.
    """
    if check and output is None:
        raise click.UsageError("--check needs -o FILE: the committed module to compare")
    registry = load_registry(ctx)  # a root without pipelines does not load (PR003)
    text = generate(registry, roots(ctx))
    if output is None:
        click.echo(text, nl=False)
        return
    current = _read(output)
    if check:
        if current != text:
            state = "missing" if current is None else "stale"
            click.echo(
                f"pipereg: {output} is {state}: run `pipereg stubs -o {output}` "
                "(with the same --path) and commit it",
                err=True,
            )
            ctx.exit(1)
        click.echo(f"pipereg: {output} is up to date", err=True)
        return
    if current == text:
        click.echo(f"pipereg: {output} is up to date", err=True)
        return
    _write(output, text)
    click.echo(f"pipereg: wrote {output} ({plural(len(registry), 'pipeline')})", err=True)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc


def _write(path: Path, text: str) -> None:
    # A temporary file in the same folder, then a rename: readers never see half a module.
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
