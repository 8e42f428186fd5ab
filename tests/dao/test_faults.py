"""Database faults reach the caller as the driver's own exception, with the pipeline's note.

Each test runs on PyMongo, PyMongo Async and Motor against a real wire-protocol server: the
session's SecantusDB (or ``PIPEREG_TEST_MONGODB_URI``), a SecantusDB of the test's own that it
stops, or a closed loopback port. Errors come from sending the command, from ``fetch_all`` and
from the cursor ``aggregate()`` returns, whose later batches (``getMore``) the user's own code
fetches. Pipelines: ``tests/fixtures/dao_faults/faults.json``. Every client has short timeouts.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mockupdb import OpMsg
from pymongo import monitoring
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from helpers import FIXTURES
from pipereg import Registry

FAULTS = FIXTURES / "dao_faults"
KINDS = [
    pytest.param("pymongo", marks=pytest.mark.wire),
    pytest.param("pymongo-async", marks=pytest.mark.wire),
    pytest.param("motor", marks=pytest.mark.wire),
]
# Short enough to keep a failing test quick, long enough for a loaded CI machine.
TIMEOUTS = {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000, "socketTimeoutMS": 10000}
NUMBERS = [{"n": n} for n in range(1, 11)]
HOWS = ["for", "next", "try_next", "to_list"]  # ways to read a cursor: see drain()


@pytest.fixture(scope="module")
def faults() -> Registry:
    """The fault pipelines (module ``faults``)."""
    return Registry.from_paths(FAULTS)


def assert_noted(error: BaseException, registry: Registry, key: str) -> None:
    """``error`` carries exactly one note, naming the pipeline, its version and fingerprint."""
    pipeline = registry.get(key)
    assert getattr(error, "__notes__", None) == [
        f"pipereg: while running {key}@7 (fingerprint {pipeline.fingerprint[:12]}, "
        f"collection {pipeline.collection!r}, file {pipeline.path})"
    ]


async def drain(engine: Any, cursor: Any, how: str) -> list[dict[str, Any]]:
    """Read what is left of an ``aggregate()`` cursor the way a user would, one of several ways."""
    if how == "to_list":
        return await engine.run(cursor.to_list())
    documents: list[dict[str, Any]] = []
    if how == "for" and engine.is_async:
        async with cursor:
            return [document async for document in cursor]
    if how == "for":
        with cursor:
            return list(cursor)
    if how == "next":
        end = StopAsyncIteration if engine.is_async else StopIteration
        while True:
            try:
                documents.append(await engine.run(cursor.next()))
            except end:
                return documents
    assert how == "try_next"  # None only once a non-tailable cursor is exhausted
    while (document := await engine.run(cursor.try_next())) is not None:
        documents.append(document)
    return documents


# The server is unreachable: the error comes while the command is sent.


def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["aggregate", "fetch_all"])
async def test_server_selection_timeout_gains_a_note(open_wire_engine, faults, kind, method):
    uri = f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true"
    options = {"serverSelectionTimeoutMS": 200, "connectTimeoutMS": 200}

    async with open_wire_engine(kind, uri, faults, drop=False, **options) as engine:
        dao = engine.dao_class(engine.database, faults)
        with pytest.raises(ServerSelectionTimeoutError) as info:
            await engine.run(getattr(dao, method)("faults.numbers"))

    assert "127.0.0.1" in str(info.value)
    assert_noted(info.value, faults, "faults.numbers")


# The server rejects or aborts the command.


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["aggregate", "fetch_all", "fetch_one"])
async def test_bad_stage_is_an_operation_failure_with_a_note(
    open_wire_engine, wire_uri, faults, kind, method
):
    async with open_wire_engine(kind, wire_uri, faults, **TIMEOUTS) as engine:
        await engine.insert("orders", [{"qty": 1}])
        dao = engine.dao_class(engine.database, faults)
        with pytest.raises(OperationFailure) as info:
            await engine.run(getattr(dao, method)("faults.bad_stage"))

    assert info.value.code == 17124  # "The argument to $size must be an array"
    assert_noted(info.value, faults, "faults.bad_stage")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["aggregate", "fetch_all"])
async def test_max_time_ms_exceeded_is_an_execution_timeout_with_a_note(
    open_wire_engine, wire_uri, faults, kind, method
):
    async with open_wire_engine(kind, wire_uri, faults, **TIMEOUTS) as engine:
        await engine.insert("numbers", [{"n": n} for n in range(3000)])
        dao = engine.dao_class(engine.database, faults)
        assert len(await engine.run(dao.fetch_all("faults.totals"))) == 100  # it works untimed
        with pytest.raises(ExecutionTimeout) as info:
            await engine.run(getattr(dao, method)("faults.totals", maxTimeMS=1))

    assert info.value.code == 50  # MaxTimeMSExpired
    assert_noted(info.value, faults, "faults.totals")


# The command succeeds; a later batch (getMore) fails while the user's code reads the cursor.


@asynccontextmanager
async def failing_get_more(engine: Any, app: str, data: dict[str, Any]) -> AsyncIterator[None]:
    """Make the next ``getMore`` of the client named ``app`` fail (``failCommand`` fail point)."""
    admin = engine.database.client.admin
    fail_point = {
        "configureFailPoint": "failCommand",
        "mode": {"times": 1},
        "data": {"failCommands": ["getMore"], "appName": app, **data},
    }
    try:
        await engine.run(admin.command(fail_point))
    except OperationFailure as error:
        if error.code == 59:  # CommandNotFound: a real server without enableTestCommands
            pytest.skip("the server has no configureFailPoint (enableTestCommands is off)")
        raise
    try:
        yield
    finally:
        await engine.run(admin.command({"configureFailPoint": "failCommand", "mode": "off"}))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", HOWS)
async def test_without_a_fault_every_way_of_reading_gets_every_batch(
    open_wire_engine, wire_uri, faults, kind, how
):
    # The control for the tests below: with no fault, the batches after the first arrive.
    async with open_wire_engine(kind, wire_uri, faults, **TIMEOUTS) as engine:
        await engine.insert("numbers", NUMBERS)
        dao = engine.dao_class(engine.database, faults)
        cursor = await engine.run(dao.aggregate("faults.numbers", batchSize=2))

        assert await drain(engine, cursor, how) == NUMBERS
        assert not cursor.alive


GET_MORE_FAULTS = {
    # An error reply: the server's code, as an OperationFailure.
    "error-reply": ({"errorCode": 2}, OperationFailure),
    # The server drops the connection instead of answering: a network error on the socket.
    "connection-dropped": ({"closeConnection": True}, AutoReconnect),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", list(GET_MORE_FAULTS))
@pytest.mark.parametrize("how", HOWS)
async def test_get_more_fault_through_the_aggregate_cursor_gains_a_note(
    open_wire_engine, wire_uri, faults, kind, fault, how
):
    data, expected = GET_MORE_FAULTS[fault]
    app = f"pipereg-faults-{uuid.uuid4().hex[:8]}"
    async with open_wire_engine(kind, wire_uri, faults, appname=app, **TIMEOUTS) as engine:
        await engine.insert("numbers", NUMBERS)
        dao = engine.dao_class(engine.database, faults)
        cursor = await engine.run(dao.aggregate("faults.numbers", batchSize=2))
        async with failing_get_more(engine, app, data):
            with pytest.raises(expected) as info:
                await drain(engine, cursor, how)

    assert_noted(info.value, faults, "faults.numbers")
    if expected is OperationFailure:
        assert info.value.code == 2


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", list(GET_MORE_FAULTS))
async def test_get_more_fault_in_fetch_all_gains_a_note(
    open_wire_engine, wire_uri, faults, kind, fault
):
    data, expected = GET_MORE_FAULTS[fault]
    app = f"pipereg-faults-{uuid.uuid4().hex[:8]}"
    async with open_wire_engine(kind, wire_uri, faults, appname=app, **TIMEOUTS) as engine:
        await engine.insert("numbers", NUMBERS)
        dao = engine.dao_class(engine.database, faults)
        async with failing_get_more(engine, app, data):
            with pytest.raises(expected) as info:
                await engine.run(dao.fetch_all("faults.numbers", batchSize=2))

    assert_noted(info.value, faults, "faults.numbers")


# The server stops between two batches: the next getMore finds no server.


class StopAfterAggregate(monitoring.CommandListener):
    """Stops a server as soon as an ``aggregate`` command has succeeded on it."""

    def __init__(self, stop: Callable[[], None]) -> None:
        self.stop = stop

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "aggregate":
            self.stop()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def own_server(tmp_path: Path) -> Any:
    """A SecantusDB of this test's own, which it may stop (stopping twice is harmless)."""
    from secantus import SecantusDBServer

    with SecantusDBServer(storage_path=str(tmp_path / "secantus")) as server:
        yield server


