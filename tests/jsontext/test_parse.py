"""Strict JSON parsing and positions (pipereg.jsontext.parse)."""

from __future__ import annotations

import json

import pytest

from pipereg.jsontext.parse import (
    ParseFailure,
    Positions,
    compact,
    decode_text,
    format_json_path,
    parse_json,
)


def failure(text: str) -> ParseFailure:
    with pytest.raises(ParseFailure) as info:
        parse_json(text, "f.json")
    return info.value


def test_parses_plain_json_keeping_key_order() -> None:
    assert list(parse_json('{"b": 1, "a": [1, 2.5, "x", null, true]}', "f.json").items()) == [
        ("b", 1),
        ("a", [1, 2.5, "x", None, True]),
    ]


def test_duplicate_keys_are_errors_located_at_each_repeat() -> None:
    text = '{\n  "a": {"x": 1,\n        "x": 2},\n  "b": 1,\n  "b": 2\n}'
    problems = failure(text).problems
    assert [(p.code, p.json_path, p.line, p.column) for p in problems] == [
        ("PR002", "$.a.x", 3, 9),
        ("PR002", "$.b", 5, 3),
    ]
    assert "duplicate key 'x'" in problems[0].message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected(constant: str) -> None:
    problem = failure('{"a": %s}' % constant).problems[0]  # noqa: UP031
    assert problem.code == "PR001"
    assert constant.lstrip("-") in problem.message


def test_syntax_error_is_located() -> None:
    problem = failure('{\n  "a": 1\n  "b": 2\n}').problems[0]
    assert (problem.code, problem.line, problem.column) == ("PR001", 3, 3)
    assert "Expecting ',' delimiter" in problem.message


def test_empty_file_is_an_error() -> None:
    assert failure("  \n").problems[0].message == "file is empty"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    problem = failure("[" * 100_000 + "]" * 100_000).problems[0]
    assert problem.code == "PR001"
    assert "deep" in problem.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf{}", "byte-order mark"),
        (b"\xff\xfe{\x00}\x00", "UTF-16"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
    ],
)
def test_encodings_other_than_plain_utf8_are_errors(data: bytes, expected: str) -> None:
    with pytest.raises(ParseFailure) as info:
        decode_text(data, "f.json")
    assert expected in info.value.problems[0].message


def test_positions_point_at_keys_and_array_items() -> None:
    text = '{\n  "stages": [\n    {"$match": {"a": 1}},\n    {"$limit": 5}\n  ]\n}'
    positions = Positions(text)
    assert positions.locate(("stages",)) == (2, 3)
    assert positions.locate(("stages", 1)) == (4, 5)
    assert positions.locate(("stages", 0, "$match", "a")) == (3, 17)
    # Unknown paths fall back to their nearest known ancestor.
    assert positions.locate(("stages", 1, "$limit", "nope")) == (4, 6)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), "$"),
        (("pipelines", "daily", "stages", 2, "$match"), "$.pipelines.daily.stages[2].$match"),
        (("pipelines", "bad-name"), '$.pipelines["bad-name"]'),
        (("a", "<<f>>"), '$.a["<<f>>"]'),
    ],
)
def test_format_json_path(path: tuple[str | int, ...], expected: str) -> None:
    assert format_json_path(path) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 1.5, -0.0, 1e300, True, None, 'é\n"\\<<x>>', "\u2028"]},
        [{"$match": {"k": {"$in": [1, 2]}}}, {}],
        "",
        1e16,
        float("inf"),
    ],
)
def test_compact_writes_what_json_dumps_writes(value: object) -> None:
    assert compact(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
