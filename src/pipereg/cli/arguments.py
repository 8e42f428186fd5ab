"""Parameters from the command line: ``--params`` JSON and ``-p NAME=VALUE``, by declared type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from pipereg.cli.app import InputError
from pipereg.cli.completion import complete_params
from pipereg.jsontext import extjson
from pipereg.params.text import parse_text
from pipereg.params.values import Invalid
from pipereg.pipeline import Pipeline


def param_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``-p``, ``--params`` and ``--canonical`` to a command that renders."""
    command = click.option(
        "-p",
        "--param",
        "pairs",
        multiple=True,
        metavar="NAME=VALUE",
        help="A parameter, parsed by its declared type (arrays and objects as JSON). Repeatable.",
        shell_complete=complete_params,
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
        if param is None:
            params[name] = text
            continue
        try:
            params[name] = parse_text(param, text)
        except Invalid as exc:
            raise InputError(f"{pipeline.key}: parameter {name!r}: {exc.problem}") from exc
    return params
