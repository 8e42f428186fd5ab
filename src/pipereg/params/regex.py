"""Regular expressions: declared ``pattern`` constraints, and parameter text escaped for a regex."""

from __future__ import annotations

import re

# PCRE reads a backslash before any character that is not a letter or digit as that character.
# re.escape puts one before every character special in a pattern (and only those, since 3.7),
# whitespace and # included, for the x option. Beyond that: MongoDB refuses a pattern holding NUL,
# so NUL is spelled \x00; and in PCRE's extended mode these Unicode characters are white space,
# ignored unless escaped.
_PCRE_EXTRA = str.maketrans(
    {"\x00": "\\x00", **{char: "\\" + char for char in "\x85\u200e\u200f\u2028\u2029"}}
)


def escape_regex(text: str) -> str:
    """A regular expression matching ``text`` literally, in Python's ``re`` and MongoDB's PCRE."""
    return re.escape(text).translate(_PCRE_EXTRA)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    r"""Compile a JSON Schema ``pattern`` with ECMA-262 meaning in Python's ``re``.

    ``$`` means end of text (Python's also matches before a final newline), and ``\d``, ``\w``,
    ``\s`` are ASCII classes, as in JSON Schema.

    Raises:
        re.error: the pattern cannot be compiled, whatever the reason: ``re`` also raises
            OverflowError for a huge repetition count, RecursionError for deep nesting and
            MemoryError for a pattern too large, and each must be a located problem, not a crash.
    """
    out = []
    in_class = False
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "$":
            out.append(r"\Z")
        else:
            out.append(char)
    try:
        return re.compile("".join(out), re.ASCII)
    except re.error:
        raise
    except RecursionError:
        raise re.error("nested too deeply to compile") from None
    except (OverflowError, MemoryError, ValueError) as exc:
        raise re.error(str(exc) or type(exc).__name__) from None
