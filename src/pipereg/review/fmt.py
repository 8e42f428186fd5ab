"""One canonical layout for pipeline files: JSON text in, JSON text out, the value untouched.

The layout, two-space indented:

- an object or array stays on one line when that line fits in 100 columns and the value nests at
  most four levels (``{"$match": {"status": {"$in": ["paid", "shipped"]}}}``); otherwise it
  opens, one member or item per line, each laid out by the same rule;
- a stage document that opens opens its operator's document too (``{`` / ``"$lookup": {`` /
  its fields), rather than leaving a one-line body between two lines of braces;
- the stages of a pipeline, of a fragment, of a ``$facet`` branch and of a ``$lookup`` or
  ``$unionWith`` sub-pipeline are always one per block, whatever their length;
- a non-empty top-level object or array always opens.

The layout depends on the value alone: whatever the input's layout, the same value comes out
the same, and formatting the output again changes nothing.

Only whitespace changes. Keys keep their order (it matters in ``$sort`` and in stage documents),
numbers keep their spelling (``1.0``, ``1e3``, ``-0`` and integers of any size stay as written),
Extended JSON wrappers (``{"$date": ...}``) are plain objects here and stay as they are. Strings
keep their value and are written with one canonical spelling: characters as UTF-8, except that
quotes, backslashes, control characters and invisible characters (zero-width and bidirectional
controls, spaces other than U+0020, see ``_INVISIBLE``) are escaped, so that what a reviewer sees
is what the query matches. The line ending of the input's first line (LF or CRLF) is kept; the
output ends with one line ending, in UTF-8 without a byte-order mark.

A document is formatted only if :func:`pipereg.jsontext.parse.parse_json` accepts it and it holds no
number BSON cannot hold (an integer past 64 bits, a double that overflows to infinity), so fmt
refuses exactly what lint refuses as not JSON (PR001, PR002, PR050), with the same located
problems. It needs nothing more: a file that fails the schema or the semantic rules is still
formatted.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pipereg import codes
from pipereg.bson_limits import NESTING_LIMIT, fits_int64
from pipereg.errors import PipelineLoadError, Problem
from pipereg.jsontext.parse import (
    JsonPath,
    ParseFailure,
    Positions,
    decode_text,
    format_json_path,
    parse_json,
)

WIDTH = 100
# Deeper than this, a one-line form is hard to read even when it fits (an `$expr` with `$and` of
# comparisons); four levels keep short stages such as `{"$match": {"a": {"$in": [1, 2]}}}` whole.
MAX_INLINE_DEPTH = 4
BOM = b"\xef\xbb\xbf"
_INDENT = "  "

# Escaped in strings besides quotes, backslashes and control characters: characters that show as
# nothing or as a plain space, so a lookalike never hides in a diff (zero-width spaces and joiners,
# bidirectional controls as in "Trojan Source", no-break and other spaces, the BOM, Unicode tags),
# that is Unicode's default-ignorable code points (but the variation selectors, U+FE00-U+FE0F and
# U+E0100-U+E01EF, which emoji and ideographs need), blanks such as the braille blank U+2800, and
# private-use characters, which show as whatever a font makes of them, often nothing.
# A fixed list, not Unicode categories: the output must not change with Python's Unicode version.
_INVISIBLE = (
    "\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f"
    "\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ue000-\uf8ff\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e00ff\U000e01f0-\U000e0fff"
    "\U000f0000-\U0010ffff"
)
_ESCAPED = re.compile(f'["\\\\\x00-\x1f\x7f-\x9f{_INVISIBLE}]')
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


class _Object(list[tuple[str, Any]]):
    """A JSON object's members, in file order."""

    __slots__ = ()


class _Number(str):
    """A JSON number as spelled in the file."""

    __slots__ = ()


# Numbers are kept as their text: json hands parse_int and parse_float the literal.
_READER = json.JSONDecoder(object_pairs_hook=_Object, parse_int=_Number, parse_float=_Number)

# Where a container stands, for the rule that stage lists always open.
_OTHER, _ROOT, _SECTION, _ENTRY, _STAGES, _STAGE, _FACET, _SUB = range(8)
# Top-level members whose entries hold stage lists: pipelines, and fragments (issue 6).
_SECTIONS = frozenset({"pipelines", "fragments"})


