"""Fixtures for the DAO behaviour suite: one ``engine`` fixture, re-run per driver.

``engine`` yields an :class:`Engine` for each of five drivers: mongomock (sync), mongomock-motor
(Motor API, async), and PyMongo sync, PyMongo Async and Motor against a real wire-protocol server
(SecantusDB started in-process once per session, or the MongoDB at ``PIPEREG_TEST_MONGODB_URI``).
Every engine gets a fresh database seeded with :data:`ORDERS`, dropped afterwards. The suite's
tests are ``async def`` and call ``await engine.run(dao.fetch_all(...))``, which awaits only
what an async DAO returns, so one test function serves sync and async drivers alike.
"""

from __future__ import annotations

import copy
import datetime
import gc
import inspect
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from bson import ObjectId
from pymongo import monitoring

import pipereg
from helpers import FIXTURES
from pipereg import AsyncPipelineDAO, PipelineDAO, Registry

PIPELINES = FIXTURES / "dao"
URI_VARIABLE = "PIPEREG_TEST_MONGODB_URI"
UTC = datetime.timezone.utc

CUSTOMER_A = ObjectId("65f1c0000000000000000001")
CUSTOMER_B = ObjectId("65f1c0000000000000000002")


def _order(
    no: int, customer: ObjectId, created: datetime.datetime, status: str, qty: int
) -> dict[str, Any]:
    return {
        "_id": ObjectId(f"66000000000000000000{no:04x}"),
        "order_no": no,
        "customer_id": customer,
        "created_at": created,
        "status": status,
        "qty": qty,
    }


# Paid orders since 2024-03-01 are 1, 2 and 4; order 5 is paid but older, 6 is pending.
ORDERS = [
    _order(1, CUSTOMER_A, datetime.datetime(2024, 3, 1, 9, 0, tzinfo=UTC), "paid", 2),
    _order(2, CUSTOMER_B, datetime.datetime(2024, 3, 2, 10, 30, tzinfo=UTC), "paid", 5),
    _order(3, CUSTOMER_A, datetime.datetime(2024, 3, 3, 8, 0, tzinfo=UTC), "shipped", 1),
    _order(4, CUSTOMER_B, datetime.datetime(2024, 3, 5, 17, 45, tzinfo=UTC), "paid", 7),
    _order(5, CUSTOMER_A, datetime.datetime(2024, 2, 20, 12, 0, tzinfo=UTC), "paid", 3),
    _order(6, CUSTOMER_B, datetime.datetime(2024, 3, 6, 11, 15, tzinfo=UTC), "pending", 4),
]


@dataclass(frozen=True)
class Shop:
    """The seed data, for expected values: customers and orders by number."""

    customer_a: ObjectId = CUSTOMER_A
    customer_b: ObjectId = CUSTOMER_B

    def order(self, no: int) -> dict[str, Any]:
        """A fresh copy of seed order ``no`` as the database returns it."""
        return copy.deepcopy(next(o for o in ORDERS if o["order_no"] == no))

    def orders(self, *numbers: int) -> list[dict[str, Any]]:
        """Fresh copies of seed orders, in the order given."""
        return [self.order(no) for no in numbers]


