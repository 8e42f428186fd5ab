"""Loading test-case files: format, located problems, names, data files (pipereg.testing.cases)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from bson import Decimal128, ObjectId

from helpers import REPO, WriteTree, line_of, pipeline_file
from pipereg import Registry
from pipereg.errors import Problem
from pipereg.load.discovery import discover_cases
from pipereg.testing.cases import Case, load_cases

PIPELINES = pipeline_file(
    {
        "paid": {
            "collection": "orders",
            "params": {
                "min": {"type": "int", "default": 0},
                "since": {"type": "date", "optional": True},
            },
            "stages": [{"$match": {"qty": {"$gte": "<<min>>"}, "at": {"$gte": "<<since>>"}}}],
        }
    }
)


def load(root: Path, *targets: Path) -> tuple[list[Case], list[Problem]]:
    registry = Registry.from_paths(root)
    files, problems = discover_cases(list(targets) or [root])
    assert problems == []
    return load_cases(files, registry)


def test_a_case_is_loaded_with_bson_values(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "shop.test.json": {
                "data": {"orders": [{"_id": {"$oid": "65f1c0000000000000000001"}, "qty": 2}]},
                "cases": {
                    "first": {
                        "pipeline": "paid",
                        "description": "one order",
                        "params": {"since": {"$date": "2024-03-01T00:00:00Z"}},
                        "expect": [{"total": {"$numberDecimal": "1.50"}}],
                        "order": "unordered",
                    },
                    "second": {"pipeline": "shop.paid", "expect": [], "skip": "later"},
                },
            },
        }
    )
    cases, problems = load(root)
    assert problems == []
    first, second = cases
    text = (root / "shop.test.json").read_text(encoding="utf-8")
    assert (first.name, first.key, first.order, first.skip, first.line) == (
        "first",
        "shop.paid",
        "unordered",
        None,
        line_of(text, '"first"'),
    )
    assert first.id == f"{root / 'shop.test.json'}::first"
    assert first.description == "one order"
    assert first.params == {"since": datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)}
    assert first.data == {"orders": ({"_id": ObjectId("65f1c0000000000000000001"), "qty": 2},)}
    assert first.expect == ({"total": Decimal128("1.50")},)
    assert (second.key, second.order, second.skip) == ("shop.paid", "exact", "later")


def test_bare_names_resolve_in_the_sibling_files_module(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "billing/invoices.json": pipeline_file(PIPELINES["pipelines"], module="money"),
            "billing/invoices.test.json": {"cases": {"c": {"pipeline": "paid", "expect": []}}},
        }
    )
    cases, problems = load(root, root / "billing")
    assert problems == []
    assert [c.key for c in cases] == ["money.paid"]


def test_module_key_names_the_module(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "other.test.json": {
                "module": "shop",
                "cases": {"c": {"pipeline": "paid", "expect": []}},
            },
        }
    )
    cases, problems = load(root)
    assert problems == []
    assert [c.key for c in cases] == ["shop.paid"]


def test_case_data_replaces_file_data_by_collection(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "../data/orders.json": [{"_id": 1}],
            "shop.test.json": {
                "data": {"orders": [{"_id": 9}], "customers": [{"_id": 8}]},
                "cases": {
                    "c": {
                        "pipeline": "paid",
                        "data": {"orders": "../data/orders.json"},
                        "expect": [],
                    }
                },
            },
        }
    )
    cases, problems = load(root)
    assert problems == []
    assert cases[0].data == {"orders": ({"_id": 1},), "customers": ({"_id": 8},)}


def test_data_may_name_a_folder_of_collection_files(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "../seed/orders.json": [{"_id": 1, "at": {"$date": "2024-03-01T00:00:00Z"}}],
            "../seed/customers.json": [],
            "shop.test.json": {
                "data": "../seed",
                "cases": {"c": {"pipeline": "paid", "expect": []}},
            },
        }
    )
    cases, problems = load(root)
    assert problems == []
    assert set(cases[0].data) == {"orders", "customers"}
    assert cases[0].data["orders"][0]["at"] == datetime.datetime(
        2024, 3, 1, tzinfo=datetime.timezone.utc
    )


def test_problems_are_located(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "shop.test.json": json.dumps(
                {
                    "cases": {
                        "unknown": {"pipeline": "piad", "expect": []},
                        "bad params": {"pipeline": "paid", "params": {"min": "ten"}, "expect": []},
                        "literal": {"pipeline": "paid", "expect": [{"_id": {"$oid": "xyz"}}]},
                        "folder": {"pipeline": "paid", "data": "nowhere", "expect": []},
                    }
                },
                indent=2,
            ),
        }
    )
    cases, problems = load(root)
    assert cases == []
    path = root / "shop.test.json"
    text = path.read_text(encoding="utf-8")
    assert [(p.line, p.code, p.json_path) for p in problems] == [
        (line_of(text, '"piad"'), "PR080", "$.cases.unknown.pipeline"),
        (line_of(text, '"params": {\n'), "PR081", '$.cases["bad params"].params'),
        (line_of(text, '"$oid"') - 1, "PR050", "$.cases.literal.expect[0]._id"),
        (line_of(text, '"nowhere"'), "PR082", "$.cases.folder.data"),
    ]
    assert problems[0].message == (
        "unknown pipeline 'piad': not a pipeline of module 'shop' nor a full key"
        " (did you mean 'shop.paid'?)"
    )
    assert problems[1].message == "shop.paid: parameter 'min': expected int, got str 'ten'"
    assert problems[3].message == f"{str(root / 'nowhere')!r} is not a folder"
    assert all(p.path == str(path) for p in problems)


def test_schema_violations_are_located_with_did_you_mean(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "shop.test.json": json.dumps(
                {"cases": {"c": {"pipeline": "paid", "expcet": [], "order": "sorted"}}}, indent=2
            ),
        }
    )
    cases, problems = load(root)
    assert cases == []
    assert [(p.code, p.json_path, p.message) for p in problems] == [
        ("PR010", "$.cases.c", "missing required key 'expect'"),
        ("PR010", "$.cases.c.expcet", "unknown key 'expcet' (did you mean 'expect'?)"),
        ("PR010", "$.cases.c.order", '"sorted" is not one of exact, unordered'),
    ]


def test_invalid_json_is_pr001_with_line_and_column(write_tree: WriteTree) -> None:
    root = write_tree({"shop.json": PIPELINES, "shop.test.json": '{"cases": {\n  "c": }\n}'})
    cases, problems = load(root)
    assert cases == []
    assert [(p.code, p.line, p.column) for p in problems] == [("PR001", 2, 8)]


def test_duplicate_keys_are_pr002(write_tree: WriteTree) -> None:
    case = '{"pipeline": "paid", "expect": []}'
    text = f'{{"cases": {{"c": {case}, "c": {case}}}}}'
    root = write_tree({"shop.json": PIPELINES, "shop.test.json": text})
    cases, problems = load(root)
    assert cases == []
    assert [p.code for p in problems] == ["PR002"]


def test_bad_data_files_are_reported_once_each_located_in_the_data_file(
    write_tree: WriteTree,
) -> None:
    case = {"pipeline": "paid", "data": {"orders": "../data/orders.json"}, "expect": []}
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "../data/orders.json": '[{"_id": 1},\n 2]',
            "shop.test.json": {"cases": {"a": case, "b": case}},
            "more.test.json": {"module": "shop", "cases": {"c": case}},
        }
    )
    cases, problems = load(root)
    assert cases == []
    data_file = str(root / "../data/orders.json")
    own = [p for p in problems if p.path == data_file]
    assert [(p.line, p.json_path, p.message) for p in own] == [
        (2, "$[1]", "expected a document (a JSON object)")
    ]
    users = [p for p in problems if p.path != data_file]
    assert [p.json_path for p in users] == [
        "$.cases.c.data.orders",
        "$.cases.a.data.orders",
        "$.cases.b.data.orders",
    ]


def test_data_files_that_are_not_arrays_or_not_json(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "../data/object.json": '{"_id": 1}',
            "../data/broken.json": "[",
            "shop.test.json": {
                "data": {
                    "a": "../data/object.json",
                    "b": "../data/broken.json",
                    "c": "../data/missing.json",
                },
                "cases": {"c": {"pipeline": "paid", "expect": []}},
            },
        }
    )
    _, problems = load(root)
    by_file = {(Path(p.path).name, p.code, p.message.split(":")[0]) for p in problems}
    assert ("object.json", "PR082", "expected a JSON array of documents") in by_file
    assert ("broken.json", "PR082", "invalid JSON") in by_file
    assert ("missing.json", "PR082", "cannot read") in by_file


def test_a_file_over_the_size_limit_is_pr004(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "shop.test.json": {"cases": {"c": {"pipeline": "paid", "expect": []}}},
        }
    )
    files, _ = discover_cases([root])
    _, problems = load_cases(files, Registry.from_paths(root), max_file_bytes=10)
    assert [p.code for p in problems] == ["PR004"]


def test_bundled_cases_load_and_cover_every_bundled_pipeline() -> None:
    registry = Registry.from_paths(REPO / "pipelines")
    files, problems = discover_cases([REPO / "pipelines"])
    cases, found = load_cases(files, registry)
    assert problems == found == []
    assert {case.key for case in cases} == set(registry.keys())
    assert len(cases) >= 2 * len(registry.keys())


def test_a_case_file_without_a_sibling_uses_its_own_name_as_module(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "extra.test.json": {
                "cases": {
                    "full key": {"pipeline": "shop.paid", "expect": []},
                    "bare": {"pipeline": "paid", "expect": []},
                }
            },
        }
    )
    cases, problems = load(root)
    assert cases == []
    assert [(p.code, p.json_path) for p in problems] == [("PR080", "$.cases.bare.pipeline")]
    assert "not a pipeline of module 'extra'" in problems[0].message


def test_every_problem_of_a_file_is_reported_at_once(write_tree: WriteTree) -> None:
    # A schema error used to hide the bad literal, the unknown pipeline and the bad parameter.
    cases = {
        "typo": {"pipeline": "paid", "expcet": []},
        "literal": {"pipeline": "paid", "expect": [{"at": {"$date": "yesterday"}}]},
        "unknown": {"pipeline": "piad", "expect": []},
        "params": {"pipeline": "paid", "params": {"min": "two"}, "expect": []},
    }
    root = write_tree(
        {"shop.json": PIPELINES, "shop.test.json": json.dumps({"cases": cases}, indent=2)}
    )
    found, problems = load(root)
    assert found == []
    assert [(p.code, p.json_path) for p in problems] == [
        ("PR010", "$.cases.typo"),
        ("PR010", "$.cases.typo.expcet"),
        ("PR050", "$.cases.literal.expect[0].at"),
        ("PR080", "$.cases.unknown.pipeline"),
        ("PR081", "$.cases.params.params"),
    ]
    assert all(p.line > 1 for p in problems)
