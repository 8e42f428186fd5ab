"""Placeholders read from text at load: where it answers, it agrees with build().

Where it cannot be sure it says None; tests/check/test_prefilter_properties.py checks whole loads
against the full checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereg.bson_limits import NESTING_LIMIT
from pipereg.check.prefilter import (
    Mark,
    Marks,
    _marks_string_by_string,
    literal_free,
    marks,
    nests_deeper,
    sketch,
    sketch_file,
)
from pipereg.compile.template import build
from pipereg.jsontext.compact import encode_file
from pipereg.jsontext.parse import compact

BASE = ("pipelines", "p", "stages")


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([{"$match": {"a": 1}}], []),
        ([{"$limit": "<<n>>"}], [Mark("n", "value")]),
        ([{"$sort": {"<<f>>": 1}}], [Mark("f", "key")]),
        ([{"$set": {"x": "a-<<p>>-<<q>>"}}], [Mark("p", "text"), Mark("q", "text")]),
        ([{"$set": {"x": "$<<f>>"}}], [Mark("f", "text", dollar=True)]),
        ([{"$set": {"x": "$$<<v>>.y"}}], [Mark("v", "text", dollar=True)]),
        ([{"$set": {"x": "<<<< <<p>>"}}], [Mark("p", "text")]),
        ([{"$set": {"x": "<<<<"}}], []),
        ([{"$set": {"a<<<<b": 1}}], []),
        ([{"$set": {"x": "é <<p>>"}}], [Mark("p", "text")]),
    ],
)
def test_marks_read_placeholders_as_build_finds_them(
    stages: list[Any], expected: list[Mark]
) -> None:
    assert marks(compact(stages)) == _as_marks(expected)
    sites = build(stages, BASE, stages=True).sites
    assert [(s.name, s.kind) for s in sites] == [(m.name, m.kind) for m in expected]


def _as_marks(found: list[Mark]) -> Marks:
    # What marks() tells of these placeholders: every name, and the ones not a whole value.
    return Marks({m.name for m in found}, [m for m in found if m.kind != "value"])


@pytest.mark.parametrize(
    "stages",
    [
        [{"$set": {"x": 'q"<<p>>'}}],  # an escaped quote before the placeholder
        [{"$set": {"x": "<<p>>\n"}}],  # an escape after it
        [{"$set": {"x": "a\\b <<p>>"}}],
        [{"$set": {"x": "<<p"}}],  # unclosed: PR025
        [{"$set": {"x": "<<1p>>"}}],  # not a name: PR025
        [{"$set": {"a<<p>>": 1}}],  # embedded in a key: PR026
    ],
)
def test_marks_are_unsure_of_escapes_and_mistakes(stages: list[Any]) -> None:
    assert marks(compact(stages)) is None


@pytest.mark.parametrize(
    ("node", "free"),
    [
        ({"a": 1, "b": "$oidx", "c": 123456789012345678}, True),
        # Valid $oid and $date literals with a plain string are read (as build reads them) and
        # vouched for.
        ({"a": {"$oid": "65f1c000000000000000000b"}}, True),
        ({"a": {"$date": "2024-01-01T00:00:00Z"}}, True),
        (
            {"a": [{"$date": "2024-01-01T00:00:00.125Z"}, {"$oid": "65F1C000000000000000000B"}]},
            True,
        ),
        # Anything else build converts or reports: other spellings, invalid ones, other kinds.
        ({"a": {"$oid": "65f1c000000000000000000"}}, False),
        ({"a": {"$oid": "65f1c000000000000000000b", "x": 1}}, False),
        ({"a": {"$date": "2024-01-01"}}, True),  # a date alone: the date grammar reads it
        ({"a": {"$date": "2024-01-01T25:00:00Z"}}, False),
        ({"a": {"$date": "2024-02-30T00:00:00Z"}}, False),
        ({"a": {"$date": {"$numberLong": "0"}}}, False),
        ({"a": {"$oid": "65f1c000000000000000000b"}, "b": {"$numberInt": "1"}}, False),
        ({"a": 1234567890123456789}, False),  # 19 digits: may not fit 64 bits
        ({"a": float("inf")}, False),
    ],
)
def test_literal_free_tells_what_build_would_convert_or_report(node: Any, free: bool) -> None:
    assert literal_free(compact(node)) is free


def deep(levels: int) -> Any:
    node: Any = 1
    for _ in range(levels):
        node = {"a": node}
    return node


@pytest.mark.parametrize("levels", [1, 50, 99, 100, 101, 150])
def test_nests_deeper_agrees_with_the_depth_build_reports(levels: int) -> None:
    # A stage list holding one stage nested ``levels`` deep: build() reports PR051 past 100
    # levels below the list, the stage's own brackets counting from 1 below it.
    stages = [deep(levels)]
    reported = any(f.code == "PR051" for f in build(stages, BASE, stages=True).findings)
    # Read over the whole list, nothing deeper than NESTING_LIMIT brackets is ever reported...
    assert not reported or nests_deeper(compact(stages), NESTING_LIMIT)
    # ...and over one stage, one level less.
    assert not reported or nests_deeper(compact(stages[0]), NESTING_LIMIT - 1)
    assert nests_deeper(compact(stages), NESTING_LIMIT) is (levels + 1 > NESTING_LIMIT)


def test_nests_deeper_ignores_brackets_in_strings() -> None:
    assert not nests_deeper(compact(["}" * 200, "[" * 200, {"a": ["{"]}]), NESTING_LIMIT)
    assert nests_deeper(compact(deep(120)), NESTING_LIMIT)


_TOKEN = st.one_of(
    st.text(alphabet="<>$ax_1.:{}[],", max_size=12),
    st.sampled_from(
        [
            "<<a>>",
            "<<x_1>>",
            "$<<a>>",
            "$$<<x>>.a",
            "a-<<x>>-<<a>>",
            "<<<<",
            "<<1>>",
            "<<a",
            "<<<<a>>",
        ]
    ),
)
_NODE = st.recursive(
    st.one_of(st.none(), st.integers(-3, 3), _TOKEN),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_TOKEN, inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_NODE)
def test_the_one_expression_reading_agrees_with_the_string_by_string_one(node: Any) -> None:
    # marks() reads whole-string placeholders with one regular expression and the other
    # strings one by one; the string-by-string loop over all of the text must say the same.
    text = compact([node])  # a list, as a pipeline's stages are
    assert "\\" not in text
    found, expected = marks(text), _marks_string_by_string(text)
    assert (found is None) is (expected is None)
    if found is None or expected is None:
        return
    # The same placeholders; their order is no concern of the rules.
    assert found.names == {m.name for m in expected}
    assert sorted(found.others) == sorted(m for m in expected if m.kind != "value")
    sites = build([node], BASE).sites
    assert {s.name for s in sites} == found.names
    assert sorted((s.name, s.kind) for s in sites if s.kind != "value") == sorted(
        (m.name, m.kind) for m in found.others
    )


@pytest.mark.parametrize(
    ("pipeline", "plain"),
    [
        ({"stages": [{"$limit": "<<n>>"}], "options": {"maxTimeMS": 5}}, True),
        ({"stages": [{"$limit": "<<n>>"}], "options": {"let": {"x": "<<n>>"}}}, False),
        ({"stages": [{"$match": {"a": {"$oid": "65f1c000000000000000000b"}}}]}, True),  # valid
        ({"stages": [{"$match": {"a": {"$oid": "65f1c000000000000000000"}}}]}, False),
        ({"stages": [{"$match": {"a": {"$numberInt": "1"}}}]}, False),
        ({"stages": [{"$limit": 1}], "options": {"let": {"x": {"$date": "2024-01-01"}}}}, False),
        ({"stages": [{"$limit": 1}], "options": {"let": {"x": 1234567890123456789}}}, False),
        ({"stages": [{"$limit": 1}], "options": {"let": deep(120)}}, False),
        ({"stages": [{"$limit": 1}], "description": "filters by <<n>>"}, False),  # unsure: no
    ],
)
def test_a_plain_file_vouches_for_literals_and_options(pipeline: Any, plain: bool) -> None:
    document = {"version": 1, "pipelines": {"p": {"collection": "c", **pipeline}}}
    text = compact(document)
    encoding = encode_file(document, text)
    assert sketch_file(encoding.items, encoding.outline).plain is plain
    # What it vouches for, sketch() would have found without it.
    stages, options = pipeline["stages"], pipeline.get("options")
    texts = [compact(stage) for stage in stages]
    if plain:
        assert sketch(stages, options, texts) == sketch(stages, options, texts, file_plain=True)


def test_without_texts_a_plain_file_does_not_spare_the_tests() -> None:
    # Stages expanded after parsing have no texts: the file's word does not cover them.
    stages = [{"$match": {"a": {"$numberInt": "1"}}}]
    assert sketch(stages, None, file_plain=True) is None


@pytest.mark.parametrize(
    ("stages", "javascript_free"),
    [
        ([{"$match": {"a": 1}}], True),
        ([{"$match": {"$where": "this.a > 1"}}], False),
        ([{"$group": {"_id": 1, "x": {"$accumulator": {}}}}], False),
        ([{"$set": {"x": {"$function": {}}}}], False),
        ([{"$set": {"x": "$whereabouts"}}], True),
    ],
)
def test_a_file_tells_whether_it_names_javascript(stages: Any, javascript_free: bool) -> None:
    document = {"version": 1, "pipelines": {"p": {"collection": "c", "stages": stages}}}
    text = compact(document)
    encoding = encode_file(document, text)
    assert sketch_file(encoding.items, encoding.outline).javascript_free is javascript_free


def test_marks_are_unsure_of_a_text_that_is_one_string() -> None:
    # A pipeline's stages text is a list; a text that is a bare string has no quote before it.
    assert marks('"a-<<b>>"') is None


@pytest.mark.parametrize(("text", "plain"), [("a", True), ("a\x00b", False)])
def test_a_file_of_many_items_is_plain_unless_one_holds_a_nul(text: str, plain: bool) -> None:
    # The marker between encoded items holds NUL bytes of its own: they are not the file's.
    pipelines = {
        f"p{i}": {"collection": "c", "stages": [{"$match": {"a": text}}, {"$limit": 1}]}
        for i in range(3)
    }
    document = {"version": 1, "pipelines": pipelines}
    encoding = encode_file(document, compact(document))
    assert encoding.items.count("\\u0000") >= 2
    assert sketch_file(encoding.items, encoding.outline).plain is plain
