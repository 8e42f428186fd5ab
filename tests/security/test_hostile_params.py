"""Hostile parameter values: each is a ParameterError naming the pipeline and the parameter.

pipereg stands between request data and MongoDB. These tables are the corpus of what a caller
might send instead of the declared type: a value of another type, an operator document where a
scalar was expected (mongoose #3944), a field path that reaches another field, numbers and dates
that BSON or Python cannot hold, and values past the default size limits. Every case renders a
real loaded pipeline, so coercion, templates and the compiled renderer are all on the path.

Strings that stand in a regular expression are escaped; the escaping cases check the result
both with Python's ``re`` and with PCRE2 (MongoDB's engine), when libpcre2-8 can be loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import decimal
import enum
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import WriteTree, pipeline_file
from pipereg import ParameterError, Pipeline, PipelineDAO, Registry
from pipereg.params.regex import escape_regex
from pipereg.params.values import DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH

UTC = datetime.timezone.utc
OID = "65f1c00000000000000000ff"
KEY = "hostile.all"

# Every parameter optional, so each case passes just the one under test.
PARAMS: dict[str, Any] = {
    "s": {"type": "string"},
    "n": {"type": "int"},
    "l": {"type": "long"},
    "d": {"type": "double"},
    "dec": {"type": "decimal"},
    "b": {"type": "bool"},
    "when": {"type": "date"},
    "oid": {"type": "objectId"},
    "f": {"type": "field"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "ids": {"type": "array", "items": {"type": "objectId"}},
    "filter": {
        "type": "object",
        "properties": {
            "region": {"type": "string", "optional": True},
            "range": {
                "type": "object",
                "optional": True,
                "properties": {"low": {"type": "int", "optional": True}},
            },
        },
    },
    "big": {"type": "string", "maxLength": 2 * DEFAULT_MAX_LENGTH},
    "many": {"type": "array", "items": {"type": "int"}, "maxItems": 2 * DEFAULT_MAX_ITEMS},
}
STAGES = [
    {
        "$match": {
            "s": "<<s>>",
            "n": "<<n>>",
            "l": "<<l>>",
            "d": "<<d>>",
            "dec": "<<dec>>",
            "b": "<<b>>",
            "when": "<<when>>",
            "oid": "<<oid>>",
            "tag": {"$in": "<<tags>>"},
            "_id": {"$in": "<<ids>>"},
            "big": "<<big>>",
            "many": {"$in": "<<many>>"},
        }
    },
    {"$set": {"filter": "<<filter>>"}},
    {"$sort": {"<<f>>": 1}},
]


SEARCH: dict[str, Any] = {
    "collection": "c",
    "params": {
        "p": {"type": "string", "default": "x"},
        "pat": {"type": "string", "regex": True, "maxLength": 64, "default": "x"},
    },
    "stages": [
        {"$match": {"name": {"$regex": "^<<p>>$"}, "code": {"$regex": "<<pat>>"}}},
        {"$set": {"hit": {"$regexMatch": {"input": "$name", "regex": "<<p>>"}}}},
    ],
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root: Path = tmp_path_factory.mktemp("hostile")
    declared = {name: {**decl, "optional": True} for name, decl in PARAMS.items()}
    all_types = {"collection": "c", "params": declared, "stages": STAGES}
    document = pipeline_file({"all": all_types, "search": SEARCH})
    (root / "hostile.json").write_text(json.dumps(document), encoding="utf-8")
    return Registry.from_paths(root)


@pytest.fixture(scope="module")
def pipeline(registry: Registry) -> Pipeline:
    return registry.get(KEY)


class Color(str, enum.Enum):
    RED = "red"


# (id, parameter, value, the error's .parameter, a fragment of its message)
REJECTED: list[tuple[str, str, Any, str, str]] = [
    # Wrong types, everywhere.
    ("bool-for-int", "n", True, "n", "expected int, got bool True"),
    ("bool-for-long", "l", False, "l", "expected long, got bool False"),
    ("bool-for-double", "d", True, "d", "expected double, got bool True"),
    ("bool-for-decimal", "dec", True, "dec", "expected decimal, got bool True"),
    ("float-for-int", "n", 1.0, "n", "expected int, got float 1.0; declare it double"),
    ("float-for-long", "l", 2.5, "l", "expected long, got float 2.5"),
    ("float-for-decimal", "dec", 0.1, "dec", "a float is not exact"),
    ("str-for-int", "n", "5", "n", "expected int, got str '5'"),
    ("str-for-bool", "b", "true", "b", "expected bool, got str 'true'"),
    ("int-for-bool", "b", 1, "b", "expected bool, got int 1"),
    ("int-for-string", "s", 5, "s", "expected string, got int 5"),
    ("bytes-for-string", "s", b"abc", "s", "expected string, got bytes"),
    ("str-for-array", "tags", "a,b", "tags", "expected array of string, got str 'a,b'"),
    ("dict-for-array", "tags", {"0": "a"}, "tags", "expected array of string, got dict"),
    ("set-for-array", "tags", {"a"}, "tags", "expected array of string, got set"),
    ("list-for-object-id", "oid", [OID], "oid", "expected objectId, got list"),
    ("short-hex-object-id", "oid", OID[:-1], "oid", "expected an ObjectId or 24 hex digits"),
    ("non-hex-object-id", "oid", "z" * 24, "oid", "expected an ObjectId or 24 hex digits"),
    ("bytes-for-object-id", "oid", b"x" * 12, "oid", "expected objectId, got bytes"),
    ("int-for-date", "when", 1_700_000_000, "when", "expected date, got int"),
    ("list-for-object", "filter", [], "filter", "expected object, got list"),
    ("item-of-wrong-type", "ids", [OID, 7], "ids[1]", "expected objectId, got int 7"),
    ("decimal-not-a-number", "dec", "abc", "dec", "expected decimal, got str 'abc'"),
    # NaN and Infinity are not numbers a query can mean.
    ("nan-double", "d", math.nan, "d", "nan is not a finite number"),
    ("infinity-double", "d", math.inf, "d", "inf is not a finite number"),
    ("minus-infinity-double", "d", -math.inf, "d", "-inf is not a finite number"),
    ("nan-decimal", "dec", decimal.Decimal("NaN"), "dec", "is not a finite number"),
    ("infinity-decimal-text", "dec", "Infinity", "dec", "is not a finite number"),
    # Integers BSON cannot hold in the declared type.
    ("int-above-int32", "n", 2**31, "n", "2147483648 is out of range for int (32-bit)"),
    ("int-below-int32", "n", -(2**31) - 1, "n", "-2147483649 is out of range for int"),
    ("long-above-int64", "l", 2**63, "l", "9223372036854775808 is out of range for long"),
    ("long-below-int64", "l", -(2**63) - 1, "l", "is out of range for long (64-bit)"),
    ("double-inexact-int", "d", 2**53 + 1, "d", "cannot be represented exactly as a double"),
    ("huge-int", "n", 10**5000, "n", "<an integer of 16610 bits> is out of range for int"),
    ("huge-negative-long", "l", -(10**5000), "l", "<a negative integer of 16610 bits>"),
    ("huge-int-for-string", "s", 10**5000, "s", "expected string, got int <an integer of"),
    ("huge-int-in-a-tuple", "d", (None, 10**5000), "d", "got tuple <tuple without a repr>"),
    ("decimal-too-precise", "dec", "1." + "1" * 40, "dec", "does not fit a decimal128 exactly"),
    # Dates: Python (and so pipereg) has years 1 to 9999, in UTC.
    ("year-zero", "when", "0000-01-01", "when", "years run from 0001 to 9999"),
    ("year-10000", "when", "10000-01-01", "when", "years run from 0001 to 9999"),
    ("year-signed", "when", "+12024-01-01", "when", "years run from 0001 to 9999"),
    ("before-year-1-in-utc", "when", "0001-01-01T00:30+01:00", "when", "out of range once"),
    ("after-9999-in-utc", "when", "9999-12-31T23:59:59-01:00", "when", "out of range once"),
    (
        "aware-max-after-9999-in-utc",
        "when",
        datetime.datetime.max.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=-1))),
        "when",
        "out of range once converted to UTC",
    ),
    ("no-such-day", "when", "2024-02-30", "when", "not an ISO-8601 date"),
    ("month-13", "when", "2024-13-01", "when", "not an ISO-8601 date"),
    ("date-as-words", "when", "yesterday", "when", "not an ISO-8601 date"),
    # Operator injection: documents or lists where a scalar is expected, $ keys at any depth.
    ("ne-null-for-string", "s", {"$ne": None}, "s", "expected string, got dict {'$ne': None}"),
    ("gt-for-int", "n", {"$gt": 0}, "n", "expected int, got dict"),
    ("regex-doc-for-string", "s", {"$regex": ".*"}, "s", "expected string, got dict"),
    ("list-for-string", "s", ["a", "b"], "s", "expected string, got list"),
    ("where-for-bool", "b", {"$where": "1"}, "b", "expected bool, got dict"),
    ("ne-for-object-id", "oid", {"$ne": OID}, "oid", "expected objectId, got dict"),
    ("ne-for-date", "when", {"$gte": "2024-01-01"}, "when", "expected date, got dict"),
    ("operator-as-array-item", "tags", ["a", {"$ne": 1}], "tags[1]", "expected string, got dict"),
    ("dollar-key-in-object", "filter", {"$where": "1"}, "filter", "key '$where' starts with '$'"),
    (
        "dollar-key-in-nested-object",
        "filter",
        {"range": {"$gt": 1}},
        "filter.range",
        "key '$gt' starts with '$': operators cannot be passed as values",
    ),
    (
        "operator-for-nested-scalar",
        "filter",
        {"region": {"$ne": None}},
        "filter.region",
        "expected string, got dict",
    ),
    (
        "operator-for-deep-scalar",
        "filter",
        {"range": {"low": {"$lt": 5}}},
        "filter.range.low",
        "expected int, got dict",
    ),
    ("unknown-key-in-object", "filter", {"regoin": "eu"}, "filter", "unknown key 'regoin'"),
    ("non-string-key-in-object", "filter", {1: "eu"}, "filter", "object keys must be strings"),
    # Identifier injection through field values.
    ("field-starting-with-dollar", "f", "$password", "f", "cannot start with '$'"),
    ("field-variable", "f", "$$ROOT", "f", "cannot start with '$'"),
    ("field-with-nul", "f", "a\x00b", "f", "cannot contain NUL"),
    ("field-empty", "f", "", "f", "a field path cannot be empty"),
    ("field-double-dot", "f", "a..b", "f", "has an empty segment"),
    ("field-leading-dot", "f", ".a", "f", "has an empty segment"),
    ("field-trailing-dot", "f", "a.", "f", "has an empty segment"),
    ("field-dollar-segment", "f", "a.$b", "f", "has a segment starting with '$'"),
    ("field-positional-segment", "f", "a.$", "f", "has a segment starting with '$'"),
    ("field-too-long", "f", "a" * 513, "f", "a field path is at most 512 characters, got 513"),
    ("field-operator-document", "f", {"$ne": 1}, "f", "expected field, got dict"),
    ("field-number", "f", 1, "f", "expected field, got int 1"),
    # Text BSON cannot encode.
    ("lone-surrogate", "s", "a\ud800", "s", "holds a lone surrogate at index 1"),
    ("lone-surrogate-in-field", "f", "a.\udfff", "f", "holds a lone surrogate"),
    ("lone-surrogate-in-item", "tags", ["ok", "\ud83d"], "tags[1]", "holds a lone surrogate"),
    # Default limits, for declarations that set none.
    (
        "string-past-default-limit",
        "s",
        "x" * (DEFAULT_MAX_LENGTH + 1),
        "s",
        f"longer than {DEFAULT_MAX_LENGTH} characters, the limit for a string parameter",
    ),
    (
        "item-past-default-limit",
        "tags",
        ["x" * (DEFAULT_MAX_LENGTH + 1)],
        "tags[0]",
        "without maxLength",
    ),
    (
        "array-past-default-limit",
        "tags",
        ["x"] * (DEFAULT_MAX_ITEMS + 1),
        "tags",
        f"more than {DEFAULT_MAX_ITEMS}, the limit for an array parameter without maxItems",
    ),
    (
        "string-past-declared-limit",
        "big",
        "x" * (2 * DEFAULT_MAX_LENGTH + 1),
        "big",
        f"is longer than {2 * DEFAULT_MAX_LENGTH} characters",
    ),
    # Unknown parameters are named, clipped to a readable length.
    ("unknown-parameter", "sx", "a", "sx", "unknown parameter (did you mean 's'?)"),
    ("unknown-huge-name", "q" * 10_000, "a", "q" * 97 + "...", "unknown parameter"),
]


@pytest.mark.parametrize(
    ("name", "value", "parameter", "fragment"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_rejected(pipeline: Pipeline, name: str, value: Any, parameter: str, fragment: str) -> None:
    with pytest.raises(ParameterError) as info:
        pipeline.render({name: value})
    error = info.value
    assert type(error) is ParameterError
    assert error.pipeline == KEY
    assert error.parameter == parameter
    assert fragment in str(error)
    assert len(str(error)) < 400  # a megabyte value never becomes a megabyte message


def rendered(pipeline: Pipeline, name: str, value: Any) -> Any:
    """What the stages hold for one parameter."""
    stages = by_name(pipeline.render({name: value}))
    if name == "filter":
        return stages["$set"]["filter"]
    return stages["$match"][{"tags": "tag", "ids": "_id"}.get(name, name)]


def by_name(stages: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered stages by stage name (a stage whose parameters are all absent is gone)."""
    return {name: body for stage in stages for name, body in stage.items()}


