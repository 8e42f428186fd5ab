"""Expected against actual results: one canonical form for both, and a readable difference.

Results are compared the way a test author means them, the same on every engine:

- numbers compare by value across int32, int64 and double (``1``, ``Int64(1)`` and ``1.0`` are
  equal), because JSON cannot say which one an expectation means and engines differ (mongomock's
  ``$trunc`` gives an int where MongoDB gives a double); ``Decimal128`` equals only a decimal of
  the same value (``"1.50"`` equals ``"1.5"``), never a binary number, and ``true`` never ``1``;
- dates compare as instants at BSON's millisecond precision (naive ones are UTC);
- documents compare without regard to key order (engines order ``$project`` output
  differently); arrays compare in order.

Every other value (strings, ObjectIds, null, binary...) compares by type and value.
"""

from __future__ import annotations

import datetime
import difflib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from pipereg.bson_limits import fits_int64
from pipereg.jsontext import extjson

EXACT = "exact"
UNORDERED = "unordered"


def canonical(value: Any) -> Any:
    """``value`` in the form that is compared (see the module's rules), keys sorted."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Int64)):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and fits_int64(int(value)):
            return int(value)
        return value
    if isinstance(value, Decimal128):
        return _decimal(value.to_decimal())
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        value = value.astimezone(datetime.timezone.utc)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {str(key): canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def _decimal(value: Decimal) -> Decimal128:
    if value.is_finite():
        # normalize() drops trailing zeros: "1.50" and "1.5" are one value.
        value = value.normalize() if value else Decimal(0)
    return Decimal128(value)


def text(value: Any, *, indent: int | None = None) -> str:
    """Canonical relaxed Extended JSON of ``value`` (see :func:`canonical`)."""
    return extjson.dumps(canonical(value), indent=indent)


def difference(expected: Sequence[Any], actual: Sequence[Any], order: str = EXACT) -> str | None:
    """``None`` if the results match, else a readable report of how they differ.

    ``order`` is ``"exact"`` (the same documents in the same order: a unified diff) or
    ``"unordered"`` (the same documents, each as often, in any order: the missing and the
    unexpected documents).
    """
    want = [text(document) for document in expected]
    got = [text(document) for document in actual]
    if order == UNORDERED:
        return _multiset(want, got)
    if want == got:
        return None
    if Counter(want) == Counter(got):
        head = (
            'the same documents in another order (say "order": "unordered" if it does not matter)'
        )
    else:
        head = f"expected {_count(want)}, got {_count(got)}"
    lines = difflib.unified_diff(
        _pretty(expected), _pretty(actual), "expected", "actual", lineterm="", n=3
    )
    return "\n".join([head, *lines])


def _multiset(want: list[str], got: list[str]) -> str | None:
    missing = Counter(want) - Counter(got)
    extra = Counter(got) - Counter(want)
    if not missing and not extra:
        return None
    lines = [f"expected {_count(want)} in any order, got {_count(got)}"]
    lines += _listed("missing", _elements(want, missing))
    lines += _listed("unexpected", _elements(got, extra))
    return "\n".join(lines)


def _elements(order: list[str], counts: Counter[str]) -> list[str]:
    # In the order they were written or returned, each as often as it is missing or extra.
    left = Counter(counts)
    found = []
    for item in order:
        if left[item] > 0:
            left[item] -= 1
            found.append(item)
    return found


def _listed(label: str, items: Iterable[str]) -> list[str]:
    items = list(items)
    if not items:
        return []
    return [f"{label} ({len(items)}):", *(f"  {item}" for item in items)]


def _pretty(documents: Sequence[Any]) -> list[str]:
    return text(list(documents), indent=2).splitlines()


def _count(documents: Sequence[str]) -> str:
    return f"{len(documents)} document{'' if len(documents) == 1 else 's'}"
