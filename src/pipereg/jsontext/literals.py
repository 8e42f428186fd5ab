"""One strict reader per Extended JSON type: a wrapper's content to its BSON value.

Each reader accepts exactly the forms MongoDB's Extended JSON specification allows for its type
(checked against the specification's BSON corpus by ``tests/security/test_extjson_corpus.py``),
and refuses everything else with a message that quotes the author's own text and says what to
write. ``bson.json_util`` is deliberately not the reader: it takes ``{"$numberInt": " 42 "}``,
``{"$numberDouble": "1e400"}`` (infinity), ``"1_000"`` and non-ASCII digits as numbers, and
drops unknown regular-expression options.

Deliberate departures from the specification: ``{"$date": <integer milliseconds>}`` is read
(``mongoexport`` v1 and the shell write it); ``$date`` text is read in the grammar of ``date``
parameters (:mod:`pipereg.jsontext.dates`), which also takes a plain day (``"2024-03-01"``,
midnight UTC) and a time without an offset (UTC); and dates run from year 1 to 9999, as
parameters' do, so a ``$date`` past 9999 (which BSON could hold) is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

from pipereg.bson_limits import fits_int32, fits_int64
from pipereg.jsontext.dates import DateTextError, date_in_utc
from pipereg.messages import clip, show


class ExtJsonError(ValueError):
    """A document looks like an Extended JSON literal but is not a valid one."""


_INTEGER = re.compile(r"-?[0-9]+\Z")
# The specification's double: JSON's number grammar (a leading "." allowed, as its corpus does).
_DOUBLE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_DOUBLE_SPECIALS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
# The Decimal128 specification's string grammar. Python's Decimal also takes surrounding
# spaces, "_" between digits, any Unicode digit and NaN payloads; Decimal128 refuses those.
_DECIMAL = re.compile(
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)\Z",
    re.ASCII | re.IGNORECASE,
)
DECIMAL_TEXT = _DECIMAL  # the one definition: decimal parameters read their text by it too
_HEX_ID = re.compile(r"[0-9a-fA-F]{24}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
_SUBTYPE = re.compile(r"[0-9a-fA-F]{1,2}\Z")
# BSON's regular-expression options (the BSON specification): i, l, m, s, u, x.
_REGEX_OPTIONS = frozenset("ilmsux")
_UINT32 = 0xFFFFFFFF
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def quote(value: Any) -> str:
    """A JSON value as the author wrote it (compact, clipped), for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except ValueError:  # an integer past Python's 4300 digits has no text: describe it
        return quote(_printable(value))
    return clip(text, 80)


def _printable(value: Any) -> Any:
    if type(value) is int:
        return show(value)
    if type(value) is dict:
        return {key: _printable(item) for key, item in value.items()}
    if type(value) is list:
        return [_printable(item) for item in value]
    return value


def _fail(key: str, value: Any, why: str) -> ExtJsonError:
    return ExtJsonError(f"invalid Extended JSON {quote({key: value})}: {why}")


def _members(key: str, value: Any, names: frozenset[str]) -> dict[str, Any]:
    """The members of a wrapper whose content is an object with exactly ``names``."""
    wanted = " and ".join(f'"{name}"' for name in sorted(names))
    if type(value) is not dict or set(value) != names:
        raise _fail(key, value, f"expected an object with exactly {wanted}")
    return value


def _string(key: str, content: Any, value: Any, what: str) -> str:
    """``value`` (a wrapper's ``content``, or a member of it) as a string; errors quote content."""
    if type(value) is not str:
        raise _fail(key, content, f"expected {what} as a string")
    if "\x00" in value:
        raise _fail(key, content, f"{what} holds a NUL byte, which BSON cannot carry here")
    return value


def _integer(key: str, content: Any, value: Any, bits: int) -> int:
    text = _string(key, content, value, f"a {bits}-bit integer")
    if not _INTEGER.match(text):
        raise _fail(key, content, 'expected an integer written with ASCII digits only, like "42"')
    # Past 20 digits it fits nothing, and past 4300 Python refuses to read it at all.
    number = int(text) if len(text.lstrip("-0")) <= 20 else 1 << 64
    if not (fits_int32(number) if bits == 32 else fits_int64(number)):
        raise _fail(key, content, f"does not fit a {bits}-bit integer")
    return number


def _number_int(value: Any) -> int:
    return _integer("$numberInt", value, value, 32)


def _number_long(value: Any) -> Int64:
    return Int64(_integer("$numberLong", value, value, 64))


def _number_double(value: Any) -> float:
    text = _string("$numberDouble", value, value, "a double")
    if text in _DOUBLE_SPECIALS:
        return _DOUBLE_SPECIALS[text]
    if not _DOUBLE.match(text):
        raise _fail(
            "$numberDouble", value, 'expected a decimal number, "Infinity", "-Infinity" or "NaN"'
        )
    number = float(text)
    if math.isinf(number):
        raise _fail("$numberDouble", value, 'too large for a double; write "Infinity" if meant')
    mantissa = re.split("[eE]", text)[0]
    if number == 0 and any(digit in mantissa for digit in "123456789"):
        raise _fail("$numberDouble", value, "too small for a double: it would be read as 0")
    return number


def _number_decimal(value: Any) -> Decimal128:
    text = _string("$numberDecimal", value, value, "a decimal number")
    if not _DECIMAL.match(text):
        raise _fail("$numberDecimal", value, 'not a number in Decimal128\'s syntax, like "12.50"')
    try:
        return Decimal128(text)
    except decimal.DecimalException:
        raise _fail(
            "$numberDecimal", value, "cannot be held exactly by a Decimal128 (34 digits)"
        ) from None


