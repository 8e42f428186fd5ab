"""JSON text to Python values, strictly, with positions for error messages.

Parsing uses the standard library's C scanner on the fast path. Positions are only needed when a
file has a problem, so :class:`Positions` re-scans the text lazily, on the first lookup, and only
for such files.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pipereg.errors import Problem

# The C string scanner behind json.loads: public in the module, absent from typeshed.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

JsonPath = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_NUMBER_OR_LITERAL = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null|NaN|-?Infinity")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class ParseFailure(Exception):
    """The text is not a strict JSON document; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)
        self.problems = tuple(problems)


class _DuplicateKey(Exception):
    pass


def format_json_path(path: JsonPath) -> str:
    """Render a path as ``$.pipelines.daily.stages[2].$match`` (quoted where a key needs it)."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs_without_duplicates, parse_constant=_reject_constant
)


def decode_text(data: bytes, path: str) -> str:
    """Decode a file's bytes as UTF-8, rejecting byte-order marks and other encodings clearly."""

    def fail(message: str) -> ParseFailure:
        return ParseFailure([Problem(path, 1, 1, "", "PR001", message)])

    if data.startswith(b"\xef\xbb\xbf"):
        raise fail("file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("file is UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseFailure(
            [Problem(path, line, column, "", "PR001", f"not valid UTF-8 (byte {exc.start})")]
        ) from exc


def parse_json(text: str, path: str) -> Any:
    """Parse one strict JSON document: no duplicate keys, no NaN or Infinity.

    Raises:
        ParseFailure: with every duplicate key, or the first syntax error, located.
    """
    if not text.strip():
        raise ParseFailure([Problem(path, 1, 1, "", "PR001", "file is empty")])
    try:
        return _DECODER.decode(text)
    except _DuplicateKey:
        duplicates = Positions(text).duplicates
        problems = [
            Problem(path, line, col, format_json_path(at), "PR002", f"duplicate key {key!r}")
            for at, key, (line, col) in duplicates
        ]
        raise ParseFailure(
            problems or [Problem(path, 1, 1, "", "PR002", "duplicate key")]
        ) from None
    except json.JSONDecodeError as exc:
        raise ParseFailure(
            [Problem(path, exc.lineno, exc.colno, "", "PR001", f"invalid JSON: {exc.msg}")]
        ) from exc
    except ValueError as exc:  # NaN or Infinity, raised by _reject_constant
        raise ParseFailure([Problem(path, 1, 1, "", "PR001", f"invalid JSON: {exc}")]) from exc
    except RecursionError as exc:
        raise ParseFailure(
            [Problem(path, 1, 1, "", "PR001", "invalid JSON: nested too deeply")]
        ) from exc


class Positions:
    """Line and column of every key and value in a JSON text, computed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._index: dict[JsonPath, int] | None = None
        self._duplicates: list[tuple[JsonPath, str, int]] = []

    def _scan(self) -> dict[JsonPath, int]:
        if self._index is None:
            self._index = {}
            # A best effort: positions found before a failure are kept.
            with contextlib.suppress(ValueError, IndexError, RecursionError):
                self._value(0, ())
        return self._index

    @property
    def duplicates(self) -> list[tuple[JsonPath, str, tuple[int, int]]]:
        """Every repeated key: the object's path plus the key, the key, and its line and column."""
        self._scan()
        return [(at, key, self._line_col(pos)) for at, key, pos in self._duplicates]

    def locate(self, path: JsonPath) -> tuple[int, int]:
        """Line and column of ``path`` (its key, for object members), or of its nearest ancestor."""
        index = self._scan()
        for end in range(len(path), -1, -1):
            pos = index.get(path[:end])
            if pos is not None:
                return self._line_col(pos)
        return (1, 1)

    def _line_col(self, pos: int) -> tuple[int, int]:
        line = self._text.count("\n", 0, pos) + 1
        return line, pos - (self._text.rfind("\n", 0, pos) + 1) + 1

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self._text, pos)
        return match.end() if match else pos

    def _value(self, pos: int, path: JsonPath) -> int:
        text = self._text
        pos = self._skip(pos)
        index = self._index
        assert index is not None
        index.setdefault(path, pos)
        char = text[pos]
        if char == "{":
            return self._object(pos + 1, path)
        if char == "[":
            return self._array(pos + 1, path)
        if char == '"':
            return scanstring(text, pos + 1)[1]
        match = _NUMBER_OR_LITERAL.match(text, pos)
        if not match:
            raise ValueError(pos)
        return match.end()

    def _object(self, pos: int, path: JsonPath) -> int:
        text = self._text
        index = self._index
        assert index is not None
        seen: set[str] = set()
        pos = self._skip(pos)
        if text[pos] == "}":
            return pos + 1
        while True:
            pos = self._skip(pos)
            key_pos = pos
            key, pos = scanstring(text, pos + 1)
            if key in seen:
                self._duplicates.append(((*path, key), key, key_pos))
            seen.add(key)
            member = (*path, key)
            index[member] = key_pos
            pos = self._skip(pos)
            pos = self._skip(pos + 1)  # the colon
            pos = self._skip(self._value_at(pos, member))
            if text[pos] == "}":
                return pos + 1
            pos += 1  # the comma

    def _value_at(self, pos: int, path: JsonPath) -> int:
        # Members are indexed at their key; the value start must not overwrite that.
        index = self._index
        assert index is not None
        key_pos = index[path]
        end = self._value(pos, path)
        index[path] = key_pos
        return end

    def _array(self, pos: int, path: JsonPath) -> int:
        text = self._text
        pos = self._skip(pos)
        if text[pos] == "]":
            return pos + 1
        item = 0
        while True:
            pos = self._skip(self._value(pos, (*path, item)))
            if text[pos] == "]":
                return pos + 1
            pos += 1
            item += 1
