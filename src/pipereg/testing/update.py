"""``pipereg test --update``: the actual results of cases written into their ``expect``.

Only the ``expect`` values change, so the change shows in review as the few lines that differ.
The new value is laid out as ``pipereg fmt`` lays it out at that place in a canonical file
(:mod:`pipereg.review.fmt`: a short document on one line, a long one opened), indented as the
``"expect"`` key is. A file in fmt's layout stays in it (a case written on one line opens when
its ``expect`` grows past the line); in a file laid out by hand, every byte around the new values
stays as it is. Values are written as relaxed
Extended JSON (``{"$date": ...}``, ``{"$oid": ...}``), which case files read. Writing the same
results again gives the same text, so a second run changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipereg.jsontext import extjson
from pipereg.jsontext.parse import Positions
from pipereg.review.fmt import format_text

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")
_INDENT = "  "
_CASE_DEPTH = 3  # "expect" is a member of a case, of "cases", of the document


def update_expectations(text: str, results: Mapping[str, Sequence[Any]]) -> str:
    """``text`` (a case file) with each named case's ``expect`` replaced by its results.

    Args:
        text: The case file's text, as read (it has been loaded, so it is valid JSON).
        results: Case name -> the documents it returned.

    Returns:
        The new text; ``text`` itself when every ``expect`` already reads as the results do.
    """
    names = list(results)
    places = Positions(text).locate_all(("cases", name, "expect") for name in names)
    starts = [0, *(match.end() for match in re.finditer(r"\r\n|\r|\n", text))]
    spans = []
    for name, (line, column) in zip(names, places, strict=True):
        key = starts[line - 1] + column - 1
        start, end = _value_span(text, key)
        if json.loads(text[start:end]) == json.loads(extjson.dumps(list(results[name]))):
            continue  # already says exactly this: its layout is left as it is
        before = text[starts[line - 1] : key]
        indent = before[: len(before) - len(before.lstrip())]
        if before.strip():  # the key is not first on its line: its members go one level in
            indent += _INDENT
        followed = text[_SPACE.match(text, end).end()] == ","  # type: ignore[union-attr]
        newline = "\r\n" if "\r\n" in text else "\n"
        new = _layout(results[name], followed, indent, newline)
        spans.append((start, end, new))
    canonical = format_text(text) == text
    updated = text
    for start, end, new in sorted(spans, reverse=True):
        updated = updated[:start] + new + updated[end:]
    # A canonical file stays canonical (a case on one line opens when its expect grows); any
    # other layout is the author's, kept around the new values.
    return format_text(updated) if canonical else updated


def _value_span(text: str, key: int) -> tuple[int, int]:
    """Start and end of the value of the object member whose key starts at ``key``."""
    _, after_key = _DECODER.raw_decode(text, key)
    colon = _SPACE.match(text, after_key).end()  # type: ignore[union-attr]
    start = _SPACE.match(text, colon + 1).end()  # type: ignore[union-attr]
    _, end = _DECODER.raw_decode(text, start)
    return start, end


def _layout(documents: Sequence[Any], followed: bool, indent: str, newline: str) -> str:
    """The results as fmt writes an ``expect`` value in a canonical case file."""
    value = extjson.dumps(list(documents), indent=None)
    # The same place in a canonical file: three levels down, a member after it if one follows.
    after = ', "order": 0' if followed else ""
    formatted = format_text(f'{{"cases": {{"c": {{"expect": {value}{after}}}}}}}')
    opening = formatted.index('"expect": ') + len('"expect": ')
    _, end = _DECODER.raw_decode(formatted, opening)
    lines = formatted[opening:end].split("\n")
    canonical = _INDENT * _CASE_DEPTH
    return newline.join([lines[0], *(indent + line.removeprefix(canonical) for line in lines[1:])])
