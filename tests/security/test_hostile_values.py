"""Hostile value objects: subclasses of the declared types whose methods lie.

A caller's value may be an instance of a subclass of ``str``, ``int``, ``float``, ``list``,
``dict`` or ``datetime`` whose protocol methods say something other than what it holds. Coercion
normalises every value to the exact builtin type first, reading the object's storage, so checks
and rendering see the same value and no method of the caller's object runs after a check.
Anything that cannot be normalised is one clean :class:`~pipereg.ParameterError`.

Every case renders a real loaded pipeline, through the compiled validator and the reference
coercion alike (``test_compiled_validator`` checks they agree on generated values).
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

import pytest
from bson import Decimal128

from helpers import pipeline_file
from pipereg import ParameterError, Pipeline, Registry
from pipereg.params.coerce import coerce_params

UTC = datetime.timezone.utc
KEY = "liars.all"

PARAMS: dict[str, Any] = {
    "s": {"type": "string", "maxLength": 8},
    "n": {"type": "int", "maximum": 10},
    "l": {"type": "long", "maximum": 10},
    "d": {"type": "double"},
    "dec": {"type": "decimal"},
    "when": {"type": "date"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    "filter": {
        "type": "object",
        "properties": {"region": {"type": "string", "optional": True}},
    },
}
STAGES = [
    {
        "$match": {
            "s": "<<s>>",
            "n": "<<n>>",
            "l": "<<l>>",
            "d": "<<d>>",
            "dec": "<<dec>>",
            "when": "<<when>>",
            "tag": {"$in": "<<tags>>"},
        }
    },
    {"$set": {"filter": "<<filter>>"}},
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root: Path = tmp_path_factory.mktemp("liars")
    declared = {name: {**decl, "optional": True} for name, decl in PARAMS.items()}
    document = pipeline_file({"all": {"collection": "c", "params": declared, "stages": STAGES}})
    (root / "liars.json").write_text(json.dumps(document), encoding="utf-8")
    return Registry.from_paths(root).get(KEY)


def render_both(pipeline: Pipeline, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Render through the public call, and check the reference coercion agrees on the values."""
    stages = pipeline.render(params)
    reference = pipeline._stages(coerce_params(pipeline.key, pipeline.params, params))
    assert stages == reference
    return stages


def rejected(pipeline: Pipeline, params: dict[str, Any]) -> ParameterError:
    """The one clean error a render raises; the reference coercion raises the same."""
    with pytest.raises(ParameterError) as compiled:
        pipeline.render(params)
    with pytest.raises(ParameterError) as reference:
        coerce_params(pipeline.key, pipeline.params, params)
    assert type(compiled.value) is ParameterError
    assert str(compiled.value) == str(reference.value)
    return compiled.value


class DollarKey(str):
    """Text ``$where`` that claims to be ``region`` and to start with nothing suspicious."""

    def __hash__(self) -> int:
        return hash("region")

    def __eq__(self, other: object) -> bool:
        return other == "region"

    def startswith(self, *args: Any) -> bool:  # type: ignore[override]
        return False


def test_a_key_whose_text_starts_with_a_dollar_is_refused_whatever_its_methods_say(
    pipeline: Pipeline,
) -> None:
    error = rejected(pipeline, {"filter": {DollarKey("$where"): "x"}})
    assert error.parameter == "filter"
    assert "'$where' starts with '$'" in str(error)


class ShortList(list[Any]):
    """A list that claims to hold one item."""

    def __len__(self) -> int:
        return 1


def test_a_list_whose_length_lies_still_meets_max_items(pipeline: Pipeline) -> None:
    error = rejected(pipeline, {"tags": ShortList(["a", "b", "c", "d"])})
    assert error.parameter == "tags"
    assert "has 4 items, more than 2" in str(error)


class IterLiar(list[Any]):
    """A list that iterates over something other than what it holds."""

    def __iter__(self) -> Any:
        return iter(["$where"] * 5)


