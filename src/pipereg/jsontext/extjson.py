"""MongoDB Extended JSON literals in pipeline files, and Extended JSON output.

Only the unambiguous Extended JSON v2 wrappers are literals, each read strictly by
:mod:`pipereg.jsontext.literals`. The legacy ``{"$regex": ..., "$options": ...}`` form is
deliberately not one: in a pipeline file it is the ``$regex`` query operator and must stay a
document (it may hold placeholders).

Besides literals, :func:`document_problems` finds what BSON cannot carry in a plain document:
NUL bytes in the places BSON writes as C strings (keys, regular expressions, namespaces), and
wrapper keys that share their object with other keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from bson import json_util
from bson.codec_options import CodecOptions
from bson.json_util import JSONOptions

from pipereg.jsontext.literals import CODE_WITH_SCOPE, READERS, REFUSED, ExtJsonError, quote

__all__ = [
    "CANONICAL",
    "CODEC_OPTIONS",
    "RELAXED",
    "WRAPPER_KEYS",
    "ExtJsonError",
    "document_problems",
    "dumps",
    "is_wrapper",
    "literal",
    "loads",
]

# A document with exactly one of these keys is a BSON literal (Extended JSON v2 wrappers), or
# one of the deprecated types pipereg refuses with a message (literals.REFUSED).
WRAPPER_KEYS: frozenset[str] = frozenset(READERS)

# Where a stage names a collection or database: BSON and the server take these as C strings.
_NAMESPACES: dict[str, tuple[str, ...]] = {
    "$lookup": ("from",),
    "$graphLookup": ("from",),
    "$unionWith": ("coll",),
    "$out": ("db", "coll"),
    "$merge": ("into", "db", "coll"),
}
# Operators whose regex and options members are a regular expression (a C string in BSON).
_REGEX_OPERATORS = frozenset({"$regexMatch", "$regexFind", "$regexFindAll"})

# Dates come back timezone-aware in UTC, like date parameters.
_INPUT_OPTIONS = JSONOptions(tz_aware=True, tzinfo=datetime.timezone.utc)
RELAXED = JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=True)
CANONICAL = JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)
CODEC_OPTIONS: CodecOptions[Any] = CodecOptions(tz_aware=True, tzinfo=datetime.timezone.utc)


def is_wrapper(node: dict[str, Any]) -> bool:
    """Whether ``node`` has exactly the keys of an Extended JSON literal."""
    return len(node) == 1 and next(iter(node)) in WRAPPER_KEYS


def literal(node: dict[str, Any]) -> Any:
    """Convert one Extended JSON wrapper document (see :func:`is_wrapper`) to its BSON value.

    Raises:
        ExtJsonError: the wrapper's content is not valid (``{"$oid": "xyz"}``), or its type is
            one pipereg refuses (``$code``, ``$symbol``, ``$dbPointer``, ``$undefined``); the
            message quotes the author's text and says what to write.
    """
    ((key, value),) = node.items()
    try:
        return READERS[key](value)
    except ExtJsonError as exc:
        if _mentions_placeholder(value):  # only on the error path: a literal is a constant
            raise ExtJsonError(
                f"{exc}; a placeholder cannot stand inside a literal: write the whole value as "
                f'"<<name>>" with a parameter of the type (such as "type": "date")'
            ) from None
        raise


def _mentions_placeholder(value: Any) -> bool:
    if type(value) is str:
        return "<<" in value
    if type(value) is dict:
        return any("<<" in key or _mentions_placeholder(item) for key, item in value.items())
    return type(value) is list and any(_mentions_placeholder(item) for item in value)


def document_problems(node: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """What BSON cannot carry in ``node``, a document that is not a wrapper (see is_wrapper).

    Yields:
        Pairs of where (a path relative to ``node``) and what: a key holding a NUL byte; a
        regular expression (``$regex``, ``$options``, ``regex`` and ``options`` of
        ``$regexMatch`` and kin) or a collection or database name holding one; wrapper keys
        beside other keys (``{"$date": ..., "at": 1}``).
    """
    if "\x00" in "".join(node):  # one scan in C: the key-by-key loop only for a NUL
        for key in node:
            if "\x00" in key:
                yield (key,), f"key {quote(key)} holds a NUL byte, which BSON keys cannot hold"
    wrappers = WRAPPER_KEYS.intersection(node)
    if wrappers:
        yield (), _mixed(node, wrappers)
    for key in ("$regex", "$options"):
        yield from _nul((key,), node.get(key), "a regular expression")
    for key in _REGEX_OPERATORS.intersection(node):
        body = node[key]
        if type(body) is dict:
            for member in ("regex", "options"):
                yield from _nul((key, member), body.get(member), "a regular expression")
    for key in _NAMESPACES.keys() & node.keys():
        yield from _namespace((key,), node[key], _NAMESPACES[key])


def _mixed(node: dict[str, Any], wrappers: frozenset[str]) -> str:
    if "$code" in node and set(node) == {"$code", "$scope"}:
        return CODE_WITH_SCOPE
    refused = sorted(wrappers.intersection(REFUSED))
    if refused:  # {"$symbol": "a", "x": 1}: what to write matters more than the other key
        return REFUSED[refused[0]]
    if set(node) == {"$binary", "$type"}:
        return (
            'legacy {"$binary": ..., "$type": ...} is not read; write '
            '{"$binary": {"base64": "...", "subType": "00"}}'
        )
    keys = ", ".join(sorted(wrappers))
    return f"Extended JSON {keys} must be the only key of its object"


def _nul(where: tuple[str, ...], value: Any, what: str) -> Iterator[tuple[tuple[str, ...], str]]:
    if type(value) is str and "\x00" in value:
        yield where, f"{what} {quote(value)} holds a NUL byte, which BSON cannot carry there"


def _namespace(
    where: tuple[str, ...], value: Any, members: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str]]:
    yield from _nul(where, value, "a collection name")
    if type(value) is dict:
        for member in members:
            inner = value.get(member)
            if type(inner) is dict:  # $merge's into: {"db": ..., "coll": ...}
                yield from _namespace((*where, member), inner, ("db", "coll"))
            else:
                name = "a database name" if member == "db" else "a collection name"
                yield from _nul((*where, member), inner, name)


def loads(text: str) -> Any:
    """Parse JSON text that may hold Extended JSON (relaxed or canonical): data and CLI input.

    Read by ``bson.json_util``, more leniently than :func:`literal` reads a pipeline file's
    literals: parameter values read here are then checked by their declarations.
    """
    return json_util.loads(text, json_options=_INPUT_OPTIONS)


def dumps(value: Any, *, canonical: bool = False, indent: int | None = 2) -> str:
    """Serialise to Extended JSON, relaxed unless ``canonical``, keeping key order."""
    return json_util.dumps(value, json_options=CANONICAL if canonical else RELAXED, indent=indent)
