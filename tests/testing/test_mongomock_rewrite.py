"""The embedded engine answers as MongoDB does, or says it cannot (adapters/mongomock_rewrite)."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from pipereg.adapters.mongomock import MongomockDriver

Stages = list[dict[str, Any]]


def run(stages: Stages, documents: list[dict[str, Any]], **options: Any) -> list[Any]:
    database = mongomock.MongoClient()["shop"]
    if documents:
        database["c"].insert_many([dict(document) for document in documents])
    driver = MongomockDriver()
    return [
        {k: v for k, v in row.items() if k != "_id" or v is None}
        for row in driver.fetch_all(driver.aggregate(database, "c", stages, options))
    ]


@pytest.mark.parametrize(
    "stages",
    [
        [{"$count": "n"}],
        [{"$group": {"_id": None, "n": {"$sum": 1}}}],
        [{"$match": {"a": {"$lt": 99}}}, {"$group": {"_id": "all", "total": {"$sum": "$a"}}}],
    ],
)
def test_count_and_group_over_no_documents_return_nothing(stages: Stages) -> None:
    # mongomock alone returns one document ([{"n": 0}]); MongoDB returns none.
    assert run(stages, []) == []
    assert run(stages, [{"a": 1}, {"a": 2}]) != []


def test_count_and_group_over_documents_are_unchanged() -> None:
    docs = [{"a": 1}, {"a": 2}]
    assert run([{"$count": "n"}], docs) == [{"n": 2}]
    assert run([{"$group": {"_id": None, "n": {"$sum": "$a"}}}], docs) == [{"_id": None, "n": 3}]


def test_count_in_a_facet_over_no_documents_is_an_empty_branch() -> None:
    assert run([{"$facet": {"total": [{"$count": "n"}]}}], []) == [{"total": []}]


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([{"$limit": 0}], "the limit must be positive"),
        ([{"$limit": -3}], "the limit must be positive"),
        ([{"$limit": 1.5}], "Expected an integer"),
        ([{"$skip": -1}], "Expected a non-negative number"),
        ([{"$sort": {"a": 2}}], "must be 1 (for ascending) or -1"),
        ([{"$sort": {"a": "asc"}}], "must be 1 (for ascending) or -1"),
        ([{"$sort": {"a": True}}], "must be 1 (for ascending) or -1"),
        ([{"$sort": {}}], "at least one sort key"),
        ([{"$out": "copy"}, {"$match": {}}], "$out can only be the final stage"),
        ([{"$facet": {"x": [{"$out": "copy"}]}}], "$out is not allowed to be used within a $facet"),
        ([{"$count": "a.b"}], "cannot contain '.'"),
    ],
)
def test_stages_the_server_refuses_are_refused(stages: Stages, message: str) -> None:
    with pytest.raises(mongomock.OperationFailure) as raised:
        run(stages, [{"a": 1}])
    assert message in str(raised.value)


def test_sort_orders_the_server_accepts_still_sort() -> None:
    docs = [{"a": 1}, {"a": 2}]
    assert run([{"$sort": {"a": -1.0}}, {"$project": {"_id": 0}}], docs) == [{"a": 2}, {"a": 1}]


def test_let_is_substituted_only_where_an_expression_reads_it() -> None:
    docs = [{"a": 1, "s": "$$x"}, {"a": 2, "s": "y"}]
    # A $match filter compares "$$x" as written; only $expr reads variables.
    assert [row["a"] for row in run([{"$match": {"s": "$$x"}}], docs, let={"x": "y"})] == [1]
    stages: Stages = [
        {"$match": {"$expr": {"$eq": ["$s", "$$x"]}}},
        {"$project": {"_id": 0, "a": 1, "v": "$$x", "kept": {"$literal": "$$x"}}},
    ]
    assert run(stages, docs, let={"x": "y"}) == [{"a": 2, "v": "y", "kept": "$$x"}]


def test_a_let_value_that_looks_like_a_field_path_stays_a_value() -> None:
    # A parameter's "$a" must not become a field path when substituted.
    stages: Stages = [{"$project": {"_id": 0, "v": "$$x", "size": {"$size": "$$list"}}}]
    let = {"x": {"$literal": "$a"}, "list": [1, 2, 3]}
    assert run(stages, [{"a": 1}], let=let) == [{"v": "$a", "size": 3}]


def test_a_variable_bound_again_inside_is_not_substituted() -> None:
    stages: Stages = [
        {
            "$project": {
                "_id": 0,
                "m": {"$map": {"input": [1, 2], "as": "x", "in": "$$x"}},
                "l": {"$let": {"vars": {"x": 7}, "in": "$$x"}},
                "sub": "$$x.k",
            }
        }
    ]
    assert run(stages, [{"a": 1}], let={"x": {"k": "v"}}) == [{"m": [1, 2], "l": 7, "sub": "v"}]


def test_an_operator_expression_over_constants_is_substituted_as_written() -> None:
    stages: Stages = [{"$project": {"_id": 0, "v": "$$x"}}]
    assert run(stages, [{"a": 1}], let={"x": {"$add": [1, 2]}}) == [{"v": 3}]


@pytest.mark.parametrize(
    ("let", "reference"),
    [
        ({"x": "$a"}, "$$x"),
        ({"x": {"$add": ["$a", 1]}}, "$$x"),
        ({"x": {"k": [1]}}, "$$x.k.z"),
        ({"x": {"$add": [1, 2]}}, "$$x.k"),
        ({"x": "$$NOW"}, "$$x"),
    ],
)
def test_what_cannot_be_substituted_faithfully_is_not_implemented(
    let: dict[str, Any], reference: str
) -> None:
    with pytest.raises(NotImplementedError, match="embedded engine cannot"):
        run([{"$project": {"v": reference}}], [{"a": 1}], let=let)


async def test_the_async_adapter_answers_as_mongodb_too() -> None:
    import mongomock_motor

    from pipereg.adapters.mongomock import MongomockMotorDriver

    database = mongomock_motor.AsyncMongoMockClient()["shop"]
    driver = MongomockMotorDriver()
    cursor = await driver.aggregate(database, "c", [{"$count": "n"}], {})
    assert await driver.fetch_all(cursor) == []
    with pytest.raises(mongomock.OperationFailure, match="the limit must be positive"):
        await driver.aggregate(database, "c", [{"$limit": 0}], {})
