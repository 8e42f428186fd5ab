"""Example parameter values synthesised from declarations, for the catalog's example renderings.

Each value is the declaration's default, else its first enum value, else a value chosen to meet its
bounds, lengths and pattern, else a fixed sample of its type (a fixed date, a fixed ObjectId), so
the same declarations always give the same example. Every value is checked by the declaration
itself; one that cannot be met (a pattern no candidate matches) is :class:`NoExample`, never a
guess that would fail at render time.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

from bson import ObjectId

from pipereg.params.coerce import coerce, ordered
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING, Invalid

# CPython's regular expression parser: public as sre_parse until 3.10, re._parser since 3.11
# (where importing sre_parse warns). Only example values depend on it, and each is checked.
_SRE_PARSE: Any = importlib.import_module(
    "re._parser" if sys.version_info >= (3, 11) else "sre_parse"
)

SAMPLE_DATE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
SAMPLE_OBJECT_ID = ObjectId("65f1c0000000000000000001")

# Strings tried in turn against lengths and a pattern: words, digits, dates, an address, so
# that the patterns people write for codes, slugs and identifiers usually find a match.
_TEXT_SAMPLES = (
    "example",
    "Example",
    "EXAMPLE",
    "ex",
    "a",
    "A",
    "x1",
    "A1",
    "example-1",
    "example_1",
    "12345",
    "1",
    "0",
    "2024-01-01",
    "user@example.com",
    "https://example.com",
    "65f1c0000000000000000001",
)
_FIELD_SAMPLES = ("name", "created_at", "a", "x1", "field_1")


class NoExample(Exception):
    """No example value meets a declaration; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def example_params(params: Mapping[str, Param]) -> dict[str, Any]:
    """An example value for every declared parameter, optional ones included.

    Raises:
        NoExample: a declaration no candidate meets; the reason names the parameter.
    """
    return {name: example_value(param, name) for name, param in params.items()}


def example_value(param: Param, name: str = "") -> Any:
    """An example value for one declaration, already coerced by it.

    Raises:
        NoExample: no candidate meets the declaration.
    """
    name = name or param.name
    if param.default is not MISSING:
        return param.default
    if param.enum:
        return param.enum[0]
    problems = []
    for candidate in _SYNTHESIZE[param.type](param, name):
        try:
            return coerce(param, candidate)
        except Invalid as exc:
            problems.append(exc.problem)
    # The first candidate is the one built for the declaration: its failure says the most.
    first = f" (the closest try: {problems[0]})" if problems else ""
    raise NoExample(f"parameter {name!r}: no value found that meets its declaration{first}")


def _texts(param: Param, name: str) -> list[str]:
    samples = _FIELD_SAMPLES if param.type == "field" else _TEXT_SAMPLES
    bases = [*_from_pattern(param.pattern), *samples]
    fitted = []
    for base in bases:
        text = base
        if param.min_length is not None and len(text) < param.min_length:
            text = (text * param.min_length)[: param.min_length]
        if param.max_length is not None:
            text = text[: param.max_length]
        fitted.append(text)
    return fitted


def _from_pattern(pattern: str | None) -> list[str]:
    # The shortest strings a simple pattern matches (``^[A-Z]{2}$`` gives ``AA``), once with
    # each repeat at its least and once with it at least 1. A construct not handled here (a
    # negated class, a back reference) gives nothing; the samples are tried then.
    if pattern is None:
        return []
    try:
        tree = _SRE_PARSE.parse(pattern)
        return list(dict.fromkeys(_shortest(tree, least) for least in (0, 1)))
    except Exception:  # CPython's own parser, private: any failure means no candidate
        return []


def _shortest(tree: Any, least: int) -> str:
    return "".join(_shortest_node(str(op), value, least) for op, value in tree)


def _shortest_node(op: str, value: Any, least: int) -> str:
    if op == "LITERAL":
        return chr(value)
    if op in ("NOT_LITERAL", "ANY"):
        return "b" if value == ord("a") else "a"
    if op == "IN":
        kind, first = str(value[0][0]), value[0][1]
        if kind == "LITERAL":
            return chr(first)
        if kind == "RANGE":
            return chr(first[0])
        if kind == "CATEGORY":
            return _CATEGORY_SAMPLES[str(first)]
        raise ValueError(kind)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = value
        count: int = min(max(low, least), high)
        return _shortest(sub, least) * count
    if op == "SUBPATTERN":
        return _shortest(value[-1], least)
    if op == "ATOMIC_GROUP":
        return _shortest(value, least)
    if op == "BRANCH":
        return _shortest(value[1][0], least)
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return ""
    raise ValueError(op)


_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


def _numbers(param: Param, name: str) -> list[Any]:
    sample: Any = {
        "int": 1,
        "long": 1,
        "double": 1.5,
        "decimal": decimal.Decimal("1.5"),
    }[param.type]
    return [_clamp(sample, param)]


def _dates(param: Param, name: str) -> list[Any]:
    return [_clamp(SAMPLE_DATE, param)]


def _clamp(value: Any, param: Param) -> Any:
    low, high = ordered(param.minimum), ordered(param.maximum)
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return value


def _arrays(param: Param, name: str) -> list[Any]:
    count = max(param.min_items or 0, 1)
    if param.max_items is not None:
        count = min(count, param.max_items)
    items = param.items
    assert items is not None  # the schema requires items for arrays
    if items.default is MISSING and items.enum:
        # Distinct values where the enum has enough of them: reads better than a repeat.
        return [[items.enum[i % len(items.enum)] for i in range(count)]]
    return [[example_value(items, f"{name}[]")] * count]


def _objects(param: Param, name: str) -> list[Any]:
    return [
        {prop: example_value(decl, f"{name}.{prop}") for prop, decl in param.properties.items()}
    ]


_SYNTHESIZE: dict[str, Callable[[Param, str], list[Any]]] = {
    "string": _texts,
    "field": _texts,
    "int": _numbers,
    "long": _numbers,
    "double": _numbers,
    "decimal": _numbers,
    "bool": lambda param, name: [True],
    "date": _dates,
    "objectId": lambda param, name: [SAMPLE_OBJECT_ID],
    "array": _arrays,
    "object": _objects,
}
