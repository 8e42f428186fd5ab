"""Example parameter values synthesised from declarations (pipereg.params.examples)."""

from __future__ import annotations

import datetime
import decimal
import sys
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId

from pipereg.params.declaration import Param
from pipereg.params.declare import from_json
from pipereg.params.examples import (
    SAMPLE_DATE,
    SAMPLE_OBJECT_ID,
    NoExample,
    example_params,
    example_value,
)

UTC = datetime.timezone.utc


def decl(**raw: Any) -> Param:
    return from_json("p", raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"type": "int", "default": 7, "minimum": 5}, 7),
        ({"type": "string", "enum": ["x", "y"]}, "x"),
        ({"type": "int"}, 1),
        ({"type": "int", "minimum": 5, "maximum": 9}, 5),
        ({"type": "int", "maximum": -3}, -3),
        ({"type": "long", "minimum": 10_000_000_000}, Int64(10_000_000_000)),
        ({"type": "double"}, 1.5),
        ({"type": "double", "maximum": 0.25}, 0.25),
        ({"type": "decimal"}, Decimal128("1.5")),
        ({"type": "decimal", "minimum": "2.50"}, Decimal128("2.50")),
        ({"type": "bool"}, True),
        ({"type": "date"}, SAMPLE_DATE),
        (
            {"type": "date", "maximum": "2001-02-03"},
            datetime.datetime(2001, 2, 3, tzinfo=UTC),
        ),
        ({"type": "objectId"}, SAMPLE_OBJECT_ID),
        ({"type": "field"}, "name"),
        ({"type": "string"}, "example"),
        ({"type": "string", "maxLength": 2}, "ex"),
        ({"type": "string", "minLength": 10}, "exampleexa"),
        ({"type": "string", "pattern": "^[A-Z]{2}$"}, "AA"),
        ({"type": "string", "pattern": "^(?:ord|inv)-\\d+$"}, "ord-0"),
        ({"type": "string", "pattern": "^\\w\\s\\S\\W\\D.x?$"}, "a a-aa"),
        ({"type": "string", "pattern": "^[^a]+@[a-c]$"}, "b@a"),
        ({"type": "string", "pattern": "^[^a-z]+$"}, "EXAMPLE"),
        ({"type": "field", "pattern": "^[a-z_]+(\\.[a-z_]+)*$", "minLength": 2}, "aa"),
        ({"type": "array", "items": {"type": "int"}}, [1]),
        ({"type": "array", "items": {"type": "int"}, "minItems": 3}, [1, 1, 1]),
        ({"type": "array", "items": {"type": "int"}, "maxItems": 0}, []),
        (
            {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 3},
            ["a", "b", "a"],
        ),
        (
            {
                "type": "object",
                "properties": {
                    "n": {"type": "int", "default": 2},
                    "s": {"type": "string", "optional": True},
                },
            },
            {"n": 2, "s": "example"},
        ),
    ],
)
def test_example_value(raw: dict[str, Any], expected: Any) -> None:
    value = example_value(decl(**raw))
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="atomic groups are new in Python 3.11")
def test_atomic_groups_in_patterns() -> None:
    assert example_value(decl(type="string", pattern="^(?>ab|a)c$")) == "abc"


def test_decimal_bounds_order_as_numbers() -> None:
    value = example_value(decl(type="decimal", minimum="0.5", maximum="0.75"))
    assert value.to_decimal() == decimal.Decimal("0.75")


def test_a_pattern_nothing_meets_is_no_example_naming_the_parameter() -> None:
    with pytest.raises(NoExample, match=r"parameter 'code': no value found .*'example' does not"):
        example_params({"code": decl(type="string", pattern="^(ab)\\1$")})


def test_an_unmet_item_names_its_path() -> None:
    bad = {"type": "array", "items": {"type": "string", "pattern": "^(ab)\\1$"}}
    with pytest.raises(NoExample, match=r"parameter 'codes\[\]'"):
        example_params({"codes": decl(**bad)})


def test_every_parameter_gets_a_value_optional_ones_included() -> None:
    params = {
        "a": decl(type="int", optional=True),
        "b": decl(type="objectId", nullable=True, optional=True),
    }
    assert example_params(params) == {"a": 1, "b": ObjectId("65f1c0000000000000000001")}