def _oid(value: Any) -> ObjectId:
    text = _string("$oid", value, value, "an ObjectId")
    if not _HEX_ID.match(text):
        raise _fail("$oid", value, "expected 24 hexadecimal digits")
    return ObjectId(text)


_DATE_FORMS = (
    'write a date and time, {"$date": "2024-03-01T10:00:00Z"}, a date alone, '
    '{"$date": "2024-03-01"} (midnight UTC), or milliseconds since 1970, {"$date": 1709287200000}'
)


def _date(value: Any) -> datetime.datetime:
    """A ``$date``: text in the date grammar, ``{"$numberLong": ...}`` or integer milliseconds."""
    if type(value) is str:
        try:
            return date_in_utc(value)
        except DateTextError as exc:
            raise _fail("$date", value, f"{exc}; {_DATE_FORMS}") from None
    if type(value) is dict:
        if set(value) != {"$numberLong"}:
            raise _fail(
                "$date", value, 'expected text, integer milliseconds or {"$numberLong": "..."}'
            )
        millis = _integer("$date", value, value["$numberLong"], 64)
    elif type(value) is int:  # mongoexport v1 and the shell: milliseconds since 1970
        if not fits_int64(value):
            raise _fail("$date", value, "milliseconds do not fit a 64-bit integer")
        millis = value
    else:
        raise _fail("$date", value, 'expected text, integer milliseconds or {"$numberLong": "..."}')
    try:
        return _EPOCH + datetime.timedelta(milliseconds=millis)
    except OverflowError:
        # BSON could hold it, but date parameters, rendering and printing all hold datetimes.
        raise _fail("$date", value, "years run from 0001 to 9999, as in date parameters") from None


def _binary(value: Any) -> Binary:
    if type(value) is str:
        raise _fail(
            "$binary",
            value,
            'the legacy form is not read; write {"$binary": {"base64": "...", "subType": "00"}}',
        )
    members = _members("$binary", value, frozenset({"base64", "subType"}))
    data = _string("$binary", value, members["base64"], "base64")
    subtype = _string("$binary", value, members["subType"], "subType")
    if not _SUBTYPE.match(subtype):
        raise _fail("$binary", value, 'subType is one or two hexadecimal digits, like "04"')
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise _fail("$binary", value, "base64 is not valid base64 (with its = padding)") from None
    # Binary even for subtype 0 (json_util gives bytes): the same BSON, and printers that show
    # a literal (render --format shell) know Binary.
    binary: Binary = Binary(raw, int(subtype, 16))  # Binary.__new__ is typed as Any
    return binary


def _uuid(value: Any) -> Binary:
    text = _string("$uuid", value, value, "a UUID")
    if not _UUID.match(text):
        raise _fail("$uuid", value, "expected a UUID: 32 hexadecimal digits grouped 8-4-4-4-12")
    binary: Binary = Binary(uuid.UUID(text).bytes, 4)  # Binary.__new__ is typed as Any
    return binary


def _regular_expression(value: Any) -> Regex[Any]:
    members = _members("$regularExpression", value, frozenset({"pattern", "options"}))
    pattern = _string("$regularExpression", value, members["pattern"], "pattern")
    options = _string("$regularExpression", value, members["options"], "options")
    unknown = sorted(set(options) - _REGEX_OPTIONS)
    if unknown:
        raise _fail(
            "$regularExpression",
            value,
            f"unknown option {', '.join(map(repr, unknown))}; options are i, l, m, s, u, x",
        )
    return Regex(pattern, options)


def _timestamp(value: Any) -> Timestamp:
    members = _members("$timestamp", value, frozenset({"t", "i"}))
    for name in ("t", "i"):
        part = members[name]
        if type(part) is not int or not 0 <= part <= _UINT32:
            raise _fail(
                "$timestamp", value, f'"{name}" is an unsigned 32-bit integer, written as a number'
            )
    return Timestamp(members["t"], members["i"])


def _key(kind: type[MinKey] | type[MaxKey], key: str) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if type(value) is not int or value != 1:
            raise _fail(key, value, f'write {{"{key}": 1}}')
        return kind()

    return read


def _refused(why: str) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        raise ExtJsonError(why)

    return read


def _code(value: Any) -> Any:
    # $function's body and $where take BSON code as well as a string (the manual's own examples
    # write {"$code": ...}); code with a scope is deprecated and refused (see CODE_WITH_SCOPE).
    if type(value) is not str:
        raise _fail("$code", value, "the code is a string")
    return Code(value)


CODE_WITH_SCOPE = (
    "$code with $scope (deprecated BSON code with scope) is not a pipereg literal; pass values "
    'to $function through its args, and write the body as a string or {"$code": "..."}'
)

# What to write instead of each BSON type pipereg refuses (all deprecated by the BSON spec).
REFUSED: dict[str, str] = {
    "$symbol": "$symbol (deprecated BSON symbol) is not a pipereg literal; write the string itself",
    "$dbPointer": (
        "$dbPointer (deprecated BSON DBPointer) is not a pipereg literal; write a DBRef, "
        '{"$ref": "<collection>", "$id": {"$oid": "..."}}'
    ),
    "$undefined": "$undefined (deprecated BSON undefined) is not a pipereg literal; write null",
}

READERS: dict[str, Callable[[Any], Any]] = {
    "$oid": _oid,
    "$date": _date,
    "$numberDecimal": _number_decimal,
    "$numberLong": _number_long,
    "$numberInt": _number_int,
    "$numberDouble": _number_double,
    "$binary": _binary,
    "$uuid": _uuid,
    "$regularExpression": _regular_expression,
    "$timestamp": _timestamp,
    "$minKey": _key(MinKey, "$minKey"),
    "$maxKey": _key(MaxKey, "$maxKey"),
    "$code": _code,
    **{key: _refused(why) for key, why in REFUSED.items()},
}
