"""Literal values the server refuses in a stage's arguments (PR039), told without running.

Called by the walk of :mod:`pipereg.check.grammar` once a stage's name and arguments are known
to be right: ``$limit`` and ``$skip`` bounds, ``$sample`` sizes, ``$sort`` directions,
``$count`` names, ``$project`` mixing inclusion and exclusion, ``$unwind`` paths and
``$bucket`` boundaries. A placeholder is the walk's to check against its declaration; these
look only at values written in the file.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Protocol

from pipereg import codes
from pipereg.bson_limits import fits_int64
from pipereg.compile.placeholders import WHOLE
from pipereg.compile.template import Slot
from pipereg.jsontext.extjson import is_wrapper
from pipereg.jsontext.parse import JsonPath


class Walk(Protocol):
    """What these checks need of the grammar's walk (:class:`pipereg.check.grammar.Walk`)."""

    def add(self, at: JsonPath, code: str, message: str) -> None:
        """Record a finding."""

    def expression(self, value: Any, at: JsonPath) -> None:
        """Check an aggregation expression at ``at``."""


def step(key: Any) -> str:
    """Return a key as a JSON path step: a ``FieldKey`` placeholder as ``<<name>>``."""
    return key if isinstance(key, str) else f"<<{key.name}>>"


def placeholder(value: Any) -> str | None:
    """Return the parameter a whole-value placeholder names, in either tree; else ``None``."""
    if type(value) is Slot:
        return value.name
    if type(value) is str and value.startswith("<<"):
        match = WHOLE.match(value)
        return match.group(1) if match else None
    return None


def check(name: str, body: Any, at: JsonPath, walk: Walk) -> None:
    """Check the literal values of the stage ``name`` whose arguments ``body`` stand at ``at``."""
    if placeholder(body) is not None:
        return
    if name == "$limit":
        _positive(body, at, walk, "$limit", low=1)
    elif name == "$skip":
        _positive(body, at, walk, "$skip", low=0)
    elif name == "$sample" and isinstance(body, dict) and "size" in body:
        if placeholder(body["size"]) is None:
            _positive(body["size"], (*at, "size"), walk, "$sample's size", low=0)
    elif name == "$count":
        _count(body, at, walk)
    elif name == "$unwind":
        path = body.get("path") if isinstance(body, dict) else body
        where = (*at, "path") if isinstance(body, dict) else at
        if isinstance(path, str) and placeholder(path) is None and not path.startswith("$"):
            walk.add(
                where,
                codes.INVALID_STAGE_VALUE,
                f"$unwind's path must be a field path starting with '$': write '${path}'",
            )
    elif name == "$bucket" and isinstance(body, dict):
        _boundaries(body.get("boundaries"), (*at, "boundaries"), walk)


def _integer(value: Any) -> int | None:
    # An integral number as the server reads $limit: 5, 5.0, {"$numberLong": "5"} or Int64.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict) and is_wrapper(value):
        inner = next(iter(value.values()))
        if next(iter(value)) in ("$numberInt", "$numberLong") and isinstance(inner, str):
            try:
                return int(inner)
            except ValueError:
                return None
    return None


def _positive(value: Any, at: JsonPath, walk: Walk, what: str, *, low: int) -> None:
    number = _integer(value)
    if number is None and type(value).__name__ == "Int64":
        number = int(value)
    if (isinstance(value, int) and not fits_int64(value)) or value in (math.inf, -math.inf):
        return  # PR050 says BSON cannot hold it
    if number is not None and low <= number:
        return
    bound = "a positive integer" if low == 1 else "a non-negative integer"
    walk.add(at, codes.INVALID_STAGE_VALUE, f"{what} takes {bound}, not {value!r}")


def _count(value: Any, at: JsonPath, walk: Walk) -> None:
    if not isinstance(value, str):
        return  # the walk reports a placeholder that does not fit, the schema other types
    reason = None
    if not value:
        reason = "cannot be empty"
    elif value.startswith("$"):
        reason = f"cannot start with '$' (write {value.lstrip('$')!r})"
    elif "." in value:
        reason = "cannot contain '.'"
    elif "\0" in value:
        reason = "cannot contain a NUL"
    if reason is not None:
        walk.add(at, codes.INVALID_STAGE_VALUE, f"$count's field name {reason}")