def format_text(
    text: str, path: str = "<text>", *, width: int = WIDTH, stage_list: bool = False
) -> str:
    """Lay out a JSON document canonically; the value, key order and number spelling unchanged.

    Args:
        text: The document (a ``str``: decoding is :func:`format_bytes`'s job).
        path: The file name that problems are reported under.
        width: Columns a one-line object or array may take, indentation included.
        stage_list: The document is a list of stages on its own (as ``pipereg docs`` shows
            them), laid out as a pipeline's ``stages`` are in a file: one stage per block.

    Returns:
        The canonical text, ending with one line ending (CRLF if the input's first line ends
        with one, else LF).

    Raises:
        PipelineLoadError: the text is not a strict JSON document (PR001, PR002, PR050), or is
            nested more than 100 levels deep (PR051); its problems are located as lint's are.
    """
    try:
        value = parse_json(text, path)  # refuses what lint refuses, with the same located problems
    except ParseFailure as failure:
        raise PipelineLoadError(failure.problems) from failure
    _reject_numbers(value, text, path)
    document = _READER.decode(text)
    layout = _Layout(width)
    try:
        layout.measure(document, _STAGES if stage_list else _ROOT, 0)
    except _TooDeep as exc:
        deep = Positions(text).first("deep")
        at, (line, column) = deep if deep is not None else ((), (1, 1))
        message = f"nested more than {NESTING_LIMIT} levels deep (MongoDB's limit); not formatted"
        raise PipelineLoadError(
            [Problem(path, line, column, format_json_path(at), codes.TOO_DEEP, message)]
        ) from exc
    out: list[str] = []
    layout.write(document, 0, 0, 0, out)
    first = text.find("\n")
    newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    formatted = "".join(out) + "\n"
    return formatted if newline == "\n" else formatted.replace("\n", newline)


# BSON's integer range: a larger integer literal is one no document can hold.


