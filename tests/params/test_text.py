"""Text values by declared type (pipereg.params.text), and Pipeline.parse_text on top of it."""

from __future__ import annotations

import datetime

import pytest
from bson import Int64, ObjectId

from helpers import WriteTree, pipeline_file
from pipereg import ParameterError, Pipeline, Registry
from pipereg.params.declaration import Param
from pipereg.params.declare import from_json
from pipereg.params.text import parse_text
from pipereg.params.values import Invalid

UTC = datetime.timezone.utc


def declared(raw: dict[str, object], name: str = "p") -> Param:
    return from_json(name, raw)


@pytest.mark.parametrize(
    ("raw", "text", "expected"),
    [
        ({"type": "int"}, "50", 50),
        ({"type": "int"}, "-3", -3),
        ({"type": "long"}, "9007199254740993", 9007199254740993),
        ({"type": "double"}, "4.5", 4.5),
        ({"type": "double"}, "1e3", 1000.0),
        ({"type": "bool"}, "true", True),
        ({"type": "bool"}, "False", False),
        ({"type": "string"}, "50", "50"),  # a string stays text, even when it looks like a number
        ({"type": "date"}, "2024-03-01", "2024-03-01"),  # coercion reads it afterwards
        ({"type": "array", "items": {"type": "int"}}, "[1, 2]", [1, 2]),
        ({"type": "object", "properties": {"a": {"type": "int"}}}, '{"a": 1}', {"a": 1}),
        ({"type": "int", "nullable": True}, "null", None),
        ({"type": "string"}, "null", "null"),  # not nullable: the text itself
    ],
)
def test_text_reads_as_the_declared_type(raw: dict[str, object], text: str, expected: object):
    value = parse_text(declared(raw), text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("raw", "text", "problem"),
    [
        ({"type": "int"}, "ten", "cannot read 'ten' as int: expected an integer such as 42"),
        ({"type": "int"}, "5.0", "cannot read '5.0' as int: expected an integer such as 42"),
        ({"type": "double"}, "nan", "cannot read 'nan' as double: expected a number such as 4.5"),
        ({"type": "bool"}, "yes", "cannot read 'yes' as bool: expected true or false"),
        ({"type": "array", "items": {"type": "int"}}, "[1,", "cannot read '[1,' as array of int"),
    ],
)
def test_unreadable_text_is_invalid_with_the_reason(
    raw: dict[str, object], text: str, problem: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse_text(declared(raw), text)
    assert caught.value.problem.startswith(problem)


DOCUMENT = pipeline_file(
    {
        "search": {
            "collection": "orders",
            "params": {
                "limit": {"type": "int", "minimum": 1, "default": 10},
                "status": {"type": "string"},
                "big": {"type": "long", "optional": True},
                "since": {"type": "date", "optional": True},
                "ids": {"type": "array", "items": {"type": "objectId"}, "optional": True},
                "qtys": {"type": "array", "items": {"type": "int"}, "optional": True},
            },
            "stages": [
                {"$match": {"status": "<<status>>", "qty": {"$in": "<<qtys>>"}}},
                {"$match": {"_id": {"$in": "<<ids>>"}, "at": {"$gte": "<<since>>"}}},
                {"$match": {"n": "<<big>>"}},
                {"$limit": "<<limit>>"},
            ],
        }
    }
)


@pytest.fixture
def pipeline(write_tree: WriteTree) -> Pipeline:
    return Registry.from_paths(write_tree({"shop.json": DOCUMENT})).get("shop.search")


def test_parse_text_makes_query_string_values_renderable(pipeline: Pipeline) -> None:
    oid = "65f1c0000000000000000001"
    values = pipeline.parse_text(
        {"limit": "50", "status": "50", "since": "2024-03-01", "ids": [oid], "qtys": ["1", "2"]}
    )
    assert values == {
        "limit": 50,
        "status": "50",
        "since": "2024-03-01",
        "ids": [oid],
        "qtys": [1, 2],
    }
    stages = pipeline.render(values)
    assert stages[-1] == {"$limit": 50}
    assert stages[0]["$match"] == {"status": "50", "qty": {"$in": [1, 2]}}
    assert stages[1]["$match"] == {
        "_id": {"$in": [ObjectId(oid)]},
        "at": {"$gte": datetime.datetime(2024, 3, 1, tzinfo=UTC)},
    }
    rendered = pipeline.render({"status": "x", **pipeline.parse_text({"big": "7"})})
    (big,) = [stage["$match"]["n"] for stage in rendered if "n" in stage.get("$match", {})]
    assert big == 7
    assert type(big) is Int64


def test_strict_coercion_stays_the_default_for_python_values(pipeline: Pipeline) -> None:
    with pytest.raises(ParameterError, match="expected int, got str '50'"):
        pipeline.render({"status": "x", "limit": "50"})


@pytest.mark.parametrize(
    ("values", "parameter", "message"),
    [
        ({"limit": "fifty"}, "limit", "cannot read 'fifty' as int: expected an integer"),
        ({"qtys": ["1", "x"]}, "qtys[1]", "cannot read 'x' as int"),
        ({"limt": "5"}, "limt", "unknown parameter (did you mean 'limit'?)"),
        ({"limit": 5}, "limit", "expected text, got int 5"),
        ({"status": ["a"]}, "status", "expected text, got list ['a']"),
    ],
)
def test_parse_text_raises_a_parameter_error_naming_the_parameter(
    pipeline: Pipeline, values: dict[str, object], parameter: str, message: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        pipeline.parse_text(values)  # type: ignore[arg-type]
    assert caught.value.pipeline == "shop.search"
    assert caught.value.parameter == parameter
    assert message in caught.value.problem
