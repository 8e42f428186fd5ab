"""Explain outputs read into summaries (pipereg.explain.plans), on recorded and documented replies.

``tests/fixtures/explain_outputs/`` holds one reply per shape MongoDB answers an aggregate explain
with: classic and slot-based (SBE) plans, the ``$cursor`` form and the pushed-down form, sharded
with ``splitPipeline`` and single-shard, and ``queryPlanner`` verbosity. They are written after the
shapes in MongoDB's "Explain Results" reference and the recorded server outputs MongoDB Compass
tests its explain-plan reader on (5.0 and 5.3), with our own collections and values, trimmed to
the fields that matter. ``secantus_*.json`` were recorded from SecantusDB 0.7.0b3 as they came
(timings fixed at 1 ms).
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import FIXTURES
from pipereg.cli.explain import plan_text
from pipereg.codes import CODES
from pipereg.explain.plans import Explanation, QueryPlan, summarize
from pipereg.jsontext import extjson

OUTPUTS = FIXTURES / "explain_outputs"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = extjson.loads((OUTPUTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def explained(name: str) -> Explanation:
    return summarize(load(name))


def codes(explanation: Explanation) -> list[tuple[str, str]]:
    return [(w.code, w.where) for w in explanation.warnings]


def only_plan(explanation: Explanation) -> QueryPlan:
    plans = [stage.plan for stage in explanation.stages if stage.plan is not None]
    assert len(plans) == 1
    return plans[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("classic_cursor_collscan", [("PX001", "query"), ("PX003", "query")]),
        ("classic_pushed_down_sort", [("PX002", "query")]),
        ("sbe_pushed_down_group", []),
        ("sbe_cursor_ixscan", []),
        (
            "sharded_cursor_stages",
            [("PX001", "shard shard-a: query"), ("PX003", "shard shard-a: query")],
        ),
        ("sharded_pushed_down_or", []),
        ("query_planner_only", [("PX001", "query")]),
        ("secantus_collscan", [("PX001", "query"), ("PX002", "stage 2 $sort")]),
        ("secantus_ixscan", [("PX002", "stage 2 $sort")]),
    ],
)
def test_warnings_per_shape(name: str, expected: list[tuple[str, str]]) -> None:
    explanation = explained(name)
    assert codes(explanation) == expected
    assert all(w.code in CODES for w in explanation.warnings)


def test_classic_cursor_form_reads_query_layer_and_pipeline_stages() -> None:
    explanation = explained("classic_cursor_collscan")
    assert explanation.server_version == "5.0.3"
    assert [s.name for s in explanation.stages] == ["query", "$group", "$sort"]
    query, group, sort = explanation.stages
    assert query.plan is not None
    assert query.plan.engine == "classic"
    assert plan_text(query.plan) == "COLLSCAN -> PROJECTION_SIMPLE"
    assert not query.plan.uses_index
    assert (query.plan.n_returned, query.plan.docs_examined, query.plan.keys_examined) == (
        120,
        5000,
        0,
    )
    assert query.plan.execution_ms == 9
    assert query.execution_ms_estimate == 4
    collscan = query.plan.root.children[0] if query.plan.root else None
    assert collscan is not None
    assert (collscan.stage, collscan.n_returned, collscan.docs_examined) == ("COLLSCAN", 120, 5000)
    assert (group.n_returned, group.used_disk) == (30, False)
    assert sort.spec == {"sortKey": {"_id": 1}, "limit": 10}
    # A $sort after $group sorts groups: no index could, so no warning for it.
    assert "PX002" not in [w.code for w in explanation.warnings]
    px001 = explanation.warnings[0]
    assert str(px001).startswith("PX001 query: the $match on (status, created_at) reads every")
    assert "examined 5000 documents and 0 keys to return 120" in str(explanation.warnings[1])


def test_pushed_down_classic_plan_with_index_and_blocking_sort() -> None:
    explanation = explained("classic_pushed_down_sort")
    plan = only_plan(explanation)
    assert [s.name for s in explanation.stages] == ["query"]
    assert plan_text(plan) == 'IXSCAN status_1 -> FETCH -> SORT {"created_at": -1}'
    assert plan.uses_index
    ixscan = next(n for n in plan.nodes() if n.stage == "IXSCAN")
    assert (ixscan.index_name, ixscan.key_pattern, ixscan.keys_examined) == (
        "status_1",
        {"status": 1},
        640,
    )
    (warning,) = explanation.warnings
    assert warning.message.startswith('sorts by {"created_at": -1} in memory (SORT stage)')
    assert "(created_at)" in warning.message


def test_sbe_plans_come_from_query_plan_and_keep_no_node_counts() -> None:
    plan = only_plan(explained("sbe_cursor_ixscan"))
    assert plan.engine == "sbe"
    assert plan_text(plan) == "IXSCAN name_1 -> FETCH -> LIMIT"
    # executionStages are SBE stages (limit, nlj...): totals only.
    assert all(node.n_returned is None for node in plan.nodes())
    assert (plan.n_returned, plan.keys_examined, plan.docs_examined) == (6, 479, 6)


def test_a_pushed_down_group_is_not_a_scan_larger_than_its_result() -> None:
    # 5555 documents examined for 3 groups is what grouping does: no PX003.
    explanation = explained("sbe_pushed_down_group")
    plan = only_plan(explanation)
    assert plan_text(plan) == "COLLSCAN -> GROUP"
    assert (plan.n_returned, plan.docs_examined) == (3, 5555)
    assert explanation.warnings == ()


def test_sharded_stages_per_shard_then_merger() -> None:
    explanation = explained("sharded_cursor_stages")
    assert [(s.shard, s.name) for s in explanation.stages] == [
        ("shard-a", "query"),
        ("shard-b", "query"),
        ("merger", "$limit"),
    ]
    shard_a, shard_b = (s.plan for s in explanation.stages[:2])
    assert shard_a is not None
    assert shard_b is not None
    assert plan_text(shard_a) == "COLLSCAN -> SHARDING_FILTER"
    assert plan_text(shard_b) == "IXSCAN region_1 -> FETCH -> SHARDING_FILTER"
    assert explanation.server_version == "5.0.3"


def test_single_shard_pushed_down_or_with_two_indexes() -> None:
    explanation = explained("sharded_pushed_down_or")
    plan = only_plan(explanation)
    assert explanation.stages[0].shard == "shard-a"
    assert plan_text(plan) == "[IXSCAN sku_1 | IXSCAN ref_1] -> OR -> FETCH"
    assert plan.uses_index


def test_query_planner_verbosity_has_no_counts() -> None:
    explanation = explained("query_planner_only")
    plan = explanation.stages[0].plan
    assert plan is not None
    assert (plan.n_returned, plan.docs_examined, plan.execution_ms) == (None, None, None)
    assert [s.name for s in explanation.stages] == ["query", "$out"]


def test_secantus_reply_reads_stages_not_its_top_level_copy() -> None:
    explanation = explained("secantus_ixscan")
    assert [s.name for s in explanation.stages] == ["query", "$match", "$sort", "$limit"]
    plan = explanation.stages[0].plan
    assert plan is not None
    assert plan_text(plan) == "IXSCAN status_1 -> FETCH"
    assert (plan.n_returned, plan.docs_examined, plan.keys_examined) == (100, 100, 100)
    assert explanation.warnings[0].message.startswith('sorts by {"order_no": 1} in memory, in the')


@pytest.mark.parametrize(
    ("examined", "returned", "warned"),
    [(99, 0, False), (100, 0, True), (1000, 100, False), (1001, 100, True)],
)
def test_examined_ratio_threshold(examined: int, returned: int, warned: bool) -> None:
    reply = {
        "queryPlanner": {"winningPlan": {"stage": "IXSCAN", "indexName": "a_1"}, "parsedQuery": {}},
        "executionStats": {"nReturned": returned, "totalKeysExamined": examined},
    }
    assert [w.code for w in summarize(reply).warnings] == (["PX003"] if warned else [])


@pytest.mark.parametrize(
    "reply",
    [
        {},
        {"ok": 1},
        {"stages": "x"},
        {"stages": [{}, 3]},
        {"shards": {"a": 1}},
        {"queryPlanner": {}},
    ],
)
def test_unexpected_shapes_give_an_empty_or_planless_summary(reply: dict[str, Any]) -> None:
    explanation = summarize(reply)
    assert explanation.warnings == ()
    assert all(stage.plan is None or stage.plan.root is None for stage in explanation.stages)


def test_a_sort_after_a_reshaping_stage_in_the_plan_is_not_flagged() -> None:
    reply = {
        "queryPlanner": {
            "parsedQuery": {},
            "winningPlan": {
                "queryPlan": {
                    "stage": "SORT",
                    "sortPattern": {"total": -1},
                    "inputStage": {"stage": "GROUP", "inputStage": {"stage": "COLLSCAN"}},
                }
            },
        }
    }
    assert summarize(reply).warnings == ()


def test_collscan_message_names_the_fields_of_an_or() -> None:
    reply = {
        "queryPlanner": {
            "parsedQuery": {
                "$or": [{"first_name": {"$regex": "^ma"}}, {"last_name": {"$eq": "x"}}]
            },
            "winningPlan": {"stage": "SUBPLAN", "inputStage": {"stage": "COLLSCAN"}},
        }
    }
    (warning,) = summarize(reply).warnings
    assert warning.message.startswith("the $match on (first_name, last_name) reads every document")


def _cursor(filter_: dict[str, Any]) -> dict[str, Any]:
    plan = {"stage": "COLLSCAN"}
    return {"$cursor": {"queryPlanner": {"parsedQuery": filter_, "winningPlan": plan}}}


@pytest.mark.parametrize(
    ("stages", "flagged"),
    [
        ([_cursor({}), {"$sort": {"a": 1}}], True),
        ([_cursor({}), {"$match": {"b": 1}}, {"$sort": {"a": 1}}], True),
        ([_cursor({}), {"$unwind": "$tags"}, {"$sort": {"a": 1}}], False),
        ([{"$sort": {"a": 1}}], False),
    ],
)
def test_a_pipeline_sort_is_flagged_only_over_the_collections_documents(
    stages: list[dict[str, Any]], flagged: bool
) -> None:
    warnings = summarize({"stages": stages}).warnings
    assert [w.code for w in warnings] == (["PX002"] if flagged else [])


def test_merger_stages_are_not_flagged_and_are_located_apart() -> None:
    reply = load("sharded_cursor_stages")
    reply["splitPipeline"]["mergerPart"].append({"$sort": {"sortKey": {"total": -1}}})
    explanation = summarize(reply)
    assert [(s.shard, s.name) for s in explanation.stages][-2:] == [
        ("merger", "$limit"),
        ("merger", "$sort"),
    ]
    assert "PX002" not in [w.code for w in explanation.warnings]
