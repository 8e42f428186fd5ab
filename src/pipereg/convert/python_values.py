"""Python expressions as template nodes: literals kept, names and attributes become holes.

Only what can be read without running the code is converted: constants, dicts, lists, f-strings,
``"^" + prefix``, names, attributes, and calls whose result the tool knows (``ObjectId("...")``
is a literal, ``ObjectId(x)`` a hole typed ``objectId``). Anything else raises
:class:`~pipereg.convert.template.Refused`, so a pipeline is converted whole or not at all.
"""

from __future__ import annotations

import ast
import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from bson import ObjectId

from pipereg.bson_limits import fits_int64
from pipereg.convert.template import Arr, Hole, Lit, Member, Node, Obj, Refused, Text, escape_text

# One-argument calls that say what type their argument's value is: the call's result is what the
# original sends, and a parameter of that type renders the same value.
_TYPED_CALLS = {
    "ObjectId": "objectId",
    "int": "int",
    "float": "double",
    "str": "string",
    "bool": "bool",
    "Decimal": "decimal",
    "Decimal128": "decimal",
    "Int64": "long",
    "fromisoformat": "date",
}
_DATE_CALLS = frozenset({"datetime"})
_UTC_NAMES = frozenset({"utc", "UTC"})


class Names(Protocol):
    """Resolves a name to the value it holds where it is read."""

    def lookup(self, name: str, line: int) -> Node:
        """The node for ``name`` read at ``line``; raises Refused if it cannot be followed."""


def callee(func: ast.expr) -> str:
    """The name a call is known by: ``f`` for ``f(...)``, ``g`` for ``a.b.g(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def value(expr: ast.expr, names: Names) -> Node:
    """The template node for ``expr``.

    Raises:
        Refused: the expression cannot be converted faithfully; the reason says why.
    """
    line = expr.lineno
    if isinstance(expr, ast.Constant):
        return Lit(constant(expr))
    if isinstance(expr, ast.Dict):
        obj = Obj()
        for key, item in zip(expr.keys, expr.values, strict=True):
            if key is None:
                raise Refused(item.lineno, "`**` spreads a dict the tool cannot see into")
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise Refused(key.lineno, f"computed key `{ast.unparse(key)}`")
            obj.set(Member(key.value, value(item, names), line=item.lineno))
        return obj
    if isinstance(expr, ast.List | ast.Tuple):
        arr = Arr()
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                raise Refused(element.lineno, "`*` spreads a list the tool cannot see into")
            arr.items.append(Member("", value(element, names), line=element.lineno))
        return arr
    if isinstance(expr, ast.Name):
        return names.lookup(expr.id, line)
    if isinstance(expr, ast.Attribute):
        return Hole(expr.attr, line)
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and key.value.isidentifier()
        ):
            return Hole(key.value, line)
        raise Refused(line, f"`{ast.unparse(expr)}`: a value the tool cannot name")
    if isinstance(expr, ast.JoinedStr):
        return Text(_fields(_fstring(expr, names)))
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _added(expr, names)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        operand = expr.operand
        number = operand.value if isinstance(operand, ast.Constant) else None
        if isinstance(number, int | float) and not isinstance(number, bool):
            return Lit(constant(ast.Constant(-number, lineno=line)))
    if isinstance(expr, ast.Call):
        return _call(expr, names)
    if isinstance(expr, ast.ListComp | ast.DictComp | ast.SetComp | ast.GeneratorExp):
        raise Refused(line, "a comprehension builds values the tool cannot see")
    raise Refused(line, f"`{_brief(expr)}`: an expression the tool cannot convert")


def constant(expr: ast.Constant) -> Any:
    """A Python constant in file form; strings escaped, integers checked against BSON's range."""
    item = expr.value
    if isinstance(item, str):
        return escape_text(item)
    if item is None or isinstance(item, bool | float):
        return item
    if isinstance(item, int):
        if not fits_int64(item):
            raise Refused(expr.lineno, f"{item} does not fit a 64-bit integer")
        return item
    raise Refused(expr.lineno, f"`{ast.unparse(expr)}`: BSON has no such value")


