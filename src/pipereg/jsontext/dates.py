"""Date text: the one grammar that ``date`` parameters and ``{"$date": "..."}`` literals read.

RFC 3339 date-times and plain dates, on every Python version (``fromisoformat``'s grammar grew in
3.11): ``YYYY-MM-DD``, optionally ``THH:MM[:SS[.f{1,6}]]`` and ``Z`` or ``+HH:MM``. A time without
an offset, and a plain date, are UTC. Years run from 0001 to 9999, as Python's ``datetime`` does.

Used by :func:`pipereg.params.coerce.coerce` (``date`` parameters) and
:func:`pipereg.jsontext.extjson.literal` (``$date`` literals), so that a date a parameter takes
is a date a literal takes, and the reverse.
"""

from __future__ import annotations

import datetime
import re

_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?([Zz]|[+-]\d{2}:\d{2})?)?\Z",
    re.ASCII,  # \d would otherwise take any Unicode digit, which fromisoformat may refuse
)

# Python's datetime, and so every date pipereg renders, has years 1 to 9999 (BSON could hold more).
_LONG_YEAR = re.compile(r"[+-]?\d{5,}-\d{2}-\d{2}", re.ASCII)
_YEARS = "years run from 0001 to 9999"

UTC = datetime.timezone.utc


class DateTextError(ValueError):
    """Text that is not a date in pipereg's grammar; the message says why, without the text."""


def parse_date_text(text: str) -> datetime.datetime:
    """Read a date or date-time written as text, keeping its offset (or none if it had none).

    Raises:
        DateTextError: ``text`` is not in the grammar, or names a day that does not exist.
    """
    match = _DATE.match(text)
    if not match:
        if _LONG_YEAR.match(text):
            raise DateTextError(_YEARS)
        raise DateTextError("not an ISO-8601 date (such as 2024-03-01T10:00:00Z)")
    day, minutes, seconds, fraction, offset = match.groups()
    iso = day
    if minutes:
        iso += f"T{minutes}:{seconds or '00'}"
        if fraction:
            iso += "." + fraction.ljust(6, "0")  # 3.10 reads exactly 3 or 6 digits
        if offset:
            iso += "+00:00" if offset in ("Z", "z") else offset
    if day.startswith("0000"):
        raise DateTextError(_YEARS)
    try:
        return datetime.datetime.fromisoformat(iso)
    except ValueError as exc:
        raise DateTextError(f"not an ISO-8601 date: {exc}") from None


def date_in_utc(text: str) -> datetime.datetime:
    """Read date text as an aware UTC datetime: what BSON stores (a literal's reading).

    Raises:
        DateTextError: as :func:`parse_date_text`, or the date leaves years 1-9999 in UTC.
    """
    moment = parse_date_text(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DateTextError("out of range once converted to UTC") from None
