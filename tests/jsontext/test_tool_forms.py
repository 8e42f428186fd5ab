"""What MongoDB tools write: their date forms load; pasted shell syntax says what to write."""

from __future__ import annotations

import datetime

import pytest

from pipereg.jsontext.extjson import ExtJsonError, literal
from pipereg.jsontext.parse import ParseFailure, parse_json

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ({"$date": 1709287200000}, datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (
            {"$date": {"$numberLong": "1709287200000"}},
            datetime.datetime(2024, 3, 1, 10, tzinfo=UTC),
        ),
        ({"$date": "2024-03-01"}, datetime.datetime(2024, 3, 1, tzinfo=UTC)),
        ({"$date": "2024-03-01T10:00:00Z"}, datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ({"$date": "2024-03-01T11:00:00+01:00"}, datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_the_date_forms_mongoexport_and_the_shell_write_load(
    written: dict[str, object], value: object
) -> None:
    assert literal(written) == value


# A space for the T is what date parameters take too (one grammar): it loads.
@pytest.mark.parametrize("written", ["2024-03-01T10:00Z+", "yesterday", "2024-02-30"])
def test_a_date_string_it_cannot_read_is_quoted_with_what_to_write(written: str) -> None:
    with pytest.raises(ExtJsonError) as info:
        literal({"$date": written})
    assert written in str(info.value)
    if written != "2024-02-30":
        assert '{"$date": "2024-03-01T10:00:00Z"}' in str(info.value)


@pytest.mark.parametrize(
    ("pasted", "instead"),
    [
        ('ISODate("2024-03-01T00:00:00Z")', '{"$date": "2024-03-01T00:00:00Z"}'),
        ("ObjectId('65f0c0ffee0000000000aaaa')", '{"$oid": "65f0c0ffee0000000000aaaa"}'),
        ("NumberLong(5)", '{"$numberLong": "5"}'),
        ('new Date("2024-03-01")', '{"$date": "2024-03-01"}'),
    ],
)
def test_shell_syntax_is_refused_saying_what_to_write(pasted: str, instead: str) -> None:
    text = '{"a": ' + pasted + "}"
    with pytest.raises(ParseFailure) as info:
        parse_json(text, "m.json")
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column) == ("PR001", 1, 7)
    assert (
        f"{pasted} is shell syntax, not JSON: write the Extended JSON {instead}" in problem.message
    )
