"""``pipereg profile --uri`` on the wire server's profiler (``profile`` command, system.profile).

SecantusDB implements the profiler's settings (``profile`` levels 0-2, ``slowms``,
``sampleRate``) and writes ``system.profile`` documents with ``op``, ``ns``, ``command`` (the
comment included), ``millis``, ``ts``, ``ok`` and ``client``; it records no ``docsExamined``,
``keysExamined``, ``nreturned`` or ``planSummary``, so those read as 0 and no plan here (the
reader is tested on documents of MongoDB's full shape in tests/explain/test_profile.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
from click.testing import CliRunner

from helpers import FIXTURES
from pipereg import PipelineDAO, Registry
from pipereg.cli import main

PIPELINES = FIXTURES / "dao"

pytestmark = pytest.mark.wire
DB = "profiled_shop"


@pytest.fixture
def database(wire_uri: str, shop: Any) -> Iterator[Any]:
    client: Any = pymongo.MongoClient(wire_uri, tz_aware=True)
    database = client[DB]
    database["orders"].insert_many(shop.orders(1, 2, 3, 4, 5, 6))
    database.command("profile", 2)  # every operation
    try:
        yield database
    finally:
        database.command("profile", 0)
        client.drop_database(DB)
        client.close()


def test_profile_reads_the_servers_profiler_and_attributes_each_call(
    database: Any, registry: Registry, wire_uri: str
) -> None:
    dao = PipelineDAO(database, registry)
    for status in ("paid", "shipped", "pending"):
        dao.fetch_all("shop.orders_since", {"since": "2024-01-01", "status": status})
    dao.fetch_one("shop.tagged", {"status": "paid"})
    database["orders"].find_one({"order_no": 1})  # not a pipeline: untagged
    recorded = list(database["system.profile"].find({"command.comment": {"$exists": True}}))
    assert recorded, "the server's profiler recorded nothing"
    assert all("millis" in document for document in recorded)

    result = CliRunner().invoke(
        main,
        ["--path", str(PIPELINES), "profile", "--uri", wire_uri, "--db", DB, "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    by_key = {p["key"]: p for p in document["pipelines"]}
    assert set(by_key) == {"shop.orders_since", "shop.tagged"}
    since = by_key["shop.orders_since"]
    assert since["count"] == 3
    assert since["version"] == registry.get("shop.orders_since").version
    assert since["stale"] is False
    assert since["file"].endswith("shop.json")
    assert isinstance(since["line"], int)
    assert by_key["shop.tagged"]["count"] == 1
    assert document["untagged"]["count"] == 1  # the find (the insert came before profiling)
