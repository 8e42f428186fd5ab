"""The catalog's typed API: lookups, arity, placement, versions and slots."""

from __future__ import annotations

import dataclasses

import pytest

from pipereg.language import (
    OPERATORS,
    SOURCE_COMMIT,
    STAGES,
    Form,
    Kind,
    Operator,
    Position,
    is_known,
    kinds,
    names,
    operator,
    slots,
    stage,
)


def _op(name: str, kind: Kind) -> Operator:
    found = operator(name, kind)
    assert found is not None, (name, kind)
    return found


def test_lookups_answer_none_for_unknown_names() -> None:
    assert stage("$matchh") is None
    assert operator("$gt", Kind.STAGE) is None
    assert not is_known("$nope")
    assert kinds("$nope") == frozenset()


def test_a_name_is_known_only_where_it_stands() -> None:
    assert is_known("$match", Kind.STAGE)
    assert not is_known("$match", Kind.EXPRESSION)
    assert is_known("$gt", Kind.QUERY)
    assert is_known("$gt", Kind.EXPRESSION)
    assert not is_known("$gt", Kind.ACCUMULATOR)
    assert is_known("$rank", Kind.WINDOW)
    assert not is_known("$rank", Kind.ACCUMULATOR)
    assert is_known("$rank")


def test_names_per_kind_agree_with_the_records() -> None:
    assert names(Kind.STAGE) == set(STAGES)
    for kind in Kind:
        assert names(kind) == {op.name for op in OPERATORS if kind in op.kinds}
    assert len(names(Kind.STAGE)) >= 49
    assert len(names(Kind.EXPRESSION)) >= 150


def test_stages_is_read_only_and_records_are_frozen() -> None:
    with pytest.raises(TypeError):
        STAGES["$x"] = STAGES["$match"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        STAGES["$match"].name = "$x"  # type: ignore[misc]


def test_only_stages_carry_a_placement() -> None:
    for op in OPERATORS:
        assert (op.placement is not None) == (Kind.STAGE in op.kinds), op.name


def test_source_commit_is_recorded() -> None:
    assert len(SOURCE_COMMIT) == 40
    assert {op.source for op in OPERATORS} == {"mongo-php-library", "supplement"}


def test_a_one_argument_expression_may_wrap_its_argument_in_a_list() -> None:
    abs_ = _op("$abs", Kind.EXPRESSION)
    assert abs_.forms == (Form.VALUE,)
    assert abs_.arity_error(-1) is None
    assert abs_.arity_error(["$x"]) is None
    assert abs_.arity_error(["$x", "$y"]) == "$abs takes exactly 1 argument, not 2"
    assert _op("$literal", Kind.EXPRESSION).arity_error([1, 2, 3]) is None


def test_a_list_expression_reads_a_lone_value_as_one_argument() -> None:
    assert _op("$add", Kind.EXPRESSION).arity_error("$x") is None
    assert _op("$subtract", Kind.EXPRESSION).arity_error("$x") is not None
    assert _op("$subtract", Kind.EXPRESSION).arity_error({"$abs": 1}) is not None


def test_query_lists_must_be_lists() -> None:
    or_ = _op("$or", Kind.QUERY)
    assert or_.arity_error([{"a": 1}]) is None
    assert or_.arity_error({"a": 1}) == "$or takes a list"
    assert or_.arity_error([]) == "$or takes at least 1 argument, not 0"


def test_named_arguments_are_checked_for_unknown_keys_unless_open() -> None:
    lookup = _op("$lookup", Kind.STAGE)
    assert lookup.arity_error({"from": "b", "as": "x", "localFeld": "a"}) == (
        "$lookup does not take 'localFeld'"
    )
    assert lookup.arity_error("b") == "$lookup takes an object"
    assert _op("$addFields", Kind.STAGE).arity_error({"anything": 1}) is None


def test_a_stage_short_form_takes_its_shorthand() -> None:
    unwind = _op("$unwind", Kind.STAGE)
    assert unwind.shorthand is not None
    assert unwind.shorthand.position is Position.FIELD_PATH
    assert unwind.arity_error("$tags") is None
    assert unwind.arity_error({"path": "$tags"}) is None
    assert unwind.arity_error({"includeArrayIndex": "i"}) == "$unwind requires 'path'"


def test_argument_falls_back_to_the_any_key_argument() -> None:
    facet = _op("$facet", Kind.STAGE)
    found = facet.argument("byPrice")
    assert found is not None
    assert found.position is Position.PIPELINE
    assert _op("$lookup", Kind.STAGE).argument("byPrice") is None


def test_slots_cover_every_argument_and_filter_by_position() -> None:
    every = list(slots())
    assert len(every) >= sum(len(op.arguments) for op in OPERATORS)
    regex = {(s.operator.name, s.path) for s in slots(Position.REGEX)}
    assert ("$regex", ("regex",)) in regex
    assert ("$regexMatch", ("regex",)) in regex
    assert all(s.position is Position.REGEX for s in slots(Position.REGEX))


def test_newer_than_ignores_undated_operators() -> None:
    assert not _op("$add", Kind.EXPRESSION).newer_than("2.6")
    assert _op("$median", Kind.ACCUMULATOR).newer_than("6.0")
    assert _op("$bitAnd", Kind.EXPRESSION).introduced == "6.3"
