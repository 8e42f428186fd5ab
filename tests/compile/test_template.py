"""Placeholders located and parsed at load: slots, text, keys, escapes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import Decimal128, Int64, MinKey, ObjectId, Regex

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.compile.template import (
    FieldKey,
    Site,
    Slot,
    Text,
    build,
    walk_keys,
)
from pipereg.jsontext.parse import format_json_path

UTC = datetime.timezone.utc
BASE = ("pipelines", "p", "stages")
OID = "65f1c00000000000000000ff"


def tree(node: Any) -> Any:
    template = build(node, BASE)
    assert template.findings == []
    return template.tree


def parts(value: Any) -> Any:
    """What a Text renders from, without the empty literal parts (they render as nothing)."""
    if isinstance(value, Text):
        return ("Text", [p for p in value.parts if p != ""])
    return value


def findings(node: Any) -> list[tuple[str, str]]:
    return [(f.code, format_json_path(f.at)) for f in build(node, BASE).findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<<since>>", Slot("since"), id="whole"),
        pytest.param("<<_x1>>", Slot("_x1"), id="underscore-and-digit"),
        pytest.param("order-<<id>>", Text(("order-", Slot("id"))), id="prefix"),
        pytest.param("<<id>>-x", Text((Slot("id"), "-x")), id="suffix"),
        pytest.param("$<<field>>", Text(("$", Slot("field"))), id="field-reference"),
        pytest.param(
            "<<a>> and <<b>>", Text((Slot("a"), " and ", Slot("b"))), id="two-placeholders"
        ),
        pytest.param("<<a>>>", Text((Slot("a"), ">")), id="extra-angle"),
        pytest.param(" <<a>>", Text((" ", Slot("a"))), id="whitespace-is-text"),
        pytest.param("plain", "plain", id="plain"),
        pytest.param("a >> b", "a >> b", id="closing-only"),
        pytest.param("a < b <<<< c", "a < b << c", id="single-angle-and-escape"),
        pytest.param("", "", id="empty"),
    ],
)
def test_strings(text: str, expected: Any) -> None:
    built = tree(text)
    assert type(built) is type(expected)
    assert parts(built) == parts(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<<<<", "<<", id="alone"),
        pytest.param("<<<< Previous", "<< Previous", id="prefix"),
        pytest.param("a <<<< b <<<< c", "a << b << c", id="twice"),
        pytest.param("<<<<x>>", "<<x>>", id="looks-like-a-placeholder"),
        pytest.param("<<<<<<<<", "<<<<", id="double"),
        pytest.param("<<<<<<n>>>>", Text(("<<", Slot("n"), ">>")), id="around-a-placeholder"),
        pytest.param("Next >>", "Next >>", id="closing-needs-no-escape"),
    ],
)
def test_escapes(text: str, expected: Any) -> None:
    template = build(text, BASE)
    assert (parts(template.tree), template.findings) == (parts(expected), [])
    assert type(template.tree) is type(expected)
    if isinstance(expected, str):
        assert template.sites == []


def test_escaped_key_becomes_a_literal_key() -> None:
    assert tree({"<<<<k>>": 1, "a<<<<": 2}) == {"<<k>>": 1, "a<<": 2}


def test_key_placeholder_is_a_field_key() -> None:
    built = tree({"$sort": {"<<sort_by>>": -1, "_id": 1}})
    assert built == {"$sort": {FieldKey("sort_by"): -1, "_id": 1}}
    assert list(built["$sort"]) == [FieldKey("sort_by"), "_id"]


def test_sites_are_located_with_their_kind() -> None:
    node = [
        {"$match": {"a": "<<x>>", "b": {"$in": ["<<y>>", "id-<<z>>"]}}},
        {"$sort": {"<<f>>": 1}},
        {"$group": {"_id": "$<<f>>"}},
    ]
    assert build(node, BASE).sites == [
        Site("x", "value", (*BASE, 0, "$match", "a")),
        Site("y", "value", (*BASE, 0, "$match", "b", "$in", 0)),
        Site("z", "text", (*BASE, 0, "$match", "b", "$in", 1)),
        Site("f", "key", (*BASE, 1, "$sort", "<<f>>")),
        Site("f", "text", (*BASE, 2, "$group", "_id")),
    ]


def test_every_placeholder_in_one_string_is_a_site() -> None:
    assert [s.name for s in build("<<a>>-<<b>>-<<a>>", BASE).sites] == ["a", "b", "a"]


def test_non_string_values_stay_as_parsed() -> None:
    node = {"n": 1, "f": 1.5, "t": True, "z": None, "l": [], "d": {}}
    built = tree(node)
    assert built == node
    assert [type(v) for v in built.values()] == [int, float, bool, type(None), list, dict]


def test_key_order_is_kept() -> None:
    node = {"z": 1, "<<f>>": 2, "a": 3, "m": "<<x>>"}
    assert list(tree(node)) == ["z", FieldKey("f"), "a", "m"]


MALFORMED = [
    pytest.param("<<>>", id="empty-name"),
    pytest.param("<<a b>>", id="space"),
    pytest.param("<< a>>", id="leading-space"),
    pytest.param("<<$x>>", id="dollar"),
    pytest.param("<<1x>>", id="leading-digit"),
    pytest.param("<<a-b>>", id="dash"),
    pytest.param("<<a.b>>", id="dot"),
    pytest.param("<<x", id="unclosed"),
    pytest.param("<<x>", id="half-closed"),
    pytest.param("<<<", id="three-angles"),
    pytest.param("order-<<id", id="unclosed-in-text"),
    pytest.param("text <<a b>> text", id="invalid-in-text"),
]


@pytest.mark.parametrize(
    "text",
    [
        *MALFORMED,
        pytest.param("<<a>> <<", id="unclosed-after-a-placeholder"),
        pytest.param("<<a>> <<b c>>", id="invalid-after-a-placeholder"),
    ],
)
def test_malformed_placeholder_value(text: str) -> None:
    node = {"$match": {"a": text}}
    assert findings([node]) == [("PR025", "$.pipelines.p.stages[0].$match.a")]
    # The string is kept as written: nothing is rendered from a file with errors anyway.
    assert build([node], BASE).tree == [node]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_placeholder_key(text: str) -> None:
    (finding,) = build({"$project": {text: 1}}, BASE).findings
    assert (finding.code, finding.at) == ("PR025", (*BASE, "$project", text))


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("x.<<f>>", id="prefix"),
        pytest.param("<<f>>.total", id="suffix"),
        pytest.param("$<<f>>", id="dollar"),
        pytest.param("<<f>><<g>>", id="two"),
        pytest.param("<<<<<<f>>", id="after-escape"),
    ],
)
def test_placeholder_embedded_in_a_key(key: str) -> None:
    template = build({"$sort": {key: 1}}, BASE)
    assert [(f.code, f.at) for f in template.findings] == [("PR026", (*BASE, "$sort", key))]
    assert template.sites == []


def test_messages_say_how_to_write_a_literal() -> None:
    (unclosed,) = build("a <<b", BASE).findings
    (invalid,) = build("<<a b>>", BASE).findings
    (embedded,) = build({"x<<f>>": 1}, BASE).findings
    assert unclosed.message == "unclosed placeholder in 'a <<b' (write <<<< for a literal <<)"
    assert "invalid placeholder <<a b>>" in invalid.message
    assert "write <<<< for a literal <<" in invalid.message
    assert embedded.message == "a key may only be a whole placeholder, not 'x<<f>>'"


def test_every_problem_is_reported_with_its_own_path() -> None:
    node = [
        {"$match": {"a": "<<>>", "b": ["ok", "<<x"], "c<<f>>": 1}},
        {"$project": {"<<a b>>": 1, "d": {"$oid": "nope"}}},
    ]
    assert findings(node) == [
        ("PR025", "$.pipelines.p.stages[0].$match.a"),
        ("PR025", "$.pipelines.p.stages[0].$match.b[1]"),
        ("PR026", '$.pipelines.p.stages[0].$match["c<<f>>"]'),
        ("PR025", '$.pipelines.p.stages[1].$project["<<a b>>"]'),
        ("PR050", "$.pipelines.p.stages[1].$project.d"),
    ]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param(
            {"$date": "2024-03-01T10:30:00Z"},
            datetime.datetime(2024, 3, 1, 10, 30, tzinfo=UTC),
            id="date",
        ),
        pytest.param(
            {"$date": "2024-03-01T12:30:00.250+02:00"},
            datetime.datetime(2024, 3, 1, 10, 30, 0, 250000, tzinfo=UTC),
            id="date-offset",
        ),
        # The canonical form: the only one for dates before 1970 or after 9999.
        pytest.param(
            {"$date": {"$numberLong": "1709289000000"}},
            datetime.datetime(2024, 3, 1, 10, 30, tzinfo=UTC),
            id="date-canonical",
        ),
        pytest.param(
            {"$date": {"$numberLong": "-86400000"}},
            datetime.datetime(1969, 12, 31, tzinfo=UTC),
            id="date-canonical-before-1970",
        ),
        pytest.param({"$oid": OID}, ObjectId(OID), id="oid"),
        pytest.param({"$numberDecimal": "12.50"}, Decimal128("12.50"), id="decimal"),
        pytest.param({"$numberLong": "9000000000"}, Int64(9_000_000_000), id="long"),
        pytest.param({"$numberLong": "1"}, Int64(1), id="small-long"),
        pytest.param({"$numberInt": "7"}, 7, id="int"),
        pytest.param({"$numberDouble": "1"}, 1.0, id="double"),
        pytest.param(
            {"$regularExpression": {"pattern": "^a", "options": "i"}}, Regex("^a", "i"), id="regex"
        ),
        pytest.param({"$minKey": 1}, MinKey(), id="minKey"),
    ],
)
def test_extended_json_literals_become_bson_values(node: dict[str, Any], expected: Any) -> None:
    value = tree({"$match": {"a": node}})["$match"]["a"]
    assert type(value) is type(expected)
    if isinstance(expected, datetime.datetime):
        assert value.utcoffset() == datetime.timedelta(0)
    if isinstance(expected, Regex):
        assert (value.pattern, value.flags) == (expected.pattern, expected.flags)
    else:
        assert str(value) == str(expected)
        assert value == expected


def test_extended_json_literals_inside_arrays() -> None:
    built = tree({"$in": [{"$oid": OID}, {"$numberLong": "2"}]})
    assert built == {"$in": [ObjectId(OID), 2]}
    assert [type(v) for v in built["$in"]] == [ObjectId, Int64]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param(
            {"$regex": "^a", "$options": "i"},
            {"$regex": "^a", "$options": "i"},
            id="regex-operator",
        ),
        pytest.param(
            {"$regex": "<<p>>", "$options": "i"},
            {"$regex": Slot("p", regex=True), "$options": "i"},
            id="regex-with-placeholder",
        ),
        pytest.param({"$regex": "^a"}, {"$regex": "^a"}, id="regex-alone"),
        pytest.param({"$gte": "<<since>>"}, {"$gte": Slot("since")}, id="operator"),
    ],
)
def test_documents_that_are_not_literals_stay_documents(node: Any, expected: Any) -> None:
    assert tree(node) == expected


@pytest.mark.parametrize(
    "node",
    [
        pytest.param({"$oid": "xyz"}, id="oid"),
        pytest.param({"$oid": 5}, id="oid-number"),
        pytest.param({"$numberLong": "x"}, id="long"),
        pytest.param({"$numberDecimal": "abc"}, id="decimal"),
        pytest.param({"$date": "not a date"}, id="date"),
        pytest.param({"$date": "2024-13-01T00:00:00Z"}, id="date-month-13"),
        pytest.param({"$date": "<<since>>"}, id="placeholder-inside"),
    ],
)
def test_invalid_extended_json_literal(node: dict[str, Any]) -> None:
    template = build({"$match": {"a": {"$gte": node}}}, BASE)
    (finding,) = template.findings
    assert (finding.code, format_json_path(finding.at)) == (
        "PR050",
        "$.pipelines.p.stages.$match.a.$gte",
    )
    assert finding.message.startswith("invalid Extended JSON {")
    assert template.sites == []


@pytest.mark.parametrize(
    "node",
    [
        pytest.param({"$date": "2024-03-01T00:00:00Z", "x": 1}, id="date-with-another-key"),
        pytest.param({"$oid": "65f1c00000000000000000ff", "$lt": 1}, id="oid-with-operator"),
    ],
)
def test_a_wrapper_key_must_be_alone(node: dict[str, Any]) -> None:
    # Not a literal and not a valid document either: the server would reject the key.
    (finding,) = build({"$match": {"a": node}}, BASE).findings
    assert finding.code == "PR050"
    assert "must be the only key of its object" in finding.message


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (2**64, "does not fit a 64-bit integer"),
        (-(2**63) - 1, "does not fit a 64-bit integer"),
        (float("inf"), "too large for a double"),
    ],
)
def test_numbers_bson_cannot_hold_are_errors(node: Any, message: str) -> None:
    (finding,) = build({"$match": {"a": node}}, BASE).findings
    assert (finding.code, format_json_path(finding.at)) == (
        "PR050",
        "$.pipelines.p.stages.$match.a",
    )
    assert message in finding.message


def test_walk_keys_shows_key_placeholders_as_written() -> None:
    built = tree([{"$sort": {"<<f>>": {"x": 1}}}])
    assert [(path, key) for path, key, _ in walk_keys(built, ("s",))] == [
        (("s", 0, "$sort"), "$sort"),
        (("s", 0, "$sort", "<<f>>"), FieldKey("f")),
        (("s", 0, "$sort", "<<f>>", "x"), "x"),
    ]


# Placeholder use rules, checked at load with the declarations (pipereg.check.rules via the loader).


def _load(
    write_tree: WriteTree, params: dict[str, Any], stages: list[Any]
) -> list[tuple[str, str]]:
    document = pipeline_file({"p": {"collection": "c", "params": params, "stages": stages}})
    try:
        Registry.from_paths(write_tree({"m.json": document}))
    except PipelineLoadError as exc:
        return [(p.code, p.json_path) for p in exc.problems]
    return []


@pytest.mark.parametrize(
    ("decl", "codes"),
    [
        pytest.param({"type": "int"}, [], id="required-int"),
        pytest.param({"type": "date", "default": "2024-01-01"}, [], id="defaulted-date"),
        pytest.param(
            {"type": "bool", "optional": True, "default": False}, [], id="optional-default"
        ),
        pytest.param({"type": "objectId"}, [], id="objectId"),
        pytest.param({"type": "decimal"}, [], id="decimal"),
        pytest.param({"type": "field"}, [], id="field"),
        pytest.param({"type": "string", "optional": True}, ["PR023"], id="optional"),
        pytest.param({"type": "int", "nullable": True}, ["PR023"], id="nullable"),
        pytest.param(
            {"type": "int", "nullable": True, "default": 1}, ["PR023"], id="nullable-default"
        ),
        pytest.param({"type": "array", "items": {"type": "int"}}, ["PR023"], id="array"),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "int"}}}, ["PR023"], id="object"
        ),
    ],
)
def test_only_scalar_always_present_params_are_embedded(
    write_tree: WriteTree, decl: dict[str, Any], codes: list[str]
) -> None:
    problems = _load(write_tree, {"n": decl}, [{"$match": {"label": "order-<<n>>"}}])
    assert problems == [(code, "$.pipelines.p.stages[0].$match.label") for code in codes]


@pytest.mark.parametrize(
    ("decl", "codes"),
    [
        pytest.param({"type": "field"}, [], id="field"),
        pytest.param({"type": "field", "enum": ["a", "b"]}, [], id="field-enum"),
        pytest.param({"type": "string"}, ["PR024"], id="string"),
        pytest.param({"type": "int"}, ["PR024"], id="int"),
    ],
)
def test_key_placeholder_must_be_a_field(
    write_tree: WriteTree, decl: dict[str, Any], codes: list[str]
) -> None:
    problems = _load(write_tree, {"f": decl}, [{"$sort": {"<<f>>": 1}}])
    assert problems == [(code, '$.pipelines.p.stages[0].$sort["<<f>>"]') for code in codes]


def test_placeholder_errors_fail_the_load_with_their_paths(write_tree: WriteTree) -> None:
    stages = [
        {"$match": {"a": "<<a b>>", "b<<f>>": 1, "c": {"$oid": "zz"}}},
        {"$limit": "<<n>>"},
    ]
    problems = _load(write_tree, {"n": {"type": "int"}, "f": {"type": "field"}}, stages)
    # In file order; the key is no placeholder, so f is also reported unused.
    assert problems == [
        ("PR021", "$.pipelines.p.params.f"),
        ("PR025", "$.pipelines.p.stages[0].$match.a"),
        ("PR026", '$.pipelines.p.stages[0].$match["b<<f>>"]'),
        ("PR050", "$.pipelines.p.stages[0].$match.c"),
    ]