def test_a_list_renders_what_it_holds_not_what_it_iterates(pipeline: Pipeline) -> None:
    stages = render_both(pipeline, {"tags": IterLiar(["a"])})
    assert stages[0]["$match"]["tag"] == {"$in": ["a"]}
    assert type(stages[0]["$match"]["tag"]["$in"]) is list


class NaNFloat(float):
    """A float holding 1.5 that converts to NaN."""

    def __float__(self) -> float:
        return math.nan

    def __repr__(self) -> str:
        return "nan"


def test_a_float_renders_the_number_it_holds_never_nan(pipeline: Pipeline) -> None:
    value = render_both(pipeline, {"d": NaNFloat(1.5)})[0]["$match"]["d"]
    assert type(value) is float
    assert value == 1.5


class BigInt(int):
    """An int holding 5 that converts to 2**70 and compares as small."""

    def __int__(self) -> int:
        return 2**70

    def __index__(self) -> int:
        return 2**70


@pytest.mark.parametrize("name", ["n", "l"])
def test_an_int_renders_the_number_it_holds(pipeline: Pipeline, name: str) -> None:
    value = render_both(pipeline, {name: BigInt(5)})[0]["$match"][name]
    assert value == 5
    assert int.__int__(value) == 5


class LyingStr(str):
    """Text longer than the limit that claims to be short."""

    def __len__(self) -> int:
        return 1


def test_a_string_meets_its_limit_by_what_it_holds(pipeline: Pipeline) -> None:
    error = rejected(pipeline, {"s": LyingStr("x" * 20)})
    assert "is longer than 8 characters" in str(error)


class BrokenZone(datetime.tzinfo):
    """A time zone whose offset cannot be read."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        raise self.error("no offset today")

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
        raise self.error("no dst today")


class WrongZone(datetime.tzinfo):
    """A time zone whose offset is not a timedelta."""

    def utcoffset(self, dt: datetime.datetime | None) -> Any:
        return "two hours"


@pytest.mark.parametrize(
    "zone",
    [BrokenZone(ValueError), BrokenZone(TypeError), BrokenZone(RuntimeError), WrongZone()],
    ids=["value-error", "type-error", "runtime-error", "not-a-timedelta"],
)
def test_a_date_whose_zone_misbehaves_is_a_parameter_error(
    pipeline: Pipeline, zone: datetime.tzinfo
) -> None:
    error = rejected(pipeline, {"when": datetime.datetime(2024, 3, 1, tzinfo=zone)})
    assert error.parameter == "when"
    assert "time zone" in str(error)


class ShiftedDate(datetime.datetime):
    """A datetime that converts to another moment."""

    def astimezone(self, tz: Any = None) -> Any:
        return datetime.datetime(1999, 1, 1, tzinfo=UTC)


def test_a_date_renders_the_moment_it_holds(pipeline: Pipeline) -> None:
    moment = ShiftedDate(2024, 3, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    value = render_both(pipeline, {"when": moment})[0]["$match"]["when"]
    assert type(value) is datetime.datetime
    assert value == datetime.datetime(2024, 3, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", [" 1", "1 ", "1_000", "\u0661\u0662", "\uff11", "+ 1", "1e", "0x10", "\t2.5"]
)
def test_decimal_text_is_refused_where_decimal128_text_would_be(
    pipeline: Pipeline, text: str
) -> None:
    error = rejected(pipeline, {"dec": text})
    assert error.parameter == "dec"
    assert "expected decimal" in str(error)


@pytest.mark.parametrize(
    ("text", "expected"), [("1", "1"), ("-1.50", "-1.50"), ("2.5E+3", "2.5E+3"), (".5", "0.5")]
)
def test_decimal_text_in_decimal128_syntax_is_accepted(
    pipeline: Pipeline, text: str, expected: str
) -> None:
    value = render_both(pipeline, {"dec": text})[0]["$match"]["dec"]
    assert value == Decimal128(expected)
