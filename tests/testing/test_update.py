"""Actual results written into case files' expect (pipereg.testing.update)."""

from __future__ import annotations

import datetime
import json

from bson import ObjectId

from pipereg.review.fmt import format_text
from pipereg.testing.update import update_expectations

CASES = {
    "cases": {
        "short": {"pipeline": "p", "expect": [{"n": 1}], "order": "unordered"},
        "last": {"pipeline": "p", "expect": []},
    }
}
LONG = [
    {"customer": f"customer number {no}", "total": no * 100, "tags": ["a", "b"]} for no in range(4)
]


def canonical_file() -> str:
    return format_text(json.dumps(CASES))


def test_only_the_expect_values_change_and_the_file_stays_canonical() -> None:
    text = canonical_file()
    new = update_expectations(text, {"short": LONG, "last": [{"n": 2}]})
    assert json.loads(new)["cases"]["short"]["expect"] == LONG
    assert json.loads(new)["cases"]["last"]["expect"] == [{"n": 2}]
    assert format_text(new) == new  # laid out as fmt lays out the whole file
    old_lines, new_lines = text.splitlines(), new.splitlines()
    # Every line outside the two expect values is as it was, in order.
    assert [line for line in old_lines if '"expect"' not in line] == [
        line for line in new_lines if line in old_lines and '"expect"' not in line
    ]
    assert '      "order": "unordered"' in new_lines


def test_a_second_update_with_the_same_results_changes_nothing() -> None:
    once = update_expectations(canonical_file(), {"short": LONG})
    assert update_expectations(once, {"short": LONG}) == once


def test_a_hand_laid_out_file_keeps_its_layout_around_the_value() -> None:
    text = '{"cases": {"c": {"pipeline": "p",   "expect": [ {"n": 0} ]  }}}\n'
    assert (
        update_expectations(text, {"c": []})
        == '{"cases": {"c": {"pipeline": "p",   "expect": []  }}}\n'
    )


def test_values_are_written_as_extended_json_the_case_file_reads() -> None:
    at = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    found = [{"_id": ObjectId("65f1c0000000000000000001"), "at": at}]
    new = update_expectations(canonical_file(), {"last": found})
    assert json.loads(new)["cases"]["last"]["expect"] == [
        {"_id": {"$oid": "65f1c0000000000000000001"}, "at": {"$date": "2024-03-01T00:00:00Z"}}
    ]


def test_crlf_files_keep_crlf() -> None:
    text = canonical_file().replace("\n", "\r\n")
    new = update_expectations(text, {"short": LONG})
    assert "\n" not in new.replace("\r\n", "")
