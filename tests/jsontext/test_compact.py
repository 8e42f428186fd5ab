"""Compact JSON text from orjson where it can be trusted, from the standard library elsewhere."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereg.jsontext import compact as encoding
from pipereg.jsontext.compact import compact, encode_file, fast_compact
from pipereg.jsontext.parse import parse_document

orjson = pytest.importorskip("orjson")

_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_orjson_texts_read_back_as_the_value_and_strings_are_spelled_alike(value: Any) -> None:
    # Parsed values hold no unpaired surrogates here: parse_document rejects those files.
    text = compact(value)
    fast = fast_compact(value, source=text)
    if "\\ud" in json.dumps(value):  # an unpaired surrogate: orjson refuses, compact is used
        return
    assert fast is not None
    assert compact(json.loads(fast[0])) == text
    assert fast[0].count(":") == text.count(":")


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**63) - 1, {"a": [2**70]}, _deep(300)],
    ids=["past-64-bits", "below-int64", "nested-big-int", "deeper-than-orjson-goes"],
)
def test_what_orjson_refuses_is_left_to_compact(value: Any) -> None:
    assert fast_compact(value) is None


def test_infinity_which_orjson_writes_as_null_is_left_to_compact() -> None:
    # 1e400 parses as infinity; orjson would write it as null.
    source = '{"version": 1, "pipelines": {"p": {"stages": [{"$limit": 1e400}]}}}'
    document = json.loads(source)
    assert fast_compact(document, source=source) is None
    ((_, stage_texts),) = encode_file(document, source).texts.values()
    assert stage_texts == ['{"$limit":Infinity}']
    # A null the source holds is no such sign.
    source = '{"version": 1, "pipelines": {"p": {"stages": [{"$limit": null}]}}}'
    assert fast_compact(json.loads(source), source=source) is not None


def test_without_orjson_the_standard_encoder_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "orjson", None)
    assert fast_compact({"a": 1.5}) is None
    text = '{"version": 1, "pipelines": {"p": {"stages": [{"$match": {"a": 1e-7}}]}}}'
    parsed = parse_document(text, "f.json")
    pipelines = parsed.document["pipelines"]
    assert parsed.texts("p", "stages", pipelines["p"]["stages"]) == ['{"$match":{"a":1e-07}}']


def test_orjson_spells_a_float_its_own_way() -> None:
    text = '{"version": 1, "pipelines": {"p": {"stages": [{"$match": {"a": 1e-7}}]}}}'
    parsed = parse_document(text, "f.json")
    pipelines = parsed.document["pipelines"]
    assert parsed.texts("p", "stages", pipelines["p"]["stages"]) == ['{"$match":{"a":1e-7}}']


def test_the_module_loads_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now raises ImportError
    try:
        reloaded = importlib.reload(encoding)
        assert reloaded.orjson is None
        assert reloaded.fast_compact([1]) is None
    finally:
        monkeypatch.undo()
        importlib.reload(encoding)


@pytest.mark.parametrize(
    ("number", "fit"),
    [
        ("1", True),
        ("-5.5e-7", True),
        ("9007199254740991", True),  # 2**53 - 1
        ("9007199254740993", False),  # past 2**53: told apart by the 19-digit test instead
        ("9223372036854775808", False),  # 2**63: BSON cannot hold it
        ("1e400", False),  # infinity
    ],
)
def test_the_encoding_tells_whether_every_number_fits(number: str, fit: bool) -> None:
    source = (
        '{"version": 1, "pipelines": {"p": {"collection": "c", "stages": [{"$limit": '
        + number
        + "}]}}}"
    )
    encoding = encode_file(json.loads(source), source)
    assert encoding.numbers_fit is fit
    ((_, stage_texts),) = encoding.texts.values()
    assert json.loads(stage_texts[0]) == {"$limit": json.loads(number)}
