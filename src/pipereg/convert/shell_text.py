"""A rendered pipeline as a mongosh statement, to paste into mongosh or Compass.

``db.getCollection("orders").aggregate([...], {...})``, with ``ISODate("...")``,
``ObjectId("...")``, ``NumberLong("...")``, ``NumberDecimal("...")`` and the other shell
constructors for BSON values, each written so that mongosh sends the value pipereg would:
an int32 as a plain number, an int64 as ``NumberLong``, a double that is an integer as
``Double(1)`` (a plain ``1`` would be an int32). ``pipereg import`` reads it back to the same
pipeline (:mod:`pipereg.convert.shell`).
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bson import Binary, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

from pipereg.bson_limits import fits_int32

WIDTH = 100
_INDENT = "  "
_UUID_SUBTYPE = 4
_NOT_LITERAL = re.compile(r"[/\n\r\u2028\u2029]|\\$|\(\?[^:=!<]")


def statement(collection: str | None, stages: list[Any], options: Mapping[str, Any]) -> str:
    """The mongosh statement that runs ``stages`` on ``collection`` (``None``: the database)."""
    args = [_value(stages, 1)]
    if options:
        args.append(_value(dict(options), 1))
    target = "db" if collection is None else f"db.getCollection({json.dumps(collection)})"
    return f"{target}.aggregate({', '.join(args)})\n"


def _value(value: Any, depth: int, prefix: int = 0) -> str:
    # ``prefix``: the columns the key takes before the value on its line.
    inline = _inline(value)
    fits = len(inline) + len(_INDENT) * (depth - 1) + prefix + 1 <= WIDTH
    if fits or not isinstance(value, dict | list):
        return inline
    pad, inner = _INDENT * (depth - 1), _INDENT * depth
    if isinstance(value, dict):
        members = [
            f"{inner}{json.dumps(k)}: {_value(v, depth + 1, len(json.dumps(k)) + 2)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(members) + f"\n{pad}}}"
    items = [f"{inner}{_value(item, depth + 1)}" for item in value]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value)
    if isinstance(value, Int64):
        return f'NumberLong("{int(value)}")'
    if isinstance(value, int):
        return str(value) if fits_int32(value) else f'NumberLong("{value}")'
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f'Double("{value}")'.replace("inf", "Infinity").replace("nan", "NaN")
        if value.is_integer():  # 1.0 would reach the server as the int32 1
            return f"Double({value!r})"
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return f'ISODate("{value.strftime("%Y-%m-%dT%H:%M:%S")}.{value.microsecond // 1000:03d}Z")'
    if isinstance(value, ObjectId):
        return f'ObjectId("{value}")'
    if isinstance(value, Decimal128 | Decimal):
        return f'NumberDecimal("{value}")'
    if isinstance(value, Regex | re.Pattern):
        return _regex(value)
    if isinstance(value, uuid.UUID):
        return f'UUID("{value}")'
    if isinstance(value, Binary):
        if value.subtype == _UUID_SUBTYPE and len(value) == 16:
            return f'UUID("{uuid.UUID(bytes=bytes(value))}")'
        return f'BinData({value.subtype}, "{base64.b64encode(bytes(value)).decode()}")'
    if isinstance(value, Timestamp):
        return f"Timestamp({{ t: {value.time}, i: {value.inc} }})"
    if isinstance(value, MinKey):
        return "MinKey()"
    if isinstance(value, MaxKey):
        return "MaxKey()"
    raise TypeError(f"no mongosh literal for {type(value).__name__}")


def _regex(value: Regex[Any] | re.Pattern[Any]) -> str:
    regex = value if isinstance(value, Regex) else Regex.from_native(value)
    flags = regex.flags if isinstance(regex.flags, str) else _flags(regex.flags)
    pattern = str(regex.pattern)
    # A /literal/ says the same only when JavaScript reads the pattern unchanged: no slash or
    # line break in it, not `/*` (a comment), no PCRE-only group such as `(?i)`.
    if set(flags) <= {"i", "m"} and not _NOT_LITERAL.search(pattern) and pattern[:1] not in "*":
        return f"/{pattern}/{''.join(sorted(flags))}"
    return f"BSONRegExp({json.dumps(pattern)}, {json.dumps(''.join(sorted(flags)))})"


def _flags(flags: int) -> str:
    letters = {re.IGNORECASE: "i", re.LOCALE: "l", re.MULTILINE: "m", re.DOTALL: "s"}
    letters |= {re.UNICODE: "u", re.VERBOSE: "x"}
    return "".join(letter for flag, letter in letters.items() if flags & flag)
