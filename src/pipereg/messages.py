"""How values and names appear in messages: clipped, described, pluralised, with a did-you-mean.

Every message that quotes a caller's or an author's value goes through :func:`show` (or
:func:`clip`), so a megabyte string or a 5,000-digit integer never becomes the message.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

# What a terminal or a CI log reads as more than text: line breaks (a file name holding "\n::error"
# forges a GitHub annotation, or a lint line), escape sequences (ESC repaints the terminal), and
# bidirectional overrides (which reorder what a reviewer sees). Backslashes stay as they are, so
# Windows paths read as written.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control character spelled as an escape (``\\n``, ``\\x1b``, ``\\u202e``).

    Every line pipereg prints that quotes a path, a key or a message passes through this, so
    one problem is one line whatever the file names hold. Text without control characters is
    returned unchanged, and applying it twice changes nothing more.
    """
    if _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(_spelled, text)


def _spelled(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters with ``...``, for quoting values in messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# The did-you-mean search is bounded, because the word may come from a request (an unknown
# pipeline key) and difflib costs about 35 us per close candidate: 10,000 similar keys cost 0.4 s
# a call. No name is this long by mistake.
MAX_WORD = 256
# At most this many candidates are compared with difflib; see suggestions().
MAX_COMPARED = 500
_CUTOFF = 0.6


def suggestions(word: str, candidates: Iterable[str], n: int = 3) -> tuple[str, ...]:
    """The ``n`` candidates closest to ``word``, closest first (none if none is close).

    The work is bounded whatever the input. A word longer than :data:`MAX_WORD` gets none.
    Past :data:`MAX_COMPARED` candidates, only those whose length allows a match are kept
    (lossless: difflib's ratio is at most ``2 * shorter / (sum of lengths)``); if too many
    remain and the names are dotted (``module.name``), only the word's own module, or the modules
    closest to it, are searched; if that still leaves too many, no suggestion is made.
    """
    import difflib  # noqa: PLC0415 - only an error message needs it (start-up cost)

    if not isinstance(word, str) or len(word) > MAX_WORD:
        return ()
    pool = candidates if isinstance(candidates, list) else list(candidates)
    if len(pool) > MAX_COMPARED:
        pool = _narrowed(word, pool, n)
    return tuple(difflib.get_close_matches(word, pool, n=n, cutoff=_CUTOFF))


def _narrowed(word: str, pool: list[str], n: int) -> list[str]:
    # At most MAX_COMPARED candidates worth comparing with word (see suggestions).
    low = len(word) * _CUTOFF / (2 - _CUTOFF)
    high = len(word) * (2 - _CUTOFF) / _CUTOFF
    pool = [c for c in pool if low <= len(c) <= high]
    if len(pool) <= MAX_COMPARED:
        return pool
    module, dot, _ = word.rpartition(".")
    if dot:
        groups: dict[str, list[str]] = {}
        for candidate in pool:
            groups.setdefault(candidate.rpartition(".")[0], []).append(candidate)
        if len(groups) > 1:
            near = [module] if module in groups else list(suggestions(module, list(groups), n))
            pool = [c for name in near for c in groups[name]]
    if len(pool) <= MAX_COMPARED:
        return pool
    # Still too many: keep those that share the most distinct characters with the word, and
    # are closest in length (set intersection runs in C; a typo keeps most characters).
    import heapq  # noqa: PLC0415 - rarely reached

    letters = set(word)
    return heapq.nsmallest(
        MAX_COMPARED, pool, key=lambda c: (-len(letters.intersection(c)), abs(len(c) - len(word)))
    )


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = suggestions(word, candidates, 1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe(value: Any) -> str:
    """A short description of a value for error messages: its type and a clipped repr."""
    return f"{type(value).__name__} {show(value)}"


def show(value: Any) -> str:
    """A value as it may appear in a message: clipped, and never failing."""
    # An integer past a few thousand digits has no repr at all (sys.get_int_max_str_digits).
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<{'a negative' if value < 0 else 'an'} integer of {value.bit_length()} bits>"
    try:
        if isinstance(value, datetime.datetime):
            return value.isoformat()  # calls its tzinfo, which may fail
        text = repr(value)
    except Exception:  # a caller's value must not replace the error it is in
        # Such as a huge integer inside a list, or nesting past the recursion limit.
        return f"<{type(value).__name__} without a repr>"
    return clip(text)


def driver_error(exc: BaseException) -> str:
    """A driver or engine error in one line, with its notes, without the server's raw reply.

    PyMongo's ``OperationFailure`` text ends with the whole reply (``full error: {...,
    '$clusterTime': {'signature': ...}}``): cluster times and signatures mean nothing to the
    reader and are not theirs to see, so only the server's message and code are kept.
    """
    details = getattr(exc, "details", None)
    message = str(exc)
    if isinstance(details, dict) and isinstance(details.get("errmsg"), str):
        message = details["errmsg"]
        code = details.get("code")
        if code is not None:
            name = details.get("codeName")
            message += f" (code {code}{', ' + name if isinstance(name, str) else ''})"
    else:
        message = message.split(", full error: ", 1)[0]
    notes = " ".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {message} {notes}".rstrip()
