"""Fragments: includes inlined at load, bindings checked, problems located."""

from __future__ import annotations

import datetime
import json
import queue
from pathlib import Path
from typing import Any

import pytest
from bson import Int64, ObjectId
from click.testing import CliRunner

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.cli import main
from pipereg.errors import Problem
from pipereg.fragments.expand import Walk
from pipereg.load.discovery import discover_paths
from pipereg.load.file import load_file
from pipereg.load.sources import load_sources

UTC = datetime.timezone.utc
WAIT = 10.0  # seconds: the bound on any single wait; a healthy run needs a fraction of it

COMMON: dict[str, Any] = {
    "version": 1,
    "fragments": {
        "paginate": {
            "description": "skip then limit",
            "params": {
                "page_size": {"type": "int", "minimum": 1},
                "skip": {"type": "int", "default": 0},
            },
            "stages": [{"$skip": "<<skip>>"}, {"$limit": "<<page_size>>"}],
        },
        "not_deleted": {"document": {"deleted_at": None}},
        "tenant": {
            "params": {"tenant": {"type": "string"}},
            "document": {"tenant": "<<tenant>>", "deleted_at": None},
        },
    },
}


def orders(stages: list[Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A file with one pipeline, ``orders.p``."""
    p = {"collection": "orders", "params": params or {}, "stages": stages}
    return pipeline_file({"p": p})


def problems(write_tree: WriteTree, files: dict[str, Any]) -> list[Problem]:
    """The problems of loading ``files``, which must fail."""
    with pytest.raises(PipelineLoadError) as caught:
        Registry.from_paths(write_tree(files))
    return list(caught.value.problems)


def only(write_tree: WriteTree, files: dict[str, Any]) -> Problem:
    """The single problem of loading ``files``."""
    found = problems(write_tree, files)
    assert len(found) == 1, found
    return found[0]


def test_includes_render_as_if_written_out(write_tree: WriteTree) -> None:
    stages = [
        {"$match": {"$include": "common.tenant", "with": {"tenant": "<<t>>"}}},
        {"$include": "common.paginate", "with": {"page_size": "<<limit>>", "skip": 5}},
    ]
    written_out = [
        {"$match": {"tenant": "<<t>>", "deleted_at": None}},
        {"$skip": 5},
        {"$limit": "<<limit>>"},
    ]
    params = {"t": {"type": "string"}, "limit": {"type": "int", "minimum": 1, "default": 10}}
    registry = Registry.from_paths(
        write_tree(
            {
                "common.json": COMMON,
                "orders.json": orders(stages, params),
                "plain.json": orders(written_out, params),
            }
        )
    )
    included, plain = registry.get("orders.p"), registry.get("plain.p")
    assert included.render({"t": "acme"}) == [
        {"$match": {"tenant": "acme", "deleted_at": None}},
        {"$skip": 5},
        {"$limit": 10},
    ]
    assert included.fingerprint == plain.fingerprint
    assert included.definition["stages"] == written_out
    assert included.includes == ("common.tenant", "common.paginate")
    assert plain.includes == ()


def test_a_bare_name_is_a_fragment_of_the_same_module(write_tree: WriteTree) -> None:
    document = {
        **COMMON,
        "pipelines": orders([{"$match": {"$include": "not_deleted"}}])["pipelines"],
    }
    registry = Registry.from_paths(write_tree({"common.json": document}))
    assert registry.render("common.p") == [{"$match": {"deleted_at": None}}]


def test_a_file_may_hold_only_fragments_but_not_neither(write_tree: WriteTree) -> None:
    assert len(Registry.from_paths(write_tree({"common.json": COMMON}))) == 0
    problem = only(write_tree, {"common.json": {"version": 1}})
    assert problem.code == "PR010"


def test_defaults_are_substituted_and_optional_params_left_out_vanish(
    write_tree: WriteTree,
) -> None:
    fragments = {
        "filter": {
            "params": {
                "status": {"type": "string", "default": "paid"},
                "region": {"type": "string", "optional": True},
                "sort_by": {"type": "field", "optional": True},
            },
            "document": {"status": "<<status>>", "region": "<<region>>", "<<sort_by>>": 1},
        },
        "region_only": {
            "params": {"region": {"type": "string", "optional": True}},
            "stages": [{"$match": {"region": "<<region>>"}}, {"$count": "n"}],
        },
    }
    document = {
        **orders([{"$match": {"$include": "filter"}}, {"$include": "region_only"}]),
        "fragments": fragments,
    }
    registry = Registry.from_paths(write_tree({"orders.json": document}))
    assert registry.render("orders.p") == [{"$match": {"status": "paid"}}, {"$count": "n"}]


def test_constants_are_coerced_by_the_fragment_declaration(write_tree: WriteTree) -> None:
    fragments = {
        "typed": {
            "params": {
                "since": {"type": "date"},
                "owner": {"type": "objectId"},
                "big": {"type": "long"},
                "ratio": {"type": "double"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "label": {"type": "string"},
                "by": {"type": "field"},
            },
            "document": {
                "created_at": {"$gte": "<<since>>"},
                "owner": "<<owner>>",
                "n": "<<big>>",
                "r": "<<ratio>>",
                "tags": {"$all": "<<tags>>"},
                "name": {"$regex": "^<<label>>"},
                "<<by>>": "<<label>>",
            },
        }
    }
    with_ = {
        "since": "2024-03-01",
        "owner": "65f1c000000000000000000b",
        "big": 5,
        "ratio": 2,
        "tags": ["a<<<<b"],
        "label": "x<<<<y",
        "by": "customer.name",
    }
    stages = [{"$match": {"$include": "typed", "with": with_}}]
    document = {**orders(stages), "fragments": fragments}
    registry = Registry.from_paths(write_tree({"orders.json": document}))
    (match,) = registry.render("orders.p")
    assert match == {
        "$match": {
            "created_at": {"$gte": datetime.datetime(2024, 3, 1, tzinfo=UTC)},
            "owner": ObjectId("65f1c000000000000000000b"),
            "n": Int64(5),
            "r": 2.0,
            "tags": {"$all": ["a<<b"]},
            "name": {"$regex": "^x<<y"},
            "customer.name": "x<<y",
        }
    }
    assert type(match["$match"]["n"]) is Int64
    assert type(match["$match"]["r"]) is float


def test_includes_nest_and_bind_through(write_tree: WriteTree) -> None:
    fragments = {
        "page": {
            "params": {"size": {"type": "int", "minimum": 1}},
            "stages": [{"$include": "common.paginate", "with": {"page_size": "<<size>>"}}],
        },
        "recent": {
            "params": {"n": {"type": "int", "minimum": 1}},
            "stages": [{"$sort": {"_id": -1}}, {"$include": "page", "with": {"size": "<<n>>"}}],
        },
    }
    stages = [{"$include": "recent", "with": {"n": "<<limit>>"}}]
    document = {**orders(stages, {"limit": {"type": "int", "minimum": 1}}), "fragments": fragments}
    registry = Registry.from_paths(write_tree({"common.json": COMMON, "orders.json": document}))
    pipeline = registry.get("orders.p")
    assert pipeline.render({"limit": 3}) == [{"$sort": {"_id": -1}}, {"$skip": 0}, {"$limit": 3}]
    assert pipeline.includes == ("orders.recent", "orders.page", "common.paginate")


def test_includes_in_facet_and_lookup_pipelines(write_tree: WriteTree) -> None:
    fragments = {
        "count": {"stages": [{"$count": "n"}]},
        "active": {"document": {"active": True}},
    }
    stages = [
        {"$facet": {"total": [{"$include": "count"}], "rows": [{"$limit": 1}]}},
        {
            "$lookup": {
                "from": "customers",
                "as": "c",
                "pipeline": [{"$match": {"$include": "active"}}, {"$include": "count"}],
            }
        },
    ]
    document = {**orders(stages), "fragments": fragments}
    registry = Registry.from_paths(write_tree({"orders.json": document}))
    assert registry.render("orders.p") == [
        {"$facet": {"total": [{"$count": "n"}], "rows": [{"$limit": 1}]}},
        {
            "$lookup": {
                "from": "customers",
                "as": "c",
                "pipeline": [{"$match": {"active": True}}, {"$count": "n"}],
            }
        },
    ]


def include_problem(
    write_tree: WriteTree, include: dict[str, Any], params: dict[str, Any] | None = None
) -> Problem:
    """The one problem of a pipeline whose second stage is ``include`` (of common.json)."""
    stages = [{"$sort": {"_id": 1}}, include]
    return only(write_tree, {"common.json": COMMON, "orders.json": orders(stages, params)})


LIMIT = {"limit": {"type": "int", "minimum": 1}}


@pytest.mark.parametrize(
    ("include", "params", "code", "says"),
    [
        pytest.param(
            {"$include": "common.paginat", "with": {"page_size": 1}},
            None,
            "PR060",
            "unknown fragment 'common.paginat' (did you mean 'common.paginate'?)",
            id="unknown fragment",
        ),
        pytest.param(
            {"$include": "common.paginate"},
            None,
            "PR062",
            "fragment 'common.paginate' parameter 'page_size' (int) is not bound",
            id="unbound",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": 0}},
            None,
            "PR063",
            "constant 0 is less than the minimum 1",
            id="constant out of range",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "ten"}},
            None,
            "PR063",
            "constant",
            id="constant of the wrong type",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<limit>>"}},
            {"limit": {"type": "long"}},
            "PR063",
            "bound to <<limit>>, but that is long and the fragment takes int",
            id="placeholder of the wrong type",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<limit>>"}},
            {"limit": {"type": "int", "minimum": 1, "optional": True}},
            "PR063",
            "that is optional and the fragment's must be given",
            id="optional bound to required",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<limit>>"}},
            {"limit": {"type": "int", "minimum": 1, "nullable": True}},
            "PR063",
            "that is nullable",
            id="nullable bound to not nullable",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<limit>>"}},
            {"limit": {"type": "int"}},
            "PR063",
            "that allows values the fragment refuses (minimum 1); declare it too",
            id="placeholder without the fragment's minimum",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<limit>>"}},
            {"limit": {"type": "int", "minimum": 0}},
            "PR063",
            "(minimum 1)",
            id="placeholder with a lower minimum",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "<<nope>>"}},
            None,
            "PR063",
            "bound to <<nope>>, which is not declared here",
            id="undeclared placeholder",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": "x-<<limit>>"}},
            LIMIT,
            "PR063",
            "whole <<placeholder>> or a constant",
            id="placeholder in text",
        ),
        pytest.param(
            {"$include": "common.paginate", "with": {"page_size": 1, "skp": 2}},
            None,
            "PR064",
            "has no parameter 'skp' (did you mean 'skip'?)",
            id="unknown with name",
        ),
        pytest.param(
            {"$include": "common.not_deleted"},
            None,
            "PR065",
            "fragment 'common.not_deleted' is an object, but it is included where a list of stages",
            id="document as stages",
        ),
        pytest.param(
            {"$match": {"$include": "common.paginate", "with": {"page_size": 1}}},
            None,
            "PR065",
            "is a list of stages, but it is included where an object is expected",
            id="stages as document",
        ),
        pytest.param(
            {"$match": {"$include": "common.not_deleted", "also": 1}},
            None,
            "PR068",
            "not 'also'",
            id="malformed",
        ),
    ],
)
def test_include_problems_are_located_at_the_include(
    write_tree: WriteTree, include: Any, params: Any, code: str, says: str
) -> None:
    problem = include_problem(write_tree, include, params)
    assert problem.code == code
    assert says in problem.message
    assert problem.path.endswith("orders.json")
    assert problem.json_path.startswith("$.pipelines.p.stages[1]")
    assert problem.line > 0


def test_array_items_must_fit(write_tree: WriteTree) -> None:
    fragments = {
        "ids": {
            "params": {"ids": {"type": "array", "items": {"type": "objectId"}}},
            "document": {"_id": {"$in": "<<ids>>"}},
        }
    }
    stages = [{"$match": {"$include": "ids", "with": {"ids": "<<given>>"}}}]
    params = {"given": {"type": "array", "items": {"type": "string"}}}
    problem = only(write_tree, {"orders.json": {**orders(stages, params), "fragments": fragments}})
    assert problem.code == "PR063"
    assert "items differ: that is string and the fragment takes objectId" in problem.message


def test_a_cycle_is_an_error_naming_it(write_tree: WriteTree) -> None:
    fragments = {
        "a": {"stages": [{"$include": "b"}]},
        "b": {"stages": [{"$limit": 1}, {"$include": "a"}]},
    }
    document = {**orders([{"$include": "a"}]), "fragments": fragments}
    found = problems(write_tree, {"orders.json": document})
    assert {p.code for p in found} == {"PR061"}
    messages = {p.message.split(" (")[0] for p in found}
    assert "include cycle: orders.b -> orders.a -> orders.b" in messages
    assert all(p.json_path.startswith("$.fragments.") for p in found)


def test_a_problem_inside_inlined_content_names_the_fragment(write_tree: WriteTree) -> None:
    fragments = {"bad": {"stages": [{"$limit": 1}, {"$mtach": {}}]}}
    stages = [{"$sort": {"_id": 1}}, {"$include": "bad"}, {"$mtahc": {}}]
    found = problems(write_tree, {"orders.json": {**orders(stages), "fragments": fragments}})
    by_path = {p.json_path: p.message for p in found}
    assert set(by_path) == {"$.pipelines.p.stages[1]", "$.pipelines.p.stages[2].$mtahc"}
    assert "unknown stage '$mtach'" in by_path["$.pipelines.p.stages[1]"]
    assert "in fragment 'orders.bad'" in by_path["$.pipelines.p.stages[1]"]
    assert "$.fragments.bad.stages[1].$mtach" in by_path["$.pipelines.p.stages[1]"]


def test_fragment_problems_are_located_in_the_fragment(write_tree: WriteTree) -> None:
    fragments = {
        "f": {
            "params": {"unused": {"type": "int"}, "bad": {"type": "int", "default": "x"}},
            "document": {"a": "<<typo>>", "b": "<<bad>>"},
        }
    }
    document = {**orders([{"$match": {"$include": "f"}}]), "fragments": fragments}
    found = problems(write_tree, {"orders.json": document})
    assert sorted((p.code, p.json_path) for p in found) == [
        ("PR020", "$.fragments.f.document.a"),
        ("PR021", "$.fragments.f.params.unused"),
        ("PR022", "$.fragments.f.params.bad.default"),
    ]


def test_an_optional_param_left_out_vanishes_but_not_from_text(write_tree: WriteTree) -> None:
    fragments = {
        "f": {"params": {"p": {"type": "string", "optional": True}}, "document": {"a": "<<p>>"}},
        "g": {"stages": [{"$match": {"$include": "f"}}, {"$count": "n"}]},
        "t": {"params": {"p": {"type": "string", "optional": True}}, "document": {"a": "x<<p>>"}},
    }
    document = {**orders([{"$include": "g"}]), "fragments": fragments}
    registry = Registry.from_paths(write_tree({"orders.json": document}))
    assert registry.render("orders.p") == [{"$count": "n"}]
    document = {**orders([{"$match": {"$include": "t"}}]), "fragments": fragments}
    problem = only(write_tree, {"orders.json": document})
    assert (problem.code, problem.json_path) == ("PR062", "$.pipelines.p.stages[0].$match")
    assert "'p' is left out, but it is embedded in text" in problem.message


def test_an_optional_param_must_be_removable_where_it_stands(write_tree: WriteTree) -> None:
    fragments = {
        "name": {
            "params": {"prefix": {"type": "string", "optional": True}},
            "document": {"$concat": ["<<prefix>>", "$name"]},
        }
    }
    stages = [{"$project": {"n": {"$include": "name", "with": {"prefix": "x"}}}}]
    problem = only(write_tree, {"orders.json": {**orders(stages), "fragments": fragments}})
    assert (problem.code, problem.json_path) == ("PR027", "$.fragments.name.document.$concat[0]")


def test_unused_fragments_are_warnings_unless_included_from_another_module(
    write_tree: WriteTree,
) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": 5}}]
    registry = Registry.from_paths(
        write_tree({"common.json": COMMON, "orders.json": orders(stages)})
    )
    unused = sorted(p.json_path for p in registry.warnings if p.code == "PR066")
    assert unused == ["$.fragments.not_deleted", "$.fragments.tenant"]


def test_unused_fragments_are_not_reported_when_an_error_may_hide_an_include(
    write_tree: WriteTree,
) -> None:
    stages = [{"$include": "common.paginate", "with": 5}]
    root = write_tree({"common.json": COMMON, "orders.json": orders(stages)})
    _, found = load_sources(*discover_paths([root]))
    assert [p.code for p in found] == ["PR010"]  # warnings included: no PR066
    stages = [{"$include": "common.paginate", "with": {"page_size": 5}}]
    root = write_tree({"orders.json": orders(stages)})
    _, found = load_sources(*discover_paths([root]))
    assert [p.code for p in found] == ["PR066", "PR066"]


def test_two_definitions_of_one_fragment_key(write_tree: WriteTree) -> None:
    other = {"version": 1, "module": "common", "fragments": {"tenant": {"document": {"a": 1}}}}
    found = problems(write_tree, {"common.json": COMMON, "z.json": other})
    assert [(p.code, p.json_path) for p in found] == [("PR067", "$.fragments.tenant")]


def test_schema_checks_includes_in_stage_lists(write_tree: WriteTree) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": 1}, "extra": 1}]
    problem = include_problem(write_tree, stages[0])
    assert (problem.code, problem.json_path) == ("PR010", "$.pipelines.p.stages[1].extra")


def test_an_include_of_a_broken_file_adds_no_problem(write_tree: WriteTree) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": 1}}]
    found = problems(write_tree, {"common.json": "{", "orders.json": orders(stages)})
    assert [p.code for p in found] == ["PR001"]


def test_load_file_alone_resolves_its_own_fragments(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    document = {**orders([{"$match": {"$include": "f"}}]), "fragments": {"f": {"document": {}}}}
    path.write_text(json.dumps(document), encoding="utf-8")
    files, _ = discover_paths([tmp_path])
    result = load_file(files[0])
    assert result.ok
    assert result.pipelines[0].render() == [{"$match": {}}]


def test_reload_rebuilds_pipelines_that_include_a_changed_fragment(
    write_tree: WriteTree,
) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": 5}}]
    root = write_tree({"common.json": COMMON, "orders.json": orders(stages)})
    registry = Registry.from_paths(root)
    changed = json.loads(json.dumps(COMMON))
    changed["fragments"]["paginate"]["params"]["skip"]["default"] = 10
    write_tree({"common.json": changed})
    report = registry.reload()
    assert report.changed == ("orders.p",)
    assert registry.render("orders.p") == [{"$skip": 10}, {"$limit": 5}]
    # A change that breaks an include elsewhere fails the reload, and nothing changes.
    del changed["fragments"]["paginate"]
    write_tree({"common.json": changed})
    with pytest.raises(PipelineLoadError) as caught:
        registry.reload()
    assert [p.code for p in caught.value.problems] == ["PR060"]
    assert caught.value.problems[0].path.endswith("orders.json")
    assert registry.render("orders.p") == [{"$skip": 10}, {"$limit": 5}]


def test_cli_show_and_render_print_the_expanded_pipeline(write_tree: WriteTree) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": "<<limit>>"}}]
    root = write_tree({"common.json": COMMON, "orders.json": orders(stages, LIMIT)})
    runner = CliRunner()
    shown = runner.invoke(main, ["--path", str(root), "show", "orders.p"])
    assert shown.exit_code == 0, shown.output
    assert "fragments: common.paginate" in shown.output
    assert '"$limit": "<<limit>>"' in shown.output
    rendered = runner.invoke(main, ["--path", str(root), "render", "orders.p", "-p", "limit=4"])
    assert rendered.exit_code == 0, rendered.output
    assert json.loads(rendered.stdout) == [{"$skip": 0}, {"$limit": 4}]


def test_lint_of_some_files_does_not_call_fragments_unused(write_tree: WriteTree) -> None:
    root = write_tree({"common.json": COMMON})
    result = CliRunner().invoke(main, ["lint", str(root / "common.json")])
    assert result.exit_code == 0, result.output
    whole = CliRunner().invoke(main, ["--path", str(root), "lint"])
    assert whole.exit_code == 1
    assert "PR066" in whole.output


def test_document_includes_in_lists_and_a_lookup_body_with_its_own_pipeline(
    write_tree: WriteTree,
) -> None:
    fragments = {
        "paid": {"document": {"status": "paid"}},
        "first": {"stages": [{"$limit": 1}]},
        "customer": {
            "document": {"from": "customers", "as": "c", "pipeline": [{"$include": "first"}]}
        },
    }
    stages = [
        {"$match": {"$or": [{"$include": "paid"}, {"status": "shipped"}]}},
        {"$lookup": {"$include": "customer"}},
    ]
    document = {**orders(stages), "fragments": fragments}
    registry = Registry.from_paths(write_tree({"orders.json": document}))
    assert registry.render("orders.p") == [
        {"$match": {"$or": [{"status": "paid"}, {"status": "shipped"}]}},
        {"$lookup": {"from": "customers", "as": "c", "pipeline": [{"$limit": 1}]}},
    ]


NULLABLE = {"type": "date", "nullable": True}


@pytest.mark.parametrize(
    ("declaration", "constant", "rendered", "says"),
    [
        pytest.param(NULLABLE, None, None, "", id="null for a nullable"),
        pytest.param({"type": "date"}, None, None, "not nullable", id="null for another"),
        pytest.param(
            {"type": "date"},
            {"$date": "2024-03-01T00:00:00Z"},
            datetime.datetime(2024, 3, 1, tzinfo=UTC),
            "",
            id="Extended JSON",
        ),
        pytest.param({"type": "date"}, {"$date": "x"}, None, "invalid Extended JSON", id="bad"),
    ],
)
def test_constants_null_and_extended_json(
    write_tree: WriteTree, declaration: Any, constant: Any, rendered: Any, says: str
) -> None:
    fragments = {"f": {"params": {"d": declaration}, "document": {"at": "<<d>>"}}}
    stages = [{"$match": {"$include": "f", "with": {"d": constant}}}]
    files = {"orders.json": {**orders(stages), "fragments": fragments}}
    if says:
        problem = only(write_tree, files)
        assert problem.code == "PR063"
        assert says in problem.message
    else:
        registry = Registry.from_paths(write_tree(files))
        assert registry.render("orders.p") == [{"$match": {"at": rendered}}]


def test_a_constant_key_that_repeats_a_key_is_an_error(write_tree: WriteTree) -> None:
    fragments = {
        "f": {"params": {"by": {"type": "field"}}, "document": {"a": 1, "<<by>>": 2}},
    }
    stages = [{"$sort": {"$include": "f", "with": {"by": "a"}}}]
    problem = only(write_tree, {"orders.json": {**orders(stages), "fragments": fragments}})
    assert problem.code == "PR063"
    assert "key 'a' appear twice" in problem.message
    assert "in fragment 'orders.f'" in problem.message


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"x": {"type": "int"}}, "their object properties differ"),
        ({"a": {"type": "long"}}, "property 'a' differs: that is long"),
    ],
)
def test_object_properties_must_fit(write_tree: WriteTree, given: Any, says: str) -> None:
    declared = {"type": "object", "properties": {"a": {"type": "int"}}}
    fragments = {"f": {"params": {"o": declared}, "document": {"o": "<<o>>"}}}
    stages = [{"$match": {"$include": "f", "with": {"o": "<<mine>>"}}}]
    params = {"mine": {"type": "object", "properties": given}}
    problem = only(write_tree, {"orders.json": {**orders(stages, params), "fragments": fragments}})
    assert problem.code == "PR063"
    assert says in problem.message


def test_watch_rebuilds_includers_when_a_fragment_file_changes(write_tree: WriteTree) -> None:
    stages = [{"$include": "common.paginate", "with": {"page_size": 5}}]
    root = write_tree({"common.json": COMMON, "orders.json": orders(stages)})
    registry = Registry.from_paths(root)
    reloads: queue.Queue[Any] = queue.Queue()
    errors: queue.Queue[Exception] = queue.Queue()
    changed = json.loads(json.dumps(COMMON))
    with registry.watch(0.05, on_reload=reloads.put, on_error=errors.put):
        changed["fragments"]["paginate"]["params"]["skip"]["default"] = 7
        write_tree({"common.json": changed})
        assert reloads.get(timeout=WAIT).changed == ("orders.p",)
        assert registry.render("orders.p") == [{"$skip": 7}, {"$limit": 5}]
        changed["fragments"]["paginate"]["params"]["page_size"]["minimum"] = 10
        write_tree({"common.json": changed})
        error = errors.get(timeout=WAIT)
        assert isinstance(error, PipelineLoadError)
        assert [p.code for p in error.problems] == ["PR063"]
    assert registry.render("orders.p") == [{"$skip": 7}, {"$limit": 5}]


def test_an_include_in_options_is_an_error(write_tree: WriteTree) -> None:
    document = {**orders([{"$count": "n"}]), "fragments": {"f": {"document": {"x": 1}}}}
    document["pipelines"]["p"]["options"] = {"let": {"$include": "f"}}
    problem = only(write_tree, {"orders.json": document})
    assert (problem.code, problem.json_path) == ("PR068", "$.pipelines.p.options.let")
    assert "only in stages" in problem.message


def test_an_include_key_written_with_escapes_is_an_include(write_tree: WriteTree) -> None:
    text = json.dumps(
        {**orders([{"$include": "f"}]), "fragments": {"f": {"stages": [{"$limit": 1}]}}}
    )
    text = text.replace('"$include"', '"\\u0024include"')
    registry = Registry.from_paths(write_tree({"orders.json": text}))
    assert registry.render("orders.p") == [{"$limit": 1}]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({}, "enum 'a', 'b'"),
        ({"enum": ["a", "c"]}, "enum 'a', 'b'"),
        ({"enum": ["a"]}, "minLength 1"),
        ({"enum": ["a"], "minLength": 1}, "maxLength 5"),
        ({"enum": ["a"], "minLength": 1, "maxLength": 9}, "maxLength 5"),
        ({"enum": ["a"], "minLength": 1, "maxLength": 5}, "pattern '^[a-z]'"),
        ({"enum": ["b"], "minLength": 1, "maxLength": 4, "pattern": "^[a-z]"}, ""),
    ],
)
def test_a_renamed_param_must_keep_the_fragment_constraints(
    write_tree: WriteTree, given: dict[str, Any], says: str
) -> None:
    declared = {"enum": ["a", "b"], "minLength": 1, "maxLength": 5, "pattern": "^[a-z]"}
    fragments = {
        "f": {"params": {"s": {"type": "string", **declared}}, "document": {"s": "<<s>>"}},
        "g": {
            "params": {"ids": {"type": "array", "items": {"type": "int"}, "maxItems": 3}},
            "document": {"i": {"$in": "<<ids>>"}},
        },
    }
    stages = [{"$match": {"$include": "f", "with": {"s": "<<mine>>"}}}]
    params = {"mine": {"type": "string", **given}}
    files = {"orders.json": {**orders(stages, params), "fragments": {"f": fragments["f"]}}}
    if says:
        problem = only(write_tree, files)
        assert problem.code == "PR063"
        assert f"refuses ({says})" in problem.message
    else:
        assert Registry.from_paths(write_tree(files)).render("orders.p", {"mine": "b"})
    stages = [{"$match": {"$include": "g", "with": {"ids": "<<ids>>"}}}]
    params = {"ids": {"type": "array", "items": {"type": "int"}, "maxItems": 4}}
    files = {"orders.json": {**orders(stages, params), "fragments": {"g": fragments["g"]}}}
    assert "refuses (maxItems 3)" in only(write_tree, files).message


def test_a_fragment_whose_document_is_an_include_is_expanded(write_tree: WriteTree) -> None:
    fragments = {
        "e": {"params": {"v": {"type": "int"}}, "document": {"a": "<<v>>"}},
        "alias": {
            "params": {"w": {"type": "int"}},
            "document": {"$include": "e", "with": {"v": "<<w>>"}},
        },
    }
    stages = [{"$match": {"$include": "alias", "with": {"w": 3}}}]
    registry = Registry.from_paths(
        write_tree({"orders.json": {**orders(stages), "fragments": fragments}})
    )
    pipeline = registry.get("orders.p")
    assert pipeline.render() == [{"$match": {"a": 3}}]
    assert pipeline.includes == ("orders.alias", "orders.e")


def test_a_fragment_document_that_includes_itself_is_a_cycle(write_tree: WriteTree) -> None:
    fragments = {
        "cyc": {"document": {"$include": "cyc"}},
        "page": {"stages": [{"$limit": 1}]},
        "wrong": {"document": {"$include": "page"}},
    }
    stages = [{"$match": {"$include": "cyc"}}, {"$match": {"$include": "wrong"}}]
    found = problems(write_tree, {"orders.json": {**orders(stages), "fragments": fragments}})
    assert sorted((p.code, p.json_path) for p in found) == [
        ("PR061", "$.fragments.cyc.document"),
        ("PR065", "$.fragments.wrong.document"),
    ]
    assert "include cycle: orders.cyc -> orders.cyc" in found[0].message


SUB_PIPELINE_FRAGMENTS: dict[str, Any] = {
    "count": {"params": {"f": {"type": "string"}}, "stages": [{"$count": "<<f>>"}]},
    "doc": {"document": {"a": 1}},
    "vars": {"document": {"x": "$x"}},
}


def test_a_stages_include_stands_for_a_facet_branch_or_a_sub_pipeline(
    write_tree: WriteTree,
) -> None:
    count = {"$include": "count", "with": {"f": "n"}}
    stages = [
        {"$facet": {"all": count, "rows": [{"$limit": 1}]}},
        {"$lookup": {"from": "c", "as": "c", "let": {"$include": "vars"}, "pipeline": count}},
        {"$unionWith": {"coll": "c", "pipeline": count}},
    ]
    files = {"orders.json": {**orders(stages), "fragments": SUB_PIPELINE_FRAGMENTS}}
    assert Registry.from_paths(write_tree(files)).render("orders.p") == [
        {"$facet": {"all": [{"$count": "n"}], "rows": [{"$limit": 1}]}},
        {"$lookup": {"from": "c", "as": "c", "let": {"x": "$x"}, "pipeline": [{"$count": "n"}]}},
        {"$unionWith": {"coll": "c", "pipeline": [{"$count": "n"}]}},
    ]


@pytest.mark.parametrize(
    "stage",
    [
        pytest.param({"$facet": {"x": {"$include": "doc"}}}, id="facet"),
        pytest.param(
            {"$lookup": {"from": "c", "as": "c", "pipeline": {"$include": "doc"}}}, id="lookup"
        ),
        pytest.param(
            {"$unionWith": {"coll": "c", "pipeline": {"$include": "doc"}}}, id="unionWith"
        ),
    ],
)
def test_a_document_include_where_a_sub_pipeline_stands_is_an_error(
    write_tree: WriteTree, stage: dict[str, Any]
) -> None:
    files = {"orders.json": {**orders([stage]), "fragments": SUB_PIPELINE_FRAGMENTS}}
    problem = only(write_tree, files)
    assert problem.code == "PR065"
    assert "is an object, but it is included where a list of stages is expected" in problem.message
    assert problem.json_path.startswith("$.pipelines.p.stages[0].")


def test_no_include_is_left_in_a_pipeline(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A walk that misses an include (as $facet branches once were missed) must not let
    # "$include" reach the server: the last check finds it.
    def missed(self: Walk, body: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return body

    monkeypatch.setattr(Walk, "sub_pipelines", missed)
    stages = [{"$limit": 1}, {"$include": "facet"}]
    fragments = {
        **SUB_PIPELINE_FRAGMENTS,
        "facet": {"stages": [{"$facet": {"x": {"$include": "doc"}}}]},
    }
    problem = only(write_tree, {"orders.json": {**orders(stages), "fragments": fragments}})
    assert (problem.code, problem.json_path) == ("PR068", "$.pipelines.p.stages[1]")
    assert problem.message.startswith(
        "this include is not expanded here (in fragment 'orders.facet', "
    )
    assert "$.fragments.facet.stages[0].$facet.x" in problem.message


OPTIONAL_ONLY: dict[str, Any] = {
    "opt": {"params": {"o": {"type": "int", "optional": True}}, "document": {"x": "<<o>>"}},
    "opt_stages": {
        "params": {"o": {"type": "int", "optional": True}},
        "stages": [{"$match": {"x": "<<o>>"}}],
    },
}


def warnings_of(write_tree: WriteTree, files: dict[str, Any]) -> list[Problem]:
    loaded, found = load_sources(*discover_paths([write_tree(files)]))
    assert all(p.severity == "warning" for p in found), found
    assert all(result.pipelines for result in loaded if "pipelines" in result.document)
    return found


@pytest.mark.parametrize(
    ("stages", "at", "rendered"),
    [
        pytest.param([{"$match": {"$include": "opt"}}], "stages[0].$match", [], id="document"),
        pytest.param([{"$include": "opt_stages"}], "stages[0]", [], id="stages"),
        pytest.param(
            [{"$match": {"$or": [{"$include": "opt"}, {"a": 1}]}}],
            "stages[0].$match.$or[0]",
            [{"$match": {"$or": [{"a": 1}]}}],
            id="in a list",
        ),
        pytest.param(
            [{"$lookup": {"from": "c", "as": "c", "let": {"$include": "opt"}, "pipeline": []}}],
            "stages[0].$lookup.let",
            [{"$lookup": {"from": "c", "as": "c", "pipeline": []}}],
            id="lookup let",
        ),
    ],
)
def test_an_include_that_always_renders_nothing_is_a_warning(
    write_tree: WriteTree, stages: list[Any], at: str, rendered: list[Any]
) -> None:
    files = {"orders.json": {**orders(stages), "fragments": OPTIONAL_ONLY}}
    found = [p for p in warnings_of(write_tree, files) if p.code != "PR066"]
    assert [(p.code, p.json_path) for p in found] == [("PR069", f"$.pipelines.p.{at}")]
    assert "always renders nothing here" in found[0].message
    assert "optional parameters left unbound (o)" in found[0].message
    assert Registry.from_paths(write_tree(files)).render("orders.p") == rendered


def test_an_include_that_renders_something_is_no_warning(write_tree: WriteTree) -> None:
    stages = [
        {"$match": {"$include": "opt", "with": {"o": 1}}},
        {"$match": {"$include": "opt", "with": {"o": "<<mine>>"}}},
    ]
    params = {"mine": {"type": "int", "optional": True}}
    files = {"orders.json": {**orders(stages, params), "fragments": OPTIONAL_ONLY}}
    assert [p.code for p in warnings_of(write_tree, files)] == ["PR066"]  # opt_stages


def test_an_empty_include_inside_a_fragment_is_said_once_in_the_fragment(
    write_tree: WriteTree,
) -> None:
    fragments = {**OPTIONAL_ONLY, "outer": {"stages": [{"$limit": 1}, {"$include": "opt_stages"}]}}
    stages = [{"$include": "outer"}, {"$include": "outer"}]
    files = {"orders.json": {**orders(stages), "fragments": fragments}}
    found = [p for p in warnings_of(write_tree, files) if p.code != "PR066"]
    assert [(p.code, p.json_path) for p in found] == [("PR069", "$.fragments.outer.stages[1]")]


def test_lint_of_some_files_resolves_fragments_from_the_roots(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = [{"$match": {"$include": "common.not_deleted"}}]
    broken = {**COMMON, "pipelines": {"q": {"collection": "c", "stages": [{"$mtach": {}}]}}}
    root = write_tree({"common.json": broken, "orders.json": orders(stages)})
    outside = root.parent / "elsewhere"
    outside.mkdir()
    (outside / "extra.json").write_text(json.dumps(orders(stages)), encoding="utf-8")
    runner = CliRunner()
    given = runner.invoke(
        main, ["--path", str(root), "lint", str(root / "orders.json"), str(outside)]
    )
    assert given.exit_code == 0, given.output
    assert given.stdout == ""
    assert "2 files, 2 pipelines, 0 findings" in given.stderr
    assert "1 other file under the roots has problems" in given.stderr
    # The roots by default: ./pipelines.
    monkeypatch.chdir(root.parent)
    default = runner.invoke(main, ["lint", "pipelines/orders.json"])
    assert default.exit_code == 0, default.output
    # Without roots to resolve them from, another file's fragments are unknown.
    alone = runner.invoke(main, ["--path", str(outside), "lint", str(outside / "extra.json")])
    assert alone.exit_code == 1
    assert "PR060 $.pipelines.p.stages[0].$match: unknown fragment" in alone.stdout


def test_includes_nested_too_deeply_are_an_error_naming_the_chain(write_tree: WriteTree) -> None:
    fragments: dict[str, Any] = {
        f"f{i}": {"stages": [{"$include": f"f{i + 1}"}]} for i in range(200)
    }
    fragments["f200"] = {"stages": [{"$limit": 1}]}
    problem = only(
        write_tree, {"orders.json": {**orders([{"$include": "f0"}]), "fragments": fragments}}
    )
    assert (problem.code, problem.json_path) == ("PR051", "$.fragments.f31.stages[0]")
    assert problem.message == (
        "includes nested more than 32 levels deep: orders.f0 -> orders.f1 -> ... (29 more) "
        "-> orders.f31 -> orders.f32"
    )
    assert problem.line > 1


def test_outside_a_stage_a_pipeline_member_takes_either_kind(write_tree: WriteTree) -> None:
    # A $lookup body written as a document fragment has its own sub-pipeline; in a filter,
    # "pipeline" may be just a field so named.
    fragments = {
        **SUB_PIPELINE_FRAGMENTS,
        "join": {
            "document": {
                "from": "c",
                "as": "c",
                "pipeline": {"$include": "count", "with": {"f": "n"}},
            }
        },
    }
    stages = [{"$lookup": {"$include": "join"}}, {"$match": {"pipeline": {"$include": "doc"}}}]
    files = {"orders.json": {**orders(stages), "fragments": fragments}}
    assert Registry.from_paths(write_tree(files)).render("orders.p") == [
        {"$lookup": {"from": "c", "as": "c", "pipeline": [{"$count": "n"}]}},
        {"$match": {"pipeline": {"a": 1}}},
    ]
