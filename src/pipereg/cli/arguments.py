"""Parameters from the command line: ``--params`` JSON and ``-p NAME=VALUE``, by declared type."""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Sequence
from typing import Any

import click

from pipereg.cli.app import InputError
from pipereg.cli.completion import complete_params
from pipereg.jsontext import extjson
from pipereg.messages import clip, show
from pipereg.params.text import READ_ERRORS, parse_text
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
        loaded = read_json(params_json, "--params")
        if not isinstance(loaded, dict):
            raise InputError("--params must be a JSON object")
        params.update(loaded)
    seen: set[str] = set()
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise InputError(f"-p {show(pair)}: expected NAME=VALUE")
        if name in seen:
            raise InputError(f"-p {clip(name)}: given twice")
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


def read_json(text: str, what: str) -> Any:
    """Command-line JSON (Extended JSON allowed), or one :class:`InputError` naming ``what``."""
    try:
        return extjson.loads(text)
    except READ_ERRORS as exc:
        reason = clip(str(exc) or type(exc).__name__, 200)
        if isinstance(exc, decimal.InvalidOperation):  # its text is a list of signal classes
            reason = "a $numberDecimal that is not a decimal number"
        try:  # JSON, but a wrapper bson refuses ({"$numberDecimal": "abc"}): say which
            json.loads(text)
        except (ValueError, RecursionError):
            raise InputError(f"{what} is not valid JSON: {reason}") from exc
        raise InputError(f"{what} holds invalid Extended JSON: {reason}") from exc
