"""mongosh and Compass literals, as a JavaScript parse tree holds them, in pipeline-file form.

``ISODate("...")`` becomes ``{"$date": ...}``, ``ObjectId("...")`` ``{"$oid": ...}``,
``NumberLong(5)`` ``{"$numberLong": "5"}``, ``/x/i`` ``{"$regularExpression": ...}`` and so
on; a JavaScript number becomes what mongosh sends for it: an int32 when it is an integer in
that range, else a double. Anything that is not a literal (a call the tool does not know, a
variable, a computed key, ``...spread``) raises :class:`~pipereg.convert.template.Refused`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from pipereg.bson_limits import fits_int32, fits_int64

if TYPE_CHECKING:
    from tree_sitter import Node as Syntax
    from tree_sitter import Parser

from pipereg.convert.python_values import date_text
from pipereg.convert.template import Arr, Lit, Member, Node, Obj, Refused, escape_text

_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
# JavaScript regex flags mongosh sends as the same BSON options.
_REGEX_FLAGS = frozenset("im")


class ParserMissing(Exception):
    """tree-sitter is not installed (the ``import`` extra); the message says how to install it."""


def parser(missing: str) -> Parser:
    """A JavaScript parser; tree-sitter is imported only here, when shell syntax is read.

    Raises:
        ParserMissing: tree-sitter or its JavaScript grammar is not installed.
    """
    try:
        import tree_sitter_javascript  # noqa: PLC0415 - an optional extra
        from tree_sitter import Language, Parser  # noqa: PLC0415
    except ImportError as exc:
        raise ParserMissing(missing) from exc
    return Parser(Language(tree_sitter_javascript.language()))


def line_of(node: Syntax) -> int:
    """The 1-based line a node starts on."""
    return node.start_point[0] + 1


def text_of(node: Syntax) -> str:
    """A node's source text."""
    return (node.text or b"").decode("utf-8")


def children(node: Syntax) -> list[Syntax]:
    """A node's named children, comments left out."""
    return [child for child in node.named_children if child.type != "comment"]


def literal(node: Syntax, names: Callable[[Syntax], Node]) -> Node:
    """The template node for a literal; ``names`` resolves an identifier.

    Raises:
        Refused: not a literal pipereg can hold, or not one that says the same every time.
    """
    kind = node.type
    line = line_of(node)
    if kind == "parenthesized_expression":
        return literal(children(node)[0], names)
    if kind in ("string", "template_string"):
        return Lit(escape_text(string(node)))
    if kind == "number":
        return Lit(_number(text_of(node), line))
    if kind == "unary_expression" and text_of(node).startswith("-"):
        inner = children(node)[0]
        if inner.type == "number":
            return Lit(_number("-" + text_of(inner), line))
    if kind in ("true", "false"):
        return Lit(kind == "true")
    if kind == "null":
        return Lit(None)
    if kind == "array":
        return Arr([Member("", literal(c, names), line=line_of(c)) for c in _items(children(node))])
    if kind == "object":
        return _object(node, names)
    if kind == "regex":
        return Lit(_regex(node))
    if kind in ("call_expression", "new_expression"):
        return Lit(_constructor(node, kind == "new_expression"))
    if kind == "identifier":
        return names(node)
    raise Refused(line, f"`{_brief(node)}`: not a literal")


def string(node: Syntax) -> str:
    """The value of a string literal (escapes decoded), or of a template without ``${}``."""
    parts: list[str] = []
    for child in node.children:
        if child.type == "string_fragment":
            parts.append(text_of(child))
        elif child.type == "escape_sequence":
            parts.append(_unescape(text_of(child)))
        elif child.type == "template_substitution":
            raise Refused(line_of(child), "a template string with `${...}`")
    try:  # \ud83d\ude00 escapes make one character
        return "".join(parts).encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError as exc:
        raise Refused(line_of(node), "a string with a lone surrogate escape") from exc


def _items(nodes: list[Syntax]) -> list[Syntax]:
    for node in nodes:
        if node.type == "spread_element":
            raise Refused(line_of(node), "`...` spreads a value the tool cannot see into")
    return nodes


