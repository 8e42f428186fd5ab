"""JSON text to Python values, strictly, with positions for error messages.

Parsing uses the standard library's C scanner on the fast path. Positions are only needed when a
file has a problem, so :class:`Positions` re-scans the text lazily, and only for such files. The
re-scan is iterative and keeps no index of the whole document: a hostile file (thousands of levels
deep, millions of keys) costs time linear in its size and memory linear in its depth.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipereg import codes
from pipereg.bson_limits import NESTING_LIMIT
from pipereg.errors import Problem
from pipereg.jsontext.compact import Encoding, encode_file

# compact is re-exported: other modules have always imported it from here.
from pipereg.jsontext.compact import compact as compact  # noqa: PLC0414
from pipereg.messages import clip

# The C string scanner behind json.loads: public in the module, absent from typeshed.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

JsonPath = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_NUMBER_OR_LITERAL = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null|NaN|-?Infinity")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NEWLINE = re.compile(r"\n")
# An escape that may decode to half of a UTF-16 surrogate pair; json keeps an unpaired one as is.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The re-scan stops below this depth: nothing there can be located more usefully than its
# ancestors, and stopping keeps a file nested millions of levels deep from costing memory.
_SCAN_DEPTH = 1000
# Longest key shown whole in a JSON path.
_KEY_SHOWN = 100
# Python refuses to read longer integers (sys.set_int_max_str_digits); 0 means no limit.
_INT_DIGITS: int = getattr(sys, "get_int_max_str_digits", lambda: 0)()


class ParseFailure(Exception):
    """The text is not a strict JSON document; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)
        self.problems = tuple(problems)


class _DuplicateKey(Exception):
    pass


def format_json_path(path: JsonPath) -> str:
    """Render a path as ``$.pipelines.daily.stages[2].$match`` (quoted where a key needs it).

    A key longer than 100 characters is cut short with ``...``; a key that is not valid Unicode
    (an unpaired surrogate) is shown escaped.
    """
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{clip(part, _KEY_SHOWN)}")
        else:
            ascii_only = _SURROGATE.search(part) is not None
            out.append(f"[{json.dumps(clip(part, _KEY_SHOWN), ensure_ascii=ascii_only)}]")
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
# The same without the duplicate-key hook, a Python call per object: the C scanner alone.
_FAST_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# An escaped colon in the source, which decodes to a colon that the source's count misses.
_COLON_ESCAPE = re.compile(r"\\u003[aA]")