def date_text(moment: datetime.datetime) -> str:
    """A datetime as ``$date`` text: UTC (a naive one is UTC, as for the driver), milliseconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond // 1000:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _fstring(expr: ast.JoinedStr, names: Names) -> list[str | Hole]:
    parts: list[str | Hole] = []
    for part in expr.values:
        if isinstance(part, ast.Constant):
            parts.append(str(part.value))
            continue
        assert isinstance(part, ast.FormattedValue)
        if part.conversion != -1 or part.format_spec is not None:
            raise Refused(part.lineno, "an f-string conversion or format spec (`!r`, `:02d`)")
        parts.append(_hole(value(part.value, names), part.lineno))
    return parts


def _added(expr: ast.BinOp, names: Names) -> Node:
    left, right = value(expr.left, names), value(expr.right, names)
    if isinstance(left, Arr) and isinstance(right, Arr):
        return Arr([*left.items, *right.items], left.refused or right.refused)
    parts: list[str | Hole] = []
    strings = False
    for side in (left, right):
        if isinstance(side, Lit) and isinstance(side.value, str):
            strings = True
            parts.append(side.value.replace("<<<<", "<<"))  # Text escapes on emit
        elif isinstance(side, Text):
            strings = True
            parts.extend(side.parts)
        else:
            parts.append(_hole(side, expr.lineno))
    if not strings:
        raise Refused(expr.lineno, f"`{_brief(expr)}`: arithmetic the tool cannot convert")
    return Text(_fields(parts))


def _fields(parts: list[str | Hole]) -> list[str | Hole]:
    # "$" then a value, at the start of an expression's text, names a field: a `field` param.
    if len(parts) >= 2 and parts[0] == "$" and isinstance(parts[1], Hole):
        hole = parts[1]
        if hole.type is None:
            parts[1] = Hole(hole.name, hole.line, "field")
    return parts


def _hole(node: Node, line: int) -> Hole:
    if not isinstance(node, Hole):
        raise Refused(line, "only a plain value can be put into text")
    return node


def _call(expr: ast.Call, names: Names) -> Node:
    name = callee(expr.func)
    args = expr.args
    literal = _literal_call(expr, name)
    if literal is not None:
        return Lit(literal)
    if name == "escape" and len(args) == 1:  # re.escape: pipereg escapes in regexes itself
        hole = _hole(value(args[0], names), expr.lineno)
        return Hole(hole.name, hole.line, _typed(hole, "string", expr.lineno), escaped=True)
    if name in _TYPED_CALLS and len(args) == 1 and not expr.keywords:
        hole = _hole(value(args[0], names), expr.lineno)
        return Hole(hole.name, hole.line, _typed(hole, _TYPED_CALLS[name], expr.lineno))
    raise Refused(expr.lineno, f"a call the tool cannot type: `{_brief(expr)}`")


def _typed(hole: Hole, kind: str, line: int) -> str:
    if hole.type is not None and hole.type != kind:
        raise Refused(line, f"{hole.name} is converted twice ({hole.type}, then {kind})")
    return kind


def _literal_call(expr: ast.Call, name: str) -> Any:
    # A call of a known constructor with constant arguments: the value it makes, in file form.
    args: list[Any] = [a.value for a in expr.args if isinstance(a, ast.Constant)]
    if len(args) != len(expr.args) or not args:
        return None
    try:
        if name == "ObjectId" and len(args) == 1 and not expr.keywords:
            return {"$oid": str(ObjectId(args[0]))}
        if name in ("Decimal", "Decimal128") and len(args) == 1 and isinstance(args[0], str):
            return {"$numberDecimal": str(Decimal(args[0]))}
        if name == "Int64" and len(args) == 1 and isinstance(args[0], int):
            return {"$numberLong": str(args[0])}
        if name in _DATE_CALLS and all(isinstance(a, int) for a in args):
            moment = datetime.datetime(*args)
            return {"$date": date_text(moment.replace(tzinfo=_tz(expr)))}
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise Refused(expr.lineno, f"`{_brief(expr)}`: {exc}") from exc
    return None


def _tz(expr: ast.Call) -> datetime.tzinfo | None:
    for keyword in expr.keywords:
        if keyword.arg != "tzinfo" or callee(keyword.value) not in _UTC_NAMES:
            raise Refused(expr.lineno, f"`{_brief(expr)}`: a time zone the tool cannot read")
    return datetime.timezone.utc if expr.keywords else None


def _brief(expr: ast.expr) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 60 else text[:57] + "..."
