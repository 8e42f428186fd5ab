"""Loading files: every problem collected and located; semantic rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.codes import CODES


def load_problems(write_tree: WriteTree, files: dict[str, Any]) -> list[tuple[str, ...]]:
    root = write_tree(files)
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(root)
    return [(p.code, p.json_path, p.message) for p in info.value.problems]


def one(stages: list[Any], params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    pipeline: dict[str, Any] = {"collection": "c", "stages": stages, **extra}
    if params is not None:
        pipeline["params"] = params
    return pipeline_file({"p": pipeline})


def codes(write_tree: WriteTree, document: dict[str, Any]) -> list[str]:
    return [code for code, _, _ in load_problems(write_tree, {"m.json": document})]


# One passing and one failing case per rule, as data.
RULES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "PR020",
        one([{"$match": {"a": "<<a>>"}}], {"a": {"type": "int"}}),
        one([{"$match": {"a": "<<b>>"}}], {"a": {"type": "int"}}),
    ),
    (
        "PR021",
        one([{"$match": {"a": "<<a>>"}}], {"a": {"type": "int"}}),
        one([{"$match": {}}], {"a": {"type": "int"}}),
    ),
    (
        "PR022",
        one([{"$limit": "<<n>>"}], {"n": {"type": "int", "minimum": 1, "default": 5}}),
        one([{"$limit": "<<n>>"}], {"n": {"type": "int", "minimum": 1, "default": 0}}),
    ),
    (
        "PR023",
        one([{"$match": {"a": "x-<<n>>"}}], {"n": {"type": "int", "default": 1}}),
        one([{"$match": {"a": "x-<<n>>"}}], {"n": {"type": "int", "optional": True}}),
    ),
    (
        "PR024",
        one([{"$sort": {"<<f>>": 1}}], {"f": {"type": "field"}}),
        one([{"$sort": {"<<f>>": 1}}], {"f": {"type": "string"}}),
    ),
    ("PR025", one([{"$match": {"a": "<<<<b>>"}}]), one([{"$match": {"a": "<<a b>>"}}])),
    (
        "PR026",
        one([{"$sort": {"<<f>>": 1}}], {"f": {"type": "field"}}),
        one([{"$sort": {"x.<<f>>": 1}}], {"f": {"type": "field"}}),
    ),
    ("PR030", one([{"$match": {}}]), one([{"$mtach": {}}])),
    ("PR031", one([{"$match": {}}, {"$out": "x"}]), one([{"$out": "x"}, {"$match": {}}])),
    (
        "PR050",
        one([{"$match": {"_id": {"$oid": "65f000000000000000000001"}}}]),
        one([{"$match": {"_id": {"$oid": "zz"}}}]),
    ),
    (
        "PR027",
        one(
            [{"$match": {"$or": [{"a": "<<x>>"}, {"b": 1}]}}],
            {"x": {"type": "int", "optional": True}},
        ),
        one(
            [{"$set": {"l": {"$concat": ["<<s>>", "-", "$n"]}}}],
            {"s": {"type": "string", "optional": True}},
        ),
    ),
    (
        "PR028",
        one([{"$match": {}}], {"t": {"type": "int"}}, options={"maxTimeMS": "<<t>>"}),
        one([{"$match": {}}], {"t": {"type": "string"}}, options={"maxTimeMS": "<<t>>"}),
    ),
    (
        "PR029",
        one([{"$set": {"<<f>>": 1, "x": 2}}], {"f": {"type": "field", "default": "y"}}),
        one([{"$set": {"<<f>>": 1, "x": 2}}], {"f": {"type": "field", "default": "x"}}),
    ),
]


@pytest.mark.parametrize(("code", "passing", "failing"), RULES, ids=[r[0] for r in RULES])
def test_rule(write_tree: WriteTree, code: str, passing: dict[str, Any], failing: Any) -> None:
    assert code in CODES
    Registry.from_paths(write_tree({"ok.json": passing}))
    assert code in codes(write_tree, failing)


def test_an_optional_let_variable_is_an_error_only_when_stages_use_it(
    write_tree: WriteTree,
) -> None:
    params = {"r": {"type": "string", "optional": True}}
    unused = one([{"$match": {}}], params, options={"let": {"r": "<<r>>"}})
    Registry.from_paths(write_tree({"ok.json": unused}))
    used = one(
        [{"$match": {"$expr": {"$eq": ["$r", "$$r"]}}}], params, options={"let": {"r": "<<r>>"}}
    )
    problems = load_problems(write_tree, {"bad.json": used})
    assert [(code, path) for code, path, _ in problems] == [
        ("PR027", "$.pipelines.p.options.let.r")
    ]


def test_unknown_stage_suggests_the_closest_one(write_tree: WriteTree) -> None:
    problems = load_problems(write_tree, {"m.json": one([{"$mtach": {}}])})
    assert problems == [
        (
            "PR030",
            "$.pipelines.p.stages[0].$mtach",
            "unknown stage '$mtach' (did you mean '$match'?)",
        )
    ]


def test_stage_names_inside_facet_and_lookup_are_checked(write_tree: WriteTree) -> None:
    document = one(
        [
            {"$facet": {"a": [{"$limt": 1}], "b": [{"$out": "x"}]}},
            {"$lookup": {"from": "x", "as": "y", "pipeline": [{"$matc": {}}]}},
        ]
    )
    problems = load_problems(write_tree, {"m.json": document})
    assert [(code, path) for code, path, _ in problems] == [
        ("PR030", "$.pipelines.p.stages[0].$facet.a[0].$limt"),
        ("PR031", "$.pipelines.p.stages[0].$facet.b[0].$out"),
        ("PR030", "$.pipelines.p.stages[1].$lookup.pipeline[0].$matc"),
    ]


def test_server_side_javascript_is_a_warning_not_an_error(write_tree: WriteTree) -> None:
    root = write_tree({"m.json": one([{"$match": {"$where": "this.a > 1"}}])})
    registry = Registry.from_paths(root)
    assert "m.p" in registry
    assert [(w.code, w.severity, w.json_path) for w in registry.warnings] == [
        ("PR032", "warning", "$.pipelines.p.stages[0].$match.$where")
    ]


def test_problems_of_all_files_are_raised_together_with_locations(write_tree: WriteTree) -> None:
    good = one([{"$match": {}}])
    bad = one([{"$mtach": {"a": "<<n>>"}}], {"n": {"type": "int", "default": "ten"}})
    root = write_tree({"a.json": good, "b.json": bad, "c.json": '{"version": 1,'})
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(root)
    b, c = root / "b.json", root / "c.json"
    assert [str(p) for p in info.value.problems] == [
        f"{b}:8:11: PR030 $.pipelines.p.stages[0].$mtach: unknown stage '$mtach' "
        "(did you mean '$match'?)",
        f"{b}:16:11: PR022 $.pipelines.p.params.n.default: default: expected int, got str 'ten'",
        f"{c}:1:15: PR001 invalid JSON: Expecting property name enclosed in double quotes",
    ]
    assert str(info.value).startswith("3 problems in pipeline files\n")


def test_a_file_with_errors_serves_nothing_even_its_good_pipelines(
    write_tree: WriteTree,
) -> None:
    document = pipeline_file(
        {
            "good": {"collection": "c", "stages": [{"$match": {}}]},
            "bad": {"collection": "c", "stages": [{"$mtach": {}}]},
        }
    )
    with pytest.raises(PipelineLoadError):
        Registry.from_paths(write_tree({"m.json": document}))


def test_the_same_key_in_two_files_is_an_error(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "orders.json": one([{"$match": {}}]),
            "other.json": {**one([{"$match": {}}]), "module": "orders"},
        }
    )
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(root)
    (problem,) = info.value.problems
    assert problem.code == "PR040"
    assert problem.path == str(root / "other.json")
    assert f"'orders.p' is also defined in {root / 'orders.json'}" in problem.message


def test_module_key_overrides_the_path(write_tree: WriteTree) -> None:
    root = write_tree({"x/y.json": {**one([{"$match": {}}]), "module": "shop.orders"}})
    assert Registry.from_paths(root).keys() == ["shop.orders.p"]


def test_a_file_name_that_cannot_be_a_module_is_an_error(write_tree: WriteTree) -> None:
    problems = load_problems(write_tree, {"my orders.json": one([{"$match": {}}])})
    assert [code for code, _, _ in problems] == ["PR041"]


def test_extended_json_literals_become_bson_values(write_tree: WriteTree) -> None:
    import datetime

    from bson import Decimal128, Int64, ObjectId

    document = one(
        [
            {
                "$match": {
                    "at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}},
                    "_id": {"$oid": "65f000000000000000000001"},
                    "price": {"$numberDecimal": "9.99"},
                    "big": {"$numberLong": "9000000000"},
                    "name": {"$regex": "^a", "$options": "i"},
                }
            }
        ]
    )
    (stage,) = Registry.from_paths(write_tree({"m.json": document})).render("m.p")
    match = stage["$match"]
    assert match["at"]["$gte"] == datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert match["_id"] == ObjectId("65f000000000000000000001")
    assert match["price"] == Decimal128("9.99")
    assert type(match["big"]) is Int64
    assert match["big"] == 9_000_000_000
    # The legacy $regex form is the query operator, not a BSON literal.
    assert match["name"] == {"$regex": "^a", "$options": "i"}


def test_an_empty_object_names_every_missing_key(write_tree: WriteTree) -> None:
    problems = load_problems(write_tree, {"m.json": {}})
    assert [(code, message) for code, _, message in problems] == [
        ("PR010", "missing required key 'version'"),
        ("PR010", "missing required key 'pipelines'"),
    ]


def test_versions_must_be_integers_not_floats(write_tree: WriteTree) -> None:
    document = {**one([{"$match": {}}], version=2.0), "version": 1.0}
    problems = load_problems(write_tree, {"m.json": document})
    assert [(path, message) for _, path, message in problems] == [
        ("$.version", "version must be an integer, not 1.0"),
        ("$.pipelines.p.version", "version must be an integer, not 2.0"),
    ]


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ({"$numberLong": "99999999999999999999"}, "does not fit a 64-bit integer"),
        ({"$numberInt": "99999999999"}, "does not fit a 32-bit integer"),
    ],
)
def test_number_wrappers_out_of_range(write_tree: WriteTree, literal: Any, message: str) -> None:
    problems = load_problems(write_tree, {"m.json": one([{"$match": {"a": literal}}])})
    assert [(code, path) for code, path, _ in problems] == [
        ("PR050", "$.pipelines.p.stages[0].$match.a")
    ]
    assert message in problems[0][2]


@pytest.mark.parametrize(
    ("declaration", "path", "message"),
    [
        ({"type": "string", "minLength": 5, "maxLength": 2}, "minLength", "minLength is greater"),
        (
            {"type": "array", "items": {"type": "int"}, "minItems": 3, "maxItems": 1},
            "minItems",
            "minItems is greater",
        ),
    ],
)
def test_contradictory_bounds_are_load_errors(
    write_tree: WriteTree, declaration: dict[str, Any], path: str, message: str
) -> None:
    document = one([{"$match": {"a": "<<x>>"}}], {"x": declaration})
    problems = load_problems(write_tree, {"m.json": document})
    assert [(code, at) for code, at, _ in problems] == [("PR022", f"$.pipelines.p.params.x.{path}")]
    assert message in problems[0][2]


def test_load_warnings_are_logged(write_tree: WriteTree, caplog: pytest.LogCaptureFixture) -> None:
    root = write_tree({"m.json": one([{"$match": {"$where": "1"}}])})
    with caplog.at_level("WARNING", logger="pipereg"):
        Registry.from_paths(root)
    assert "PR032" in caplog.text


def test_templates_are_built_on_first_render_not_at_load(write_tree: WriteTree) -> None:
    stages = [{"$match": {"a": "<<a>>"}}, {"$limit": 5}]
    definition = {"collection": "c", "params": {"a": {"type": "int"}}, "stages": stages}
    root = write_tree({"m.json": pipeline_file({"p": definition})})
    pipeline = Registry.from_paths(root).get("m.p")
    assert "stage_tree" not in vars(pipeline)
    assert pipeline.render({"a": 3}) == [{"$match": {"a": 3}}, {"$limit": 5}]
    assert "stage_tree" in vars(pipeline)


def test_pipeline_loaded_is_the_constructor_with_every_field() -> None:
    import dataclasses
    from types import MappingProxyType

    from pipereg.pipeline import Pipeline

    fields = {
        "key": "m.p", "module": "m", "name": "p", "version": 1, "collection": "c",
        "description": "d", "params": MappingProxyType({}), "options": MappingProxyType({}),
        "path": "m.json", "definition": MappingProxyType({"stages": [{"$limit": 1}]}),
        "includes": (), "module_description": "",
    }  # fmt: skip
    made, loaded = Pipeline(**fields), Pipeline.loaded(**fields)
    assert {f.name: getattr(loaded, f.name) for f in dataclasses.fields(Pipeline)} == fields
    assert loaded.fingerprint == made.fingerprint
    assert loaded.render() == made.render() == [{"$limit": 1}]
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.key = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="exactly the fields"):
        Pipeline.loaded(**{k: v for k, v in fields.items() if k != "includes"})


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("9223372036854775808", "9223372036854775808 does not fit a 64-bit integer"),
        ("18446744073709551615", "18446744073709551615 does not fit a 64-bit integer"),
        ("1e400", "a number too large for a double"),
    ],
)
def test_numbers_bson_cannot_hold_are_found_in_a_file_otherwise_plain(
    tmp_path: Path, number: str, message: str
) -> None:
    # The file's encoding vouches for its numbers only when they are small: these are not.
    pipelines = {f"p{i}": {"collection": "c", "stages": [{"$limit": 1}]} for i in range(3)}
    text = json.dumps({"version": 1, "pipelines": pipelines})
    text = text.replace('{"$limit": 1}]}}}', '{"$limit": ' + number + "}]}}}")
    (tmp_path / "m.json").write_text(text)
    with pytest.raises(PipelineLoadError) as raised:
        Registry.from_paths(tmp_path)
    assert [(p.code, p.message, p.json_path) for p in raised.value.problems] == [
        ("PR050", message, "$.pipelines.p2.stages[0].$limit")
    ]
