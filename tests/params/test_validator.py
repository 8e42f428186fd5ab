"""The compiled validator against its reference, ``coerce_params``, on generated inputs.

The oracle test of :mod:`pipereg.params.validator`: for hypothesis-generated declarations (every
type, with and without enums, bounds, lengths, patterns, item limits, defaults, optional and
nullable) and generated values (exact types, subclasses, text standing for dates and ObjectIds,
values of the wrong type, out of bounds, None), the compiled validator returns the same values
(types, time zones and key order included) or raises the same error with the same message.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

import pytest
from bson import Decimal128, ObjectId
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipereg import ParameterError
from pipereg.params.coerce import coerce_params
from pipereg.params.declaration import Param
from pipereg.params.declare import from_json
from pipereg.params.validator import compile_validator
from pipereg.params.values import Invalid

UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
OIDS = [
    "65f1c00000000000000000ff",
    "65F1C00000000000000000AA",
    "65f1c0000000000000000 ff",
    "z" * 24,
]


class Text(str):
    pass


class Number(int):
    pass


class Real(float):
    pass


class Items(list[Any]):
    pass


SCALARS: list[Any] = [
    "", "a", "paid", "shipped", "héllo", "x" * 30, "$where", "a.b", Text("paid"), "\ud800",
    0, 1, -1, 5, 100, 1000, 2**31, -(2**63), 2**63, True, False, Number(7),
    0.5, 1.0, -2.5, float("nan"), float("inf"), Real(2.5),
    "1.5", "1_000", " 1", "2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.123Z",
    "2024-03-01T10:00:00+02:00", "2024-02-30T10:00:00Z", "0000-01-01T00:00:00Z",
    "2024-03-01t10:00:00z", datetime.datetime(2024, 3, 1),
    datetime.datetime(2024, 3, 1, tzinfo=UTC),
    datetime.datetime(2024, 3, 1, tzinfo=PLUS2), datetime.date(2024, 3, 1),
    ObjectId(OIDS[0]), *OIDS, Decimal128("1.5"), None, {"a": 1}, {"$ne": 1},
]  # fmt: skip


def values() -> st.SearchStrategy[Any]:
    scalars = st.sampled_from(SCALARS)
    return st.one_of(
        scalars,
        st.integers(-(2**64), 2**64),
        st.lists(scalars, max_size=5),
        st.lists(scalars, max_size=5).map(tuple),
        st.lists(scalars, max_size=5).map(Items),
        st.lists(st.sampled_from([*OIDS[:2], ObjectId(OIDS[0])]), max_size=6),
        st.dictionaries(st.sampled_from(["a", "b", "$c", "d"]), scalars, max_size=3),
    )


SCALAR_TYPES = ["string", "int", "long", "double", "decimal", "bool", "date", "objectId", "field"]


@st.composite
def declarations(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kinds = SCALAR_TYPES + (["array", "object"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    raw: dict[str, Any] = {"type": kind}
    flags = st.booleans()
    if draw(flags):
        raw["optional"] = True
    if draw(flags):
        raw["nullable"] = True
    if kind == "string":
        if draw(flags):
            raw["enum"] = draw(st.sampled_from([["paid", "shipped"], ["a", "", "héllo"]]))
        if draw(flags):
            raw["maxLength"] = draw(st.integers(0, 10))
        if draw(flags):
            raw["minLength"] = draw(st.integers(0, 3))
        if draw(flags):
            raw["pattern"] = draw(st.sampled_from(["^[a-z]+$", "a", "^p"]))
    if kind in ("int", "long", "double", "decimal"):
        if draw(flags):
            raw["minimum"] = draw(st.sampled_from([0, 1, -5]))
        if draw(flags):
            raw["maximum"] = draw(st.sampled_from([10, 100, 1000]))
        if kind == "int" and draw(flags):
            raw["enum"] = [1, 5, 100]
    if kind == "date" and draw(flags):
        raw["minimum"] = "2000-01-01T00:00:00Z"
    if kind == "array":
        raw["items"] = draw(declarations(depth + 1))
        raw["items"].pop("optional", None)
        if draw(flags):
            raw["maxItems"] = draw(st.integers(0, 4))
        if draw(flags):
            raw["minItems"] = draw(st.integers(0, 2))
    if kind == "object":
        raw["properties"] = {
            "a": draw(declarations(depth + 1)),
            "b": {**draw(declarations(depth + 1)), "optional": True},
        }
    if draw(flags) and "nullable" not in raw:
        raw["default"] = draw(st.sampled_from(SCALARS_JSON))
    return raw


def near(raw: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values close to what a declaration accepts: its bounds, lengths and enum, either side."""
    kind = raw["type"]
    options: list[Any] = list(raw.get("enum", []))
    for key in ("minimum", "maximum"):
        bound = raw.get(key)
        if isinstance(bound, int):
            options += [bound - 1, bound, bound + 1, float(bound), Number(bound)]
    for key in ("minLength", "maxLength"):
        if key in raw:
            options += ["a" * (raw[key] + d) for d in (-1, 0, 1) if raw[key] + d >= 0]
    if kind == "array":
        item = near(raw["items"])
        return st.one_of(
            st.lists(item, max_size=6), st.lists(item, max_size=6).map(tuple), values()
        )
    if kind == "object":
        props = raw["properties"]
        return st.one_of(
            st.fixed_dictionaries({"a": near(props["a"])}, optional={"b": near(props["b"])}),
            values(),
        )
    if kind in ("int", "long"):
        options += [0, 1, 2**31 - 1, 2**31, -(2**63) - 1, 2**63 - 1]
    if kind == "double":
        options += [0.0, -1.5, 1e308, 2**53 + 1]
    if kind == "string" and "pattern" in raw:
        options += ["abc", "pa", "ABC", "abc\n"]
    return st.one_of(st.sampled_from(options), values()) if options else values()


