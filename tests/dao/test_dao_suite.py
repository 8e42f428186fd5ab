"""The DAO behaviour suite: every test runs once per driver through the ``engine`` fixture.

A test reads the same for sync and async drivers: ``await engine.run(dao.fetch_all(...))`` awaits
only what an async DAO returns. Seed orders (see conftest): paid since 2024-03-01 are 1, 2 and 4.
"""

from __future__ import annotations

import datetime
import re

import pymongo.errors
import pytest
from bson import ObjectId

import pipereg
from helpers import FIXTURES

UTC = datetime.timezone.utc
PIPELINES = FIXTURES / "dao"


# fetch_all


async def test_fetch_all_returns_matching_documents_with_types_intact(engine, shop):
    dao = engine.dao()

    docs = await engine.run(dao.fetch_all("shop.orders_since", {"since": "2024-03-01"}))

    assert docs == shop.orders(1, 2, 4)
    assert len(engine.aggregate_calls) == 1  # the spy that "before any database call" relies on
    first = docs[0]
    assert type(first["_id"]) is ObjectId
    assert type(first["customer_id"]) is ObjectId
    assert type(first["qty"]) is int
    assert type(first["order_no"]) is int
    assert isinstance(first["created_at"], datetime.datetime)
    assert first["created_at"] == datetime.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert first["created_at"].utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "since",
    [
        "2024-03-02",
        "2024-03-02T00:00:00Z",
        "2024-03-02T01:00:00+01:00",
        datetime.date(2024, 3, 2),
        datetime.datetime(2024, 3, 2),  # naive: taken as UTC
        datetime.datetime(2024, 3, 2, tzinfo=UTC),
    ],
    ids=["date-text", "utc-text", "offset-text", "date", "naive-datetime", "aware-datetime"],
)
async def test_fetch_all_takes_dates_as_text_or_datetimes(engine, shop, since):
    docs = await engine.run(engine.dao().fetch_all("shop.orders_since", {"since": since}))

    assert [d["order_no"] for d in docs] == [2, 4]


async def test_fetch_all_takes_object_ids_as_hex_or_object_ids(engine, shop):
    dao = engine.dao()
    by_hex = {"since": "2024-03-01", "customer_ids": [str(shop.customer_a)]}
    by_oid = {"since": "2024-03-01", "customer_ids": [shop.customer_b]}

    assert await engine.run(dao.fetch_all("shop.orders_since", by_hex)) == shop.orders(1)
    assert await engine.run(dao.fetch_all("shop.orders_since", by_oid)) == shop.orders(2, 4)


async def test_optional_param_left_out_removes_its_filter(engine, shop):
    dao = engine.dao()
    one_customer = {"since": "2024-03-01", "customer_ids": [str(shop.customer_a)]}

    narrowed = await engine.run(dao.fetch_all("shop.orders_since", one_customer))
    unfiltered = await engine.run(dao.fetch_all("shop.orders_since", {"since": "2024-03-01"}))
    explicit_none = {"since": "2024-03-01", "customer_ids": None}
    with_none = await engine.run(dao.fetch_all("shop.orders_since", explicit_none))

    assert [d["order_no"] for d in narrowed] == [1]
    assert [d["order_no"] for d in unfiltered] == [1, 2, 4]
    assert with_none == unfiltered


async def test_defaults_apply_and_call_values_override_them(engine):
    dao = engine.dao()

    shipped = await engine.run(
        dao.fetch_all("shop.orders_since", {"since": "2024-01-01", "status": "shipped"})
    )
    limited = await engine.run(
        dao.fetch_all("shop.orders_since", {"since": "2024-01-01", "limit": 2})
    )

    assert [d["order_no"] for d in shipped] == [3]
    assert [d["order_no"] for d in limited] == [5, 1]


async def test_fetch_all_with_file_options_returns_documents(engine):
    dao = engine.dao()

    docs = await engine.run(dao.fetch_all("shop.tagged"))
    overridden = await engine.run(dao.fetch_all("shop.tagged", maxTimeMS=1234, comment="call"))

    assert docs == [{"order_no": 1}, {"order_no": 2}, {"order_no": 4}, {"order_no": 5}]
    assert overridden == docs


# fetch_one


async def test_fetch_one_returns_the_first_document(engine, shop):
    doc = await engine.run(engine.dao().fetch_one("shop.orders_since", {"since": "2024-03-02"}))

    assert doc == shop.order(2)


async def test_fetch_one_returns_none_when_nothing_matches(engine):
    doc = await engine.run(engine.dao().fetch_one("shop.orders_since", {"since": "2030-01-01"}))

    assert doc is None


async def test_fetch_one_keeps_out_last_and_writes_every_document(engine, shop):
    result = await engine.run(engine.dao().fetch_one("shop.archive"))

    # A server's $out returns no documents; mongomock returns those it wrote.
    assert result == (shop.order(1) if engine.is_mock else None)
    # No {"$limit": 1} slipped in before $out: all four paid orders were written.
    assert await engine.find("orders_archive") == shop.orders(1, 2, 4, 5)


async def test_fetch_all_runs_out_pipeline(engine, shop):
    result = await engine.run(engine.dao().fetch_all("shop.archive", {"status": "pending"}))

    # A server's $out returns no documents; mongomock returns those it wrote.
    assert result == (shop.orders(6) if engine.is_mock else [])
    assert await engine.find("orders_archive") == shop.orders(6)


