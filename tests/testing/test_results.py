"""Expected against actual results: canonical values and readable differences."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId

from pipereg.testing.results import canonical, difference, text

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        (1, 1.0),
        (1, Int64(1)),
        (-0.0, 0),
        (Decimal128("1.50"), Decimal128("1.5")),
        (Decimal128("0.00"), Decimal128("0")),
        (
            datetime.datetime(2024, 3, 1, 10, tzinfo=UTC),
            datetime.datetime(
                2024, 3, 1, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
        ),
        (datetime.datetime(2024, 3, 1, 10), datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (
            datetime.datetime(2024, 3, 1, 0, 0, 0, 123000, tzinfo=UTC),
            datetime.datetime(2024, 3, 1, 0, 0, 0, 123456, tzinfo=UTC),
        ),
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"d": 3, "c": 2}, "a": 1}),
    ],
)
def test_values_that_compare_equal(expected: Any, actual: Any) -> None:
    assert text(expected) == text(actual)
    assert difference([{"v": expected}], [{"v": actual}]) is None


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        (1, Decimal128("1")),
        (1.5, Decimal128("1.5")),
        (True, 1),
        (False, 0),
        (None, 0),
        ("1", 1),
        (ObjectId("65f1c0000000000000000001"), "65f1c0000000000000000001"),
        (datetime.datetime(2024, 3, 1, tzinfo=UTC), "2024-03-01T00:00:00Z"),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": 1, "b": None}),
        (1.5, 1.25),
    ],
)
def test_values_that_differ(expected: Any, actual: Any) -> None:
    assert difference([{"v": expected}], [{"v": actual}]) is not None


def test_canonical_keeps_large_and_special_floats_as_floats() -> None:
    assert canonical(2.0**70) == 2.0**70
    assert canonical(float("inf")) == float("inf")
    assert type(canonical(3.0)) is int


def test_exact_order_shows_a_unified_diff() -> None:
    report = difference([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 3}])
    assert report is not None
    lines = report.splitlines()
    assert lines[0] == "expected 2 documents, got 2 documents"
    assert lines[1:3] == ["--- expected", "+++ actual"]
    assert '-    "a": 2' in lines
    assert '+    "a": 3' in lines


def test_exact_order_says_when_only_the_order_differs() -> None:
    report = difference([{"a": 1}, {"a": 2}], [{"a": 2}, {"a": 1}])
    assert report is not None
    assert report.splitlines()[0].startswith("the same documents in another order")


def test_unordered_is_a_multiset_compare() -> None:
    assert difference([{"a": 1}, {"a": 2}], [{"a": 2}, {"a": 1}], "unordered") is None
    report = difference([{"a": 1}, {"a": 1}, {"a": 2}], [{"a": 1}, {"a": 3}], "unordered")
    assert report == "\n".join(
        [
            "expected 3 documents in any order, got 2 documents",
            "missing (2):",
            '  {"a": 1}',
            '  {"a": 2}',
            "unexpected (1):",
            '  {"a": 3}',
        ]
    )


def test_unordered_with_only_extra_documents() -> None:
    report = difference([], [{"a": 1}], "unordered")
    assert (
        report == 'expected 0 documents in any order, got 1 document\nunexpected (1):\n  {"a": 1}'
    )


def test_diff_shows_types_as_extended_json() -> None:
    report = difference([{"v": Decimal128("1.5")}], [{"v": 1.5}])
    assert report is not None
    assert '"$numberDecimal": "1.5"' in report


def test_special_decimals_compare_by_value() -> None:
    assert text(Decimal128("NaN")) == text(Decimal128("NaN"))
    assert text(Decimal128("Infinity")) != text(Decimal128("-Infinity"))