# A stopped server is found out by the client's monitor or by the getMore itself: either way an
# error of the ConnectionFailure family (ServerSelectionTimeoutError is an AutoReconnect).
STOPPED = {"serverSelectionTimeoutMS": 300, "connectTimeoutMS": 300, "socketTimeoutMS": 2000}


@pytest.mark.parametrize("kind", KINDS)
async def test_server_stopped_while_iterating_the_aggregate_cursor(
    open_wire_engine, own_server, faults, kind
):
    async with open_wire_engine(kind, own_server.uri, faults, drop=False, **STOPPED) as engine:
        await engine.insert("numbers", NUMBERS)
        dao = engine.dao_class(engine.database, faults)
        cursor = await engine.run(dao.aggregate("faults.numbers", batchSize=2))
        first_batch = [await engine.run(cursor.next()), await engine.run(cursor.next())]
        own_server.stop()
        with pytest.raises(ConnectionFailure) as info:
            await drain(engine, cursor, "for")

    assert first_batch == [{"n": 1}, {"n": 2}]
    assert_noted(info.value, faults, "faults.numbers")


@pytest.mark.parametrize("kind", KINDS)
async def test_server_stopped_during_fetch_all(open_wire_engine, own_server, faults, kind):
    stopper = StopAfterAggregate(own_server.stop)
    async with open_wire_engine(
        kind, own_server.uri, faults, drop=False, event_listeners=[stopper], **STOPPED
    ) as engine:
        await engine.insert("numbers", NUMBERS)
        dao = engine.dao_class(engine.database, faults)
        with pytest.raises(ConnectionFailure) as info:
            await engine.run(dao.fetch_all("faults.numbers", batchSize=2))

    assert_noted(info.value, faults, "faults.numbers")


