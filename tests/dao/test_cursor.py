"""The cursor ``aggregate()`` returns (pipereg.cursor): the driver's cursor, errors annotated.

Runs on every driver through the ``engine`` fixture, or on the wire drivers through
``wire_engine`` where only a server shows the behaviour. Errors raised by a real driver while the
cursor is read are in test_faults.py; here, that the wrapper hides nothing of the driver's cursor,
and what it does with errors of a stand-in cursor.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pipereg.cursor import AsyncPipelineCursor, PipelineCursor

SINCE = {"since": "2024-03-01"}  # paid orders 1, 2 and 4


async def test_aggregate_wraps_the_drivers_cursor(engine, shop):
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", SINCE))

    assert type(cursor) is (AsyncPipelineCursor if engine.is_async else PipelineCursor)
    assert type(cursor.cursor).__module__.split(".")[0] in {"pymongo", "motor", "mongomock"}
    assert cursor.pipeline is engine.registry.get("shop.orders_since")
    assert repr(cursor) == f"<{type(cursor).__name__} shop.orders_since@2 {cursor.cursor!r}>"
    assert await engine.iterate(cursor) == shop.orders(1, 2, 4)


async def test_other_attributes_are_read_from_the_drivers_cursor(engine):
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", SINCE))

    assert cursor.address == cursor.cursor.address
    assert cursor.alive is cursor.cursor.alive
    with pytest.raises(AttributeError, match="no_such_attribute"):
        _ = cursor.no_such_attribute
    await engine.iterate(cursor)


async def test_a_loop_left_early_leaves_the_cursor_open_where_it_stopped(engine):
    # batchSize 2: the third document is still on the server after the first batch.
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", SINCE, batchSize=2))

    if engine.is_async:
        async for document in cursor:
            first = document
            break
        second = await cursor.next()
        rest = [document async for document in cursor]
    else:
        for document in cursor:
            first = document
            break
        second = next(cursor)
        rest = list(cursor)

    assert [d["order_no"] for d in (first, second, *rest)] == [1, 2, 4]


async def test_batch_size_returns_the_same_cursor(engine, request):
    if engine.name == "motor":
        # Motor's cursor takes a batch size only before it starts, and the adapter starts it
        # inside aggregate(): pass batchSize= to aggregate() instead.
        request.applymarker(pytest.mark.xfail(raises=TypeError, strict=True))
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", SINCE))

    assert cursor.batch_size(1) is cursor
    assert [d["order_no"] for d in await engine.iterate(cursor)] == [1, 2, 4]


async def test_leaving_the_with_block_closes_the_cursor_on_the_server(wire_engine):
    engine = wire_engine
    cursor = await engine.run(engine.dao().aggregate("shop.orders_since", SINCE, batchSize=2))
    cursor_id = cursor.cursor_id  # open on the server: one of three documents is still there

    if engine.is_async:
        async with cursor as entered:
            first = await entered.next()
    else:
        with cursor as entered:
            first = next(entered)

    assert entered is cursor
    assert first["order_no"] == 1
    assert cursor_id
    killed = engine.log.commands("killCursors", engine.database.name)
    assert [command["cursors"] for command in killed] == [[cursor_id]]


# With a stand-in for the driver's cursor.


class Broken:
    """A driver cursor whose every call fails, as one whose connection is gone."""

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> Any:
        raise ConnectionError("next failed")

    def close(self) -> Any:
        raise ConnectionError("close failed")


class BrokenAsync:
    """The same, for an asyncio driver."""

    async def next(self) -> Any:
        raise ConnectionError("next failed")

    async def close(self) -> None:
        raise ConnectionError("close failed")


def _note(registry: Any) -> str:
    pipeline = registry.get("shop.tagged")
    return (
        f"pipereg: while running shop.tagged@5 (fingerprint {pipeline.fingerprint[:12]}, "
        f"collection 'orders', file {pipeline.path})"
    )


def test_errors_of_next_and_close_gain_the_note(registry):
    cursor = PipelineCursor(Broken(), registry.get("shop.tagged"))

    with pytest.raises(ConnectionError, match="next failed") as on_next:
        next(cursor)
    with pytest.raises(ConnectionError, match="next failed") as in_for:
        for _ in cursor:
            pass
    with pytest.raises(ConnectionError, match="close failed") as on_close, cursor:
        pass

    assert on_next.value.__notes__ == [_note(registry)]
    assert in_for.value.__notes__ == [_note(registry)]
    assert on_close.value.__notes__ == [_note(registry)]


async def test_async_errors_of_next_and_close_gain_the_note(registry):
    cursor = AsyncPipelineCursor(BrokenAsync(), registry.get("shop.tagged"))

    with pytest.raises(ConnectionError, match="next failed") as on_next:
        await cursor.next()
    with pytest.raises(ConnectionError, match="close failed") as on_close:
        async with cursor:
            pass

    assert on_next.value.__notes__ == [_note(registry)]
    assert on_close.value.__notes__ == [_note(registry)]


@pytest.mark.parametrize("cls", [PipelineCursor, AsyncPipelineCursor])
def test_a_cursor_without_its_driver_cursor_raises_attribute_error(cls):
    # copy and pickle build the object before they set its slots and look attributes up on it.
    empty = cls.__new__(cls)

    with pytest.raises(AttributeError):
        _ = empty.cursor_id


@pytest.mark.parametrize("cls", [PipelineCursor, AsyncPipelineCursor])
def test_a_copy_reads_the_same_driver_cursor(cls, registry):
    driver_cursor = Broken()
    cursor = cls(driver_cursor, registry.get("shop.tagged"))

    copied = copy.copy(cursor)

    assert copied.cursor is driver_cursor
    assert copied.pipeline is cursor.pipeline
