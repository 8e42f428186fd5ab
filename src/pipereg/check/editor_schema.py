"""The schemas editors use: the shipped JSON Schema, with the catalog's stages and operators.

:func:`pipereg.check.schema.schema` is what ``pipereg lint`` validates against; the rules then say
more, with a did-you-mean. Editors see only the schema, so the one they get (``schemas/`` in the
repository, ``pipereg schema`` for an installed package) adds from the catalog
(:mod:`pipereg.language`), in standard keywords only, which VS Code's JSON language service and
JetBrains both read:

- each stage name as a property of a stage, with its one-line description, so the editor
  completes ``$lookup`` and flags ``$mtach`` (``additionalProperties: false``);
- inside stages, the operators that may stand there, with descriptions, as completions: query
  operators in ``$match`` and other filters, expression operators in ``$project``, ``$addFields``,
  ``$set`` and ``$group._id``, accumulators in ``$group``, window operators in
  ``$setWindowFields.output``, and each named argument of an object-form stage (``from``, ``as``).

Stage bodies stay open (no ``required``, no ``additionalProperties: false``): a wrong argument is
the rules' to report, with a located message, and a placeholder may stand anywhere.
"""

from __future__ import annotations

import copy
from typing import Any

from pipereg import language
from pipereg.check.schema import CASES_SCHEMA_FILE, SCHEMA_FILE, schema
from pipereg.language import Form, Kind, Operator, Position

# Query operators that stand at the top of a filter; the others stand in a field's condition.
_TOP_LEVEL_QUERY = frozenset(
    {"$and", "$or", "$nor", "$expr", "$text", "$where", "$comment", "$jsonSchema", "$sampleRate"}
)
_POSITION_WORDS = {
    Position.EXPRESSION: "an aggregation expression",
    Position.FILTER: "a query filter",
    Position.FIELD_PATH: 'a field path, starting with "$"',
    Position.FIELD_NAME: "a field name",
    Position.NAMESPACE: "a collection name",
    Position.PIPELINE: "a pipeline (a list of stages)",
    Position.PROJECTION: "a projection",
    Position.SORT: "a sort specification: {field: 1 or -1}",
    Position.VARIABLES: "variables: {name: expression}, used as $$name",
    Position.ACCUMULATOR: 'an accumulator object such as {"$sum": 1}',
    Position.WINDOW: 'a window operator object such as {"$rank": {}}',
    Position.JAVASCRIPT: "JavaScript source code",
    Position.REGEX: "a regular expression",
    Position.SEARCH: "an Atlas Search specification",
    Position.GEOMETRY: "a GeoJSON object or coordinate pair",
    Position.NUMBER: "a number",
    Position.STRING: "a string",
    Position.BOOL: "true or false",
    Position.OPTIONS: "an object of settings",
    Position.ANY: "a value",
}


def editor_schema(name: str = SCHEMA_FILE) -> dict[str, Any]:
    """Return the schema an editor should use for ``name`` (a fresh copy each call).

    Args:
        name: :data:`~pipereg.check.schema.SCHEMA_FILE` (pipeline files, with the catalog
            added) or :data:`~pipereg.check.schema.CASES_SCHEMA_FILE` (test cases, as shipped).
    """
    document = copy.deepcopy(schema(name))
    if name == CASES_SCHEMA_FILE:
        return document
    definitions = document["$defs"]
    definitions.update(_operator_definitions())
    stage = definitions["stage"]["else"]
    stage["properties"] = {
        op.name: _stage_body(op) for op in sorted(language.STAGES.values(), key=_name)
    }
    stage["additionalProperties"] = False
    # VS Code shows a schema's errorMessage in place of every error under it, which would hide
    # "Property $mtach is not allowed"; the standard messages say it, in JetBrains too.
    stage.pop("errorMessage", None)
    return document


def _name(op: Operator) -> str:
    return op.name


def _described(op: Operator) -> dict[str, Any]:
    since = f" (MongoDB {op.introduced}+)" if op.introduced else ""
    text = f"{op.description}{since}"
    return {"description": text, "markdownDescription": f"{text}\n\n[{op.name}]({op.url})"}


def _operators(kind: Kind, keep: frozenset[str] | None = None) -> dict[str, Any]:
    chosen = sorted(language.names(kind))
    return {
        name: _described(op)
        for name in chosen
        if (keep is None or name in keep) and (op := language.operator(name, kind)) is not None
    }


def _operator_definitions() -> dict[str, Any]:
    field_level = frozenset(language.names(Kind.QUERY) - _TOP_LEVEL_QUERY)
    return {
        "expression": {
            "description": 'An aggregation expression: a literal, "$field", "$$variable", or an '
            'operator object such as {"$add": [...]}.',
            "anyOf": [
                {"type": ["string", "number", "boolean", "null", "array"]},
                {"type": "object", "properties": _operators(Kind.EXPRESSION)},
            ],
        },
        "filter": {
            "description": "A query filter: {field: value or condition}, and $and, $or, $expr...",
            "type": ["object", "string"],
            "properties": _operators(Kind.QUERY, _TOP_LEVEL_QUERY),
            "additionalProperties": {"$ref": "#/$defs/condition"},
        },
        "condition": {
            "description": 'A value to equal, or query operators such as {"$gt": 5}.',
            "anyOf": [
                {"type": ["string", "number", "boolean", "null", "array"]},
                {"type": "object", "properties": _operators(Kind.QUERY, field_level)},
            ],
        },
        "accumulator": {
            "description": 'An accumulator object such as {"$sum": "$qty"}.',
            "type": ["object", "string"],
            "properties": _operators(Kind.ACCUMULATOR),
        },
        "window": {
            "description": 'A window operator object such as {"$rank": {}}, with its window.',
            "type": ["object", "string"],
            "properties": {
                **_operators(Kind.WINDOW),
                "window": {"description": "The window: {documents: [lower, upper]} or {range}."},
            },
        },
    }


def _stage_body(op: Operator) -> dict[str, Any]:
    body: dict[str, Any] = _described(op)
    if op.name == "$match":
        body["$ref"] = "#/$defs/filter"
    elif op.name in ("$project", "$addFields", "$set"):
        body["type"] = ["object", "string"]
        body["additionalProperties"] = {"$ref": "#/$defs/expression"}
    elif op.name == "$group":
        body["type"] = ["object", "string"]
        body["properties"] = {
            "_id": {
                "description": "The group key: an expression (null for one group of all).",
                "$ref": "#/$defs/expression",
            }
        }
        body["additionalProperties"] = {"$ref": "#/$defs/accumulator"}
    elif Form.OBJECT in op.forms and op.arguments:
        properties: dict[str, dict[str, Any]] = {}
        for argument in op.arguments:
            if argument.name == "*":
                continue
            words = _POSITION_WORDS[argument.position]
            need = "required" if argument.required else "optional"
            properties[argument.name] = {"description": f"{words} ({need})"}
            if argument.position is Position.FILTER:
                properties[argument.name]["$ref"] = "#/$defs/filter"
            elif argument.position is Position.EXPRESSION:
                properties[argument.name]["$ref"] = "#/$defs/expression"
            elif argument.name == "output" and op.name == "$setWindowFields":
                properties[argument.name]["additionalProperties"] = {"$ref": "#/$defs/window"}
            elif argument.name == "output":
                properties[argument.name]["additionalProperties"] = {"$ref": "#/$defs/accumulator"}
        if properties:
            body["properties"] = properties
    return body
