"""Parameter declarations summarised as table cells, for ``pipereg show`` and the catalog.

Both print one row per parameter: its type, whether a caller must pass it, its default, its
constraints and its description. The cells are plain text (values as compact relaxed Extended
JSON); each printer lays them out in its own format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pipereg.jsontext import extjson
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING


@dataclass(frozen=True)
class ParamSummary:
    """One parameter's row.

    Attributes:
        name: The name; nested rows are dotted (``filter.region``, ``lines[].sku``).
        type: ``int``, ``array of objectId``, ...
        required: ``yes``, ``no`` (it has a default) or ``optional``.
        default: The default as compact JSON, or ``-``.
        nullable: Whether ``None`` renders BSON null.
        constraints: ``one of "a"|"b", min 1, ...``, or ``-``.
        description: Free text from the file.
    """

    name: str
    type: str
    required: str
    default: str
    nullable: bool
    constraints: str
    description: str


def compact(value: Any) -> str:
    """A value as one line of relaxed Extended JSON."""
    return extjson.dumps(value, indent=None)


def summarize(name: str, param: Param) -> ParamSummary:
    """The row for one declaration."""
    if param.default is not MISSING:
        required, default = "no", compact(param.default)
    else:
        required, default = ("optional" if param.optional else "yes"), "-"
    return ParamSummary(
        name=name,
        type=param.type_name,
        required=required,
        default=default,
        nullable=param.nullable,
        constraints=", ".join(constraints(param)) or "-",
        description=param.description,
    )


def constraints(param: Param) -> list[str]:
    """The declaration's constraints in words, in a fixed order."""
    found = []
    if param.enum is not None:
        found.append("one of " + "|".join(compact(v) for v in param.enum))
    for label, value in (
        ("min", param.minimum),
        ("max", param.maximum),
        ("minLength", param.min_length),
        ("maxLength", param.max_length),
        ("minItems", param.min_items),
        ("maxItems", param.max_items),
    ):
        if value is not None:
            found.append(f"{label} {compact(value)}")
    if param.pattern is not None:
        found.append(f"pattern {param.pattern}")
    if param.regex:
        found.append("a regular expression")
    return found


def summarize_all(params: Mapping[str, Param]) -> Iterator[ParamSummary]:
    """Rows for every declaration and, below each, for the object properties it holds.

    Properties of an object are ``name.prop``; array items that are constrained, described or
    structured get a ``name[]`` row (and their properties ``name[].prop``).
    """
    for name, param in params.items():
        yield from _rows(name, param)


def _rows(name: str, param: Param) -> Iterator[ParamSummary]:
    yield summarize(name, param)
    items = param.items
    # Items worth a row of their own: constrained, described, or holding declarations.
    if items is not None and (
        constraints(items) or items.nullable or items.description or items.properties or items.items
    ):
        item_rows = _rows(f"{name}[]", items)
        # An array holds its items whenever it is there: "required" says nothing about them.
        yield dataclasses.replace(next(item_rows), required="-")
        yield from item_rows
    for prop, decl in param.properties.items():
        yield from _rows(f"{name}.{prop}", decl)
