"""Extended JSON literals: the direct reading of common ``$oid`` and ``$date`` spellings.

The oracle test of ``extjson.common_literal``: on generated text, :func:`extjson.literal` gives
the same value (type and time zone included) as ``bson.json_util`` reading the same wrapper, or
the same refusal.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from bson import json_util
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereg.jsontext import extjson

OPTIONS = json_util.JSONOptions(tz_aware=True, tzinfo=datetime.timezone.utc)


def reference(node: dict[str, Any]) -> Any:
    try:
        return ("ok", json_util.loads(json.dumps(node), json_options=OPTIONS))
    except Exception as exc:  # bson raises several kinds
        return ("error", type(exc).__name__)


def fast(node: dict[str, Any]) -> Any:
    try:
        return ("ok", extjson.literal(node))
    except extjson.ExtJsonError as exc:
        return ("error", type(exc.__cause__).__name__)


def same(node: dict[str, Any]) -> None:
    expected, got = reference(node), fast(node)
    assert got == expected
    if got[0] == "ok":
        assert type(got[1]) is type(expected[1])
        if isinstance(got[1], datetime.datetime):
            assert got[1].tzinfo == expected[1].tzinfo
            assert got[1].utcoffset() == expected[1].utcoffset()


digits = st.integers(0, 9999).map(lambda n: f"{n:04d}")
two = st.integers(0, 61).map(lambda n: f"{n:02d}")
dates = st.builds(
    lambda y, mo, d, h, mi, s, ms, z: f"{y}-{mo}-{d}T{h}:{mi}:{s}{ms}{z}",
    digits,
    two,
    two,
    two,
    two,
    two,
    st.sampled_from(["", ".000", ".123", ".5", ".123456"]),
    st.sampled_from(["Z", "+00:00", "+0200", "z", ""]),
)


@settings(max_examples=500, deadline=None)
@given(dates)
def test_date_literals_read_as_json_util_reads_them(text: str) -> None:
    same({"$date": text})


hex_text = st.text(alphabet="0123456789abcdefABCDEFgz ", min_size=22, max_size=26)


@settings(max_examples=300, deadline=None)
@given(hex_text)
def test_object_id_literals_read_as_json_util_reads_them(text: str) -> None:
    same({"$oid": text})


def test_common_spellings_take_the_direct_reading() -> None:
    assert extjson.common_literal({"$oid": "65f1c00000000000000000ff"}) is not None
    assert extjson.common_literal({"$date": "2024-03-01T10:00:00.250Z"}) is not None
    assert extjson.common_literal({"$date": {"$numberLong": "0"}}) is None
