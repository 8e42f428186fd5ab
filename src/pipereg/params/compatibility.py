"""The order over parameter constraints: does every value one declaration accepts fit another?

One relation, asked in two places. Fragment binding (:mod:`pipereg.fragments.expand`): every value
a pipeline's parameter accepts must fit the fragment's declaration it is bound to. Breaking-change
detection (:mod:`pipereg.review.param_changes`): a change is breaking when the new declaration
refuses a value the old one accepted. Both compare *effective* limits: a length or item count that
is not declared still has one (``DEFAULT_MAX_LENGTH``, ``DEFAULT_MAX_ITEMS``, at most
``FIELD_MAX_LENGTH`` for a ``field``), so a plain ``string`` refuses what a ``maxLength: 2000000``
accepts.
"""

from __future__ import annotations

from typing import Any, Final

from pipereg.messages import show
from pipereg.params.coerce import ordered
from pipereg.params.declaration import Param
from pipereg.params.values import DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH, FIELD_MAX_LENGTH

BOUNDS: Final = (
    ("minimum", "minimum", True),
    ("maximum", "maximum", False),
    ("minLength", "min_length", True),
    ("maxLength", "max_length", False),
    ("minItems", "min_items", True),
    ("maxItems", "max_items", False),
)
"""Each bound: its label in files, its attribute, and whether a larger value is tighter."""

_UNDECLARED: Final = {
    "minimum": None,
    "maximum": None,
    "min_length": 0,
    "max_length": DEFAULT_MAX_LENGTH,
    "min_items": 0,
    "max_items": DEFAULT_MAX_ITEMS,
}


def limit(param: Param, attribute: str) -> Any:
    """The bound ``attribute`` in force for ``param``: declared, else what coercion applies.

    ``None`` only for ``minimum`` and ``maximum`` left undeclared (no bound at all).
    """
    value = getattr(param, attribute)
    if value is None:
        value = _UNDECLARED[attribute]
    if param.type == "field" and attribute == "max_length":
        value = min(value, FIELD_MAX_LENGTH)
    return value


def tighter(larger_is_tighter: bool, before: Any, after: Any) -> bool:
    """Whether the bound ``after`` refuses a value ``before`` accepts (``None``: no bound)."""
    if after is None:
        return False
    if before is None:
        return True
    return bool((ordered(after) > ordered(before)) if larger_is_tighter else
                (ordered(after) < ordered(before)))  # fmt: skip


def unmet(given: Param, required: Param) -> str:
    """The first constraint of ``required`` that some value ``given`` accepts breaks, or ``""``.

    Both declarations are of one type (the caller compares types first); items and properties are
    the caller's to compare, one pair at a time.
    """
    minimum, maximum, min_length, max_length, min_items, max_items = BOUNDS
    # In the order messages name them: values, enum, least lengths, most lengths, pattern.
    for label, attribute, larger_is_tighter in (minimum, maximum):
        if tighter(larger_is_tighter, limit(given, attribute), limit(required, attribute)):
            return f"{label} {show(limit(required, attribute))}"
    if required.enum is not None and (
        given.enum is None
        or not all(any(type(v) is type(w) and v == w for w in required.enum) for v in given.enum)
    ):
        return "enum " + ", ".join(show(v) for v in required.enum)
    for label, attribute, larger_is_tighter in (min_length, min_items, max_length, max_items):
        if tighter(larger_is_tighter, limit(given, attribute), limit(required, attribute)):
            return f"{label} {show(limit(required, attribute))}"
    if required.pattern is not None and given.pattern != required.pattern:
        return f"pattern {required.pattern!r}"
    return ""
