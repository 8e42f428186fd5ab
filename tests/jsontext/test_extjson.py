"""Extended JSON literals: strict per type, deprecated types refused, one date grammar, no NUL.

The whole corpus of MongoDB's specification runs in tests/security/test_extjson_corpus.py; these
are the cases a user meets, with the messages they read.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Binary, Code, Int64, Regex, Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.compile.template import build
from pipereg.convert.shell_text import statement
from pipereg.jsontext import extjson
from pipereg.jsontext.extjson import literal
from pipereg.jsontext.parse import format_json_path
from pipereg.params.coerce import coerce
from pipereg.params.declaration import Param
from pipereg.params.values import Invalid

UTC = datetime.timezone.utc
BASE = ("pipelines", "p", "stages")


def read(node: Any) -> Any:
    template = build({"$match": {"a": node}}, BASE)
    assert template.findings == []
    return template.tree["$match"]["a"]


def refused(node: Any, *, options: bool = False) -> list[tuple[str, str, str]]:
    """The findings for ``node``, as a stage's ``$match`` (or as a pipeline's options)."""
    template = (
        build(node, ("pipelines", "p", "options")) if options else build([node], BASE, stages=True)
    )
    return [(f.code, format_json_path(f.at), f.message) for f in template.findings]


@pytest.mark.parametrize(
    ("node", "complaint"),
    [
        ({"$numberInt": " 42 "}, "ASCII digits only"),
        ({"$numberInt": "+1"}, "ASCII digits only"),
        ({"$numberInt": "\u0664\u0662"}, "ASCII digits only"),  # Arabic-Indic 42
        ({"$numberInt": "2147483648"}, "does not fit a 32-bit integer"),
        ({"$numberInt": 42}, "as a string"),
        ({"$numberLong": "1_000"}, "ASCII digits only"),
        ({"$numberLong": "9" * 5000}, "does not fit a 64-bit integer"),
        ({"$numberDouble": "1e400"}, 'write "Infinity" if meant'),
        ({"$numberDouble": "1e-400"}, "it would be read as 0"),
        ({"$numberDouble": "inf"}, "expected a decimal number"),
        ({"$numberDouble": " 1.5"}, "expected a decimal number"),
        ({"$numberDecimal": " 1"}, "Decimal128's syntax"),
        ({"$numberDecimal": "1_000"}, "Decimal128's syntax"),
        ({"$numberDecimal": "\u0661"}, "Decimal128's syntax"),  # Arabic-Indic 1
        ({"$numberDecimal": "NaN12"}, "Decimal128's syntax"),
        ({"$numberDecimal": "1" * 35}, "cannot be held exactly"),
        ({"$oid": "65F1C00000000000000000FZ"}, "24 hexadecimal digits"),
        ({"$minKey": True}, 'write {"$minKey": 1}'),
        ({"$maxKey": 0}, 'write {"$maxKey": 1}'),
        ({"$timestamp": {"t": "1", "i": 2}}, "unsigned 32-bit integer"),
        ({"$timestamp": {"t": 2**32, "i": 2}}, "unsigned 32-bit integer"),
        ({"$timestamp": {"t": 1}}, 'exactly "i" and "t"'),
        ({"$regularExpression": {"pattern": "a", "options": "g"}}, "unknown option 'g'"),
        ({"$regularExpression": {"pattern": "a"}}, 'exactly "options" and "pattern"'),
        ({"$binary": {"base64": "AQ", "subType": "00"}}, "not valid base64"),
        ({"$binary": {"base64": "AQ==", "subType": "100"}}, "one or two hexadecimal digits"),
        ({"$uuid": "73ffd264-44b3-4c69-90e8e7d1dfc035d4"}, "8-4-4-4-12"),
        ({"$date": True}, "integer milliseconds"),
        ({"$date": {"$numberLong": "1", "x": 1}}, "integer milliseconds"),
        ({"$date": {"$numberLong": "253402300800000"}}, "years run from 0001 to 9999"),
        ({"$date": -62135596800001}, "years run from 0001 to 9999"),
        ({"$date": "2024-03-01x"}, "not an ISO-8601 date"),
        ({"$date": {"$numberLong": " 1"}}, "ASCII digits only"),
        ({"$binary": {"base64": 0, "subType": "00"}}, "expected base64 as a string"),
        ({"$regularExpression": {"pattern": 1, "options": ""}}, "expected pattern as a string"),
    ],
)
def test_invalid_wrappers_are_refused_quoting_the_author(
    node: dict[str, Any], complaint: str
) -> None:
    (finding,) = refused({"$match": {"a": node}})
    code, path, message = finding
    assert (code, path) == ("PR050", "$.pipelines.p.stages[0].$match.a")
    assert complaint in message
    # The author's own text, as written (a long value clipped), not a re-serialisation.
    assert json.dumps(node, ensure_ascii=False, separators=(", ", ": "))[:60] in message


@pytest.mark.parametrize(
    ("node", "instead"),
    [
        ({"$code": 5}, "the code is a string"),
        ({"$code": "function() {}", "$scope": {}}, "$code with $scope"),
        ({"$symbol": "abc"}, "write the string itself"),
        (
            {"$dbPointer": {"$ref": "c", "$id": {"$oid": "56e1fc72e0c917e9c4714161"}}},
            'write a DBRef, {"$ref"',
        ),
        ({"$undefined": True}, "write null"),
        ({"$symbol": "abc", "x": 1}, "write the string itself"),
        ({"$code": "", "unrelated": True}, "must be the only key of its object"),
        ({"$binary": "AQ==", "$type": "00"}, '{"$binary": {"base64"'),
        ({"$binary": "AQ=="}, '{"$binary": {"base64"'),
    ],
)
def test_deprecated_and_legacy_types_are_refused_saying_what_to_write(
    node: dict[str, Any], instead: str
) -> None:
    # Left alone, each would reach the server as a $-keyed document and match nothing.
    (finding,) = refused({"$match": {"a": node}})
    assert finding[:2] == ("PR050", "$.pipelines.p.stages[0].$match.a")
    assert instead in finding[2]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"$numberInt": "-2147483648"}, -(2**31)),
        ({"$numberLong": "-9223372036854775808"}, Int64(-(2**63))),
        ({"$numberDouble": "-0.0"}, -0.0),
        ({"$timestamp": {"t": 4294967295, "i": 1}}, Timestamp(4294967295, 1)),
        (
            {"$uuid": "73ffd264-44b3-4c69-90e8-e7d1dfc035d4"},
            Binary(bytes.fromhex("73ffd26444b34c6990e8e7d1dfc035d4"), 4),
        ),
        ({"$binary": {"base64": "AQ==", "subType": "80"}}, Binary(b"\x01", 0x80)),
    ],
)
def test_valid_wrappers_give_their_bson_value(node: dict[str, Any], expected: Any) -> None:
    value = read(node)
    assert type(value) is type(expected)
    assert value == expected


EVERY_KIND = [
    {"$oid": "65f1c00000000000000000ff"},
    {"$date": "2024-03-01"},
    {"$date": {"$numberLong": "-62135596800000"}},
    {"$numberDecimal": "-0E+3"},
    {"$numberLong": "7"},
    {"$numberInt": "7"},
    {"$numberDouble": "-Infinity"},
    {"$numberDouble": "NaN"},
    {"$binary": {"base64": "", "subType": "0"}},
    {"$binary": {"base64": "//8=", "subType": "02"}},
    {"$uuid": "73ffd264-44b3-4c69-90e8-e7d1dfc035d4"},
    {"$regularExpression": {"pattern": "a/b", "options": "ix"}},
    {"$timestamp": {"t": 0, "i": 0}},
    {"$minKey": 1},
    {"$maxKey": 1},
]


@pytest.mark.parametrize("node", EVERY_KIND, ids=lambda node: next(iter(node)))
def test_every_literal_prints_as_render_prints_it(node: dict[str, Any]) -> None:
    # render prints relaxed or canonical Extended JSON, or a mongosh statement: each must take
    # every value a literal can be, and canonical text must read back to the same BSON (relaxed
    # text is lossy by design: a small Int64 prints as a plain number).
    document = {"a": read(node)}
    assert extjson.loads(extjson.dumps(document)).keys() == {"a"}
    canonical = extjson.dumps(document, canonical=True)
    assert bson.encode(extjson.loads(canonical)) == bson.encode(document)
    assert statement("c", [{"$match": document}], {}).startswith('db.getCollection("c")')


@pytest.mark.parametrize(
    "node",
    [{"$date": "<<since>>"}, {"$date": {"$numberLong": "<<ms>>"}}, {"$oid": "<<id>>"}],
)
def test_a_placeholder_inside_a_literal_is_told_what_to_write(node: dict[str, Any]) -> None:
    (finding,) = refused({"$match": {"a": node}})
    assert "a placeholder cannot stand inside a literal" in finding[2]
    assert '"<<name>>" with a parameter' in finding[2]


def test_regex_options_are_kept_and_unknown_ones_never_dropped() -> None:
    value = read({"$regularExpression": {"pattern": "^a", "options": "mix"}})
    assert isinstance(value, Regex)
    assert (value.pattern, value.flags) == ("^a", Regex("", "imx").flags)


# --- dates: literals read the grammar of date parameters, and mongoexport's forms -------------

MIDNIGHT = datetime.datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param({"$date": "2024-03-01"}, MIDNIGHT, id="plain-day"),
        pytest.param({"$date": "2024-03-01T00:00"}, MIDNIGHT, id="no-offset-is-utc"),
        pytest.param({"$date": "2024-03-01 02:00:00+02:00"}, MIDNIGHT, id="space-and-offset"),
        pytest.param({"$date": 1709251200000}, MIDNIGHT, id="mongoexport-millis"),
        pytest.param({"$date": {"$numberLong": "1709251200000"}}, MIDNIGHT, id="canonical"),
    ],
)
def test_date_literals_accept_the_forms_mongoexport_and_parameters_write(
    node: dict[str, Any], expected: Any
) -> None:
    value = read(node)
    assert type(value) is type(expected)
    assert value == expected


DATE_TEXTS = [
    "2024-03-01",
    "2024-03-01T10:30:00Z",
    "2024-03-01t10:30:00.5z",
    "2024-03-01 10:30",
    "2024-03-01T10:30:00.123456-05:30",
    "2024-02-30",
    "0000-01-01",
    "10000-01-01",
    "2024-3-1",
    "2024-03-01T10:30:00+0200",
    "\u0662\u0660\u0662\u0664-03-01",  # Arabic-Indic digits
    "9999-12-31T23:00:00-05:00",
    "",
]


# Date-like text: the grammar's parts, each sometimes malformed, in any order of success.
_PART = st.integers(0, 10000).map(str) | st.sampled_from(["", "00", "1", "٢", " "])
DATE_LIKE = st.one_of(
    st.text(alphabet="0123456789-:T Zz+.", max_size=32),
    st.builds(
        lambda y, mo, d, sep, h, mi, se, frac, off: f"{y}-{mo}-{d}{sep}{h}:{mi}:{se}{frac}{off}",
        st.integers(0, 10001).map(lambda n: f"{n:04d}"),
        st.integers(0, 13).map(lambda n: f"{n:02d}"),
        st.integers(0, 32).map(lambda n: f"{n:02d}"),
        st.sampled_from(["T", "t", " ", "_"]),
        st.integers(0, 24).map(lambda n: f"{n:02d}"),
        _PART,
        st.integers(0, 60).map(lambda n: f"{n:02d}"),
        st.sampled_from(["", ".5", ".123", ".1234567"]),
        st.sampled_from(["", "Z", "z", "+02:00", "-23:59", "+0200", "+24:00"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(DATE_LIKE)
def test_generated_date_text_is_a_literal_exactly_when_it_is_a_date_parameter(text: str) -> None:
    test_a_date_text_is_a_literal_exactly_when_it_is_a_date_parameter(text)


@pytest.mark.parametrize("text", DATE_TEXTS)
def test_a_date_text_is_a_literal_exactly_when_it_is_a_date_parameter(text: str) -> None:
    try:
        expected: Any = coerce(Param("when", "date"), text)
    except Invalid:
        expected = None
    template = build({"$match": {"a": {"$date": text}}}, BASE)
    if expected is None:
        (finding,) = template.findings
        # The message quotes exactly what the author wrote.
        assert (
            f"invalid Extended JSON {json.dumps({'$date': text}, ensure_ascii=False)}:"
            in finding.message
        )
    else:
        assert template.findings == []
        assert template.tree["$match"]["a"] == expected


# --- NUL bytes: BSON writes keys, regular expressions and namespaces as C strings -------------


@pytest.mark.parametrize(
    ("node", "path"),
    [
        pytest.param({"$match": {"a\x00": 1}}, '$match["a\\u0000"]', id="key"),
        pytest.param(
            {"$match": {"a": {"b\x00c": {"x": 1}}}}, '$match.a["b\\u0000c"]', id="deep-key"
        ),
        pytest.param({"$project": {"a\x00": "<<p>>"}}, '$project["a\\u0000"]', id="key-of-slot"),
        pytest.param({"$match": {"a": {"$regex": "x\x00"}}}, "$match.a.$regex", id="regex"),
        pytest.param(
            {"$match": {"a": {"$regex": "x", "$options": "i\x00"}}},
            "$match.a.$options",
            id="options",
        ),
        pytest.param(
            {"$match": {"a": {"$regularExpression": {"pattern": "b\x00", "options": ""}}}},
            "$match.a",
            id="regularExpression-pattern",
        ),
        pytest.param(
            {"$match": {"a": {"$regularExpression": {"pattern": "b", "options": "i\x00"}}}},
            "$match.a",
            id="regularExpression-options",
        ),
        pytest.param(
            {"$match": {"$expr": {"$regexMatch": {"input": "$a", "regex": "x\x00"}}}},
            "$match.$expr.$regexMatch.regex",
            id="regexMatch",
        ),
        pytest.param(
            {"$lookup": {"from": "c\x00", "as": "x", "pipeline": []}}, "$lookup.from", id="lookup"
        ),
        pytest.param(
            {"$lookup": {"from": "c", "as": "x\x00", "pipeline": [], "a\x00": 1}},
            '$lookup["a\\u0000"]',
            id="lookup-key",
        ),
        pytest.param({"$graphLookup": {"from": "c\x00"}}, "$graphLookup.from", id="graphLookup"),
        pytest.param({"$unionWith": "c\x00"}, "$unionWith", id="unionWith"),
        pytest.param({"$unionWith": {"coll": "c\x00"}}, "$unionWith.coll", id="unionWith-coll"),
        pytest.param({"$out": {"db": "d\x00", "coll": "c"}}, "$out.db", id="out-db"),
        pytest.param(
            {"$merge": {"into": {"db": "d", "coll": "c\x00"}}}, "$merge.into.coll", id="merge-into"
        ),
        pytest.param({"$merge": "c\x00"}, "$merge", id="merge"),
    ],
)
def test_nul_bytes_are_refused_where_bson_cannot_carry_them(
    node: dict[str, Any], path: str
) -> None:
    findings = refused(node)
    assert findings, "a NUL byte passed the load"
    code, at, message = findings[0]
    assert (code, at) == ("PR050", f"$.pipelines.p.stages[0].{path}")
    assert "NUL byte" in message
    assert "\\u0000" in message  # quoted as the author wrote it


def test_nul_bytes_in_option_keys_are_refused() -> None:
    (finding,) = refused({"collation": {"locale\x00": "en"}}, options=True)
    assert finding[:2] == ("PR050", '$.pipelines.p.options.collation["locale\\u0000"]')


def test_a_wrapper_holding_an_integer_too_long_to_print_is_refused_plainly() -> None:
    # Defaults and seed data reach the readers too; their message must not fail in turn.
    with pytest.raises(extjson.ExtJsonError, match="integer of"):
        extjson.literal({"$date": 10**5000})


def test_a_nul_byte_in_a_plain_string_value_is_data() -> None:
    # A string value is length-prefixed in BSON: a NUL inside it is data, and matches data.
    assert read("a\x00b") == "a\x00b"


@pytest.mark.parametrize(
    ("pipeline", "path"),
    [
        pytest.param(
            {"stages": [{"$match": {"a\x00": 1}}]},
            '$.pipelines.p.stages[0].$match["a\\u0000"]',
            id="stage-key",
        ),
        pytest.param(
            {"stages": [{"$match": {"a": 1}}], "options": {"let": {"v\x00": 1}}},
            '$.pipelines.p.options.let["v\\u0000"]',
            id="option-key",
        ),
        pytest.param(
            {"stages": [{"$unionWith": {"coll": "c\x00", "pipeline": []}}]},
            "$.pipelines.p.stages[0].$unionWith.coll",
            id="namespace",
        ),
    ],
)
def test_a_nul_byte_fails_the_load_with_a_located_error(
    write_tree: WriteTree, pipeline: dict[str, Any], path: str
) -> None:
    # Through the loader, whose text prefilter must send the pipeline to the full check.
    document = pipeline_file({"p": {"collection": "c", **pipeline}})
    with pytest.raises(PipelineLoadError) as caught:
        Registry.from_paths(write_tree({"m.json": document}))
    (problem,) = caught.value.problems
    assert (problem.code, problem.json_path) == ("PR050", path)
    assert problem.line > 0
    assert problem.column > 0
    assert Path(problem.path).name == "m.json"


def test_code_is_read_as_bson_code() -> None:
    # $function's body and $where take BSON code (the manual's own examples write {"$code": ...}).
    assert literal({"$code": "function(x) { return x; }"}) == Code("function(x) { return x; }")