def projection(value: Any, at: JsonPath, walk: Walk) -> None:
    """Check a ``$project`` specification: no mixing of inclusion and exclusion.

    ``_id`` may be excluded in an inclusion projection; a field set to an expression counts as
    an inclusion. Nested objects without operators are projections of their own.
    """
    if not isinstance(value, dict):
        return
    if not value:
        walk.add(at, codes.INVALID_STAGE_VALUE, "$project needs at least one field")
        return
    included: list[str] = []
    excluded: list[str] = []
    _modes(value, "", at, walk, included, excluded)
    if included and excluded:
        walk.add(
            at,
            codes.INVALID_STAGE_VALUE,
            f"$project cannot mix inclusion ({included[0]!r}) and exclusion ({excluded[0]!r}); "
            "only _id may be excluded when fields are included",
        )


def _modes(
    spec: dict[Any, Any],
    prefix: str,
    at: JsonPath,
    walk: Walk,
    included: list[str],
    excluded: list[str],
) -> None:
    for key, item in spec.items():
        if not isinstance(key, str) or "<<" in key:
            continue
        name = prefix + key
        if placeholder(item) is not None:
            continue
        if isinstance(item, (bool, int, float)):
            if item:
                included.append(name)
            elif name != "_id":
                excluded.append(name)
        elif isinstance(item, dict) and item and not is_wrapper(item):
            if any(isinstance(k, str) and k.startswith("$") for k in item):
                walk.expression(item, (*at, step(key)))
                included.append(name)
            else:
                _modes(item, f"{name}.", (*at, step(key)), walk, included, excluded)
        else:
            walk.expression(item, (*at, step(key)))
            included.append(name)


def sort(value: Any, at: JsonPath, walk: Walk, *, scalar: bool = False) -> None:
    """Check a sort specification: each direction 1 or -1, or ``{"$meta": ...}``.

    Args:
        scalar: The position also takes a bare direction (``$sortArray``'s ``sortBy: 1``).
    """
    if scalar and not isinstance(value, dict):
        value = {"": value}
    if not isinstance(value, dict):
        return
    if not value:
        walk.add(at, codes.INVALID_STAGE_VALUE, "a sort specification needs at least one field")
        return
    for key, direction in value.items():
        where = (*at, step(key)) if key != "" else at
        if isinstance(direction, bool) or (
            isinstance(direction, (int, float)) and direction not in (1, -1)
        ):
            walk.add(
                where,
                codes.INVALID_STAGE_VALUE,
                f"a sort direction is 1 (ascending) or -1 (descending), not {direction!r}",
            )


def _boundaries(value: Any, at: JsonPath, walk: Walk) -> None:
    if not isinstance(value, list):
        return
    if len(value) < 2:
        walk.add(at, codes.INVALID_STAGE_VALUE, "$bucket needs at least two boundaries")
        return
    order = [_sortable(item) for item in value]
    if any(key is None for key in order):
        return  # placeholders, or values whose BSON order we do not reproduce
    kinds = {key[0] for key in order if key is not None}
    if len(kinds) > 1:
        walk.add(at, codes.INVALID_STAGE_VALUE, "$bucket's boundaries must all be of the same type")
        return
    for i in range(1, len(order)):
        previous, current = order[i - 1], order[i]
        if previous is not None and current is not None and not previous[1] < current[1]:
            walk.add(
                (*at, i),
                codes.INVALID_STAGE_VALUE,
                f"$bucket's boundaries must be sorted ascending with no repeats: {value[i]!r} "
                f"follows {value[i - 1]!r}",
            )
            return


def _sortable(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str) and "<<" not in value:
        return ("string", value)
    if isinstance(value, datetime.datetime):
        return ("date", value)
    return None