def decode_text(data: bytes, path: str) -> str:
    """Decode a file's bytes as UTF-8, rejecting byte-order marks and other encodings clearly."""

    def fail(message: str, at: int = 0) -> ParseFailure:
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        return ParseFailure([Problem(path, line, column, "", codes.NOT_JSON, message)])

    if data.startswith(b"\xef\xbb\xbf"):
        raise fail("file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise fail("file is UTF-32; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("file is UTF-16; save it as UTF-8")
    # JSON text never holds a raw NUL (strings escape it as \u0000), so one means a binary file
    # or a UTF-16/32 file without a byte-order mark; saying so beats "Expecting value".
    nul = data.find(b"\x00")
    if nul >= 0:
        raise fail(f"NUL byte at byte {nul}: a binary file, or UTF-16 or UTF-32 text?", nul)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        hint = "; a binary file?" if exc.start == 0 else ""
        raise fail(f"not valid UTF-8 (byte {exc.start} is 0x{byte:02x}){hint}", exc.start) from exc


def parse_json(text: str, path: str) -> Any:
    """Parse one strict JSON document: no duplicate keys, no NaN or Infinity, valid Unicode.

    Raises:
        ParseFailure: with every duplicate key, or the first syntax error, located.
    """
    return parse_document(text, path).document


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed pipeline file, with each pipeline's stages and declarations as compact JSON text.

    Attributes:
        document: The parsed document.
        encoded: Per pipeline name and ``"stages"`` or ``"params"``: the parsed object, and the
            compact JSON text (:data:`compact`) of each stage or declaration, for
            stages in a list and declarations in an object. Use :meth:`texts` to read them.
        items: Those stages and declarations in one compact text (with markers between them).
        outline: The rest of the document as compact text (``""`` when there are no texts).
        escapes: Whether the text holds a ``\\u`` escape.
        numbers_fit: Whether every number in ``items`` and ``outline`` is finite and fits
            BSON (see :class:`~pipereg.jsontext.compact.Encoding`).
    """

    document: Any
    encoded: dict[tuple[str, str], tuple[Any, list[str]]]
    items: str = ""
    outline: str = ""
    escapes: bool = False
    numbers_fit: bool = False

    def texts(self, name: str, field: str, value: Any) -> list[str] | None:
        """Each item of pipeline ``name``'s ``field`` as compact JSON text, if ``value`` is it.

        ``field`` is ``"stages"`` (each stage) or ``"params"`` (each declaration, in order).
        ``None`` for a pipeline without texts, or for another object than the one parsed (stages
        expanded after parsing, say).
        """
        known = self.encoded.get((name, field))
        return known[1] if known is not None and known[0] is value else None


def parse_document(text: str, path: str) -> Parsed:
    """Parse one pipeline file as :func:`parse_json` does, encoding stages and declarations.

    Duplicate keys are found without a Python call per object. In valid JSON every colon
    outside strings separates a key from its value, and strings keep their colons through
    parsing; so, in a text without ``\\u003a`` escapes, a compact re-encoding of the parsed
    document has as many colons as the text unless a key was repeated (each member a repeated
    key drops takes at least its own colon with it). The re-encoding is the one the rules read
    the stages from. Only a file whose counts differ is parsed again to locate its duplicates.

    Raises:
        ParseFailure: with every duplicate key, or the first syntax error, located.
    """
    document = _decode(text, path, _FAST_DECODER)
    try:
        encoding = encode_file(document, text)
    except RecursionError:  # nested past what the encoder takes: the slow parse tells
        encoding = Encoding(-1, {})
    # Most files have no \u escape: two regular expressions spared. A backslash is a one-byte
    # search, several times faster than one for "\u" over text full of u's.
    escapes = "\\" in text and "\\u" in text
    if encoding.colons != text.count(":") or (escapes and _COLON_ESCAPE.search(text) is not None):
        document = _decode(text, path, _DECODER)
    if escapes and _SURROGATE_ESCAPE.search(text):
        _reject_surrogates(document, text, path)
    return Parsed(
        document, encoding.texts, encoding.items, encoding.outline, escapes, encoding.numbers_fit
    )


def _decode(text: str, path: str, decoder: json.JSONDecoder) -> Any:
    def located(code: str, kind: str, message: str) -> ParseFailure:
        first = Positions(text).first(kind)
        if first is None:
            return ParseFailure([Problem(path, 1, 1, "", code, message)])
        at, (line, column) = first
        return ParseFailure([Problem(path, line, column, format_json_path(at), code, message)])

    if not text.strip():
        raise ParseFailure([Problem(path, 1, 1, "", codes.NOT_JSON, "file is empty")])
    try:
        return decoder.decode(text)
    except _DuplicateKey:
        duplicates = Positions(text).duplicates
        problems = [
            Problem(
                path, line, col, format_json_path(at), codes.DUPLICATE_KEY, f"duplicate key {key!r}"
            )
            for at, key, (line, col) in duplicates
        ]
        raise ParseFailure(
            problems or [Problem(path, 1, 1, "", codes.DUPLICATE_KEY, "duplicate key")]
        ) from None
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg}{_shell_hint(text, exc.pos)}"
        raise ParseFailure(
            [Problem(path, exc.lineno, exc.colno, "", codes.NOT_JSON, message)]
        ) from exc
    except RecursionError as exc:
        raise located(
            codes.NOT_JSON,
            "deep",
            f"nested too deeply to parse (more than {NESTING_LIMIT} levels here; "
            f"MongoDB allows {NESTING_LIMIT})",
        ) from exc
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python refuses to read a huge integer
            raise located(
                codes.INVALID_LITERAL,
                "integer",
                f"an integer of more than {_INT_DIGITS} digits; BSON holds 64-bit integers",
            ) from exc
        # NaN or Infinity, raised by _reject_constant
        raise located(codes.NOT_JSON, "constant", f"invalid JSON: {exc}") from exc


# A node's place as its key or index and its parent's place: paths without copying prefixes.
_Link = tuple[str | int, Any] | None


def _reject_surrogates(document: Any, text: str, path: str) -> None:
    # "\ud800" alone is valid JSON syntax but not Unicode: UTF-8 (hence BSON, and the schema
    # validator) cannot encode it, so it would fail far from the file. Refuse it here, located.
    # Each node links to its parent; a path is only spelled out for a string that is refused.
    found: list[JsonPath] = []

    def spell(link: _Link) -> JsonPath:
        parts: list[str | int] = []
        while link is not None:
            parts.append(link[0])
            link = link[1]
        return tuple(reversed(parts))

    stack: list[tuple[Any, _Link]] = [(document, None)]
    while stack:
        node, link = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                found.append(spell(link))
        elif isinstance(node, dict):
            for key, value in node.items():
                if _SURROGATE.search(key):
                    found.append(spell((key, link)))
                stack.append((value, (key, link)))
        elif isinstance(node, list):
            stack.extend((item, (i, link)) for i, item in enumerate(node))
    if found:
        message = "an unpaired UTF-16 surrogate escape (\\ud800-\\udfff) is not valid Unicode"
        problems = [
            Problem(path, line, column, format_json_path(at), codes.NOT_JSON, message)
            for at, (line, column) in zip(found, Positions(text).locate_all(found), strict=True)
        ]
        raise ParseFailure(sorted(set(problems), key=lambda p: (p.line, p.column)))


class _Target:
    """A node of the tree of paths to locate: its children, and where it was found."""

    __slots__ = ("children", "pos")

    def __init__(self) -> None:
        self.children: dict[str | int, _Target] = {}
        self.pos = -1


class Positions:
    """Line and column of keys and values in a JSON text, found by re-scanning it on demand."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts: list[int] | None = None
        self._scan: _Scan | None = None

    @property
    def duplicates(self) -> list[tuple[JsonPath, str, tuple[int, int]]]:
        """Every repeated key: the object's path plus the key, the key, and its line and column."""
        scan = self._full_scan()
        return [(at, key, self._line_col(pos)) for at, key, pos in scan.duplicates]

    def first(self, kind: str) -> tuple[JsonPath, tuple[int, int]] | None:
        """Path, line and column of the first value of a kind, if any.

        Kinds: ``"deep"`` (nested more than 100 levels), ``"constant"`` (``NaN`` or
        ``Infinity``), ``"integer"`` (more digits than Python reads).
        """
        found = self._full_scan().firsts.get(kind)
        return None if found is None else (found[0], self._line_col(found[1]))

    def locate(self, path: JsonPath) -> tuple[int, int]:
        """Line and column of ``path`` (its key, for object members), or of its nearest ancestor.

        Each call re-scans the text: use :meth:`locate_all` for many paths.
        """
        return self.locate_all([path])[0]

    def locate_all(self, paths: Iterable[JsonPath]) -> list[tuple[int, int]]:
        """:meth:`locate` for many paths, in one scan of the text."""
        root = _Target()
        routes: list[list[_Target]] = []
        for path in paths:
            node = root
            route = [node]
            for part in path:
                node = node.children.setdefault(part, _Target())
                route.append(node)
            routes.append(route)
        if routes:
            _Scan(self._text, root).run()
        located = []
        for route in routes:
            pos = next((node.pos for node in reversed(route) if node.pos >= 0), 0)
            located.append(self._line_col(pos))
        return located

    def _full_scan(self) -> _Scan:
        if self._scan is None:
            self._scan = _Scan(self._text, None)
            self._scan.run()
        return self._scan

    def _line_col(self, pos: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(self._text))]
        line = bisect_right(self._line_starts, pos)
        return line, pos - self._line_starts[line - 1] + 1


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


