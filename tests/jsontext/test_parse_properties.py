"""Duplicate keys found by counting colons are exactly the duplicate keys (pipereg.jsontext.parse).

``parse_document`` parses with the C scanner alone and compares the colons of the text with
those of a compact re-encoding of the parsed document; only when they differ (or the text
escapes a colon) does it parse again with the duplicate-key hook. Here generated texts, with and
without repeated keys, with colons, quotes and backslashes in keys and strings, escaped or not,
and arbitrary whitespace, must give what the hook gives: the same document, or the same PR002
problems. The stage texts read from the one encoding must be each stage's own compact text.
"""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipereg.jsontext import compact as encoding
from pipereg.jsontext import parse
from pipereg.jsontext.parse import ParseFailure, Positions, compact, parse_document

EXAMPLES = int(os.environ.get("PIPEREG_FUZZ_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Few characters, so that keys repeat often; those that matter to the count among them.
_KEY = st.text(alphabet='ab:"\\é', max_size=3)
_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)
)
_STRING = st.text(alphabet='a:"\\<>{}[],\x00 é\u2028', max_size=6)


class _Object(list[tuple[str, Any]]):
    """An object as written: its members in order, repeated keys kept."""


_VALUE = st.recursive(
    st.one_of(_SCALAR, _STRING),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.tuples(_KEY, inner), max_size=4).map(_Object),
    ),
    max_leaves=25,
)


@st.composite
def written(draw: st.DrawFn, value: Any) -> str:
    """JSON text for a value, with whitespace and escapes drawn: many texts for one value."""

    def space() -> str:
        return draw(st.sampled_from(["", " ", "\n  ", "\t"]))

    def string(text: str) -> str:
        out = json.dumps(text, ensure_ascii=draw(st.booleans()))
        if draw(st.booleans()):
            out = out.replace("a", "\\u0061")
        if draw(st.booleans()):
            out = out.replace(":", draw(st.sampled_from(["\\u003a", "\\u003A"])))
        return out

    def write(node: Any) -> str:
        if isinstance(node, _Object):
            members = [f"{space()}{string(k)}{space()}:{space()}{write(v)}" for k, v in node]
            return "{" + ",".join(members) + space() + "}"
        if isinstance(node, list):
            return "[" + ",".join(space() + write(item) for item in node) + space() + "]"
        if isinstance(node, str):
            return string(node)
        return json.dumps(node)

    return space() + write(value) + space()


def by_hook(text: str) -> Any:
    """What the hook-based parse gives: the document, or the PR002 problems located."""
    try:
        return parse._DECODER.decode(text)
    except parse._DuplicateKey:
        return [("PR002", at, key, place) for at, key, place in Positions(text).duplicates]


def by_count(text: str) -> Any:
    try:
        return parse_document(text, "f.json").document
    except ParseFailure as failure:
        return [(p.code, p.json_path, p.message, (p.line, p.column)) for p in failure.problems]


def same(text: str) -> None:
    expected = by_hook(text)
    found = by_count(text)
    if isinstance(expected, list) and expected and isinstance(expected[0], tuple):
        assert [(c, parse.format_json_path(at), f"duplicate key {k!r}", pl)
                for c, at, k, pl in expected] == found  # fmt: skip
    else:
        assert found == expected
        assert json.dumps(found) == json.dumps(expected)  # key order too


@SETTINGS
@given(st.data(), _VALUE)
def test_duplicates_found_by_count_are_those_the_hook_finds(
    data: st.DataObject, value: Any
) -> None:
    same(data.draw(written(value)))


def _stage() -> st.SearchStrategy[Any]:
    return st.lists(st.tuples(_KEY, _VALUE), min_size=1, max_size=3).map(_Object)


_MARKS = st.sampled_from([encoding.ITEM_MARK, "x"])


@st.composite
def pipeline_file(draw: st.DrawFn) -> Any:
    pipelines = []
    for i in range(draw(st.integers(0, 4))):
        stages = draw(
            st.one_of(
                st.lists(st.one_of(_stage(), _MARKS.map(lambda m: _Object([("$m", [0, m, 1])]))),
                         max_size=4),
                _VALUE,
            )
        )  # fmt: skip
        params = draw(
            st.one_of(
                st.lists(st.tuples(_KEY, st.one_of(_stage(), _VALUE)), max_size=3).map(_Object),
                _VALUE,
            )
        )
        members = [("stages", stages), ("collection", "c"), ("params", params)]
        if draw(st.booleans()):
            members.append(("stages", draw(_VALUE)))  # a repeated stages key
        pipelines.append((f"p{i % 3}", _Object(members)))
    return _Object([("version", 1), ("pipelines", _Object(pipelines))])


