"""The exact ``aggregate`` command PyMongo sends for a pipeline, seen by a MockupDB server.

MockupDB answers ``hello`` itself; its default reply claims wire version 6, which PyMongo 4.20
refuses (it needs 9, MongoDB 4.4), so the reply claims 21 (MongoDB 7.0). The reply has no
``logicalSessionTimeoutMinutes``, so PyMongo adds no ``lsid`` and the command can be compared whole.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymongo
import pymongo.errors
import pytest
from mockupdb import MockupDB, OpMsg, going

from pipereg import PipelineDAO, Registry


@pytest.fixture
def dao(mockup: MockupDB, registry: Registry) -> Iterator[PipelineDAO]:
    """A DAO on database ``shop`` of a PyMongo client connected to ``mockup``."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        # Timeouts turn a reply the test forgot to send into a failure rather than a hang.
        mockup.uri,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        socketTimeoutMS=5000,
    )
    try:
        yield PipelineDAO(client["shop"], registry)
    finally:
        client.close()


def _tag(registry: Registry, key: str, version: int) -> str:
    return f"pipereg:{key}@{version} fp:{registry.get(key).fingerprint[:12]}"


def _cursor_reply(*documents: dict[str, Any]) -> dict[str, Any]:
    return {"cursor": {"id": 0, "ns": "shop.orders", "firstBatch": list(documents)}, "ok": 1}


def test_fetch_all_sends_exactly_this_command(mockup, dao, registry):
    with going(dao.fetch_all, "shop.tagged", {"status": "shipped"}, maxTimeMS=1234) as future:
        request = mockup.receives(timeout=5)
        request.reply(_cursor_reply({"order_no": 3}))

    assert future() == [{"order_no": 3}]
    assert list(request.doc) == [
        "aggregate",
        "pipeline",
        "allowDiskUse",
        "maxTimeMS",
        "comment",
        "cursor",
        "$db",
    ]
    assert request.doc == {
        "aggregate": "orders",
        "pipeline": [
            {"$match": {"status": "shipped"}},
            {"$sort": {"order_no": 1}},
            {"$project": {"_id": 0, "order_no": 1}},
        ],
        "allowDiskUse": True,
        "maxTimeMS": 1234,
        "comment": _tag(registry, "shop.tagged", 5) + " from the file",
        "cursor": {},
        "$db": "shop",
    }


def test_fetch_one_sends_typed_stages_and_limit_one(mockup, dao, registry, shop):
    params = {"since": "2024-03-01T10:00:00+01:00", "customer_ids": [str(shop.customer_b)]}
    with going(dao.fetch_one, "shop.orders_since", params) as future:
        request = mockup.receives(timeout=5)
        request.reply(_cursor_reply(shop.order(2)))

    assert future() == shop.order(2)
    # MockupDB decodes BSON dates as naive UTC datetimes.
    assert request.doc == {
        "aggregate": "orders",
        "pipeline": [
            {
                "$match": {
                    "created_at": {"$gte": datetime.datetime(2024, 3, 1, 9, 0)},
                    "status": "paid",
                    "customer_id": {"$in": [shop.customer_b]},
                }
            },
            {"$sort": {"created_at": 1, "_id": 1}},
            {"$limit": 10},
            {"$limit": 1},
        ],
        "comment": _tag(registry, "shop.orders_since", 2),
        "cursor": {},
        "$db": "shop",
    }


def test_server_error_reply_keeps_its_type_and_gains_a_note(mockup, dao, registry):
    # Not going(): it re-raises a new exception built from str(error), losing code and notes.
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(dao.fetch_all, "shop.broken")
        mockup.receives(timeout=5).command_err(code=168, errmsg="Unrecognized expression")
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            future.result(timeout=5)

    assert info.value.code == 168
    fingerprint = registry.get("shop.broken").fingerprint[:12]
    assert info.value.__notes__ == [
        f"pipereg: while running shop.broken@2 (fingerprint {fingerprint}, collection 'orders', "
        f"file {registry.get('shop.broken').path})"
    ]


@pytest.mark.parametrize(
    ("method", "first_batch"),
    [("fetch_all", [{"order_no": 1}]), ("fetch_one", [])],
)
def test_error_on_get_more_gains_a_note(mockup, dao, registry, method, first_batch):
    # The aggregate succeeds and leaves a cursor open; the error comes while the DAO drains it.
    # PyMongo kills the cursor after the failed getMore; a bare "killCursors" matcher would only
    # match a legacy OP_QUERY command.
    mockup.autoresponds(OpMsg("killCursors", "orders"), cursorsKilled=[42])
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(getattr(dao, method), "shop.tagged")
        aggregate = mockup.receives(timeout=5)
        aggregate.reply(
            {"cursor": {"id": 42, "ns": "shop.orders", "firstBatch": first_batch}, "ok": 1}
        )
        get_more = mockup.receives(timeout=5)
        get_more.command_err(code=2, errmsg="BadValue while iterating")
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            future.result(timeout=5)

    assert aggregate.doc["aggregate"] == "orders"
    assert get_more.doc["getMore"] == 42
    assert get_more.doc["collection"] == "orders"
    assert get_more.doc["comment"] == _tag(registry, "shop.tagged", 5) + " from the file"
    assert info.value.code == 2
    fingerprint = registry.get("shop.tagged").fingerprint[:12]
    assert len(info.value.__notes__) == 1
    assert info.value.__notes__[0].startswith(
        f"pipereg: while running shop.tagged@5 (fingerprint {fingerprint}, collection 'orders'"
    )
