"""A caller's value as an exact builtin, read from its storage: the first step of every coercion.

A subclass of ``str``, ``int``, ``float``, ``list``, ``tuple``, ``dict`` or ``datetime`` can make
its methods say something other than what it holds (a ``__len__`` that hides items, a
``startswith`` that hides a ``$``, a ``__float__`` that returns NaN). Each function here returns
a value of the exact builtin type, built with the base type's own methods, so every later check
and the render see one value, and no method of the caller's object runs after a check. A value
already of the exact type is returned as it is.

Used by :mod:`pipereg.params.coerce` (the reference) and :mod:`pipereg.params.validator` (the
compiled fast path) alike.
"""

from __future__ import annotations

import datetime
from typing import Any

from pipereg.messages import describe, show
from pipereg.params.values import Invalid

UTC = datetime.timezone.utc
_DATE = datetime.date
_DATETIME = datetime.datetime


def plain_str(value: str) -> str:
    """The text a ``str`` (or subclass) holds, as a ``str``."""
    return value if type(value) is str else str.__str__(value)


def plain_int(value: int) -> int:
    """The number an ``int`` (or subclass, not ``bool``) holds, as an ``int``."""
    return value if type(value) is int else int.__int__(value)


def plain_float(value: float) -> float:
    """The number a ``float`` (or subclass) holds, as a ``float``."""
    return value if type(value) is float else float.__float__(value)


def plain_list(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    """The items a ``list`` or ``tuple`` (or subclass) holds, as a new ``list``."""
    if isinstance(value, list):
        return list.copy(value)
    # A slice of a tuple subclass is an exact tuple, read from storage.
    return list(tuple.__getitem__(value, slice(None)))


def plain_key(key: Any) -> Any:
    """A mapping key: the text of a ``str`` subclass as a ``str``; other keys unchanged."""
    return str.__str__(key) if isinstance(key, str) and type(key) is not str else key


def plain_date(value: datetime.date) -> datetime.datetime:
    """A ``date`` or ``datetime`` (or subclass) as an exact, UTC-aware ``datetime``.

    A naive value is UTC. The offset is asked of the value's ``tzinfo`` once, on an exact copy.

    Raises:
        Invalid: the time zone fails or gives no offset Python accepts, or the moment leaves
            years 1 to 9999 once converted to UTC.
    """
    if not isinstance(value, _DATETIME):
        return _DATETIME(_DATE.year.__get__(value), _DATE.month.__get__(value),
                         _DATE.day.__get__(value), tzinfo=UTC)  # fmt: skip
    zone = _DATETIME.tzinfo.__get__(value)
    if type(value) is _DATETIME:
        moment = value
    else:
        moment = _DATETIME(
            _DATE.year.__get__(value),
            _DATE.month.__get__(value),
            _DATE.day.__get__(value),
            _DATETIME.hour.__get__(value),
            _DATETIME.minute.__get__(value),
            _DATETIME.second.__get__(value),
            _DATETIME.microsecond.__get__(value),
            zone,
            fold=_DATETIME.fold.__get__(value),
        )
    if zone is None:
        return moment.replace(tzinfo=UTC)
    if zone is UTC:
        return moment
    try:
        offset = _DATETIME.utcoffset(moment)
    except Exception as exc:  # a caller's tzinfo: anything it raises is its value's fault
        raise Invalid(
            f"its time zone gives no offset ({type(exc).__name__}: {exc})",
            expected="date",
            actual=f"datetime with tzinfo {type(zone).__name__}",
        ) from None
    naive = moment.replace(tzinfo=None)
    if offset is None:  # a tzinfo that declines to say: the value is naive, so UTC
        return naive.replace(tzinfo=UTC)
    try:
        return (naive - offset).replace(tzinfo=UTC)
    except OverflowError:
        raise Invalid(
            f"{show(moment)} is out of range once converted to UTC",
            expected="date",
            actual=describe(moment),
        ) from None
