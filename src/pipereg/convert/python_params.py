"""Parameter declarations from what Python code shows: annotations, defaults, wrapping calls."""

from __future__ import annotations

import ast
from typing import Any

from pipereg.bson_limits import fits_int32
from pipereg.convert.python_scope import Origin
from pipereg.convert.python_values import callee, value
from pipereg.convert.template import Lit, Refused, Use

_ANNOTATIONS = {
    "int": "int",
    "str": "string",
    "float": "double",
    "bool": "bool",
    "datetime": "date",
    "ObjectId": "objectId",
    "Decimal": "decimal",
    "Decimal128": "decimal",
    "Int64": "long",
}
_MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping"})
_SEQUENCES = frozenset({"list", "List", "Sequence", "tuple", "Tuple"})
# An embedded placeholder renders as text the way str() writes these types (not dates or
# bools: pipereg writes ISO-8601 with Z and true/false, Python 2024-01-01 00:00:00 and True).
_EMBEDDABLE = frozenset({"string", "int", "long", "objectId", "field"})


def declare(name: str, uses: list[Use], origin: Origin | None) -> tuple[dict[str, Any], str]:
    """The declaration of parameter ``name`` from its uses, and a note for the author, or ``""``.

    Raises:
        Refused: the uses disagree on its type, or the original's value would not render
            the same (a date in an f-string, ``re.escape`` outside a regular expression).
    """
    line = uses[0].hole.line
    kinds = {use.hole.type for use in uses if use.hole.type is not None}
    declared, optional_type = _annotation(origin.annotation if origin else None, line)
    default = _default(origin.default if origin else None)
    # A call around the value (ObjectId(x)) says what is sent; the annotation what is passed.
    if declared and not kinds:
        kinds.add(declared["type"])
    elif declared and declared["type"] not in kinds:
        declared = {}
    if default is not None and default[1] is not None and not kinds:
        kinds.add(default[1])
    if len(kinds) > 1 and not kinds <= {"int", "long"}:
        raise Refused(line, f"{name} is used as {' and '.join(sorted(kinds))}")
    kind = "long" if "long" in kinds else next(iter(kinds), "string")
    notes = [] if kinds else [f"typed string: nothing in the code shows the type of {name}"]
    declaration: dict[str, Any] = declared if declared else {"type": kind}
    declaration.setdefault("type", kind)
    if any(use.embedded for use in uses) and declaration["type"] not in _EMBEDDABLE:
        raise Refused(line, f"{name} is a {declaration['type']} in text: it renders differently")
    conditional = [bool(use.conds & {name}) for use in uses]
    if any(conditional) and not all(conditional):
        raise Refused(line, f"{name} is used both under `if {name}:` and outside it")
    if all(conditional):
        declaration["optional"] = True
        if origin is not None and origin.truthy:
            notes.append(f"`if {name}:` also skipped falsy values; pipereg leaves out only None")
    elif default is not None:
        if default[0] is None:
            declaration["nullable"] = True
        declaration["default"] = default[0]
    elif optional_type:
        declaration["nullable"] = True
    regex = [use for use in uses if use.in_regex and not use.hole.escaped]
    if any(use.hole.escaped and not use.in_regex for use in uses):
        raise Refused(line, f"re.escape({name}) outside a regular expression changes the value")
    if regex and declaration["type"] == "string":
        declaration["regex"] = True
        notes.append(
            f"{name} goes into a regex unescaped in the original, so it is declared a pattern "
            f'("regex": true); use re.escape in the code, or drop "regex" to match it as text'
        )
    return declaration, "; ".join(notes)


def _annotation(expr: ast.expr | None, line: int) -> tuple[dict[str, Any], bool]:
    # The declaration an annotation shows (empty if none), and whether it allows None.
    if expr is None:
        return {}, False
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        try:
            expr = ast.parse(expr.value, mode="eval").body
        except SyntaxError:
            return {}, False
    optional = False
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        sides = [expr.left, expr.right]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        if len(nones) != 1:
            return {}, False
        expr, optional = next(s for s in sides if s not in nones), True
    if isinstance(expr, ast.Subscript) and callee(expr.value) == "Optional":
        expr, optional = expr.slice, True
    if isinstance(expr, ast.Subscript) and callee(expr.value) in _SEQUENCES:
        items, _ = _annotation(expr.slice, line)
        return ({"type": "array", "items": items} if items else {}), optional
    if (
        callee(expr) in _MAPPINGS
        or callee(expr.value if isinstance(expr, ast.Subscript) else expr) in _MAPPINGS
    ):
        raise Refused(line, "a dict passed in whole: pipereg objects declare their properties")
    kind = _ANNOTATIONS.get(callee(expr))
    return ({"type": kind} if kind else {}), optional


def _default(expr: ast.expr | None) -> tuple[Any, str | None] | None:
    # The default in file form and the type it shows; None if there is no usable default.
    if expr is None:
        return None
    if isinstance(expr, ast.Constant) and expr.value is None:
        return None, None
    try:
        node = value(expr, _NoNames())
    except Refused:
        return None
    if not isinstance(node, Lit):
        return None
    literal = node.value
    if isinstance(literal, bool):
        return literal, "bool"
    if isinstance(literal, int):
        return literal, "int" if fits_int32(literal) else "long"
    if isinstance(literal, float):
        return literal, "double"
    if isinstance(literal, str):
        return literal.replace("<<<<", "<<"), "string"  # a default is a value, not a template
    if isinstance(literal, dict):
        wrapper = next(iter(literal))
        kind = {"$date": "date", "$oid": "objectId", "$numberDecimal": "decimal"}.get(wrapper)
        return (literal, kind) if kind else (literal, "long")
    return None


class _NoNames:
    def lookup(self, name: str, line: int) -> Lit:
        raise Refused(line, f"{name} in a default")