class CommandLog(monitoring.CommandListener):
    """Records every command a client starts (wire drivers only)."""

    def __init__(self) -> None:
        self.started_events: list[monitoring.CommandStartedEvent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.started_events.append(event)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def commands(self, name: str, database: str) -> list[dict[str, Any]]:
        """The command documents named ``name`` sent to ``database``, oldest first."""
        return [
            dict(e.command)
            for e in self.started_events
            if e.command_name == name and e.database_name == database
        ]


@dataclass
class Engine:
    """One driver on one fresh database, seeded with :data:`ORDERS`."""

    name: str
    database: Any
    is_async: bool
    registry: Registry
    log: CommandLog | None = None
    aggregate_calls: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def is_mock(self) -> bool:
        """mongomock or mongomock-motor: an emulation in Python rather than a server."""
        return self.name.startswith("mongomock")

    @property
    def dao_class(self) -> type[PipelineDAO] | type[AsyncPipelineDAO]:
        """The DAO class meant for this driver."""
        return AsyncPipelineDAO if self.is_async else PipelineDAO

    @property
    def wrong_dao_class(self) -> type[PipelineDAO] | type[AsyncPipelineDAO]:
        """The DAO class for the other kind of driver."""
        return PipelineDAO if self.is_async else AsyncPipelineDAO

    def dao(self) -> Any:
        """A DAO on this engine's database with the suite's registry."""
        return self.dao_class(self.database, self.registry)

    def dao_on_default_registry(self) -> Any:
        """A DAO on this engine's database with ``registry=None``."""
        return self.dao_class(self.database, None)

    async def run(self, result: Any) -> Any:
        """``result`` itself from a sync DAO; awaited from an async one."""
        return await result if inspect.isawaitable(result) else result

    async def insert(self, collection: str, documents: list[dict[str, Any]]) -> None:
        """Insert copies of ``documents`` (the driver adds nothing to the originals)."""
        await self.run(self.database[collection].insert_many(copy.deepcopy(documents)))

    async def find(self, collection: str) -> list[dict[str, Any]]:
        """Every document of ``collection`` by ``_id``."""
        cursor = self.database[collection].find({}, sort=[("_id", 1)])
        if self.is_async:
            return [document async for document in cursor]
        return list(cursor)

    async def iterate(self, cursor: Any) -> list[dict[str, Any]]:
        """Drain a cursor the way a user would: ``for`` (sync) or ``async for`` (async)."""
        if self.is_async:
            return [document async for document in cursor]
        with cursor:
            return list(cursor)


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The suite's pipelines, ``tests/fixtures/dao/shop.json`` (module ``shop``)."""
    return Registry.from_paths(PIPELINES)


@pytest.fixture
def shop() -> Shop:
    """The seed data, for expected values."""
    return Shop()


@pytest.fixture(scope="session")
def wire_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB URI: ``PIPEREG_TEST_MONGODB_URI`` if set, else an in-process SecantusDB."""
    uri = os.environ.get(URI_VARIABLE)
    if uri:
        yield uri
        return
    from secantus import SecantusDBServer

    storage = tmp_path_factory.mktemp("secantus")
    with SecantusDBServer(storage_path=str(storage)) as server:
        yield server.uri


@pytest.fixture
def default_registry_reset() -> Iterator[None]:
    """Leaves the process-wide default registry unset after the test, whatever it did."""
    pipereg.set_default_registry(None)
    yield
    pipereg.set_default_registry(None)


WIRE = pytest.mark.wire
ENGINES = [
    "mongomock",
    "mongomock-motor",
    pytest.param("pymongo", marks=WIRE),
    pytest.param("pymongo-async", marks=WIRE),
    pytest.param("motor", marks=WIRE),
]
WIRE_ENGINES = [
    pytest.param("pymongo", marks=WIRE),
    pytest.param("pymongo-async", marks=WIRE),
    pytest.param("motor", marks=WIRE),
]


@pytest.fixture(params=ENGINES)
async def engine(
    request: pytest.FixtureRequest, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    """Each driver in turn, on a fresh seeded database."""
    async for made in _make_engine(request, registry, monkeypatch):
        yield made


@pytest.fixture(params=WIRE_ENGINES)
async def wire_engine(
    request: pytest.FixtureRequest, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    """Each wire-protocol driver in turn, with command monitoring (``engine.log``)."""
    async for made in _make_engine(request, registry, monkeypatch):
        yield made


async def _make_engine(
    request: pytest.FixtureRequest, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    kind: str = request.param
    name = f"pipereg_test_{uuid.uuid4().hex[:12]}"
    log = CommandLog()
    async with _OPENERS[kind](request, name, log) as (database, is_async):
        made = Engine(kind, database, is_async, registry, log if kind in _WIRE_KINDS else None)
        await _seed_and_spy(made, monkeypatch)
        yield made


Opened = tuple[Any, bool]  # (database, is_async)


@asynccontextmanager
async def _mongomock(
    request: pytest.FixtureRequest, name: str, log: CommandLog
) -> AsyncIterator[Opened]:
    import mongomock

    client = mongomock.MongoClient(tz_aware=True)
    try:
        yield client[name], False
    finally:
        client.close()


@asynccontextmanager
async def _mongomock_motor(
    request: pytest.FixtureRequest, name: str, log: CommandLog
) -> AsyncIterator[Opened]:
    import mongomock_motor

    # tz_aware as for every other client, so dates compare equal to the seed's.
    client = mongomock_motor.AsyncMongoMockClient(tz_aware=True)
    try:
        yield client[name], True
    finally:
        client.close()


@asynccontextmanager
async def _pymongo(
    request: pytest.FixtureRequest, name: str, log: CommandLog
) -> AsyncIterator[Opened]:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(
        request.getfixturevalue("wire_uri"), tz_aware=True, event_listeners=[log]
    )
    try:
        yield client[name], False
    finally:
        client.drop_database(name)
        client.close()


@asynccontextmanager
async def _pymongo_async(
    request: pytest.FixtureRequest, name: str, log: CommandLog
) -> AsyncIterator[Opened]:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        request.getfixturevalue("wire_uri"), tz_aware=True, event_listeners=[log]
    )
    try:
        yield client[name], True
    finally:
        await client.drop_database(name)
        await client.close()


@asynccontextmanager
async def _motor(
    request: pytest.FixtureRequest, name: str, log: CommandLog
) -> AsyncIterator[Opened]:
    from motor.motor_asyncio import AsyncIOMotorClient

    client = AsyncIOMotorClient(
        request.getfixturevalue("wire_uri"), tz_aware=True, event_listeners=[log]
    )
    try:
        yield client[name], True
    finally:
        await client.drop_database(name)
        client.close()


_OPENERS: dict[
    str, Callable[[pytest.FixtureRequest, str, CommandLog], AbstractAsyncContextManager[Opened]]
] = {
    "mongomock": _mongomock,
    "mongomock-motor": _mongomock_motor,
    "pymongo": _pymongo,
    "pymongo-async": _pymongo_async,
    "motor": _motor,
}
_WIRE_KINDS = ("pymongo", "pymongo-async", "motor")


async def _seed_and_spy(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    await engine.insert("orders", ORDERS)
    # Count Collection.aggregate calls, to tell "raised before any database call" from "after".
    collection_class = type(engine.database["orders"])
    original = collection_class.aggregate

    def aggregate(self: Any, *args: Any, **kwargs: Any) -> Any:
        engine.aggregate_calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(collection_class, "aggregate", aggregate)


# Engines on any server, for tests that need client options, a server of their own or a dead one.

OpenWireEngine = Callable[..., AbstractAsyncContextManager[Engine]]


@pytest.fixture
def open_wire_engine() -> OpenWireEngine:
    """Opens an unseeded :class:`Engine` of one wire driver on ``uri``, with client options.

    Called as ``open_wire_engine(kind, uri, registry, drop=True, **client_options)``; the fresh
    database is dropped afterwards unless ``drop`` is false (for a server the test stopped or
    that never answered). No ``aggregate_calls`` spy.
    """
    return _open_wire_engine


@asynccontextmanager
async def _open_wire_engine(
    kind: str, uri: str, registry: Registry, *, drop: bool = True, **client_options: Any
) -> AsyncIterator[Engine]:
    name = f"pipereg_test_{uuid.uuid4().hex[:12]}"
    client: Any
    if kind == "pymongo":
        from pymongo import MongoClient

        client = MongoClient(uri, tz_aware=True, **client_options)
    elif kind == "pymongo-async":
        from pymongo import AsyncMongoClient

        client = AsyncMongoClient(uri, tz_aware=True, **client_options)
    else:
        from motor.motor_asyncio import AsyncIOMotorClient

        client = AsyncIOMotorClient(uri, tz_aware=True, **client_options)
    engine = Engine(kind, client[name], kind != "pymongo", registry)
    try:
        yield engine
    finally:
        if drop:
            await engine.run(client.drop_database(name))
        await engine.run(client.close())  # a coroutine for PyMongo Async only
        if kind == "pymongo-async":
            # PyMongo Async 4.20 does not close the socket of a monitor's connect that close()
            # cancels (PYTHON-5867), as happens when the server is unreachable; the socket then
            # waits in a reference cycle. Collect it here, quietly, rather than let it surface as
            # a ResourceWarning in whichever test runs next.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()


@pytest.fixture
def mockup() -> Iterator[Any]:
    """A MockupDB server that answers ``hello`` (claiming MongoDB 7.0, as PyMongo 4.20 needs);
    the test answers everything else."""
    from mockupdb import MockupDB

    server = MockupDB(auto_ismaster={"maxWireVersion": 21})
    server.run()
    try:
        yield server
    finally:
        server.stop()