class _Scan:
    """One pass over a JSON text: the positions of wanted paths, repeated keys, notable values.

    Iterative on purpose: a recursive scan is what a deeply nested file breaks. A best effort:
    what was found before a syntax error, or above the depth cut, stands.
    """

    def __init__(self, text: str, root: _Target | None) -> None:
        self.text = text
        self.duplicates: list[tuple[JsonPath, str, int]] = []
        self.firsts: dict[str, tuple[JsonPath, int]] = {}
        self.route: list[str | int] = []  # keys and indexes down to the current value
        self.parents: list[_Target | None] = []  # per open container: its node, if wanted
        self.keys: list[set[str] | None] = []  # per open container: keys seen (None: array)
        self.target = root  # the current value's node, if wanted
        self.pos = 0
        self.key = 0  # where the current value is located: its key, for an object member

    def run(self) -> None:
        """Scan the whole text (or up to its first syntax error, or the depth cut)."""
        with contextlib.suppress(ValueError, IndexError):
            while True:
                entered = self._value()
                if entered is None or (not entered and not self._next()):
                    return

    def _value(self) -> bool | None:
        # At the start of a value: note it, then step into a container (True: a child value
        # comes next) or over a scalar or an empty container (False). None: stop here.
        text, route = self.text, self.route
        pos = self.pos = _skip(text, self.pos)
        if not self.parents or self.keys[-1] is None:
            self.key = pos  # not a member: located at the value itself
        if self.target is not None:
            self.target.pos = self.key
        if len(route) > NESTING_LIMIT and "deep" not in self.firsts:
            self.firsts["deep"] = (tuple(route), self.key)
        char = text[pos]
        if char == '"':
            self.pos = scanstring(text, pos + 1)[1]
        elif char in "{[":
            if len(route) >= _SCAN_DEPTH:
                return None
            self.pos = _skip(text, pos + 1)
            if text[self.pos] == ("}" if char == "{" else "]"):
                self.pos += 1
                return False
            self.parents.append(self.target)
            self.keys.append(set() if char == "{" else None)
            self._enter(0)
            return True
        else:
            match = _NUMBER_OR_LITERAL.match(text, pos)
            if match is None:
                return None
            self._note(match.group())
            self.pos = match.end()
        return False

    def _next(self) -> bool:
        # After a value: move to the next member or item, closing containers on the way.
        text = self.text
        while self.parents:
            self.pos = _skip(text, self.pos)
            char = text[self.pos]
            if char == ",":
                self.pos = _skip(text, self.pos + 1)
                last = self.route.pop()
                self._enter(int(last) + 1 if self.keys[-1] is None else 0)
                return True
            if char not in "}]":
                return False
            self.parents.pop()
            self.keys.pop()
            self.route.pop()
            self.pos += 1
        return False  # the top-level value ended

    def _enter(self, index: int) -> None:
        # Step to the next child of the innermost container: item ``index``, or the member
        # whose key starts at self.pos.
        parent, seen = self.parents[-1], self.keys[-1]
        if seen is None:
            self.route.append(index)
            self.target = None if parent is None else parent.children.get(index)
            return
        text, pos = self.text, self.pos
        key, end = scanstring(text, pos + 1)
        if key in seen:
            self.duplicates.append(((*self.route, key), key, pos))
        seen.add(key)
        self.route.append(key)
        self.target = None if parent is None else parent.children.get(key)
        self.key = pos
        end = _skip(text, end)
        if text[end] != ":":
            raise ValueError(end)
        self.pos = end + 1

    def _note(self, token: str) -> None:
        if token in ("NaN", "Infinity", "-Infinity"):
            self.firsts.setdefault("constant", (tuple(self.route), self.key))
        elif _INT_DIGITS and len(token) > _INT_DIGITS and token.lstrip("-").isdigit():
            self.firsts.setdefault("integer", (tuple(self.route), self.key))


