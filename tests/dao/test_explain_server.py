"""Explain against servers: the exact command (MockupDB) and end to end (SecantusDB).

What SecantusDB 0.7.0b3 tells (read from its ``explain`` handler and seen here): for an aggregate
it plans the leading ``$match`` alone, COLLSCAN or IXSCAN by the indexes that exist, with real
counts; it echoes every other stage, the ``$match`` included, without statistics, and never
orders by an index, so a ``$sort`` after the ``$match`` is always in the pipeline (PX002).
Sharded, SBE and pushed-down replies are covered on recorded outputs in
``tests/explain/test_plans.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pymongo
import pymongo.errors
import pytest
from click.testing import CliRunner, Result
from mockupdb import MockupDB, going

from helpers import FIXTURES, pipeline_file
from pipereg import PipelineDAO, Registry
from pipereg.cli import main
from pipereg.explain.server import explain, explain_async
from pipereg.jsontext import extjson

OUTPUTS = FIXTURES / "explain_outputs"


@pytest.fixture
def client(mockup: MockupDB) -> Iterator[pymongo.MongoClient[dict[str, Any]]]:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mockup.uri, tz_aware=True, serverSelectionTimeoutMS=5000, socketTimeoutMS=5000
    )
    try:
        yield client
    finally:
        client.close()


def _recorded(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = extjson.loads((OUTPUTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def test_explain_wraps_exactly_the_aggregate_the_dao_sends(mockup, client, registry):
    database = client["shop"]
    options = {"maxTimeMS": 1234, "batchSize": 2, "comment": "ticket 6"}
    with going(PipelineDAO(database, registry).fetch_all, "shop.tagged", None, **options) as rows:
        aggregate = mockup.receives(timeout=5)
        aggregate.reply({"cursor": {"id": 0, "ns": "shop.orders", "firstBatch": []}, "ok": 1})
    assert rows() == []
    reply = _recorded("secantus_ixscan")
    with going(explain, database, "shop.tagged", registry=registry, **options) as explained:
        request = mockup.receives(timeout=5)
        request.reply(reply)

    sent = dict(aggregate.doc)
    assert sent.pop("$db") == "shop"
    assert request.doc == {
        "explain": sent,
        "verbosity": "executionStats",
        "maxTimeMS": 1234,
        "$db": "shop",
    }
    assert list(request.doc["explain"]) == list(sent)  # the driver's key order too
    tag = registry.get("shop.tagged").tag
    assert sent["comment"] == f"{tag} ticket 6"
    assert sent["cursor"] == {"batchSize": 2}
    assert explained().stages[0].plan is not None


def test_server_error_keeps_its_type_and_gains_the_note(mockup, client, registry):
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(explain, client["shop"], "shop.tagged", registry=registry)
        mockup.receives(timeout=5).command_err(code=2, errmsg="hint provided does not correspond")
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            future.result(timeout=5)
    assert info.value.code == 2
    assert info.value.__notes__[0].startswith("pipereg: while running shop.tagged@5 (fingerprint")


# End to end on SecantusDB (or the server at PIPEREG_TEST_MONGODB_URI).

PENDING = pipeline_file(
    {
        "pending": {
            "collection": "orders",
            "params": {"status": {"type": "string", "default": "pending"}},
            "stages": [
                {"$match": {"status": "<<status>>"}},
                {"$project": {"_id": 0, "order_no": 1}},
            ],
            "options": {"maxTimeMS": 5000},
        },
        "pending_sorted": {
            "collection": "orders",
            "stages": [{"$match": {"status": "pending"}}, {"$sort": {"order_no": 1}}],
        },
        "hinted": {
            "collection": "orders",
            "stages": [{"$match": {"status": "pending"}}],
            "options": {"hint": "no_such_index"},
        },
    }
)


@pytest.fixture
def shop_db(wire_uri: str) -> Iterator[tuple[str, pymongo.database.Database[dict[str, Any]]]]:
    """A fresh database with 300 orders, one in three pending; its name and the database."""
    name = f"pipereg_test_{uuid.uuid4().hex[:12]}"
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(wire_uri)
    try:
        orders = [
            {"order_no": n, "status": "pending" if n % 3 == 0 else "paid"} for n in range(300)
        ]
        client[name]["orders"].insert_many(orders)
        yield name, client[name]
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture
def tree(write_tree) -> Path:
    return write_tree({"explained.json": PENDING})


def _explain(tree: Path, uri: str, db: str, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--path", str(tree), "explain", *args, "--uri", uri, "--db", db]
    )


@pytest.mark.wire
def test_collection_scan_warns_and_exits_1(tree, wire_uri, shop_db):
    result = _explain(tree, wire_uri, shop_db[0], "explained.pending")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"explained.pending@1 on {shop_db[0]}.orders (MongoDB ")
    assert lines[1].split() == [
        "query", "COLLSCAN", "returned", "100,", "examined", "300", "docs", "and", "0", "keys,",
        *lines[1].split()[-2:],
    ]  # fmt: skip
    assert lines[-1] == (
        "warning: PX001 query: the $match on (status) reads every document (COLLSCAN); "
        "an index on these fields (or a prefix of them) would serve it"
    )
    assert result.stderr == "1 warning\n"


@pytest.mark.wire
def test_with_an_index_the_plan_is_an_index_scan_and_exits_0(tree, wire_uri, shop_db):
    shop_db[1]["orders"].create_index("status")
    result = _explain(tree, wire_uri, shop_db[0], "explained.pending")
    assert result.exit_code == 0, result.output
    assert "IXSCAN status_1 -> FETCH" in result.stdout
    assert "returned 100, examined 100 docs and 100 keys" in result.stdout
    assert "warning" not in result.stdout
    assert result.stderr == "0 warnings\n"


@pytest.mark.wire
def test_sort_left_in_the_pipeline_warns_even_with_the_filter_indexed(tree, wire_uri, shop_db):
    shop_db[1]["orders"].create_index("status")
    result = _explain(tree, wire_uri, shop_db[0], "explained.pending_sorted")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith(
        'warning: PX002 stage 2 $sort: sorts by {"order_no": 1} in memory, in the pipeline'
    )


@pytest.mark.wire
def test_json_and_raw_formats(tree, wire_uri, shop_db):
    result = _explain(tree, wire_uri, shop_db[0], "explained.pending", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["pipeline"] == "explained.pending"
    assert document["comment"].startswith("pipereg:explained.pending@1 fp:")
    assert document["verbosity"] == "executionStats"
    assert document["stages"][0]["plan"]["summary"] == "COLLSCAN"
    assert document["stages"][0]["plan"]["parsed_query"] == {"status": {"$eq": "pending"}}
    assert [w["code"] for w in document["warnings"]] == ["PX001"]
    raw = _explain(tree, wire_uri, shop_db[0], "explained.pending", "--raw")
    reply = json.loads(raw.stdout)
    assert reply["stages"][0]["$cursor"]["queryPlanner"]["namespace"] == f"{shop_db[0]}.orders"
    assert raw.exit_code == 1


@pytest.mark.wire
def test_query_planner_verbosity_has_no_counts(tree, wire_uri, shop_db):
    result = _explain(
        tree, wire_uri, shop_db[0], "explained.pending", "--verbosity", "queryPlanner"
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].split() == ["query", "COLLSCAN", "classic", "engine"]


@pytest.mark.wire
def test_server_error_is_one_line_exit_1(tree, wire_uri, shop_db):
    result = _explain(tree, wire_uri, shop_db[0], "explained.hinted")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("pipereg: OperationFailure: ")
    assert "pipereg: while running explained.hinted@1" in line


@pytest.mark.wire
async def test_library_sync_and_async(wire_uri, shop_db, tree):
    registry = Registry.from_paths(tree)
    explanation = explain(shop_db[1], "explained.pending", registry=registry)
    assert [w.code for w in explanation.warnings] == ["PX001"]
    client: pymongo.AsyncMongoClient[dict[str, Any]] = pymongo.AsyncMongoClient(wire_uri)
    try:
        database = client[shop_db[0]]
        planned = await explain_async(
            database, "explained.pending", registry=registry, verbosity="queryPlanner"
        )
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            await explain_async(database, "explained.hinted", registry=registry)
    finally:
        await client.close()
    assert info.value.__notes__[0].startswith("pipereg: while running explained.hinted@1")
    plan = planned.stages[0].plan
    assert plan is not None
    assert plan.root is not None
    assert plan.root.stage == "COLLSCAN"
    assert plan.n_returned is None
