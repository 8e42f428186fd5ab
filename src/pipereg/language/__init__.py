"""MongoDB's aggregation language (8.x, through 8.2) as data: stages and operators.

Every stage, query operator, expression operator, accumulator and window operator, with the
shape of its arguments, what each argument position takes (an expression, a filter, a
sub-pipeline, JavaScript...), where a stage may stand, and the server version that brought
it. The lint rules ask it about names, arity, placement and versions; the security review
asks it for every position that takes a pipeline, a filter or code (``slots``).

The data comes from mongo-php-library's operator definitions (``_generated.py``, written by
``tools/generate_language.py``) and a hand-kept supplement citing the manual
(``_supplement.py``). This is a bottom layer: it imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from pipereg.language._build import build
from pipereg.language._generated import COMMIT as SOURCE_COMMIT
from pipereg.language._model import (
    Argument,
    Form,
    Kind,
    Operator,
    Placement,
    Position,
    Scope,
    Slot,
)

__all__ = [
    "OPERATORS",
    "SOURCE_COMMIT",
    "STAGES",
    "Argument",
    "Form",
    "Kind",
    "Operator",
    "Placement",
    "Position",
    "Scope",
    "Slot",
    "is_known",
    "kinds",
    "names",
    "operator",
    "slots",
    "stage",
]

OPERATORS: tuple[Operator, ...] = build()
"""Every operator record, sorted by name."""

_BY_KIND: dict[tuple[Kind, str], Operator] = {
    (kind, op.name): op for op in OPERATORS for kind in op.kinds
}
STAGES: Mapping[str, Operator] = MappingProxyType(
    {name: op for (kind, name), op in _BY_KIND.items() if kind is Kind.STAGE}
)
"""Every stage by name."""
_NAMES: dict[Kind, frozenset[str]] = {
    kind: frozenset(name for k, name in _BY_KIND if k is kind) for kind in Kind
}


def operator(name: str, kind: Kind) -> Operator | None:
    """Return the operator ``name`` as it stands in ``kind``, ``None`` if it has no such use.

    Args:
        name: The name with its ``$``, e.g. ``"$sum"``.
        kind: Where the name stands: ``$sum`` as an accumulator takes one value, as an
            expression a list.
    """
    return _BY_KIND.get((kind, name))


def stage(name: str) -> Operator | None:
    """Return the stage ``name`` (e.g. ``"$lookup"``), ``None`` if there is none."""
    return STAGES.get(name)


def is_known(name: str, kind: Kind | None = None) -> bool:
    """Return whether ``name`` is an operator of ``kind``, or of any kind when it is ``None``."""
    if kind is None:
        return bool(kinds(name))
    return (kind, name) in _BY_KIND


def names(kind: Kind) -> frozenset[str]:
    """Return every operator name of ``kind``, e.g. every stage name."""
    return _NAMES[kind]


def kinds(name: str) -> frozenset[Kind]:
    """Return every kind ``name`` stands in: ``$sum`` is an accumulator, expression, window."""
    return frozenset(kind for kind in Kind if (kind, name) in _BY_KIND)


def slots(position: Position | None = None) -> Iterator[Slot]:
    """Yield every argument position of every operator, nested fields included.

    Args:
        position: Only slots that take this (e.g. ``Position.PIPELINE``: every place a
            sub-pipeline stands), or all when ``None``.
    """
    for op in OPERATORS:
        shorthand = () if op.shorthand is None else (op.shorthand,)
        for argument in (*op.arguments, *shorthand):
            yield from _slots(op, (argument.name,), argument, position)


def _slots(
    op: Operator, path: tuple[str, ...], argument: Argument, position: Position | None
) -> Iterator[Slot]:
    if position is None or argument.position is position:
        yield Slot(op, path, argument)
    for inner in argument.fields:
        yield from _slots(op, (*path, inner.name), inner, position)