@SETTINGS
@given(st.data(), pipeline_file())
def test_pipeline_files_and_their_stage_texts(data: st.DataObject, value: Any) -> None:
    text = data.draw(written(value))
    same(text)
    try:
        parsed = parse_document(text, "f.json")
    except ParseFailure:
        return
    for name, definition in parsed.document["pipelines"].items():
        for field, items in (("stages", definition["stages"]), ("params", definition["params"])):
            texts = parsed.texts(name, field, items)
            if texts is not None:
                listed = list(items.values()) if field == "params" else items
                # Each text is the item's compact text; orjson may spell a float otherwise.
                assert [compact(json.loads(t)) for t in texts] == [compact(i) for i in listed]
                assert all(
                    t == compact(i) for t, i in zip(texts, listed, strict=True) if not _floats(i)
                )
                # Another object (stages expanded after parsing, say) has no text here.
                assert parsed.texts(name, field, type(items)(items)) is None


def _floats(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_floats(v) for v in value.values())
    if isinstance(value, list):
        return any(_floats(v) for v in value)
    return isinstance(value, float)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a:b": 1, "a\\u003ab": 2}',  # one key, spelled twice
        '{"a\\u003ab": 1, "c": 2}',  # an escaped colon and no repeat
        '{"a\\u003ab": 1, "a\\u003Ab": 2}',  # a repeat whose colons the escapes hide
        '{"a": {"b": ":"}, "a": {}}',
        '{"x": "\\":", "x": "\\":"}',
        '{"version": 1, "pipelines": {"p": {"stages": [{"$m": 1}], "stages": []}}}',
        '{"version": 1, "pipelines": {"p": 1, "q": {"stages": [{"a": ":"}]}}}',  # p: no object
        '{"version": 1, "pipelines": {"p": 1, "p": {}}}',
        '{"version": 1, "pipelines": [{"a": 1, "a": 1}]}',
        '[{"pipelines": {"a": 1}}, {"pipelines": {"a": 1, "a": 2}}]',
        '{"version": 1, "pipelines": {"p": {"stages": [{"$m": "\\u0000pipereg stage\\u0000"}]}}}',
    ],
)
def test_known_cases(text: str) -> None:
    same(text)


def test_stage_texts_of_a_pipeline_file() -> None:
    text = (
        '{"version": 1, "pipelines": {"p": {"stages": [{"$match": {"a": "x:y"}}, {"$limit": 1}]},'
        ' "q": {"stages": []}, "r": {"stages": [{"$skip": 2}]}}}'
    )
    parsed = parse_document(text, "f.json")
    pipelines = parsed.document["pipelines"]
    assert parsed.texts("p", "stages", pipelines["p"]["stages"]) == [
        '{"$match":{"a":"x:y"}}',
        '{"$limit":1}',
    ]
    assert parsed.texts("q", "stages", pipelines["q"]["stages"]) == []  # the schema refuses it
    assert parsed.texts("r", "stages", pipelines["r"]["stages"]) == ['{"$skip":2}']


def test_a_stage_holding_the_marker_leaves_each_pipeline_to_encode_its_own() -> None:
    text = json.dumps(
        {"version": 1, "pipelines": {"p": {"stages": [{"$m": [1, encoding.ITEM_MARK, 2]}]},
                                     "q": {"stages": [{"$o": 1}]}}}
    )  # fmt: skip
    parsed = parse_document(text, "f.json")
    pipelines = parsed.document["pipelines"]
    assert parsed.texts("p", "stages", pipelines["p"]["stages"]) is None
    assert parsed.texts("q", "stages", pipelines["q"]["stages"]) is None
    assert parsed.document == json.loads(text)


@pytest.mark.parametrize("text", ['{"a": [{"b": 1}], "c": 2}', '{"a": [{"b": 1, "b": 2}]}'])
def test_a_document_too_deep_to_encode_is_parsed_with_the_hook(text: str) -> None:
    # The encoder may meet the recursion limit where the scanner did not: the hook decides.
    with mock.patch.object(parse, "encode_file", side_effect=RecursionError):
        same(text)
        if "2}]" not in text:
            assert parse_document(text, "f.json").encoded == {}
