"""Correct calls through generated typed calls: mypy and pyright must accept every line."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import bson
from typed import AsyncPipelineDAO, PipelineDAO, ShopOrdersParams, get_pipeline

since = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)


def every_type(dao: PipelineDAO) -> list[dict[str, Any]]:
    params: ShopOrdersParams = {
        "since": since,
        "status": "paid",
        "ids": [bson.ObjectId(), "65f1c000000000000000000b"],
        "limit": 10,
        "big": 2**40,
        "ratio": 0.5,
        "amount": decimal.Decimal("1.10"),
        "flag": True,
        "sort_by": "created_at",
        "note": None,
        "filter": {"region": "EU", "tier": 2},
        "days": (1, 2),
    }
    return dao.fetch_all("shop.orders", params)


def accepted_forms(dao: PipelineDAO) -> None:
    dao.fetch_all("shop.orders", {"since": "2024-03-01", "note": "x"})
    dao.fetch_all("shop.orders", {"since": datetime.date(2024, 3, 1), "note": None, "limit": None})
    dao.fetch_all("shop.orders", {"since": since, "note": "x", "ratio": 1, "amount": "2.5"})
    dao.fetch_all("shop.orders", {"since": since, "note": "x", "amount": bson.Decimal128("1")})
    dao.fetch_one("shop.orders", {"since": since, "note": "x"}, maxTimeMS=100)
    dao.aggregate("shop.orders", {"since": since, "note": "x"}, batchSize=10).close()
    dao.fetch_all("shop.count")
    dao.fetch_all("shop.count", {})
    dao.fetch_all("shop.keywords", {"class": "a", "str": 1})
    dao.fetch_all("a_b.c", {"x": 1})
    dao.fetch_all("a.b_c", {"y": "1"})
    dao.fetch_all("shop.edges", {"colour": "teal", "empty": {}, "when": [None, "2024-01-01"]})


def stages() -> list[dict[str, Any]]:
    return get_pipeline("shop.orders", {"since": since, "note": "x"}) + get_pipeline("shop.count")


async def run_async(dao: AsyncPipelineDAO) -> dict[str, Any] | None:
    rows = await dao.fetch_all("shop.orders", {"since": since, "note": "x"})
    cursor = await dao.aggregate("shop.count")
    await cursor.close()
    return rows[0] if rows else await dao.fetch_one("shop.count", None)
