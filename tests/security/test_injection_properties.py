"""Property: no parameter value, however hostile, adds an operator or a field reference.

One pipeline declares a parameter of every type and uses them in a query filter, in aggregation
expressions, in regular expressions, as an object key and in ``let``. Hypothesis passes values
of any shape: JSON-like documents with ``$`` keys at any depth, strings that are field paths,
variables, placeholders or JSON, numbers and dates out of range, and values of arbitrary Python
types. For each, either coercion refuses it with a ``ParameterError``, or the rendered pipeline

- holds no ``$`` key that the file does not have, but for ``{"$literal": "<a $ string>"}``;
- holds, where the server evaluates expressions, no string starting with ``$`` but those the
  file wrote (``"$name"``, and ``"$<<g>>"`` with ``g`` a checked field path);
- matches each escaped value in its regular expressions literally;
- encodes to BSON (nothing a driver would refuse).
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import pipeline_file
from pipereg import ParameterError, Pipeline, Registry
from pipereg.params.coerce import coerce_params

PARAMS: dict[str, Any] = {
    "s": {"type": "string", "optional": True},
    "t": {"type": "string", "default": "x"},
    "n": {"type": "int", "optional": True},
    "l": {"type": "long", "optional": True},
    "d": {"type": "double", "optional": True},
    "dec": {"type": "decimal", "optional": True},
    "b": {"type": "bool", "optional": True},
    "when": {"type": "date", "optional": True},
    "oid": {"type": "objectId", "optional": True},
    "f": {"type": "field", "optional": True},
    "g": {"type": "field", "default": "a"},
    "tags": {"type": "array", "items": {"type": "string"}, "optional": True},
    "docs": {
        "type": "array",
        "optional": True,
        "items": {
            "type": "object",
            "properties": {"k": {"type": "string"}, "v": {"type": "int", "optional": True}},
        },
    },
    "obj": {
        "type": "object",
        "optional": True,
        "properties": {
            "region": {"type": "string", "optional": True},
            "range": {
                "type": "object",
                "optional": True,
                "properties": {"low": {"type": "int", "optional": True}},
            },
        },
    },
    "pat": {"type": "string", "regex": True, "maxLength": 50, "optional": True},
}
STAGES: list[Any] = [
    {
        "$match": {
            "s": "<<s>>",
            "n": "<<n>>",
            "l": "<<l>>",
            "d": "<<d>>",
            "dec": "<<dec>>",
            "b": "<<b>>",
            "when": {"$gte": "<<when>>"},
            "oid": "<<oid>>",
            "tags": {"$in": "<<tags>>"},
            "obj": "<<obj>>",
            "name": {"$regex": "^<<t>>", "$options": "ix"},
            "code": {"$regex": "<<pat>>"},
            "$expr": {"$in": ["<<s>>", "$aliases"]},
        }
    },
    {
        "$addFields": {
            "a": "<<s>>",
            "b": "<<t>>-x",
            "c": "$<<g>>",
            "d": "<<tags>>",
            "e": "<<docs>>",
            "f": "<<obj>>",
            "g": {"$regexMatch": {"input": "$name", "regex": "<<t>>"}},
            "h": {"$concat": ["<<t>>", "$name"]},
        }
    },
    {"$group": {"_id": "<<t>>", "count": {"$sum": 1}}},
    {"$sort": {"<<f>>": 1}},
    {"$limit": 10},
]
OPTIONS = {"let": {"v": "<<t>>"}, "comment": "<<t>>"}
EXPRESSION_STAGES = ("$addFields", "$group")  # in $match, only what is under $expr


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root: Path = tmp_path_factory.mktemp("injection")
    definition = {"collection": "c", "params": PARAMS, "stages": STAGES, "options": OPTIONS}
    document = pipeline_file({"p": definition})
    (root / "injection.json").write_text(json.dumps(document), encoding="utf-8")
    registry = Registry.from_paths(root)
    assert registry.warnings == ()
    return registry.get("injection.p")


# --- values --------------------------------------------------------------------------------------

strings = st.one_of(
    st.sampled_from(
        [
            "$x", "$$ROOT", "$password", "$", "$$", "<<s>>", "<<<<s>>", '{"$ne": null}', "a.b",
            "a..b", "a.$b", "", "a\x00b", ".*", "(a+)+$", "\ud800", "a" * 600, "x" * 51,
        ]
    ),
    st.text(max_size=12),
    st.text(st.characters(codec=None), max_size=6),  # surrogates included
)  # fmt: skip
keys = st.one_of(
    st.sampled_from(["$ne", "$gt", "$where", "$expr", "$literal", "region", "range", "low", "k"]),
    st.text(max_size=6),
)
offsets = st.timedeltas(
    min_value=-datetime.timedelta(hours=23, minutes=59),
    max_value=datetime.timedelta(hours=23, minutes=59),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 1),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 1),
    st.just(2**53 + 1),
    # Past 4300 digits an int has no repr: built lazily, so hypothesis never has to print one.
    st.builds(pow, st.sampled_from([10, -10]), st.just(5001)),
    st.floats(),
    strings,
    st.datetimes(timezones=st.none() | offsets.map(datetime.timezone)),
    st.dates(),
    st.decimals(),
    st.builds(ObjectId),
    st.sampled_from(
        [int, float, str, bytes, complex, frozenset, bytearray, decimal.Decimal]
    ).flatmap(st.from_type),
)
anything = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)
ints = st.one_of(st.integers(-5, 5), st.integers())
paths = st.one_of(st.sampled_from(["a", "a.b", "x_1.y.0", "é"]), strings)
plausible: dict[str, st.SearchStrategy[Any]] = {
    "s": strings,
    "t": strings,
    "n": ints,
    "l": ints,
    "d": st.floats(),
    "dec": st.one_of(st.decimals(), st.decimals().map(str)),
    "b": st.booleans(),
    "when": st.one_of(
        st.datetimes(timezones=st.none() | offsets.map(datetime.timezone)),
        st.dates().map(datetime.date.isoformat),
    ),
    "oid": st.one_of(st.builds(ObjectId), st.builds(ObjectId).map(str)),
    "f": paths,
    "g": paths,
    "tags": st.lists(strings, max_size=4),
    "docs": st.lists(
        st.fixed_dictionaries({"k": strings}, optional={"v": ints}),
        max_size=3,
    ),
    "obj": st.fixed_dictionaries(
        {},
        optional={
            "region": strings,
            "range": st.fixed_dictionaries({}, optional={"low": ints}),
            "$gt": anything,
        },
    ),
    "pat": strings,
}


@st.composite
def given_params(draw: st.DrawFn) -> dict[str, Any]:
    # A few parameters at a time, mostly of the declared type, so that many examples get
    # past coercion and render; any one value is refused, the whole call is.
    names = draw(st.lists(st.sampled_from(sorted(plausible)), max_size=4, unique=True))
    values = {}
    for name in names:
        hostile = draw(st.integers(0, 5)) == 0
        values[name] = draw(anything if hostile else plausible[name])
    return values


# --- what the rendered pipeline may hold ---------------------------------------------------------


def dollar_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {key for key in node if isinstance(key, str) and key.startswith("$")}
        return own.union(*(dollar_keys(value) for value in node.values()))
    if isinstance(node, (list, tuple)):
        return set().union(*(dollar_keys(item) for item in node))
    return set()


def literals(node: Any) -> list[Any]:
    """Every object with a ``$literal`` key."""
    if isinstance(node, dict):
        own = [node] if "$literal" in node else []
        return own + [found for value in node.values() for found in literals(value)]
    if isinstance(node, list):
        return [found for item in node for found in literals(item)]
    return []


def evaluated_paths(node: Any, *, evaluated: bool) -> list[str]:
    """Strings starting with ``$`` where the server evaluates expressions (not in $literal)."""
    if isinstance(node, dict):
        if "$literal" in node:
            return []
        return [
            path
            for key, value in node.items()
            for path in evaluated_paths(value, evaluated=evaluated or key == "$expr")
        ]
    if isinstance(node, list):
        return [path for item in node for path in evaluated_paths(item, evaluated=evaluated)]
    if evaluated and isinstance(node, str) and node.startswith("$"):
        return [node]
    return []


TEMPLATE_KEYS = dollar_keys(STAGES) | dollar_keys(OPTIONS)


def render(
    pipeline: Pipeline, params: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]] | ParameterError:
    """The coerced values and the rendered stages and options, or the error that refused them."""
    try:
        values = coerce_params(pipeline.key, pipeline.params, params)
        stages, options = pipeline.prepare(params)
    except ParameterError as error:
        return error
    return values, stages, options


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(given_params())
def test_no_value_adds_an_operator_or_a_field_reference(
    pipeline: Pipeline, params: dict[str, Any]
) -> None:
    outcome = render(pipeline, params)
    if isinstance(outcome, ParameterError):
        assert type(outcome) is ParameterError
        assert outcome.pipeline == pipeline.key
        assert re.split(r"[.\[]", outcome.parameter)[0] in params
        return
    values, stages, options = outcome
    rendered = {"stages": stages, "options": options}

    # No operator the file did not write; $literal only as a wrapper of one $ string.
    assert dollar_keys(rendered) <= TEMPLATE_KEYS | {"$literal"}
    for wrapper in literals(rendered):
        assert len(wrapper) == 1
        assert isinstance(wrapper["$literal"], str)
        assert wrapper["$literal"].startswith("$")

    # Where expressions are evaluated, only the file's own field paths.
    allowed = {"$aliases", "$name", "$" + values["g"]}
    for stage in stages:
        ((name, body),) = stage.items()
        assert set(evaluated_paths(body, evaluated=name in EXPRESSION_STAGES)) <= allowed
    assert set(evaluated_paths(options.get("let", {}), evaluated=True)) <= allowed

    # Field keys are checked field paths.
    for stage in stages:
        if "$sort" in stage:
            assert list(stage["$sort"]) == [values["f"]]

    # Escaped values match themselves, literally.
    by_name = {name: body for stage in stages for name, body in stage.items()}
    pattern = by_name["$match"]["name"]["$regex"]
    assert re.fullmatch(pattern[1:], values["t"], re.VERBOSE | re.IGNORECASE)
    assert re.fullmatch(by_name["$addFields"]["g"]["$regexMatch"]["regex"], values["t"])

    # Nothing a driver would refuse.
    bson.encode(rendered)


# --- every position of the position table --------------------------------------------------------

# One pipeline per position kind, each using the string parameter s where that kind stands, and
# whether the server evaluates it there (an expression) or takes it as written. Written by hand
# from the manual, not from pipereg.compile.contexts, so the table is checked, not restated.
POSITIONS: dict[str, tuple[bool, dict[str, Any]]] = {
    "filter": (False, {"$match": {"a": "<<s>>", "b": {"$in": ["<<s>>", "k"]}}}),
    "filter-expr": (True, {"$match": {"$expr": {"$eq": ["$a", "<<s>>"]}}}),
    "set": (True, {"$set": {"a": "<<s>>", "b": {"c": "<<s>>"}, "d": ["<<s>>"]}}),
    "operator-string-argument": (
        True,
        {"$set": {"a": {"$dateToString": {"date": "$d", "format": "<<s>>"}}}},
    ),
    "regex-options": (
        True,
        {"$set": {"a": {"$regexMatch": {"input": "$n", "regex": "^a", "options": "<<s>>"}}}},
    ),
    "let-vars": (True, {"$set": {"a": {"$let": {"vars": {"v": "<<s>>"}, "in": "$$v"}}}}),
    "function-args": (
        True,
        {"$set": {"a": {"$function": {"body": "function(x) {}", "args": ["<<s>>"], "lang": "js"}}}},
    ),
    "accumulators": (
        True,
        {"$group": {"_id": "<<s>>", "n": {"$sum": "<<s>>"}, "m": {"$max": ["<<s>>"]}}},
    ),
    "window": (
        True,
        {
            "$setWindowFields": {
                "sortBy": {"a": 1},
                "output": {"r": {"$shift": {"output": "<<s>>", "by": 1, "default": "<<s>>"}}},
            }
        },
    ),
    "projection": (True, {"$project": {"a": "<<s>>", "b": 1}}),
    "replaceWith": (True, {"$replaceWith": {"a": "<<s>>"}}),
    "documents": (True, {"$documents": [{"a": "<<s>>"}]}),
    "bucket-groupBy": (
        True,
        {"$bucket": {"groupBy": "<<s>>", "boundaries": [0, 10], "default": "other"}},
    ),
    "graphLookup-startWith": (
        True,
        {"$graphLookup": {"from": "x", "startWith": "<<s>>", "connectFromField": "a",
                          "connectToField": "b", "as": "c"}},
    ),
    "graphLookup-filter": (
        False,
        {"$graphLookup": {"from": "x", "startWith": "$a", "connectFromField": "a",
                          "connectToField": "b", "as": "c",
                          "restrictSearchWithMatch": {"k": "<<s>>"}}},
    ),
    "lookup": (
        True,
        {"$lookup": {"from": "x", "as": "y", "let": {"v": "<<s>>"},
                     "pipeline": [{"$set": {"a": "<<s>>"}}]}},
    ),
    "unionWith": (True, {"$unionWith": {"coll": "x", "pipeline": [{"$set": {"a": "<<s>>"}}]}}),
    "facet": (True, {"$facet": {"f": [{"$set": {"a": "<<s>>"}}]}}),
    "rankFusion": (
        True,
        {"$rankFusion": {"input": {"pipelines": {
            "p": [{"$match": {"$expr": {"$eq": ["$o", "<<s>>"]}}}]}}}},
    ),
    "scoreFusion": (
        True,
        {"$scoreFusion": {"input": {"pipelines": {"p": [{"$set": {"a": "<<s>>"}}]},
                                    "normalization": "none"}}},
    ),
    "merge-whenMatched": (
        True,
        {"$merge": {"into": "t", "whenMatched": [{"$set": {"a": "<<s>>"}}]}},
    ),
    "search-text": (False, {"$search": {"text": {"query": "<<s>>", "path": "title"}}}),
    "stage-option": (
        False,
        {"$bucketAuto": {"groupBy": "$a", "buckets": 3, "granularity": "<<s>>"}},
    ),
}  # fmt: skip


def file_paths(node: Any) -> set[str]:
    """The strings starting with ``$`` that the file itself writes."""
    if isinstance(node, dict):
        return set().union(*(file_paths(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(file_paths(item) for item in node))
    return {node} if isinstance(node, str) and node.startswith("$") else set()


def leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in leaves(value)]
    if isinstance(node, list):
        return [leaf for item in node for leaf in leaves(item)]
    return [node]


@pytest.fixture(scope="module")
def positions(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root: Path = tmp_path_factory.mktemp("positions")
    pipelines = {
        name.replace("-", "_"): {
            "collection": "c",
            "params": {"s": {"type": "string"}},
            "stages": [stage],
        }
        for name, (_, stage) in POSITIONS.items()
    }
    (root / "positions.json").write_text(json.dumps(pipeline_file(pipelines)), encoding="utf-8")
    return Registry.from_paths(root)


hostile_strings = st.one_of(
    st.sampled_from(["$secret", "$$ROOT", "$$CURRENT.password", "$x.y", "$", "$$", "$a"]),
    st.text(max_size=8).map(lambda text: "$" + text),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(sorted(POSITIONS)), hostile_strings)
def test_in_every_position_a_dollar_string_stays_a_value(
    positions: Registry, name: str, value: str
) -> None:
    evaluated, stage = POSITIONS[name]
    stages = positions.render(f"positions.{name.replace('-', '_')}", {"s": value})
    rendered = {"stages": stages}
    assert dollar_keys(rendered) <= dollar_keys(stage) | {"$literal"}
    for wrapper in literals(rendered):
        assert list(wrapper) == ["$literal"]
    if evaluated:
        # Not one string the server would read as a path or a variable but the file's own.
        assert set(evaluated_paths(stages, evaluated=True)) <= file_paths(stage)
        assert value in [wrapper["$literal"] for wrapper in literals(rendered)]
    else:
        assert value in leaves(stages)
        assert literals(rendered) == []


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.booleans(), st.integers(-(2**31), 2**31 - 1), st.just(1), st.just(True)))
def test_a_projected_value_never_means_include(value: Any) -> None:
    from pipereg.compile.codegen import compile_stages
    from pipereg.compile.reference import render_stages
    from pipereg.compile.template import build
    from pipereg.params.declare import from_json

    kind = "bool" if isinstance(value, bool) else "int"
    params = {"v": from_json("v", {"type": kind})}
    tree = build([{"$project": {"flag": "<<v>>", "a": 1}}], ("s",), stages=True).tree
    expected = [{"$project": {"flag": {"$literal": value}, "a": 1}}]
    assert render_stages(tree, {"v": value}, params, "k") == expected
    assert compile_stages(tree, params, "k")({"v": value}) == expected
