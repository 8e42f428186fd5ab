"""Spot checks of well-known facts of MongoDB's aggregation language, as the catalog states them."""

from __future__ import annotations

import pytest

from pipereg.language import (
    Kind,
    Operator,
    Placement,
    Position,
    Scope,
    kinds,
    operator,
    slots,
    stage,
)


def _stage(name: str) -> Operator:
    found = stage(name)
    assert found is not None, name
    return found


def _placement(name: str) -> Placement:
    placement = _stage(name).placement
    assert placement is not None, name
    return placement


def _expression(name: str) -> Operator:
    found = operator(name, Kind.EXPRESSION)
    assert found is not None, name
    return found


def _position(op: Operator, argument: str) -> Position:
    found = op.argument(argument)
    assert found is not None, (op.name, argument)
    return found.position


def test_geonear_must_come_first_and_nowhere_in_a_facet() -> None:
    placement = _placement("$geoNear")
    assert placement.first
    assert not placement.last
    assert not placement.in_facet


@pytest.mark.parametrize("name", ["$out", "$merge"])
def test_write_stages_come_last_at_the_top_level_only(name: str) -> None:
    placement = _placement(name)
    assert placement.last
    assert placement.top_level
    assert not placement.in_facet
    assert not placement.in_lookup


def test_ordinary_stages_may_stand_anywhere() -> None:
    placement = _placement("$match")
    assert (placement.first, placement.last, placement.top_level) == (False, False, False)
    assert placement.in_facet
    assert placement.in_lookup


def test_subtract_takes_exactly_two_arguments() -> None:
    subtract = _expression("$subtract")
    assert (subtract.min_args, subtract.max_args) == (2, 2)
    assert subtract.arity_error(["$a", "$b"]) is None
    assert subtract.arity_error(["$a"]) == "$subtract takes exactly 2 arguments, not 1"
    assert subtract.arity_error(["$a", "$b", "$c"]) is not None


def test_cond_takes_three_positional_or_named_if_then_else() -> None:
    cond = _expression("$cond")
    assert cond.arity_error([True, 1, 2]) is None
    assert cond.arity_error({"if": True, "then": 1, "else": 2}) is None
    assert cond.arity_error([True, 1]) == "$cond takes exactly 3 arguments, not 2"
    assert cond.arity_error({"if": True, "then": 1}) == "$cond requires 'else'"
    assert cond.arity_error({"if": 1, "then": 1, "else": 2, "otherwise": 3}) is not None


def test_group_requires_an_id_beside_any_accumulator_fields() -> None:
    group = _stage("$group")
    assert group.arity_error({"total": {"$sum": 1}}) == "$group requires '_id'"
    assert group.arity_error({"_id": "$k", "total": {"$sum": 1}, "n": {"$count": {}}}) is None
    assert _position(group, "total") is Position.ACCUMULATOR


def test_lookup_pipeline_is_a_stage_list_and_from_a_namespace() -> None:
    lookup = _stage("$lookup")
    assert _position(lookup, "pipeline") is Position.PIPELINE
    assert _position(lookup, "from") is Position.NAMESPACE
    assert _position(lookup, "let") is Position.VARIABLES
    assert lookup.required == ("as",)


@pytest.mark.parametrize("name", ["$documents", "$currentOp", "$listLocalSessions"])
def test_database_level_stages(name: str) -> None:
    assert _placement(name).scope is Scope.DATABASE


def test_change_streams_run_on_a_collection_or_a_database() -> None:
    assert _placement("$changeStream").scope is Scope.EITHER
    assert _placement("$match").scope is Scope.COLLECTION


@pytest.mark.parametrize(
    ("name", "version"),
    [("$setWindowFields", "5.0"), ("$lookup", "3.2"), ("$unionWith", "4.4"), ("$score", "8.2")],
)
def test_stage_versions(name: str, version: str) -> None:
    assert _stage(name).introduced == version


def test_set_window_fields_is_newer_than_4_4_but_not_than_5_0() -> None:
    swf = _stage("$setWindowFields")
    assert swf.newer_than("4.4")
    assert not swf.newer_than("5.0")
    assert not swf.newer_than("7.0")


def test_a_patch_release_counts_as_newer_than_its_minor() -> None:
    assert _stage("$listSearchIndexes").newer_than("6.0")
    assert not _stage("$listSearchIndexes").newer_than("6.0.7")


@pytest.mark.parametrize("name", ["$rankFusion", "$scoreFusion"])
def test_fusion_stages_take_named_stage_lists(name: str) -> None:
    found = {s.path: s.position for s in slots() if s.operator.name == name}
    assert found[("input", "pipelines", "*")] is Position.PIPELINE
    assert _placement(name).first


def test_javascript_positions_are_exactly_where_the_server_runs_code() -> None:
    found = {(s.operator.name, s.path) for s in slots(Position.JAVASCRIPT)}
    assert found == {
        ("$where", ("function",)),
        ("$function", ("body",)),
        ("$accumulator", ("init",)),
        ("$accumulator", ("accumulate",)),
        ("$accumulator", ("merge",)),
        ("$accumulator", ("finalize",)),
    }


def test_every_sub_pipeline_position() -> None:
    # The security review's table must cover each of these; a new one fails this test first.
    found = {(s.operator.name, s.path) for s in slots(Position.PIPELINE)}
    assert found == {
        ("$facet", ("*",)),
        ("$lookup", ("pipeline",)),
        ("$unionWith", ("pipeline",)),
        ("$merge", ("whenMatched",)),
        ("$rankFusion", ("input", "pipelines", "*")),
        ("$scoreFusion", ("input", "pipelines", "*")),
    }


def test_collection_names_stand_where_data_is_read_or_written() -> None:
    found = {(s.operator.name, s.path) for s in slots(Position.NAMESPACE)}
    assert {
        ("$lookup", ("from",)),
        ("$graphLookup", ("from",)),
        ("$unionWith", ("coll",)),
        ("$merge", ("into",)),
        ("$out", ("coll",)),
    } <= found


def test_filters_inside_stages() -> None:
    found = {(s.operator.name, s.path) for s in slots(Position.FILTER)}
    assert {
        ("$match", ("query",)),
        ("$geoNear", ("query",)),
        ("$graphLookup", ("restrictSearchWithMatch",)),
        ("$vectorSearch", ("filter",)),
    } <= found


def test_sum_is_an_accumulator_an_expression_and_a_window_operator() -> None:
    assert kinds("$sum") == {Kind.ACCUMULATOR, Kind.EXPRESSION, Kind.WINDOW}
    accumulator = operator("$sum", Kind.ACCUMULATOR)
    assert accumulator is operator("$sum", Kind.WINDOW)
    assert accumulator is not operator("$sum", Kind.EXPRESSION)


def test_atlas_search_stages_take_a_search_specification() -> None:
    assert _stage("$search").arguments[0].position is Position.SEARCH
    assert _stage("$searchMeta").arguments[0].position is Position.SEARCH
    assert _stage("$vectorSearch").required == ("index", "path", "queryVector", "limit")
