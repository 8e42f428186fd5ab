"""The embedded engine: databases, seeding, and what mongomock cannot run."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from helpers import REPO, WriteTree, line_of, pipeline_file
from pipereg import Registry
from pipereg.errors import EngineError
from pipereg.load.discovery import discover_paths
from pipereg.load.sources import load_sources
from pipereg.testing import embedded


def features(stages: list[Any]) -> list[tuple[tuple[Any, ...], str]]:
    return [(item.at, item.feature) for item in embedded.unsupported(stages)]


def test_supported_stages_and_operators_are_not_reported() -> None:
    stages = [
        {"$match": {"a": {"$type": "string"}, "$expr": {"$gt": ["$a", 1]}}},
        {"$group": {"_id": "$a", "n": {"$sum": 1}, "m": {"$max": "$b"}}},
        {"$lookup": {"from": "c", "localField": "a", "foreignField": "b", "as": "c"}},
        {"$facet": {"x": [{"$count": "n"}]}},
        {"$project": {"d": {"$dateToString": {"format": "%Y", "date": "$at"}}}},
    ]
    assert features(stages) == []


def test_stages_mongomock_lacks_are_reported_where_they_stand() -> None:
    stages = [
        {"$unionWith": "archive"},
        {"$setWindowFields": {"output": {}}},
        {"$facet": {"x": [{"$unset": "a"}]}},
        {"$lookup": {"from": "c", "pipeline": [], "as": "c"}},
        {"$lookup": {"from": "c", "let": {"x": "$a"}, "as": "c"}},
    ]
    assert features(stages) == [
        ((0, "$unionWith"), "$unionWith"),
        ((1, "$setWindowFields"), "$setWindowFields"),
        ((2, "$facet", "x", 0, "$unset"), "$unset"),
        ((3, "$lookup", "pipeline"), "$lookup with a sub-pipeline"),
        ((4, "$lookup", "let"), "$lookup with let"),
    ]


def test_operators_mongomock_lacks_are_reported_in_expressions_only() -> None:
    stages = [
        {"$match": {"a": {"$type": "string"}, "$expr": {"$eq": [{"$type": "$a"}, "string"]}}},
        {"$project": {"r": {"$round": ["$x", 1]}, "m": {"$mergeObjects": ["$a", "$b"]}}},
        {"$group": {"_id": None, "n": {"$count": {}}}},
    ]
    assert features(stages) == [
        ((0, "$match", "$expr", "$eq", 0, "$type"), "$type"),
        ((1, "$project", "r", "$round"), "$round"),
        ((1, "$project", "m", "$mergeObjects"), "$mergeObjects"),
        ((2, "$group", "n", "$count"), "$count"),
    ]


def test_bundled_pipelines_all_run_on_the_embedded_engine() -> None:
    registry = Registry.from_paths(REPO / "pipelines")
    found = {p.key: embedded.unsupported(p.definition["stages"]) for p in registry}
    assert len(found) == 13
    assert {key: items for key, items in found.items() if items} == {}


@pytest.mark.parametrize(
    ("error", "feature"),
    [
        (
            NotImplementedError("$unionWith is not a valid operator for the aggregation"),
            "$unionWith",
        ),
        (NotImplementedError("$top is not a valid group operator for the aggregation"), "$top"),
        (NotImplementedError("'$strLenCP' is not implemented"), "'$strLenCP' is not implemented"),
        (OperationFailure("Unrecognized expression '$round'"), "$round"),
        (OperationFailure("Unrecognized expression '$roundd'"), None),
        (OperationFailure("Unrecognized pipeline stage name: '$x'"), None),
        (ValueError("no"), None),
    ],
)
def test_unsupported_error_tells_missing_features_from_mistakes(
    error: BaseException, feature: str | None
) -> None:
    assert embedded.unsupported_error(error) == feature


def test_describe_names_each_feature_once_and_what_to_do() -> None:
    assert embedded.describe(["$round", "$round", "$unionWith"]) == (
        "unsupported on the embedded engine: $round, $unionWith "
        "(run with --uri, e.g. the in-process test server or a real MongoDB)"
    )


def test_seed_inserts_copies_and_checks_names() -> None:
    database = embedded.database("seeded")
    documents = [{"_id": 1}, {"a": 2}]
    embedded.seed(database, {"c": documents, "empty": []})
    assert list(database["c"].find({}, {"_id": 0})) == [{}, {"a": 2}]
    assert documents[1] == {"a": 2}  # the caller's document gained no _id
    assert "empty" in database.list_collection_names()  # given with no documents: it exists
    assert list(database["empty"].find()) == []
    embedded.seed(database, {"empty": []})  # seeding it again is no error
    with pytest.raises(ValueError, match=r"'\$x' is not a collection name"):
        embedded.seed(database, {"$x": [{}]})
    with pytest.raises(ValueError, match=r"(?i)cannot load collection 'c': .*duplicate"):
        embedded.seed(database, {"c": [{"_id": 1}]})


def test_without_mongomock_the_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("mongomock"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(EngineError, match=r"pip install 'pipereg\[embedded\]'"):
        embedded.database()


def test_lint_warns_once_per_pipeline_at_its_first_unsupported_feature(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            "shop.json": pipeline_file(
                {
                    "ok": {"collection": "c", "stages": [{"$match": {}}]},
                    "both": {
                        "collection": "c",
                        "stages": [{"$unionWith": "d"}, {"$project": {"r": {"$round": "$x"}}}],
                    },
                }
            )
        }
    )
    loaded, _ = load_sources(*discover_paths([root]))
    problems = embedded.lint(loaded)
    assert [(p.code, p.severity, p.json_path, p.line > 0) for p in problems] == [
        ("PR070", "warning", "$.pipelines.both.stages[0].$unionWith", True)
    ]
    assert problems[0].message.startswith(
        "the embedded engine cannot run shop.both: $unionWith, $round;"
    )


def test_lint_locates_inlined_content_at_the_include_naming_the_fragment(
    write_tree: WriteTree,
) -> None:
    common = {"version": 1, "fragments": {"u": {"stages": [{"$match": {}}, {"$unionWith": "d"}]}}}
    stages = [{"$limit": 1}, {"$include": "common.u"}, {"$limit": 2}]
    root = write_tree(
        {
            "common.json": common,
            "shop.json": pipeline_file({"p": {"collection": "c", "stages": stages}}),
        }
    )
    loaded, _ = load_sources(*discover_paths([root]))
    shop = [result for result in loaded if result.module == "shop"]
    # Only the files reported on, with every file's fragments (as lint FILE does).
    problems = embedded.lint(shop, [f for result in loaded for f in result.fragments])
    at = line_of((root / "shop.json").read_text(encoding="utf-8"), '"$include"') - 1
    assert [(p.json_path, p.line) for p in problems] == [("$.pipelines.p.stages[1]", at)]
    assert problems[0].message.endswith(
        f"(in fragment 'common.u', {root / 'common.json'} $.fragments.u.stages[1].$unionWith)"
    )


def test_malformed_stage_lists_are_left_to_the_schema() -> None:
    assert embedded.unsupported("not a list") == []
    assert features([{"$match": {}, "$limit": 1}, "x"]) == []