def _object(node: Syntax, names: Callable[[Syntax], Node]) -> Obj:
    obj = Obj()
    for member in _items(children(node)):
        if member.type != "pair":
            raise Refused(line_of(member), f"`{_brief(member)}`: not a `key: value` member")
        key_node, value_node = (
            member.child_by_field_name("key"),
            member.child_by_field_name("value"),
        )
        assert key_node is not None
        assert value_node is not None
        if key_node.type == "property_identifier":
            key = text_of(key_node)
        elif key_node.type == "string":
            key = string(key_node)
        elif key_node.type == "number":
            key = str(_number(text_of(key_node), line_of(key_node)))
        else:
            raise Refused(line_of(key_node), f"computed key `{text_of(key_node)}`")
        obj.set(Member(key, literal(value_node, names), line=line_of(member)))
    return obj


def _number(text: str, line: int) -> Any:
    clean = text.replace("_", "")
    if clean.endswith("n"):  # a BigInt: mongosh sends an int64
        return _long(int(clean[:-1], 0), line)
    negative, body = clean.startswith("-"), clean.lstrip("-")
    number = float(int(body, 0)) if body.lower().startswith(("0x", "0o", "0b")) else float(body)
    if number in (float("inf"), float("-inf")):
        raise Refused(line, f"{text} does not fit a double")
    number = -number if negative else number
    # What js-bson sends: an integer in int32's range as an int32, any other number (and -0)
    # as a double.
    if number.is_integer() and fits_int32(number) and not (negative and number == 0):
        return int(number)
    return number


def _long(number: int, line: int) -> dict[str, str]:
    if not fits_int64(number):
        raise Refused(line, f"{number} does not fit a 64-bit integer")
    return {"$numberLong": str(number)}


def _unescape(sequence: str) -> str:
    char = sequence[1]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char]
    if char == "0" and len(sequence) == 2:
        return "\0"
    if char == "x":
        return chr(int(sequence[2:4], 16))
    if char == "u":
        digits = sequence[3:-1] if sequence[2] == "{" else sequence[2:6]
        return chr(int(digits, 16))
    if char in "\r\n\u2028\u2029":
        return ""  # a line continuation
    return char


def _regex(node: Syntax) -> dict[str, Any]:
    pattern = node.child_by_field_name("pattern")
    flags_node = node.child_by_field_name("flags")
    flags = text_of(flags_node) if flags_node is not None else ""
    if set(flags) - _REGEX_FLAGS:
        raise Refused(
            line_of(node),
            f"regex flags {flags!r}: mongosh sends only i and m as written "
            '(use BSONRegExp("pattern", "options") for the others)',
        )
    source = text_of(pattern) if pattern is not None else ""
    return {"$regularExpression": {"pattern": source, "options": "".join(sorted(flags))}}


def _constructor(node: Syntax, new: bool) -> Any:
    function = node.child_by_field_name("function" if not new else "constructor")
    arguments = node.child_by_field_name("arguments")
    name = text_of(function) if function is not None else ""
    args = children(arguments) if arguments is not None else []
    line = line_of(node)
    make = _CONSTRUCTORS.get(name)
    if make is None or (name == "Date" and not new):
        raise Refused(line, f"a call the tool cannot read: `{_brief(node)}`")
    try:
        return make(args, line)
    except (ValueError, TypeError, InvalidOperation, binascii.Error, OverflowError) as exc:
        raise Refused(line, f"`{_brief(node)}`: {exc}") from exc


def _scalar(args: list[Syntax], line: int, count: int = 1) -> list[Any]:
    # The constructor's arguments, each a string or a number (as its JavaScript value).
    if len(args) != count:
        raise Refused(line, f"expected {count} argument{'s' if count > 1 else ''}")
    values: list[Any] = []
    for arg in args:
        if arg.type == "string":
            values.append(string(arg))
        elif arg.type in ("number", "unary_expression"):
            values.append(float(text_of(arg).replace("_", "")))
        else:
            raise Refused(line, f"`{_brief(arg)}`: not a string or a number")
    return values


def _date(args: list[Syntax], line: int) -> dict[str, str]:
    if not args:
        raise Refused(line, "the current time: not a literal (declare a date parameter)")
    (given,) = _scalar(args, line)
    if isinstance(given, float):
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=given)
        return {"$date": date_text(moment)}
    match = _ISO.fullmatch(given.strip())
    if match is None:
        raise Refused(line, f"{given!r}: not an ISO-8601 date")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    moment = datetime.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return {"$date": date_text(moment)}