# A getMore error reply seen by MockupDB, through the cursor aggregate() returns (PyMongo sync).


@pytest.mark.parametrize("how", HOWS)
async def test_get_more_error_reply_through_the_aggregate_cursor(
    open_wire_engine, mockup, faults, how
):
    # PyMongo kills the cursor after the failed getMore (an OP_MSG killCursors).
    mockup.autoresponds(OpMsg("killCursors", "numbers"), cursorsKilled=[42])
    options = {"serverSelectionTimeoutMS": 5000, "socketTimeoutMS": 5000}
    async with open_wire_engine("pymongo", mockup.uri, faults, drop=False, **options) as engine:
        dao = engine.dao_class(engine.database, faults)

        def read() -> list[dict[str, Any]]:  # in a thread: the test answers as the server
            return asyncio.run(drain(engine, dao.aggregate("faults.numbers"), how))

        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(read)
            namespace = f"{engine.database.name}.numbers"
            cursor = {"id": 42, "ns": namespace, "firstBatch": [{"n": 1}]}
            mockup.receives(timeout=5).reply({"cursor": cursor, "ok": 1})
            get_more = mockup.receives(timeout=5)
            get_more.command_err(code=2, errmsg="BadValue while iterating")
            with pytest.raises(OperationFailure) as info:
                future.result(timeout=5)

    assert get_more.doc["getMore"] == 42
    assert info.value.code == 2
    assert_noted(info.value, faults, "faults.numbers")