# (id, parameter, value, what renders): accepted, with the exact type and value.
ACCEPTED: list[tuple[str, str, Any, Any]] = [
    # Strings that look like operators, JSON or placeholders stay literal strings.
    ("json-text", "s", '{"$ne": null}', '{"$ne": null}'),
    ("placeholder-text", "s", "<<n>>", "<<n>>"),
    ("escape-text", "s", "<<<<n>>", "<<<<n>>"),
    ("dollar-text-in-query", "s", "$where", "$where"),
    (
        "field-path-text-in-expression",
        "filter",
        {"region": "$password"},
        {"region": {"$literal": "$password"}},
    ),
    (
        "variable-text-in-expression",
        "filter",
        {"region": "$$ROOT"},
        {"region": {"$literal": "$$ROOT"}},
    ),
    ("nul-in-string", "s", "a\x00b", "a\x00b"),
    ("placeholder-item", "tags", ["<<s>>"], {"$in": ["<<s>>"]}),
    ("placeholder-in-object", "filter", {"region": "<<s>>"}, {"region": "<<s>>"}),
    ("str-enum-member", "s", Color.RED, "red"),
    ("tuple-for-array", "tags", ("a", "b"), {"$in": ["a", "b"]}),
    # Naive datetimes are UTC; aware ones are converted to UTC.
    ("naive-date", "when", datetime.datetime(2024, 3, 1, 10), datetime.datetime(2024, 3, 1, 10)),
    (
        "aware-date",
        "when",
        datetime.datetime(2024, 3, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        datetime.datetime(2024, 3, 1, 8),
    ),
    ("offset-text", "when", "2024-03-01T10:00+02:00", datetime.datetime(2024, 3, 1, 8)),
    ("before-1970", "when", "1969-07-20T20:17Z", datetime.datetime(1969, 7, 20, 20, 17)),
    ("year-1", "when", "0001-01-01", datetime.datetime(1, 1, 1)),
    ("year-9999", "when", "9999-12-31T23:59:59Z", datetime.datetime(9999, 12, 31, 23, 59, 59)),
    ("plain-date", "when", datetime.date(1900, 1, 1), datetime.datetime(1900, 1, 1)),
    # Numbers at the edges of their types.
    ("int32-max", "n", 2**31 - 1, 2**31 - 1),
    ("int64-min", "l", -(2**63), Int64(-(2**63))),
    ("double-from-exact-int", "d", 2**53, float(2**53)),
    ("decimal-text", "dec", "1.10", Decimal128("1.10")),
    # The default limits are limits, not traps; declared ones replace them.
    ("string-at-default-limit", "s", "x" * DEFAULT_MAX_LENGTH, "x" * DEFAULT_MAX_LENGTH),
    ("declared-limit-above-default", "big", "y" * (DEFAULT_MAX_LENGTH + 1), "y" * 1048577),
    ("array-at-default-limit", "tags", ["t"] * DEFAULT_MAX_ITEMS, {"$in": ["t"] * 100_000}),
    ("declared-items-above-default", "many", [1] * 100_001, {"$in": [1] * 100_001}),
    ("object-id", "oid", OID, ObjectId(OID)),
    ("field", "f", "a.b-c.d e", None),
]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [case[1:] for case in ACCEPTED],
    ids=[case[0] for case in ACCEPTED],
)
def test_accepted(pipeline: Pipeline, name: str, value: Any, expected: Any) -> None:
    if name == "f":
        assert by_name(pipeline.render({name: value})) == {"$sort": {value: 1}}
        return
    if isinstance(expected, datetime.datetime):
        expected = expected.replace(tzinfo=UTC)
    got = rendered(pipeline, name, value)
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(got, datetime.datetime):
        assert got.utcoffset() == datetime.timedelta(0)


