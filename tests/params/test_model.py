"""Request models from declarations (pipereg.params.model): exactly what render accepts.

The property test draws requests of every shape (right and wrong types, numbers as text, None,
unknown names, nested objects) and checks that the model accepts a request if and only if
``Pipeline.render`` does, and that what the model gives back renders the same stages.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from bson import Decimal128, ObjectId
from bson.json_util import CANONICAL_JSON_OPTIONS, dumps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import pipeline_file
from pipereg import ParameterError, Pipeline, Registry

pydantic = pytest.importorskip("pydantic", reason="the pydantic extra is not installed")

PARAMS: dict[str, Any] = {
    "n": {"type": "int", "minimum": 1, "maximum": 100, "default": 10, "description": "How many"},
    "big": {"type": "long", "optional": True},
    "x": {"type": "double", "nullable": True, "optional": True},
    "d": {"type": "decimal", "optional": True},
    "flag": {"type": "bool", "optional": True},
    "when": {"type": "date", "minimum": "2000-01-01"},
    "oid": {"type": "objectId", "optional": True, "nullable": True},
    "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$",
             "optional": True},
    "color": {"type": "string", "enum": ["red", "green"], "default": "red"},
    "path": {"type": "field", "optional": True},
    "tags": {"type": "array", "items": {"type": "int"}, "maxItems": 3, "optional": True},
    "filt": {
        "type": "object",
        "optional": True,
        "properties": {
            "region": {"type": "string"},
            "min": {"type": "int", "default": 0},
            "note": {"type": "string", "optional": True, "nullable": True},
        },
    },
    "maybe": {"type": "int", "nullable": True},
    "json": {"type": "bool", "optional": True},  # a BaseModel attribute's name
}  # fmt: skip
STAGES = [
    {"$match": {"n": "<<n>>", "big": "<<big>>", "x": "<<x>>", "d": "<<d>>", "f": "<<flag>>"}},
    {"$match": {"when": "<<when>>", "oid": "<<oid>>", "name": "<<name>>", "c": "<<color>>"}},
    {"$match": {"t": {"$in": "<<tags>>"}, "filt": "<<filt>>", "m": "<<maybe>>", "j": "<<json>>"}},
    {"$project": {"v": "<<path>>"}},
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    import json

    root = tmp_path_factory.mktemp("model")
    document = pipeline_file({"all": {"collection": "c", "params": PARAMS, "stages": STAGES}})
    (root / "shop.json").write_text(json.dumps(document), encoding="utf-8")
    return Registry.from_paths(root).get("shop.all")


def typed(value: Any) -> str:
    return dumps(value, json_options=CANONICAL_JSON_OPTIONS)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=120),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["50", "red", "green", "abc", "a", "ABC", "2024-03-01", "1999-12-31T23:00:00Z",
         "65f1c0000000000000000001", "a.b", "$x", "a..b", "1.5", "", "null"]
    ),
    st.text(max_size=6),
    st.datetimes(min_value=datetime.datetime(1990, 1, 1)),
    st.builds(ObjectId),
    st.sampled_from([decimal.Decimal("1.25"), Decimal128("2.5")]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["region", "min", "note", "$gt", "other"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
NAMES = st.sampled_from([*PARAMS, "unknown"])
REQUESTS = st.dictionaries(NAMES, VALUES, max_size=8).map(
    # Most draws then carry the required parameters, so that the others decide.
    lambda r: r if len(r) % 3 == 0 else {"when": "2024-03-01", "maybe": None, **r}
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=REQUESTS)
def test_the_model_accepts_exactly_what_render_accepts(
    pipeline: Pipeline, request: dict[str, Any]
) -> None:
    model = pipeline.params_model()
    try:
        stages = pipeline.render(request)
    except ParameterError:
        stages = None
    try:
        validated = model.model_validate(request)
    except pydantic.ValidationError:
        validated = None
    assert (validated is None) == (stages is None), (request, stages, validated)
    if validated is not None:
        assert typed(pipeline.render(validated.to_params())) == typed(stages)


def test_the_model_is_as_strict_as_render(pipeline: Pipeline) -> None:
    model = pipeline.params_model()
    with pytest.raises(pydantic.ValidationError) as caught:
        model.model_validate({"when": "2024-03-01", "maybe": 1, "n": "50"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("n",)
    assert error["msg"] == "expected int, got str '50'"
    # None means "left out", as in render: the default applies.
    made = model.model_validate({"when": "2024-03-01", "maybe": 1, "n": None})
    assert made.n == 10  # type: ignore[attr-defined]
    with pytest.raises(pydantic.ValidationError, match=r"unknown\n.*Extra inputs"):
        model.model_validate({"when": "2024-03-01", "maybe": 1, "unknown": 1})
    with pytest.raises(pydantic.ValidationError, match=r"filt\n.*region: missing required string"):
        model.model_validate({"when": "2024-03-01", "filt": {"min": 1}, "maybe": 1})


def test_fields_carry_the_declared_name_even_where_python_cannot(pipeline: Pipeline) -> None:
    model = pipeline.params_model()
    assert model.__name__ == "ShopAllParams"
    assert model.model_fields["json_"].alias == "json"
    made = model.model_validate({"when": "2024-03-01", "json": True, "maybe": None})
    assert made.to_params() == {
        "when": datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc),
        "json": True,
        "maybe": None,
    }
    assert pipeline.params_model() is model  # built once


def test_the_json_schema_shows_the_declared_constraints(pipeline: Pipeline) -> None:
    schema = pipeline.params_model().model_json_schema()
    properties = schema["properties"]
    assert schema["required"] == ["when", "maybe"]
    assert schema["additionalProperties"] is False
    n = properties["n"]
    assert n["anyOf"][0] == {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100}
    assert n["default"] == 10
    assert n["description"] == "How many"
    assert properties["name"]["anyOf"][0] == {
        "type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$",
    }  # fmt: skip
    assert properties["color"]["anyOf"][0]["enum"] == ["red", "green"]
    assert properties["maybe"]["anyOf"] == [
        {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
        {"type": "null"},
    ]
    assert properties["tags"]["anyOf"][0] == {
        "type": "array",
        "items": {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
        "maxItems": 3,
    }
    filt = properties["filt"]["anyOf"][0]
    assert filt["required"] == ["region"]
    assert filt["additionalProperties"] is False
    assert filt["properties"]["min"]["default"] == 0
    assert properties["when"]["x-minimum"] == "2000-01-01T00:00:00Z"
    assert properties["oid"]["anyOf"][0]["pattern"] == "^[0-9a-fA-F]{24}$"
