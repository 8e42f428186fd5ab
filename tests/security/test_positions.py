"""Hostile positions: a parameter's value never becomes an operator, a field, a variable or code.

Each table is one class of attack on where a placeholder stands (see docs/security.md,
"Values and positions"): a value where a literal means more than itself, a placeholder in code
or where the position table knows nothing, a value that names a field, variable or collection,
an absence that deletes structure, and files that make loading do unbounded work. Every case
loads a real file, so the template builder, the position checks and both renderers are on the
path; tests/compile/test_codegen.py keeps the two renderers equal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.codes import (
    ABSENCE_DELETES_STRUCTURE,
    DOLLAR_PLACEHOLDER_NOT_FIELD,
    PLACEHOLDER_IN_JAVASCRIPT,
    PLACEHOLDER_IN_UNKNOWN_POSITION,
    PLACEHOLDER_NAMES_THING,
    TOO_MUCH_WORK,
)

S = {"type": "string"}
OPT = {"type": "string", "optional": True}


def load(write_tree: WriteTree, stages: list[Any], params: dict[str, Any]) -> Registry:
    document = pipeline_file({"p": {"collection": "c", "params": params, "stages": stages}})
    return Registry.from_paths(write_tree({"m.json": document}))


def codes_of(write_tree: WriteTree, stages: list[Any], params: dict[str, Any]) -> set[str]:
    with pytest.raises(PipelineLoadError) as caught:
        load(write_tree, stages, params)
    return {problem.code for problem in caught.value.problems}


# --- values where a literal means more than itself -------------------------------------------

PROJECT_VALUES = [True, 1, 2.5, -1, "$secret", "$$ROOT", {"a": "$x"}, [1, "$y"], False, 0]


@pytest.mark.parametrize("value", PROJECT_VALUES, ids=repr)
def test_a_project_value_is_a_value_never_an_inclusion(write_tree: WriteTree, value: Any) -> None:
    # {"flag": true} in $project would return the stored flag; {"$literal": true} is true.
    kinds = {
        bool: "bool",
        int: "int",
        float: "double",
        str: "string",
        dict: "object",
        list: "array",
    }
    declared: dict[str, Any] = {"type": kinds[type(value)]}
    if isinstance(value, dict):
        declared["properties"] = {"a": S}
    if isinstance(value, list):
        declared["items"] = {"type": "string"}
        value = ["1", "$y"]
    stages = [{"$project": {"flag": "<<v>>", "name": 1}}]
    rendered = load(write_tree, stages, {"v": declared}).render("m.p", {"v": value})
    assert rendered == [{"$project": {"flag": {"$literal": value}, "name": 1}}]


SUB_PIPELINES = [
    pytest.param(lambda p: {"$rankFusion": {"input": {"pipelines": {"a": p}}}}, id="rankFusion"),
    pytest.param(
        lambda p: {"$scoreFusion": {"input": {"pipelines": {"a": p}, "normalization": "none"}}},
        id="scoreFusion",
    ),
    pytest.param(lambda p: {"$facet": {"a": p}}, id="facet"),
    pytest.param(lambda p: {"$lookup": {"from": "x", "as": "y", "pipeline": p}}, id="lookup"),
    pytest.param(lambda p: {"$unionWith": {"coll": "x", "pipeline": p}}, id="unionWith"),
]


@pytest.mark.parametrize("wrap", SUB_PIPELINES)
def test_every_sub_pipeline_reads_its_values_as_the_top_level_does(
    write_tree: WriteTree, wrap: Any
) -> None:
    inner = [
        {"$match": {"$expr": {"$eq": ["$owner", "<<user>>"]}, "n": {"$regex": "<<pat>>"}}},
        {"$set": {"echo": "<<user>>"}},
    ]
    stages = [wrap(inner)]
    registry = load(write_tree, stages, {"user": S, "pat": S})
    rendered = json.dumps(registry.render("m.p", {"user": "$owner", "pat": "a.*"}))
    assert '{"$literal": "$owner"}' in rendered
    assert '"$owner", "$owner"' not in rendered  # the comparison stays against a value
    assert '"a\\\\.\\\\*"' in rendered  # the regex matches the text "a.*" only


def test_merge_when_matched_pipeline_wraps_values(write_tree: WriteTree) -> None:
    stages = [{"$merge": {"into": "t", "whenMatched": [{"$set": {"note": "<<note>>"}}]}}]
    rendered = load(write_tree, stages, {"note": S}).render("m.p", {"note": "$password"})
    assert rendered == [
        {"$merge": {"into": "t", "whenMatched": [{"$set": {"note": {"$literal": "$password"}}}]}}
    ]


# --- placeholders in code or where the table knows nothing -----------------------------------

JAVASCRIPT = [
    pytest.param({"$match": {"$where": "this.owner == '<<u>>'"}}, id="where-text"),
    pytest.param({"$match": {"$where": "<<u>>"}}, id="where-whole"),
    pytest.param(
        {"$set": {"x": {"$function": {"body": "<<u>>", "args": [], "lang": "js"}}}},
        id="function-body",
    ),
    pytest.param(
        {"$set": {"x": {"$function": {"body": "function() { return '<<u>>' }", "args": []}}}},
        id="function-body-text",
    ),
    *(
        pytest.param(
            {
                "$group": {
                    "_id": None,
                    "x": {
                        "$accumulator": {
                            "init": "function() {}",
                            "accumulate": "function() {}",
                            "accumulateArgs": [],
                            "merge": "function() {}",
                            "lang": "js",
                            member: "function() { return '<<u>>' }",
                        }
                    },
                }
            },
            id=f"accumulator-{member}",
        )
        for member in ("init", "accumulate", "merge", "finalize")
    ),
]


@pytest.mark.parametrize("stage", JAVASCRIPT)
def test_a_placeholder_in_javascript_is_refused(write_tree: WriteTree, stage: Any) -> None:
    assert PLACEHOLDER_IN_JAVASCRIPT in codes_of(write_tree, [stage], {"u": S})


def test_function_args_carry_values_and_wrap_them(write_tree: WriteTree) -> None:
    body = "function(u) { return u }"
    stages = [{"$set": {"x": {"$function": {"body": body, "args": ["<<u>>"], "lang": "js"}}}}]
    rendered = load(write_tree, stages, {"u": S}).render("m.p", {"u": "$secret"})
    assert rendered[0]["$set"]["x"]["$function"]["args"] == [{"$literal": "$secret"}]


UNKNOWN = [
    pytest.param({"$match": {"a": {"$madeUp": "<<u>>"}}}, id="unknown-query-operator"),
    pytest.param({"$set": {"a": {"$madeUp": "<<u>>"}}}, id="unknown-expression-operator"),
    pytest.param({"$group": {"_id": None, "a": {"$madeUp": "<<u>>"}}}, id="unknown-accumulator"),
    pytest.param({"$lookup": {"from": "x", "as": "y", "hint": "<<u>>"}}, id="unknown-argument"),
    pytest.param({"$addFields": "<<o>>"}, id="object-for-a-stage-body"),
    pytest.param({"$facet": {"a": "<<o>>"}}, id="value-for-a-pipeline"),
    pytest.param({"$lookup": {"from": "x", "<<k>>": "y"}}, id="key-choosing-an-argument"),
]


@pytest.mark.parametrize("stage", UNKNOWN)
def test_a_placeholder_where_the_table_knows_nothing_is_refused(
    write_tree: WriteTree, stage: Any
) -> None:
    params = {"u": S, "o": {"type": "object", "properties": {"a": S}}, "k": {"type": "field"}}
    used = {name: params[name] for name in params if f"<<{name}>>" in json.dumps(stage)}
    assert PLACEHOLDER_IN_UNKNOWN_POSITION in codes_of(write_tree, [stage], used)


# --- values that name a field, a variable or a collection ------------------------------------

NAMES = [
    pytest.param({"$set": {"a": "$profile.<<s>>"}}, S, id="sub-field"),
    pytest.param({"$set": {"a": "$profile.<<s>>"}}, {"type": "field"}, id="sub-field-any-field"),
    pytest.param({"$set": {"a": "$$<<s>>"}}, S, id="variable"),
    pytest.param({"$set": {"a": "$$<<s>>"}}, {"type": "field"}, id="variable-field"),
    pytest.param({"$set": {"a": "$<<t>>.<<s>>"}}, S, id="after-another-placeholder"),
    pytest.param(
        {"$lookup": {"from": "x", "localField": "<<s>>", "foreignField": "_id", "as": "y"}},
        S,
        id="localField",
    ),
    pytest.param(
        {"$lookup": {"from": "x", "localField": "a", "foreignField": "<<s>>", "as": "y"}},
        S,
        id="foreignField",
    ),
    pytest.param({"$unset": "<<s>>"}, S, id="unset"),
    pytest.param({"$unset": ["a", "<<s>>"]}, S, id="unset-list"),
    pytest.param({"$count": "<<s>>"}, S, id="count"),
    pytest.param({"$unwind": "<<s>>"}, S, id="unwind"),
    pytest.param({"$lookup": {"from": "<<s>>", "as": "y", "pipeline": []}}, S, id="lookup-from"),
    pytest.param({"$unionWith": "<<s>>"}, S, id="unionWith"),
    pytest.param({"$out": "<<s>>"}, S, id="out"),
    pytest.param({"$merge": {"into": "<<s>>"}}, S, id="merge-into"),
    pytest.param(
        {"$lookup": {"from": "x", "as": "y", "let": {"<<s>>": 1}, "pipeline": []}},
        {"type": "field"},
        id="let-key",
    ),
    pytest.param(
        {"$vectorSearch": {"index": "i", "path": "<<s>>", "queryVector": [1], "limit": 1}},
        S,
        id="vectorSearch-path",
    ),
    pytest.param({"$search": {"text": {"query": "q", "path": "<<s>>"}}}, S, id="search-path"),
    pytest.param(
        {
            "$densify": {
                "field": "t",
                "partitionByFields": ["<<s>>"],
                "range": {"step": 1, "bounds": "full"},
            }
        },
        S,
        id="densify-partitionByFields",
    ),
]


@pytest.mark.parametrize(("stage", "declared"), NAMES)
def test_a_value_that_names_something_needs_a_restricting_declaration(
    write_tree: WriteTree, stage: Any, declared: dict[str, Any]
) -> None:
    params = {"s": declared}
    if "<<t>>" in json.dumps(stage):
        params["t"] = {"type": "field"}
    assert PLACEHOLDER_NAMES_THING in codes_of(write_tree, [stage], params)


@pytest.mark.parametrize(
    "stage",
    [
        {"$group": {"_id": "$<<s>>"}},
        {"$set": {"a": "$<<s>>.total"}},
        {"$project": {"a": "$<<s>>"}},
        {"$match": {"$expr": {"$eq": ["$<<s>>", 1]}}},
    ],
)
def test_a_string_after_dollar_is_refused(write_tree: WriteTree, stage: Any) -> None:
    # s = "$ROOT" would make "$$ROOT", the whole document; a field value never starts with $.
    assert DOLLAR_PLACEHOLDER_NOT_FIELD in codes_of(write_tree, [stage], {"s": S})


RESTRICTED = [
    pytest.param(
        {"$fill": {"partitionByFields": "<<s>>", "output": {"a": {"method": "locf"}}}},
        {"type": "array", "items": {"type": "field"}},
        id="fill-partitionByFields-array-of-fields",
    ),
    pytest.param(
        {"$set": {"a": "$profile.<<s>>"}},
        {"type": "field", "enum": ["city", "zip"]},
        id="sub-field-enum",
    ),
    pytest.param(
        {"$set": {"a": "$profile.<<s>>"}},
        {"type": "field", "pattern": "^(city|zip)$"},
        id="sub-field-pattern",
    ),
    pytest.param({"$set": {"a": "$$<<s>>"}}, {"type": "field", "enum": ["NOW"]}, id="variable"),
    pytest.param({"$set": {"a": "$<<s>>"}}, {"type": "field"}, id="a-field"),
    pytest.param({"$unset": "<<s>>"}, {"type": "field"}, id="unset"),
    pytest.param(
        {"$lookup": {"from": "<<s>>", "as": "y", "pipeline": []}},
        {"type": "string", "enum": ["a", "b"]},
        id="lookup-from-enum",
    ),
    pytest.param(
        {"$merge": {"into": "t", "whenMatched": "<<s>>"}},
        {"type": "string", "enum": ["merge", "keepExisting"]},
        id="merge-mode",
    ),
]


@pytest.mark.parametrize(("stage", "declared"), RESTRICTED)
def test_a_restricted_name_loads(write_tree: WriteTree, stage: Any, declared: Any) -> None:
    assert load(write_tree, [stage], {"s": declared}).get("m.p") is not None


# --- absence that deletes structure --------------------------------------------------------

DELETES = [
    pytest.param(
        [{"$merge": {"into": "t", "whenMatched": [{"$set": {"note": "<<x>>"}}]}}],
        id="merge-whenMatched",
    ),
    pytest.param([{"$project": {"a": "<<x>>"}}], id="whole-project"),
    pytest.param([{"$project": {"<<f>>": 1}}], id="whole-project-by-key"),
    pytest.param([{"$group": {"_id": "<<x>>", "n": {"$sum": 1}}}], id="group-id"),
    pytest.param([{"$lookup": {"from": "x", "as": "<<f>>", "pipeline": []}}], id="lookup-as"),
    pytest.param([{"$sample": {"size": "<<n>>"}}], id="sample"),
    pytest.param([{"$match": {"loc": ["<<x>>", "<<y>>"]}}], id="literal-array-in-filter"),
    pytest.param(
        [{"$bucket": {"groupBy": "$a", "boundaries": [0, "<<n>>", 100]}}], id="bucket-boundary"
    ),
    pytest.param(
        [{"$lookup": {"from": "x", "as": "y", "let": {"v": "<<x>>"}, "pipeline": []}}],
        id="lookup-let",
    ),
    pytest.param([{"$replaceWith": {"a": "<<x>>"}}], id="replaceWith"),
    pytest.param(
        [{"$set": {"a": {"$toUpper": "<<x>>"}, "b": {"$concat": ["<<y>>"]}}}, {"$count": "<<f>>"}],
        id="count",
    ),
    pytest.param(
        [{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"r": {"$rank": "<<o>>"}}}}],
        id="window-operator",
    ),
]


@pytest.mark.parametrize("stages", DELETES)
def test_absence_never_deletes_structure(write_tree: WriteTree, stages: list[Any]) -> None:
    text = json.dumps(stages)
    params = {
        name: declared
        for name, declared in {
            "x": OPT,
            "y": OPT,
            "n": {"type": "int", "optional": True},
            "f": {"type": "field", "optional": True},
            "o": {"type": "object", "optional": True, "properties": {"a": S}},
        }.items()
        if f"<<{name}>>" in text
    }
    assert ABSENCE_DELETES_STRUCTURE in codes_of(write_tree, stages, params)


ALLOWED = [
    pytest.param([{"$match": {"a": "<<x>>", "b": {"$gte": "<<n>>"}}}], id="filter-members"),
    pytest.param([{"$match": {"a": {"$in": ["<<x>>", "<<y>>", "k"]}}}], id="value-list"),
    pytest.param([{"$set": {"note": "<<x>>"}}], id="set-field"),
    pytest.param([{"$sort": {"<<f>>": 1}}], id="sort-key"),
    pytest.param([{"$limit": "<<n>>"}, {"$skip": "<<n>>"}], id="limit-skip"),
    pytest.param(
        [{"$lookup": {"from": "x", "as": "y", "pipeline": [{"$match": {"a": "<<x>>"}}]}}],
        id="lookup-pipeline-empties",
    ),
    pytest.param(
        [
            {
                "$vectorSearch": {
                    "index": "i",
                    "path": "v",
                    "queryVector": [1],
                    "limit": 1,
                    "filter": {"g": "<<x>>"},
                }
            }
        ],
        id="optional-filter",
    ),
    pytest.param(
        [{"$bucketAuto": {"groupBy": "$a", "buckets": 4, "granularity": "<<x>>"}}],
        id="optional-argument-itself",
    ),
    pytest.param([{"$project": {"a": 1, "b": "<<x>>"}}], id="project-keeps-a-member"),
]


@pytest.mark.parametrize("stages", ALLOWED)
def test_absence_removes_what_the_table_allows(write_tree: WriteTree, stages: list[Any]) -> None:
    text = json.dumps(stages)
    params = {
        name: declared
        for name, declared in {
            "x": OPT,
            "y": OPT,
            "n": {"type": "int", "optional": True},
            "f": {"type": "field", "optional": True},
        }.items()
        if f"<<{name}>>" in text
    }
    registry = load(write_tree, stages, params)
    assert registry.render("m.p", {}) is not None


def test_a_deleted_argument_names_the_parameter_and_the_place(write_tree: WriteTree) -> None:
    stages = [{"$merge": {"into": "t", "whenMatched": [{"$set": {"note": "<<note>>"}}]}}]
    with pytest.raises(PipelineLoadError) as caught:
        load(write_tree, stages, {"note": OPT})
    (problem,) = caught.value.problems
    assert problem.code == ABSENCE_DELETES_STRUCTURE
    assert problem.json_path == "$.pipelines.p.stages[0].$merge.whenMatched"
    assert "<<note>>" in problem.message


# --- unbounded work ------------------------------------------------------------------------


def test_fragments_that_double_at_every_level_are_refused_naming_the_chain(
    write_tree: WriteTree,
) -> None:
    # Each fragment includes the previous one twice: 40 levels would be 2**40 stages.
    fragments: dict[str, Any] = {"f0": {"stages": [{"$match": {"a": 1}}]}}
    for i in range(1, 41):
        include = {"$include": f"f{i - 1}"}
        fragments[f"f{i}"] = {"stages": [include, include]}
    document = pipeline_file(
        {"p": {"collection": "c", "stages": [{"$include": "f40"}]}}, fragments=fragments
    )
    with pytest.raises(PipelineLoadError) as caught:
        Registry.from_paths(write_tree({"m.json": document}))
    (problem,) = [p for p in caught.value.problems if p.code == TOO_MUCH_WORK]
    assert "(includes m.f" in problem.message
    assert " 2 times) -> m.f" in problem.message
    assert problem.json_path.startswith("$.fragments.f")


def test_a_large_constant_stage_is_bound_once_not_compiled_key_by_key() -> None:
    # A million literal keys written out as source took seconds and gigabytes to compile on
    # first render; bound by name, the generated source stays small whatever the stage holds.
    from pipereg.compile.codegen import compile_stages

    stage = {"$set": {f"k{i}": [i, {"v": str(i)}] for i in range(5000)}}
    render = compile_stages([stage, {"$limit": 1}], {}, "m.p")
    assert render.__doc__ is not None
    assert len(render.__doc__) < 500
    first, second = render({}), render({})
    assert first == [stage, {"$limit": 1}]
    first[0]["$set"]["k1"][1]["v"] = "changed"  # each render is its own copy
    assert second[0]["$set"]["k1"][1]["v"] == "1"
    assert stage["$set"]["k1"][1]["v"] == "1"


def test_an_undeclared_key_placeholder_beside_an_optional_one_is_reported_not_a_crash(
    write_tree: WriteTree,
) -> None:
    # Found by the fast-path property test: the absence check looked the key's parameter up.
    stages = [{"$match": {"$match": {"$match": "plain", "<<f>>": "<<opt>>"}}}]
    params = {"opt": {"type": "string", "optional": True}}
    document = pipeline_file({"r": {"collection": "c", "params": params, "stages": stages}})
    with pytest.raises(PipelineLoadError) as raised:
        Registry.from_paths(write_tree({"m.json": document}))
    assert "PR020" in {problem.code for problem in raised.value.problems}