# --- regular expressions -------------------------------------------------------------------------

PCRE2_CASELESS, PCRE2_EXTENDED, PCRE2_UTF = 0x8, 0x80, 0x80000
PCRE2_ANCHORED, PCRE2_ENDANCHORED = 0x80000000, 0x20000000


class Pcre2:
    """Just enough of libpcre2-8 (what MongoDB 6.1+ matches with) to ask whether a pattern
    compiles and matches a whole subject, in UTF mode as the server compiles."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        vp, size, u32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32
        lib.pcre2_compile_8.restype = vp
        lib.pcre2_compile_8.argtypes = [
            ctypes.c_char_p, size, u32, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(size), vp
        ]  # fmt: skip
        lib.pcre2_match_data_create_from_pattern_8.restype = vp
        lib.pcre2_match_data_create_from_pattern_8.argtypes = [vp, vp]
        lib.pcre2_match_8.restype = ctypes.c_int
        lib.pcre2_match_8.argtypes = [vp, ctypes.c_char_p, size, size, u32, vp, vp]
        lib.pcre2_match_data_free_8.argtypes = [vp]
        lib.pcre2_code_free_8.argtypes = [vp]

    def fullmatch(self, pattern: str, subject: str, options: int = 0) -> bool:
        encoded, text = pattern.encode(), subject.encode()
        error, offset = ctypes.c_int(), ctypes.c_size_t()
        code = self.lib.pcre2_compile_8(
            encoded, len(encoded), PCRE2_UTF | options, error, offset, None
        )
        assert code, f"PCRE2 cannot compile {pattern!r}: error {error.value} at {offset.value}"
        data = self.lib.pcre2_match_data_create_from_pattern_8(code, None)
        try:
            found = self.lib.pcre2_match_8(
                code, text, len(text), 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, data, None
            )
        finally:
            self.lib.pcre2_match_data_free_8(data)
            self.lib.pcre2_code_free_8(code)
        return bool(found > 0)


def load_pcre2() -> Pcre2 | None:
    name = ctypes.util.find_library("pcre2-8")
    try:
        return Pcre2(ctypes.CDLL(name)) if name else None
    except OSError:
        return None


PCRE2 = load_pcre2()
needs_pcre2 = pytest.mark.skipif(PCRE2 is None, reason="libpcre2-8 is not installed")


def matches_literally(pattern: str, text: str) -> None:
    """``pattern`` matches exactly ``text`` in re and PCRE2, also in extended (x) mode."""
    for flags in (0, re.VERBOSE, re.IGNORECASE):
        assert re.fullmatch(pattern, text, flags), (pattern, flags)
    if PCRE2 is not None:
        for options in (0, PCRE2_EXTENDED, PCRE2_CASELESS):
            assert PCRE2.fullmatch(pattern, text, options), (pattern, options)


# (id, value of p, what ^<<p>>$ renders): special characters lose their meaning.
ESCAPED: list[tuple[str, str, str]] = [
    ("dot-star", ".*", r"^\.\*$"),
    ("anchors", "^admin$", r"^\^admin\$$"),
    ("redos", "(a+)+$", r"^\(a\+\)\+\$$"),
    ("alternation", "a|b", r"^a\|b$"),
    ("class", "[^x]{2,}", r"^\[\^x\]\{2,\}$"),
    ("backslash-class", r"\d+", r"^\\d\+$"),
    ("quote-escape", r"\Q.*\E", r"^\\Q\.\*\\E$"),
    ("inline-flags", "(?i)x", r"^\(\?i\)x$"),
    ("extended-mode-space-and-comment", "a b#c", r"^a\ b\#c$"),
    ("tab-and-newline", "a\tb\nc", "^a\\\tb\\\nc$"),
    ("nul", "a\x00b", r"^a\x00b$"),
    ("unicode-line-separator", "a\u2028b", "^a\\\u2028b$"),
    ("dollar-operator-text", "$where", r"^\$where$"),
    ("json-text", '{"$ne": null}', r'^\{"\$ne":\ null\}$'),
    ("placeholder-text", "<<pat>>", "^<<pat>>$"),
    ("letters-untouched", "Zoë-O'Brien", r"^Zoë\-O'Brien$"),
]


@pytest.mark.parametrize(
    ("value", "expected"), [case[1:] for case in ESCAPED], ids=[case[0] for case in ESCAPED]
)
def test_strings_in_a_regex_match_themselves(registry: Registry, value: str, expected: str) -> None:
    stages = registry.get("hostile.search").render({"p": value})
    pattern = stages[0]["$match"]["name"]["$regex"]
    assert pattern == expected
    assert stages[1]["$set"]["hit"]["$regexMatch"]["regex"] == expected[1:-1]
    matches_literally(pattern, value)
    assert not re.fullmatch(pattern, value + "x")


def test_a_regex_parameter_is_inserted_as_written(registry: Registry) -> None:
    stages = registry.get("hostile.search").render({"pat": "^ma.*(x|y)$"})
    assert stages[0]["$match"]["code"] == {"$regex": "^ma.*(x|y)$"}


def test_a_regex_parameter_keeps_its_declared_limit(registry: Registry) -> None:
    with pytest.raises(ParameterError) as info:
        registry.get("hostile.search").render({"pat": "(a+)+" * 20})
    assert (info.value.pipeline, info.value.parameter) == ("hostile.search", "pat")
    assert "is longer than 64 characters" in str(info.value)


@needs_pcre2
def test_pcre2_is_what_the_corpus_checks_with() -> None:
    # The helper must be able to say no, or the escaping checks above prove nothing.
    assert PCRE2 is not None
    assert PCRE2.fullmatch("a.c", "abc")
    assert not PCRE2.fullmatch("a\\.c", "abc")
    assert PCRE2.fullmatch("a b", "ab", PCRE2_EXTENDED)
    assert not PCRE2.fullmatch("a\\ b", "ab", PCRE2_EXTENDED)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
def test_any_text_escaped_matches_only_itself(text: str) -> None:
    pattern = escape_regex(text)
    assert "\x00" not in pattern  # MongoDB refuses a pattern holding NUL
    assert not pattern.startswith("$")
    matches_literally(pattern, text)


# --- on an engine --------------------------------------------------------------------------------

ENGINE_FILE: dict[str, Any] = pipeline_file(
    {
        "find": {
            "collection": "people",
            "params": {"prefix": {"type": "string"}, "label": {"type": "string"}},
            "stages": [
                {"$match": {"name": {"$regex": "^<<prefix>>"}}},
                {"$project": {"_id": 0, "name": 1, "label": "<<label>>"}},
            ],
        }
    }
)


def test_on_an_engine_values_stay_values(write_tree: WriteTree) -> None:
    import mongomock

    registry = Registry.from_paths(write_tree({"engine.json": ENGINE_FILE}))
    database: Any = mongomock.MongoClient()["db"]
    database["people"].insert_many(
        [{"name": "anna", "secret": "s3"}, {"name": ".*x", "secret": "s3"}]
    )
    rows = PipelineDAO(database, registry).fetch_all(
        "engine.find", {"prefix": ".*", "label": "$secret"}
    )
    # The regex matched the literal ".*" only, and "$secret" did not read the secret field.
    assert rows == [{"name": ".*x", "label": "$secret"}]
