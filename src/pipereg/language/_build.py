"""Turn the generated rows and the hand-kept supplement into ``Operator`` records."""

from __future__ import annotations

from dataclasses import replace

from pipereg.language import _generated, _supplement
from pipereg.language._model import Argument, Form, Kind, Operator, Placement, Position

_NUMBERS = frozenset({"int", "long", "double", "decimal", "number"})
_GROUP_KINDS = {"stage": Kind.STAGE, "query": Kind.QUERY, "expression": Kind.EXPRESSION}


def build() -> tuple[Operator, ...]:
    """Return every operator, generated ones with the supplement applied, then the extras."""
    made = [_operator(row) for row in _generated.OPERATORS]
    made += [_dated(op) for op in _supplement.EXTRA]
    stages = [op for op in made if Kind.STAGE in op.kinds]
    for i, op in enumerate(made):
        if op in stages:
            made[i] = replace(op, placement=_supplement.PLACEMENT.get(op.name, Placement()))
    return tuple(sorted(made, key=lambda op: (op.name, sorted(k.value for k in op.kinds))))


def _operator(row: _generated.Row) -> Operator:
    name, group, types, encode, raw_arguments, introduced, description, url = row
    if group == "accumulator":
        kinds = frozenset(Kind(t) for t in types if t in ("accumulator", "window"))
    else:
        kinds = frozenset({_GROUP_KINDS[group]})
    arguments = tuple(_argument(kinds, name, encode, raw) for raw in raw_arguments)
    forms, low, high = _shape(encode, raw_arguments)
    op = Operator(
        name,
        kinds,
        forms,
        arguments,
        low,
        high,
        open_object=any(arg.name == "*" for arg in arguments),
        introduced=introduced,
        description=description,
        url=url,
    )
    for kind in kinds:
        if (kind, name) in _supplement.FORMS:
            forms, shorthand = _supplement.FORMS[kind, name]
            if Form.LIST in forms and Form.LIST not in op.forms:
                # A named-argument operator also written positionally ($cond): all of them.
                op = replace(op, min_args=len(op.required), max_args=len(arguments))
            op = replace(op, forms=forms, shorthand=shorthand)
        if (kind, name) in _supplement.MIN_ARGS:
            op = replace(op, min_args=_supplement.MIN_ARGS[kind, name])
    return _dated(op)


def _shape(
    encode: str, raw_arguments: tuple[_generated.Argument, ...]
) -> tuple[tuple[Form, ...], int, int | None]:
    # The YAML's encodings: "single" writes the one argument itself (a list when it repeats,
    # an object of any keys when it repeats by name), "array" positional arguments, "object"
    # and "dollar_object" named ones, "group" $group's _id beside any output fields.
    if encode == "array":
        required = sum(1 for raw in raw_arguments if not raw[2])
        variadic = any(raw[3] for raw in raw_arguments)
        return (Form.LIST,), required, None if variadic else len(raw_arguments)
    if encode == "single" and len(raw_arguments) == 1 and raw_arguments[0][3] == "array":
        return (Form.LIST,), raw_arguments[0][4] or 0, None
    if encode == "single" and not (raw_arguments and raw_arguments[0][3] == "object"):
        return (Form.VALUE,), 0, None
    return (Form.OBJECT,), 0, None


def _argument(
    kinds: frozenset[Kind], operator: str, encode: str, raw: _generated.Argument
) -> Argument:
    name, types, optional, variadic, _ = raw
    for kind in kinds:
        known = _supplement.POSITIONS.get((kind, operator, name))
        if known is not None:
            return replace(known, types=types)
    required = not optional and not any(
        (kind, operator, name) in _supplement.OPTIONAL for kind in kinds
    )
    if variadic == "object":
        name, required = "*", False  # any key: an output field, a facet, a sort key
    elif encode == "dollar_object":
        name = f"${name}"  # {"$near": {"$geometry": ..., "$maxDistance": ...}}
    return Argument(name, position_of(types), required, variadic is not None, (), types)


def _dated(op: Operator) -> Operator:
    for kind in op.kinds:
        introduced = _supplement.INTRODUCED.get((kind, op.name))
        if introduced is not None:
            return replace(op, introduced=introduced)
    return op


def position_of(types: tuple[str, ...]) -> Position:
    """Return the position the YAML's type words for an argument mean.

    The most consequential reading wins: an argument that takes a pipeline or a string (as
    ``$merge``'s ``whenMatched``) is a pipeline position.
    """
    words = frozenset(types)
    for word, position in (
        ("pipeline", Position.PIPELINE),
        ("javascript", Position.JAVASCRIPT),
        ("resolvesToJavascript", Position.JAVASCRIPT),
        ("query", Position.FILTER),
        ("fieldQuery", Position.FILTER),
        ("accumulator", Position.ACCUMULATOR),
        ("window", Position.WINDOW),
        ("geometry", Position.GEOMETRY),
        ("sortSpec", Position.SORT),
        ("regex", Position.REGEX),
        ("resolvesToRegex", Position.REGEX),
    ):
        if word in words:
            return position
    if "expression" in words or "timeUnit" in words:
        return Position.EXPRESSION
    if any(w.startswith("resolvesTo") or w.endswith("FieldPath") for w in words):
        return Position.EXPRESSION
    if words == {"fieldPath"}:
        return Position.FIELD_PATH
    if words <= _NUMBERS:
        return Position.NUMBER
    single = {"string": Position.STRING, "bool": Position.BOOL, "object": Position.OPTIONS}
    return single.get(next(iter(words)), Position.ANY) if len(words) == 1 else Position.ANY