def _reject_numbers(document: Any, text: str, path: str) -> None:
    """Refuse numbers BSON cannot hold (PR050), located and worded as lint reports them.

    parse_json reads ``1e400`` as infinity and any 64-bit overflow as a Python int; lint finds
    them later, when it compiles stages. fmt must refuse the same files, or it would rewrite a
    file that lint then rejects.
    """
    found: list[tuple[JsonPath, str]] = []
    todo: list[tuple[JsonPath, Any]] = [((), document)]
    while todo:
        at, node = todo.pop()
        if isinstance(node, dict):
            todo.extend(((*at, key), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            todo.extend(((*at, i), value) for i, value in reversed(list(enumerate(node))))
        elif type(node) is int and not fits_int64(node):
            found.append((at, f"{node} does not fit a 64-bit integer"))
        elif type(node) is float and not math.isfinite(node):
            found.append((at, "a number too large for a double"))
    if found:
        places = Positions(text).locate_all(at for at, _ in found)
        raise PipelineLoadError(
            [
                Problem(path, line, column, format_json_path(at), codes.INVALID_LITERAL, message)
                for (at, message), (line, column) in zip(found, places, strict=True)
            ]
        )


def format_bytes(data: bytes, path: str = "<bytes>", *, width: int = WIDTH) -> bytes:
    """:func:`format_text` for a file's bytes: UTF-8 in, UTF-8 without a byte-order mark out.

    A UTF-8 byte-order mark is dropped (it carries no data, and lint refuses it); other encodings
    (UTF-16, UTF-32) are refused as lint refuses them (PR001), since re-encoding is not a layout
    change a reviewer would expect from a formatter.

    Raises:
        PipelineLoadError: as :func:`format_text`, or the bytes are not UTF-8 (PR001).
    """
    try:
        text = decode_text(data.removeprefix(BOM), path)
    except ParseFailure as failure:
        raise PipelineLoadError(failure.problems) from failure
    return format_text(text, path, width=width).encode("utf-8")


def quote(text: str) -> str:
    """A string as a JSON string literal in fmt's canonical spelling."""
    if _ESCAPED.search(text) is None:
        return f'"{text}"'
    return f'"{_ESCAPED.sub(_escape, text)}"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code > 0xFFFF:  # a Unicode tag or the like: JSON spells it as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value if isinstance(value, _Number) else quote(value)
    if value is None:
        return "null"
    return "true" if value else "false"


class _TooDeep(Exception):
    """The document nests deeper than :data:`~pipereg.bson_limits.NESTING_LIMIT`."""


class _Layout:
    """Measures the document once, then writes it in one pass.

    Linear time: a one-line form is built only for a container that could stand on one line
    (at most four levels deep and as wide as a line), from its children's, so each scalar's text
    is copied into at most four of them.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        # Per container, by id (the document outlives the layout): its one-line form, or None
        # when it must open wherever it stands.
        self.flat: dict[int, str | None] = {}
        self.stages: set[int] = set()  # stage documents, by id

    def measure(self, node: Any, role: int, level: int) -> tuple[str, int] | None:
        """``node``'s one-line form and how many levels it nests, if it could be used.

        Raises:
            _TooDeep: ``node`` holds a value more than 100 levels down (checked before the
                recursion goes deeper, so a deep document cannot exhaust the stack).
        """
        if level > NESTING_LIMIT:
            raise _TooDeep
        if not isinstance(node, list):
            return _scalar(node), 0
        if role == _STAGE:
            self.stages.add(id(node))
        parts: list[str] | None = [] if role not in (_ROOT, _STAGES) else None
        depth = 0
        if isinstance(node, _Object):
            for key, value in node:
                inner = self.measure(value, _role(role, key, value), level + 1)
                if inner is None or parts is None:
                    parts = None
                else:
                    parts.append(f"{quote(key)}: {inner[0]}")
                    depth = max(depth, inner[1])
        else:
            for item in node:
                inner = self.measure(item, _STAGE if role == _STAGES else _OTHER, level + 1)
                if inner is None or parts is None:
                    parts = None
                else:
                    parts.append(inner[0])
                    depth = max(depth, inner[1])
        flat = None
        if not node:
            flat = "{}" if isinstance(node, _Object) else "[]"
        elif parts is not None and depth < MAX_INLINE_DEPTH:
            text = ", ".join(parts)
            if len(text) + 2 <= self.width:
                flat = f"{{{text}}}" if isinstance(node, _Object) else f"[{text}]"
        self.flat[id(node)] = flat
        return None if flat is None else (flat, depth + 1)

    def write(self, node: Any, level: int, used: int, after: int, out: list[str]) -> None:
        """Append ``node`` to ``out``, laid out to fit the width.

        ``used`` columns of its first line are already taken (indentation and key), and
        ``after`` more (a comma) follow its last line.
        """
        if not isinstance(node, list):
            out.append(_scalar(node))
            return
        flat = self.flat[id(node)]
        if flat is not None and (not node or used + len(flat) + after <= self.width):
            out.append(flat)
        else:
            self.open(node, level, out)

    def open(self, node: list[Any], level: int, out: list[str]) -> None:
        """Append ``node`` (a non-empty container) one member or item per line."""
        pad = _INDENT * (level + 1)
        last = len(node) - 1
        if isinstance(node, _Object):
            out.append("{")
            for i, (key, value) in enumerate(node):
                name = quote(key)
                out.append(f"\n{pad}{name}: ")
                if last == 0 and id(node) in self.stages and isinstance(value, list) and value:
                    self.open(value, level + 1, out)  # a stage that opens opens its body
                else:
                    self.write(value, level + 1, len(pad) + len(name) + 2, int(i < last), out)
                if i < last:
                    out.append(",")
            out.append(f"\n{_INDENT * level}}}")
        else:
            out.append("[")
            for i, item in enumerate(node):
                out.append(f"\n{pad}")
                self.write(item, level + 1, len(pad), int(i < last), out)
                if i < last:
                    out.append(",")
            out.append(f"\n{_INDENT * level}]")


def _role(parent: int, key: str, value: Any) -> int:
    # The role of an object member's value, from its parent's role and its key.
    if parent == _ROOT and key in _SECTIONS:
        return _SECTION
    if parent == _SECTION:
        return _ENTRY
    if parent == _STAGE and key == "$facet":
        return _FACET
    if parent == _STAGE and key in ("$lookup", "$unionWith"):
        return _SUB
    stages = (parent == _ENTRY and key == "stages") or parent == _FACET
    if stages or (parent == _SUB and key == "pipeline"):
        return _STAGES if isinstance(value, list) and not isinstance(value, _Object) else _OTHER
    return _OTHER
