"""Running test cases on the embedded engine: every status (pipereg.testing.runner)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, WriteTree, pipeline_file
from pipereg import Registry
from pipereg.errors import EngineError
from pipereg.load.discovery import discover_cases
from pipereg.messages import driver_error
from pipereg.testing import runner
from pipereg.testing.cases import Case, load_cases
from pipereg.testing.runner import EmbeddedEngine, Outcome, ServerEngine, Status, run_case

PIPELINES = pipeline_file(
    {
        "paid": {
            "collection": "orders",
            "params": {"min": {"type": "int", "default": 0}},
            "stages": [
                {"$match": {"status": "paid", "qty": {"$gte": "<<min>>"}}},
                {"$project": {"_id": 0, "no": 1, "qty": 1}},
            ],
        },
        "union": {"collection": "orders", "stages": [{"$unionWith": "archive"}]},
        "length": {
            "collection": "orders",
            "stages": [{"$project": {"n": {"$strLenCP": "$status"}}}],
        },
        "typo": {"collection": "orders", "stages": [{"$project": {"n": {"$size": "$qty"}}}]},
        "dotted_as": {
            "collection": "orders",
            "stages": [
                {"$lookup": {"from": "c", "localField": "a", "foreignField": "b", "as": "x.y"}}
            ],
        },
    }
)
ORDERS = [
    {"_id": 1, "no": 1, "status": "paid", "qty": 2},
    {"_id": 2, "no": 2, "status": "paid", "qty": 5},
    {"_id": 3, "no": 3, "status": "new", "qty": 1},
]


def outcomes(write_tree: WriteTree, cases: dict[str, Any]) -> dict[str, Outcome]:
    root = write_tree(
        {"shop.json": PIPELINES, "shop.test.json": {"data": {"orders": ORDERS}, "cases": cases}}
    )
    registry = Registry.from_paths(root)
    files, _ = discover_cases([root])
    loaded, problems = load_cases(files, registry)
    assert problems == []
    engine = EmbeddedEngine()
    return {case.name: run_case(case, registry, engine) for case in loaded}


def test_pass_and_fail(write_tree: WriteTree) -> None:
    found = outcomes(
        write_tree,
        {
            "pass": {"pipeline": "paid", "expect": [{"no": 1, "qty": 2.0}, {"no": 2, "qty": 5}]},
            "params": {"pipeline": "paid", "params": {"min": 3}, "expect": [{"no": 2, "qty": 5}]},
            "fail": {"pipeline": "paid", "expect": [{"no": 2, "qty": 5}, {"no": 1, "qty": 2}]},
            "unordered": {
                "pipeline": "paid",
                "order": "unordered",
                "expect": [{"no": 2, "qty": 5}, {"no": 1, "qty": 2}],
            },
        },
    )
    assert {name: o.status for name, o in found.items()} == {
        "pass": Status.PASS,
        "params": Status.PASS,
        "fail": Status.FAIL,
        "unordered": Status.PASS,
    }
    assert found["fail"].detail.startswith("the same documents in another order")


def test_skip_is_not_run(write_tree: WriteTree) -> None:
    found = outcomes(write_tree, {"s": {"pipeline": "typo", "expect": [], "skip": "later"}})
    assert (found["s"].status, found["s"].detail) == (Status.SKIP, "later")


def test_unsupported_before_running_and_while_running(write_tree: WriteTree) -> None:
    found = outcomes(
        write_tree,
        {
            "union": {"pipeline": "union", "expect": []},
            "length": {"pipeline": "length", "expect": []},
            "dotted": {"pipeline": "dotted_as", "expect": []},
        },
    )
    assert found["union"].status is Status.UNSUPPORTED
    assert found["union"].detail == (
        "unsupported on the embedded engine: $unionWith "
        "(run with --uri, e.g. the in-process test server or a real MongoDB)"
    )
    assert found["length"].status is Status.UNSUPPORTED
    assert "$strLenCP" in found["length"].detail
    assert "run with --uri" in found["length"].detail
    # Not in mongomock's tables: found out only by running it.
    assert found["dotted"].status is Status.UNSUPPORTED
    assert "'.' is valid in the 'as'" in found["dotted"].detail


def test_errors_are_outcomes_with_the_pipeline_named(write_tree: WriteTree) -> None:
    found = outcomes(
        write_tree,
        {
            "typo": {"pipeline": "typo", "expect": []},
            "seed": {
                "pipeline": "paid",
                "data": {"orders": [{"_id": 1}, {"_id": 1}]},
                "expect": [],
            },
        },
    )
    assert found["typo"].status is Status.ERROR
    assert found["typo"].detail.startswith(
        "OperationFailure: The argument to $size must be an array"
    )
    assert "pipereg: while running shop.typo@1" in found["typo"].detail
    assert found["seed"].status is Status.ERROR
    assert found["seed"].detail.startswith("cannot seed the database: cannot load collection")


def test_each_case_gets_a_fresh_database(write_tree: WriteTree) -> None:
    case = {"pipeline": "paid", "expect": [{"no": 1, "qty": 2}, {"no": 2, "qty": 5}]}
    found = outcomes(write_tree, {"a": case, "b": case})
    assert [o.status for o in found.values()] == [Status.PASS, Status.PASS]


def bundled() -> tuple[Registry, list[Case]]:
    registry = Registry.from_paths(REPO / "pipelines")
    files, _ = discover_cases([REPO / "pipelines"])
    cases, problems = load_cases(files, registry)
    assert problems == []
    return registry, cases


REGISTRY, CASES = bundled()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bundled_cases_pass_on_the_embedded_engine(case: Case) -> None:
    outcome = run_case(case, REGISTRY, EmbeddedEngine())
    assert outcome.status is Status.PASS, outcome.detail


def test_a_wrong_expectation_in_a_bundled_case_fails(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.expect)
    first = {**case.expect[0], "extra": 1}
    wrong = Case(**{**case.__dict__, "expect": (first, *case.expect[1:])})
    outcome = run_case(wrong, REGISTRY, EmbeddedEngine())
    assert outcome.status is Status.FAIL
    assert '-    "extra": 1,' in outcome.detail.splitlines()


class BrokenEngine:
    """An engine whose databases cannot be made (a server refusing listDatabases, say)."""

    embedded = False

    @contextmanager
    def open(self) -> Iterator[Any]:
        raise EngineError("database 'x' already exists; not touching it")
        yield  # pragma: no cover


def test_an_engine_that_cannot_give_a_database_is_an_error_outcome(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": PIPELINES,
            "shop.test.json": {"cases": {"c": {"pipeline": "paid", "expect": []}}},
        }
    )
    registry = Registry.from_paths(root)
    cases, _ = load_cases(discover_cases([root])[0], registry)
    outcome = run_case(cases[0], registry, BrokenEngine())
    assert outcome.status is Status.ERROR
    assert outcome.detail == (
        "database for the case: EngineError: database 'x' already exists; not touching it"
    )


def test_a_server_engine_refuses_a_prefix_no_database_name_can_start_with() -> None:
    # Refused before any connection: port 1 would otherwise be "cannot use the server".
    with pytest.raises(EngineError, match=r"database prefix 'a\$b': database names cannot hold"):
        ServerEngine("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200", "a$b")


@pytest.mark.parametrize(
    "stage",
    [
        {"$out": {"db": "prod", "coll": "x"}},
        {"$merge": {"into": {"db": "prod", "coll": "x"}}},
        {"$facet": {"f": [{"$out": {"db": "prod", "coll": "x"}}]}},
        {"$lookup": {"from": "a", "as": "b", "pipeline": [{"$merge": {"into": {"db": "prod"}}}]}},
    ],
)
def test_a_write_to_another_database_is_refused_before_running(stage: dict[str, Any]) -> None:
    found = runner.foreign_write([{"$match": {}}, stage])
    assert found is not None
    assert "writes to database 'prod'" in found


def test_writes_to_a_collection_of_the_case_database_are_allowed() -> None:
    stages = [{"$out": "x"}, {"$merge": {"into": "y"}}, {"$merge": {"into": {"coll": "z"}}}]
    assert runner.foreign_write(stages) is None


def test_driver_errors_leave_the_raw_reply_out() -> None:
    from pymongo.errors import OperationFailure

    reply = {
        "ok": 0,
        "errmsg": "the limit must be positive",
        "code": 15958,
        "codeName": "Location15958",
        "$clusterTime": {"clusterTime": 1, "signature": {"hash": b"secret", "keyId": 7}},
    }
    text = driver_error(OperationFailure("the limit must be positive", 15958, reply))
    assert text == "OperationFailure: the limit must be positive (code 15958, Location15958)"


LET_PIPELINES = pipeline_file(
    {
        "labelled": {
            "collection": "orders",
            "params": {"label": {"type": "string"}, "min": {"type": "int"}},
            "stages": [
                {"$match": {"label": "<<label>>", "$expr": {"$gte": ["$qty", "$$min"]}}},
                {"$project": {"_id": 0, "no": 1, "min": "$$min", "kept": {"$literal": "$$min"}}},
            ],
            "options": {"let": {"min": "<<min>>"}},
        },
        "tagged": {
            "collection": "orders",
            "params": {"tag": {"type": "string"}},
            "stages": [{"$project": {"_id": 0, "no": 1, "tag": "$$tag"}}],
            "options": {"let": {"tag": "<<tag>>"}},
        },
        "from_field": {
            "collection": "orders",
            "stages": [{"$project": {"_id": 0, "v": "$$x"}}],
            "options": {"let": {"x": "$qty"}},
        },
    }
)


def test_let_is_evaluated_as_mongodb_does_on_the_embedded_engine(write_tree: WriteTree) -> None:
    data = {"orders": [{"no": 1, "label": "$$min", "qty": 5}, {"no": 2, "label": "x", "qty": 5}]}
    cases = {
        # A parameter equal to "$$min" is a value, in a filter as anywhere: never the variable.
        "label": {
            "pipeline": "labelled",
            "params": {"label": "$$min", "min": 3},
            "expect": [{"no": 1, "min": 3, "kept": "$$min"}],
        },
        # A parameter that looks like a field path stays a string through let.
        "tag": {
            "pipeline": "tagged",
            "params": {"tag": "$qty"},
            "expect": [{"no": 1, "tag": "$qty"}, {"no": 2, "tag": "$qty"}],
        },
        "field": {"pipeline": "from_field", "expect": []},
    }
    root = write_tree(
        {"shop.json": LET_PIPELINES, "shop.test.json": {"data": data, "cases": cases}}
    )
    registry = Registry.from_paths(root)
    files, _ = discover_cases([root])
    loaded, problems = load_cases(files, registry)
    assert problems == []
    found = {case.name: run_case(case, registry, EmbeddedEngine()) for case in loaded}
    assert found["label"].status is Status.PASS, found["label"].detail
    assert found["tag"].status is Status.PASS, found["tag"].detail
    assert found["field"].status is Status.UNSUPPORTED
    assert "let variable 'x' defined by an expression that reads fields" in found["field"].detail