# aggregate


async def test_aggregate_returns_an_iterable_driver_cursor(engine, shop):
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", {"since": "2024-03-01"}))

    assert not isinstance(cursor, list)
    assert await engine.iterate(cursor) == shop.orders(1, 2, 4)


async def test_aggregate_cursor_drains_with_to_list_or_next(engine, shop):
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", {"since": "2024-03-01"}))

    if engine.is_async:
        docs = await cursor.to_list(None)
    else:
        with cursor:
            docs = [next(cursor), next(cursor), next(cursor)]
            assert next(cursor, None) is None
    assert docs == shop.orders(1, 2, 4)


# Errors raised by pipereg, before the database is called


async def test_unknown_key_raises_before_any_database_call(engine):
    dao = engine.dao()

    with pytest.raises(pipereg.UnknownPipelineError) as info:
        await engine.run(dao.fetch_all("shop.orders_snice", {"since": "2024-03-01"}))

    assert info.value.key == "shop.orders_snice"
    assert info.value.suggestions == ("shop.orders_since",)
    assert engine.aggregate_calls == []


@pytest.mark.parametrize("method", ["aggregate", "fetch_all", "fetch_one"])
@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "since"),  # required and missing
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-03-01", "status": "lost"}, "status"),
        ({"since": "2024-03-01", "customer_ids": ["not-an-object-id"]}, "customer_ids[0]"),
        ({"since": "2024-03-01", "limit": "10"}, "limit"),
        ({"since": "2024-03-01", "limit": 0}, "limit"),
        ({"since": "2024-03-01", "sincee": "2024-03-01"}, "sincee"),
    ],
    ids=[
        "missing",
        "bad-date",
        "not-in-enum",
        "bad-object-id",
        "int-as-text",
        "below-min",
        "unknown",
    ],
)
async def test_bad_params_raise_before_any_database_call(engine, method, params, parameter):
    dao = engine.dao()

    with pytest.raises(pipereg.ParameterError) as info:
        await engine.run(getattr(dao, method)("shop.orders_since", params))

    assert info.value.pipeline == "shop.orders_since"
    assert info.value.parameter == parameter
    assert engine.aggregate_calls == []


async def test_non_string_call_comment_is_sent_beside_the_tag(engine):
    # MongoDB takes a comment of any BSON type: the call runs (tests/dao/test_dao.py: its shape).
    rows = await engine.run(engine.dao().fetch_all("shop.tagged", comment=42))

    assert len(engine.aggregate_calls) == 1
    assert isinstance(rows, list)


# Errors raised by the server


def _assert_names_pipeline(error: BaseException, registry: pipereg.Registry, key: str) -> None:
    pipeline = registry.get(key)
    fingerprint = pipeline.fingerprint[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", fingerprint)
    notes = getattr(error, "__notes__", [])
    assert len(notes) == 1, notes
    assert f"{key}@2" in notes[0]
    assert fingerprint in notes[0]
    assert "'orders'" in notes[0]


@pytest.mark.parametrize("method", ["fetch_all", "fetch_one"])
async def test_server_error_keeps_driver_type_and_gains_a_note(engine, method):
    dao = engine.dao()

    with pytest.raises(pymongo.errors.OperationFailure) as info:
        await engine.run(getattr(dao, method)("shop.broken"))

    assert "$size" in str(info.value)
    _assert_names_pipeline(info.value, engine.registry, "shop.broken")


async def test_server_error_through_aggregate_cursor_gains_a_note(engine):
    # Motor would send the aggregate command on the first fetch, in the user's code: the adapter
    # starts it inside aggregate(), so the note is there whichever driver runs it.
    dao = engine.dao()

    async def aggregate_and_drain() -> list[dict[str, object]]:
        cursor = await engine.run(dao.aggregate("shop.broken"))
        return await engine.iterate(cursor)

    with pytest.raises(pymongo.errors.OperationFailure) as info:
        await aggregate_and_drain()

    assert "$size" in str(info.value)
    _assert_names_pipeline(info.value, engine.registry, "shop.broken")


# Registry and DAO construction


async def test_registry_none_uses_the_default_registry(engine, shop, default_registry_reset):
    dao = engine.dao_on_default_registry()  # built before the default is set: looked up per call
    pipereg.set_default_registry(engine.registry)

    docs = await engine.run(dao.fetch_all("shop.orders_since", {"since": "2024-03-05"}))

    assert dao.registry is engine.registry
    assert docs == shop.orders(4)


async def test_registry_none_discovers_pipereg_path(
    engine, shop, default_registry_reset, monkeypatch
):
    monkeypatch.setenv("PIPEREG_PATH", str(PIPELINES))
    dao = engine.dao_on_default_registry()

    doc = await engine.run(dao.fetch_one("shop.orders_since", {"since": "2024-03-05"}))

    assert doc == shop.order(4)
    assert dao.registry.keys() == engine.registry.keys()
    assert dao.registry is not engine.registry


async def test_wrong_dao_class_for_the_database_is_a_type_error(engine):
    expected = "use AsyncPipelineDAO" if engine.is_async else "use PipelineDAO"

    with pytest.raises(TypeError, match=expected):
        engine.wrong_dao_class(engine.database, engine.registry)


async def test_right_dao_class_accepts_the_database(engine):
    dao = engine.dao()

    assert isinstance(dao, engine.dao_class)
    assert dao.database is engine.database
    assert dao.registry is engine.registry