def _iso_date(args: list[Syntax], line: int) -> dict[str, str]:
    return _date(args, line)


def _new_date(args: list[Syntax], line: int) -> dict[str, str]:
    if len(args) == 1 and args[0].type == "string":
        text = string(args[0]).strip()
        if ("T" in text or " " in text) and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
            raise Refused(line, f"new Date({text!r}) reads a time without a zone as local time")
    elif len(args) > 1:
        raise Refused(line, 'new Date(y, m, d) is local time: write ISODate("...Z")')
    return _date(args, line)


def _object_id(args: list[Syntax], line: int) -> dict[str, str]:
    if not args:
        raise Refused(line, "ObjectId() makes a new id on every run: not a literal")
    (hex_id,) = _scalar(args, line)
    return {"$oid": str(ObjectId(hex_id))}


def _number_long(args: list[Syntax], line: int) -> dict[str, str]:
    (given,) = _scalar(args, line)
    number = int(given)
    if isinstance(given, float) and given != number:
        raise Refused(line, f"NumberLong({given}) is not an integer")
    return _long(number, line)


def _number_int(args: list[Syntax], line: int) -> int:
    (given,) = _scalar(args, line)
    number = int(given)
    if not fits_int32(number) or (isinstance(given, float) and given != number):
        raise Refused(line, f"NumberInt({given}) is not a 32-bit integer")
    return number


def _number_decimal(args: list[Syntax], line: int) -> dict[str, str]:
    (given,) = _scalar(args, line)
    text = given if isinstance(given, str) else text_of(args[0])
    return {"$numberDecimal": str(Decimal(text))}


def _double(args: list[Syntax], line: int) -> float:
    (given,) = _scalar(args, line)
    return float(given)


def _timestamp(args: list[Syntax], line: int) -> dict[str, Any]:
    if len(args) == 1 and args[0].type == "object":
        fields = {
            text_of(p.child_by_field_name("key") or p): p.child_by_field_name("value")
            for p in children(args[0])
        }
        args = [node for node in (fields.get("t"), fields.get("i")) if node is not None]
    t, i = _scalar(args, line, 2)
    return {"$timestamp": {"t": int(t), "i": int(i)}}


def _uuid(args: list[Syntax], line: int) -> dict[str, str]:
    (given,) = _scalar(args, line)
    return {"$uuid": str(uuid.UUID(given))}


def _bin_data(args: list[Syntax], line: int) -> dict[str, Any]:
    subtype, data = _scalar(args, line, 2)
    base64.b64decode(data, validate=True)
    return {"$binary": {"base64": data, "subType": f"{int(subtype):02x}"}}


def _bson_regex(args: list[Syntax], line: int) -> dict[str, Any]:
    pattern, options = _scalar(args, line, 2) if len(args) == 2 else (*_scalar(args, line), "")
    return {"$regularExpression": {"pattern": pattern, "options": "".join(sorted(options))}}


def _key(kind: str) -> Callable[[list[Syntax], int], dict[str, int]]:
    def make(args: list[Syntax], line: int) -> dict[str, int]:
        if args:
            raise Refused(line, f"{kind[1:]} takes no argument")
        return {kind: 1}

    return make


_CONSTRUCTORS: dict[str, Callable[[list[Syntax], int], Any]] = {
    "ISODate": _iso_date,
    "Date": _new_date,
    "ObjectId": _object_id,
    "NumberLong": _number_long,
    "Long": _number_long,
    "NumberInt": _number_int,
    "Int32": _number_int,
    "NumberDecimal": _number_decimal,
    "Decimal128": _number_decimal,
    "Double": _double,
    "Timestamp": _timestamp,
    "UUID": _uuid,
    "BinData": _bin_data,
    "BSONRegExp": _bson_regex,
    "MinKey": _key("$minKey"),
    "MaxKey": _key("$maxKey"),
}


def _brief(node: Syntax) -> str:
    text = " ".join(text_of(node).split())
    return text if len(text) <= 60 else text[:57] + "..."
