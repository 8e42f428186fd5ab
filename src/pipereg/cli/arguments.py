"""Parameters from the command line: ``--params`` JSON and ``-p NAME=VALUE``, by declared type."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import click
from bson.errors import BSONError

from pipereg.cli.app import InputError
from pipereg.jsontext import extjson
from pipereg.messages import clip, show
from pipereg.params.declaration import Param
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
        params[name] = text if param is None else parse_text(pipeline.key, param, text)
    return params


# What bson's Extended JSON reader raises besides ValueError: InvalidId for {"$oid": "zz"},
# decimal's InvalidOperation (an ArithmeticError) for {"$numberDecimal": "abc"}, TypeError for
# {"$code": 5}, RecursionError for nesting deeper than the interpreter's stack.
_JSON_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, BSONError)


def read_json(text: str, what: str) -> Any:
    """Command-line JSON (Extended JSON allowed), or one :class:`InputError` naming ``what``."""
    try:
        return extjson.loads(text)
    except _JSON_ERRORS as exc:
        reason = clip(str(exc) or type(exc).__name__, 200)
        raise InputError(f"{what} is not valid JSON: {reason}") from exc


_INTEGER = re.compile(r"-?[0-9]+\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


def parse_text(key: str, param: Param, text: str) -> Any:
    """One command-line value, read by its declared type; coercion then checks it fully."""
    if param.nullable and text == "null":
        return None
    try:
        if param.type in ("int", "long"):
            if not _INTEGER.match(text):
                raise ValueError("expected an integer such as 42")
            return int(text)
        if param.type == "double":
            if not _NUMBER.match(text):
                raise ValueError("expected a number such as 4.5")
            return float(text)
        if param.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError("expected true or false")
        if param.type in ("array", "object"):
            return extjson.loads(text)
    except _JSON_ERRORS as exc:
        raise InputError(
            f"{key}: parameter {param.name!r}: cannot read {show(text)} as {param.type_name}: "
            f"{clip(str(exc) or type(exc).__name__, 200)}"
        ) from exc
    return text
