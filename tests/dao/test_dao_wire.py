"""What each wire-protocol driver sends: the ``aggregate`` command seen by command monitoring.

Runs on PyMongo, PyMongo Async and Motor against the in-process server (or
``PIPEREG_TEST_MONGODB_URI``). Collection, stages and options come from
``tests/fixtures/dao/shop.json``; the comment starts with the pipeline's tag.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from bson import ObjectId

UTC = datetime.timezone.utc


def _tag(engine: Any, key: str, version: int) -> str:
    fingerprint = engine.registry.get(key).fingerprint[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", fingerprint)
    return f"pipereg:{key}@{version} fp:{fingerprint}"


def _sent(engine: Any) -> dict[str, Any]:
    commands = engine.log.commands("aggregate", engine.database.name)
    assert len(commands) == 1, commands
    return commands[0]


async def test_command_has_collection_stages_options_and_tagged_comment_from_file(wire_engine):
    engine = wire_engine

    docs = await engine.run(engine.dao().fetch_all("shop.tagged", {"status": "shipped"}))

    command = _sent(engine)
    assert docs == [{"order_no": 3}]
    assert next(iter(command)) == "aggregate"
    assert command["aggregate"] == "orders"
    assert command["pipeline"] == [
        {"$match": {"status": "shipped"}},
        {"$sort": {"order_no": 1}},
        {"$project": {"_id": 0, "order_no": 1}},
    ]
    assert command["allowDiskUse"] is True
    assert command["maxTimeMS"] == 5000
    assert command["comment"] == _tag(engine, "shop.tagged", 5) + " from the file"
    assert command["cursor"] == {}
    assert "let" not in command


async def test_command_pipeline_is_typed(wire_engine, shop):
    engine = wire_engine
    params = {"since": "2024-03-01", "customer_ids": [str(shop.customer_a)], "limit": 3}

    docs = await engine.run(engine.dao().fetch_all("shop.orders_since", params))

    command = _sent(engine)
    assert docs == shop.orders(1)
    assert command["aggregate"] == "orders"
    assert command["pipeline"] == [
        {
            "$match": {
                "created_at": {"$gte": datetime.datetime(2024, 3, 1, tzinfo=UTC)},
                "status": "paid",
                "customer_id": {"$in": [shop.customer_a]},
            }
        },
        {"$sort": {"created_at": 1, "_id": 1}},
        {"$limit": 3},
    ]
    match = command["pipeline"][0]["$match"]
    assert type(match["created_at"]["$gte"]) is datetime.datetime
    assert match["created_at"]["$gte"].utcoffset() == datetime.timedelta(0)
    assert type(match["customer_id"]["$in"][0]) is ObjectId
    assert type(command["pipeline"][2]["$limit"]) is int
    # No options in the file: only the tag, nothing else added.
    assert command["comment"] == _tag(engine, "shop.orders_since", 2)
    assert not {"allowDiskUse", "maxTimeMS", "let", "collation", "hint"} & set(command)


async def test_optional_param_left_out_is_not_sent(wire_engine):
    engine = wire_engine

    await engine.run(engine.dao().fetch_all("shop.orders_since", {"since": "2024-03-01"}))

    assert _sent(engine)["pipeline"][0] == {
        "$match": {
            "created_at": {"$gte": datetime.datetime(2024, 3, 1, tzinfo=UTC)},
            "status": "paid",
        }
    }


async def test_call_options_override_file_options_and_comment_is_appended(wire_engine):
    engine = wire_engine

    await engine.run(engine.dao().fetch_all("shop.tagged", maxTimeMS=1234, comment="from the call"))

    command = _sent(engine)
    assert command["maxTimeMS"] == 1234
    assert command["allowDiskUse"] is True  # from the file, not overridden
    assert command["comment"] == _tag(engine, "shop.tagged", 5) + " from the call"


async def test_call_can_turn_a_file_option_off(wire_engine):
    engine = wire_engine

    await engine.run(engine.dao().fetch_all("shop.tagged", allowDiskUse=False))

    command = _sent(engine)
    assert command["allowDiskUse"] is False
    assert command["maxTimeMS"] == 5000
    assert command["comment"] == _tag(engine, "shop.tagged", 5) + " from the file"


@pytest.mark.parametrize(
    ("params", "threshold", "expected"),
    [
        ({}, 3, [(2, 5), (4, 7), (5, 3), (6, 4)]),
        ({"min_qty": 5}, 5, [(2, 5), (4, 7)]),
    ],
    ids=["default", "given"],
)
async def test_let_carries_a_rendered_placeholder_to_dollar_dollar_variables(
    wire_engine, params, threshold, expected
):
    engine = wire_engine

    docs = await engine.run(engine.dao().fetch_all("shop.over_threshold", params))

    command = _sent(engine)
    assert command["let"] == {"min_qty": threshold}
    assert type(command["let"]["min_qty"]) is int
    assert command["maxTimeMS"] == 5000
    assert [(d["order_no"], d["qty"]) for d in docs] == expected


async def test_fetch_one_appends_limit_one(wire_engine, shop):
    engine = wire_engine

    doc = await engine.run(engine.dao().fetch_one("shop.orders_since", {"since": "2024-03-02"}))

    assert doc == shop.order(2)
    assert _sent(engine)["pipeline"] == [
        {
            "$match": {
                "created_at": {"$gte": datetime.datetime(2024, 3, 2, tzinfo=UTC)},
                "status": "paid",
            }
        },
        {"$sort": {"created_at": 1, "_id": 1}},
        {"$limit": 10},
        {"$limit": 1},
    ]


async def test_fetch_one_does_not_append_limit_after_out(wire_engine):
    engine = wire_engine

    await engine.run(engine.dao().fetch_one("shop.archive", {"status": "shipped"}))

    assert _sent(engine)["pipeline"] == [
        {"$match": {"status": "shipped"}},
        {"$out": "orders_archive"},
    ]


async def test_aggregate_sends_the_same_command_as_fetch_all(wire_engine, shop):
    engine = wire_engine

    cursor = await engine.run(engine.dao().aggregate("shop.tagged", maxTimeMS=4321))
    docs = await engine.iterate(cursor)

    command = _sent(engine)
    assert docs == [{"order_no": 1}, {"order_no": 2}, {"order_no": 4}, {"order_no": 5}]
    assert command["aggregate"] == "orders"
    assert command["maxTimeMS"] == 4321
    assert command["allowDiskUse"] is True
    assert command["comment"] == _tag(engine, "shop.tagged", 5) + " from the file"


async def test_parameter_error_sends_no_command(wire_engine):
    import pipereg

    engine = wire_engine

    with pytest.raises(pipereg.ParameterError):
        await engine.run(engine.dao().fetch_all("shop.orders_since", {"since": 20240301}))

    assert engine.log.commands("aggregate", engine.database.name) == []
