"""How values and names appear in messages: clipped, described, pluralised, with a did-you-mean.

Every message that quotes a caller's or an author's value goes through :func:`show` (or
:func:`clip`), so a megabyte string or a 5,000-digit integer never becomes the message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any


def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters with ``...``, for quoting values in messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggestions(word: str, candidates: Iterable[str], n: int = 3) -> tuple[str, ...]:
    """The ``n`` candidates closest to ``word``, closest first (none if none is close)."""
    import difflib  # noqa: PLC0415 - only when a name is wrong; every command imports this module

    return tuple(difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.6))


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
