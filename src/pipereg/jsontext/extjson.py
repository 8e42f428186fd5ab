"""MongoDB Extended JSON literals in pipeline files, and Extended JSON output.

Only the unambiguous Extended JSON v2 wrappers are literals. The legacy
``{"$regex": ..., "$options": ...}`` form is deliberately not one: in a pipeline file it is the
``$regex`` query operator and must stay a document (it may hold placeholders).
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from typing import Any

from bson import ObjectId, json_util
from bson.codec_options import CodecOptions
from bson.json_util import JSONOptions

from pipereg.bson_limits import fits_int32, fits_int64
from pipereg.messages import clip

# A document with exactly one of these keys is a BSON literal (Extended JSON v2 wrappers).
WRAPPER_KEYS: frozenset[str] = frozenset(
    {
        "$oid",
        "$date",
        "$numberDecimal",
        "$numberLong",
        "$numberInt",
        "$numberDouble",
        "$binary",
        "$uuid",
        "$regularExpression",
        "$timestamp",
        "$minKey",
        "$maxKey",
    }
)

# Dates come back timezone-aware in UTC, like date parameters.
_INPUT_OPTIONS = JSONOptions(tz_aware=True, tzinfo=datetime.timezone.utc)
RELAXED = JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=True)
CANONICAL = JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)
CODEC_OPTIONS: CodecOptions[Any] = CodecOptions(tz_aware=True, tzinfo=datetime.timezone.utc)


class ExtJsonError(ValueError):
    """A document looks like an Extended JSON literal but is not a valid one."""


def is_wrapper(node: dict[str, Any]) -> bool:
    """Whether ``node`` has exactly the keys of an Extended JSON literal."""
    return len(node) == 1 and next(iter(node)) in WRAPPER_KEYS


def literal(node: dict[str, Any]) -> Any:
    """Convert one Extended JSON wrapper document (see :func:`is_wrapper`) to its BSON value.

    Raises:
        ExtJsonError: the wrapper's content is not valid, e.g. ``{"$oid": "xyz"}``.
    """
    fast = common_literal(node)
    if fast is not None:
        return fast
    try:
        # Through loads, so nested wrappers decode first: {"$date": {"$numberLong": "..."}}.
        value = json_util.loads(json.dumps(node), json_options=_INPUT_OPTIONS)
    except Exception as exc:  # bson raises TypeError, ValueError, InvalidId, ...
        raise ExtJsonError(f"invalid Extended JSON {_brief(node)}: {exc}") from exc
    if isinstance(value, dict):
        raise ExtJsonError(f"invalid Extended JSON {_brief(node)}")
    if "$numberInt" in node and not fits_int32(value):
        raise ExtJsonError(f"{_brief(node)} does not fit a 32-bit integer")
    if isinstance(value, int) and not fits_int64(value):
        raise ExtJsonError(f"{_brief(node)} does not fit a 64-bit integer")
    return value


# The two literals files hold most, in the spelling most write them: an ObjectId in 24 lowercase
# or uppercase hex digits, a date in UTC to the second or millisecond. Read directly, they skip
# a json.dumps and json_util.loads round trip; tests/jsontext/test_extjson.py checks both give
# the same value on generated text.
_HEX24 = re.compile(r"[0-9a-fA-F]{24}\Z")
_UTC_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z\Z", re.ASCII)
_FAST_DATES = sys.version_info >= (3, 11)  # fromisoformat reads a trailing Z from 3.11


def common_literal(node: dict[str, Any]) -> Any:
    """The value of an ``$oid`` or ``$date`` literal in its common spelling, else None.

    A value here is the value :func:`literal` gives (which calls this first); None says
    nothing: the literal may be valid in another spelling, or invalid.
    """
    ((key, value),) = node.items()
    if type(value) is not str:
        return None
    if key == "$oid" and _HEX24.match(value):
        return ObjectId(value)
    if key == "$date" and _FAST_DATES and _UTC_DATE.match(value) and value[:4] != "0000":
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None  # json_util words the error
        return moment if moment.tzinfo is datetime.timezone.utc else None
    return None


def loads(text: str) -> Any:
    """Parse JSON text that may hold Extended JSON (relaxed or canonical): data and CLI input."""
    return json_util.loads(text, json_options=_INPUT_OPTIONS)


def dumps(value: Any, *, canonical: bool = False, indent: int | None = 2) -> str:
    """Serialise to Extended JSON, relaxed unless ``canonical``, keeping key order."""
    return json_util.dumps(value, json_options=CANONICAL if canonical else RELAXED, indent=indent)


def _brief(node: dict[str, Any]) -> str:
    return clip(json_util.dumps(node), 60)