# mongosh and mongo shell constructors people paste from the shell, and the Extended JSON
# literal to write instead.
_SHELL = re.compile(
    r"(?:new\s+)?(ISODate|Date|ObjectId|NumberLong|NumberInt|NumberDecimal|Timestamp)\s*\("
    r"\s*(?:\"([^\"\\]*)\"|'([^'\\]*)'|([0-9.+-]*))"
)
_INSTEAD = {
    "ISODate": '{{"$date": "{0}"}}',
    "Date": '{{"$date": "{0}"}}',
    "ObjectId": '{{"$oid": "{0}"}}',
    "NumberLong": '{{"$numberLong": "{0}"}}',
    "NumberInt": '{{"$numberInt": "{0}"}}',
    "NumberDecimal": '{{"$numberDecimal": "{0}"}}',
    "Timestamp": '{{"$timestamp": {{"t": <seconds>, "i": <increment>}}}}',
}


def _shell_hint(text: str, position: int) -> str:
    # "ISODate("2024-03-01")" is shell syntax, not JSON: quote it and say what to write.
    found = _SHELL.match(text, position)
    if found is None:
        return ""
    name = found.group(1)
    value = next((g for g in found.groups()[1:] if g), "...")
    written = clip(text[position : text.find(")", position) + 1] or found.group(0), 60)
    return (
        f"; {written} is shell syntax, not JSON: write the Extended JSON "
        f"{_INSTEAD[name].format(value)}"
    )
