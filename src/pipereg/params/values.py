"""What parameter values are made of, below declarations and coercion: absence, failure, copies.

A leaf of the ``params`` package: :mod:`~pipereg.params.declaration` (a declaration as data),
:mod:`~pipereg.params.coerce` (values checked against one) and
:mod:`~pipereg.params.declare` (declarations built from JSON) all read it, and it reads none.
"""

from __future__ import annotations

from typing import Any

FIELD_MAX_LENGTH = 512
# Limits for declarations that set none: generous enough never to bite real use, but a caller
# can never make one render hold an unbounded string or list.
DEFAULT_MAX_LENGTH = 1 << 20  # characters (1 MiB)
DEFAULT_MAX_ITEMS = 100_000
SCALAR_TYPES = frozenset(
    {"string", "int", "long", "double", "decimal", "bool", "date", "objectId", "field"}
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Invalid(Exception):
    """A value does not fit a declaration; ``where`` is the path below the parameter."""

    def __init__(self, problem: str, *, expected: str = "", actual: str = "", where: str = ""):
        super().__init__(problem)
        self.problem = problem
        self.expected = expected
        self.actual = actual
        self.where = where

    def under(self, step: str) -> Invalid:
        """Prefix ``step`` (``.name`` or ``[3]``) to the location."""
        self.where = step + self.where
        return self


def fresh(value: Any) -> Any:
    """A copy of ``value`` that shares no list or dict with it (scalars are immutable)."""
    if type(value) is list:
        return [fresh(v) for v in value]
    if type(value) is dict:
        return {k: fresh(v) for k, v in value.items()}
    return value
