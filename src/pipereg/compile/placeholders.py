"""The placeholder grammar, written once: ``<<name>>``, the ``<<<<`` escape, parameter names.

A JSON string that is exactly ``<<name>>`` is a whole placeholder (the value keeps its type); a
string with text around placeholders embeds them as text; ``<<<<`` is a literal ``<<``; any other
``<<`` is malformed. A name is letters, digits and ``_``, not starting with a digit: the JSON
Schema's pattern for parameter names is :data:`NAME_PATTERN` too (``tests/compile/
test_placeholders.py`` fails if they part). The template compiler, the load's text prefilter and
the fragment walk all read strings with :func:`tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, NamedTuple

NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_]*"
"""A parameter's (and a pipeline's, and a fragment's) name."""

OPEN: Final = "<<"
CLOSE: Final = ">>"
ESCAPE: Final = "<<<<"
"""How a literal ``<<`` is written."""

NAME: Final = re.compile(NAME_PATTERN + r"\Z")
WHOLE: Final = re.compile(OPEN + "(" + NAME_PATTERN + ")" + CLOSE + r"\Z")
"""A string that is one placeholder; group 1 is the name."""

WHOLE_JSON_STRING: Final = re.compile('"' + OPEN + "(" + NAME_PATTERN + ")" + CLOSE + '"(:?)')
"""In compact JSON text, from its opening quote: a whole-placeholder string, and the colon after
it if it is an object key."""

TOKEN: Final = re.compile(re.escape(ESCAPE) + "|" + OPEN + "(" + NAME_PATTERN + ")" + CLOSE)
"""An escape, or a well-formed placeholder (group 1 the name), for substitution with ``sub``."""


class Token(NamedTuple):
    """One piece of a string, as :func:`tokens` reads it.

    Attributes:
        text: Literal text (an escape already turned into ``<<``), or ``""`` for a placeholder.
        name: The placeholder's name, or ``None`` for literal text.
        error: For a malformed ``<<``, what is wrong (then ``text`` and ``name`` are empty).
    """

    text: str
    name: str | None = None
    error: str | None = None


def tokens(text: str) -> Iterator[Token]:
    """Read a string into literal text and placeholders, stopping at the first malformed one."""
    pos = 0
    while True:
        start = text.find(OPEN, pos)
        if start < 0:
            if pos < len(text):
                yield Token(text[pos:])
            return
        if start > pos:
            yield Token(text[pos:start])
        if text.startswith(ESCAPE, start):
            yield Token(OPEN)
            pos = start + len(ESCAPE)
            continue
        end = text.find(CLOSE, start + len(OPEN))
        if end < 0:
            yield Token("", error=f"unclosed placeholder in {text!r} (write <<<< for a literal <<)")
            return
        name = text[start + len(OPEN) : end]
        if not NAME.match(name):
            yield Token(
                "",
                error=f"invalid placeholder <<{name}>>: a name is letters, digits and _, "
                "not starting with a digit (write <<<< for a literal <<)",
            )
            return
        yield Token("", name)
        pos = end + len(CLOSE)
