"""DAO preparation and adapter choice, without a database (pipereg.dao, pipereg.adapters)."""

from __future__ import annotations

from typing import Any

import mongomock
import pymongo
import pytest
from pymongo.database import Database

from helpers import WriteTree, pipeline_file
from pipereg import AsyncPipelineDAO, PipelineDAO, Registry
from pipereg.adapters import async_driver_for, sync_driver_for
from pipereg.adapters.mongomock import MongomockDriver, inline_let
from pipereg.adapters.pymongo import PyMongoDriver
from pipereg.dao import prepare_call

DOCUMENT = pipeline_file(
    {
        "p": {
            "collection": "orders",
            "params": {"min": {"type": "int"}},
            "stages": [{"$match": {"$expr": {"$gte": ["$qty", "$$min"]}}}],
            "options": {"let": {"min": "<<min>>"}, "maxTimeMS": 100, "comment": "nightly"},
        }
    },
    version=4,
)


@pytest.fixture
def registry(write_tree: WriteTree) -> Registry:
    return Registry.from_paths(write_tree({"shop.json": DOCUMENT}))


def test_call_options_override_file_options_and_let_merges_by_name(registry: Registry) -> None:
    call = prepare_call(registry, "shop.p", {"min": 2}, {"maxTimeMS": 5, "let": {"extra": 1}})
    assert call.collection == "orders"
    assert call.options["maxTimeMS"] == 5
    assert call.options["let"] == {"min": 2, "extra": 1}
    assert call.stages == [{"$match": {"$expr": {"$gte": ["$qty", "$$min"]}}}]


def test_comment_starts_with_the_tag_then_the_file_or_call_comment(registry: Registry) -> None:
    tag = registry.get("shop.p").tag
    assert tag.startswith("pipereg:shop.p@4 fp:")
    assert prepare_call(registry, "shop.p", {"min": 1}, {}).options["comment"] == f"{tag} nightly"
    by_call = prepare_call(registry, "shop.p", {"min": 1}, {"comment": "adhoc"})
    assert by_call.options["comment"] == f"{tag} adhoc"
    # None means not given: the file's comment stays.
    not_given = prepare_call(registry, "shop.p", {"min": 1}, {"comment": None, "maxTimeMS": None})
    assert not_given.options["comment"] == f"{tag} nightly"
    assert not_given.options["maxTimeMS"] == 100


def test_a_comment_that_is_not_a_string_is_sent_beside_the_tag(registry: Registry) -> None:
    # MongoDB takes a comment of any BSON type; the tag still names the pipeline.
    call = prepare_call(registry, "shop.p", {"min": 1}, {"comment": {"a": 1}})
    tag = registry.get("shop.p").tag
    assert call.options["comment"] == {"pipereg": tag, "comment": {"a": 1}}


def test_inline_let_for_the_embedded_engine() -> None:
    stages: list[dict[str, Any]] = [{"$match": {"$expr": {"$gte": ["$qty", "$$min"]}}}]
    inlined, options = inline_let(stages, {"let": {"min": 2}, "maxTimeMS": 1})
    assert inlined == [{"$match": {"$expr": {"$gte": ["$qty", 2]}}}]
    assert options == {"maxTimeMS": 1}
    assert stages[0]["$match"]["$expr"]["$gte"][1] == "$$min"  # the input is not changed


def test_let_expressions_are_evaluated_on_the_embedded_engine() -> None:
    # A let value is an expression on the server; inlined, mongomock evaluates it the same way.
    database = mongomock.MongoClient()["shop"]
    database["orders"].insert_many([{"qty": 1}, {"qty": 3}])
    stages: list[dict[str, Any]] = [{"$match": {"$expr": {"$gte": ["$qty", "$$min"]}}}]
    options = {"let": {"min": {"$subtract": [5, 3]}}}
    rows = MongomockDriver().fetch_all(
        MongomockDriver().aggregate(database, "orders", stages, options)
    )
    assert [row["qty"] for row in rows] == [3]


def test_let_works_on_the_embedded_engine(registry: Registry) -> None:
    database = mongomock.MongoClient()["shop"]
    database["orders"].insert_many([{"qty": 1}, {"qty": 3}])
    rows = PipelineDAO(database, registry).fetch_all("shop.p", {"min": 2})
    assert [row["qty"] for row in rows] == [3]


class AppDatabase(Database[dict[str, Any]]):
    """An application's own subclass of PyMongo's Database."""


def test_adapters_are_chosen_by_class_including_subclasses() -> None:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(connect=False)
    try:
        assert type(sync_driver_for(client["db"])) is PyMongoDriver
        assert type(sync_driver_for(AppDatabase(client, "db"))) is PyMongoDriver
        assert type(sync_driver_for(mongomock.MongoClient()["db"])) is MongomockDriver
        with pytest.raises(TypeError, match="synchronous database: use PipelineDAO"):
            async_driver_for(client["db"])
        with pytest.raises(TypeError, match=r"needs a database object, got builtins\.dict;"):
            PipelineDAO({})
        with pytest.raises(TypeError, match=r"needs a database object, got builtins\.dict;"):
            AsyncPipelineDAO({})
        for not_a_database in (client, client["db"]["orders"], mongomock.MongoClient()):
            with pytest.raises(TypeError, match=r"not a client or collection"):
                PipelineDAO(not_a_database)
    finally:
        client.close()