SCALARS_JSON = ["paid", 5, 1.5, True, [], {"a": 1}, "2024-03-01T10:00:00Z", OIDS[0]]


def built(name: str, raw: dict[str, Any]) -> Param | None:
    try:
        return from_json(name, json.loads(json.dumps(raw)))
    except (Invalid, KeyError, ValueError, TypeError):
        return None


def shape(value: Any) -> Any:
    """A value with its exact types, time zones and key order spelled out."""
    if type(value) is dict:
        return ("dict", [(k, shape(v)) for k, v in value.items()])
    if type(value) is list:
        return ("list", [shape(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(call: Any, given: Any) -> Any:
    try:
        return ("ok", shape(call(given)))
    except ParameterError as exc:
        return ("error", str(exc), exc.parameter, exc.expected, exc.actual)
    except Exception as exc:
        return ("crash", repr(exc))


def check(declared: Mapping[str, Param], given: Any) -> None:
    validate = compile_validator("m.p", declared)
    assert outcome(validate, given) == outcome(lambda g: coerce_params("m.p", declared, g), given)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(declarations(), min_size=1, max_size=4), st.data(), st.booleans())
def test_compiled_validation_equals_the_reference(
    raws: list[dict[str, Any]], data: st.DataObject, unknown: bool
) -> None:
    declared = {}
    for i, raw in enumerate(raws):
        param = built(f"p{i}", raw)
        assume(param is not None)
        assert param is not None
        declared[f"p{i}"] = param
    given_values = {}
    for i, raw in enumerate(raws):
        if data.draw(st.integers(0, 5)):  # one in six left out
            given_values[f"p{i}"] = data.draw(near(raw))
    if unknown:
        given_values["zz"] = 1
    check(declared, given_values)


@pytest.mark.parametrize("given_value", [None, [], "params", {"p0": 1}], ids=repr)
def test_what_is_not_a_dict_of_params_gets_the_reference_answer(given_value: Any) -> None:
    param = built("p0", {"type": "int", "optional": True})
    assert param is not None
    check({"p0": param}, given_value)


def test_the_benchmark_parameters_take_the_fast_path_for_typed_values_and_strings() -> None:
    declared = {
        "ids": built("ids", {"type": "array", "items": {"type": "objectId"}, "maxItems": 100}),
        "since": built("since", {"type": "date"}),
        "status": built("status", {"type": "string", "enum": ["paid", "shipped"]}),
        "limit": built("limit", {"type": "int", "minimum": 1, "maximum": 1000}),
    }
    validate = compile_validator("m.p", declared)  # type: ignore[arg-type]
    source = validate.__doc__ or ""
    assert "_slow" in source  # errors are the reference's
    given_value = {"ids": OIDS[:1] * 3, "since": "2024-03-01T10:00:00Z", "status": "paid"}
    check(declared, {**given_value, "limit": 5})  # type: ignore[arg-type]
    assert "1 <= x <= 1000" in source
