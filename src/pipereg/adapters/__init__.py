"""Drivers behind small adapters: one module per driver, chosen from the database object's type.

The DAO renders a pipeline once and hands the stages and options to an adapter. Adapters differ only
where the drivers do: PyMongo's ``AsyncCollection.aggregate`` must be awaited to get a cursor,
Motor's returns one directly. mongomock (sync) speaks PyMongo's API and uses the PyMongo adapter;
mongomock-motor poses as Motor and uses the Motor adapter.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

Stages = list[dict[str, Any]]
Document = dict[str, Any]


class SyncDriver(Protocol):
    """Runs an aggregation with a synchronous driver."""

    def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation; return the driver's cursor (on the database if no collection)."""

    def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""

    def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""


class AsyncDriver(Protocol):
    """Runs an aggregation with an asyncio driver."""

    async def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation; return the driver's cursor (on the database if no collection)."""

    async def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""

    async def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""


# Database classes by "module.qualname", checked along the object's MRO so that applications'
# subclasses count, with the adapter ("module:class") each one gets. Adapters are imported on
# use, so no driver the application does not use is imported. mongomock-motor's classes pose as
# Motor's (module and name), so it is looked for first.
_SYNC_DATABASES = {
    "pymongo.synchronous.database.Database": "pymongo:PyMongoDriver",
    "mongomock.database.Database": "mongomock:MongomockDriver",
}
_ASYNC_DATABASES = {
    "mongomock_motor.AsyncMongoMockDatabase": "mongomock:MongomockMotorDriver",
    "pymongo.asynchronous.database.AsyncDatabase": "pymongo_async:PyMongoAsyncDriver",
    "motor.motor_asyncio.AsyncIOMotorDatabase": "motor:MotorDriver",
}


def _adapter(database: Any, known: dict[str, str]) -> Any:
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(database).__mro__}
    for name, adapter in known.items():
        if name in names:
            module, _, cls = adapter.partition(":")
            return getattr(importlib.import_module(f"pipereg.adapters.{module}"), cls)()
    return None


def _not_a_database(database: Any, dao: str) -> TypeError:
    cls = type(database)
    hint = ""
    if cls.__module__.startswith(("pymongo", "motor", "mongomock")):
        hint = " (pass a database, e.g. client['shop'], not a client or collection)"
    return TypeError(
        f"{dao} needs a database object, got {cls.__module__}.{cls.__name__}{hint}; "
        "pass driver= for a driver pipereg does not know"
    )


def sync_driver_for(database: Any) -> SyncDriver:
    """The adapter for a synchronous database object (PyMongo ``Database`` or mongomock's).

    Raises:
        TypeError: the object is an asyncio database, or not a database pipereg knows.
    """
    driver: SyncDriver | None = _adapter(database, _SYNC_DATABASES)
    if driver is not None:
        return driver
    if _adapter(database, _ASYNC_DATABASES) is not None:
        raise TypeError(f"{type(database).__name__} is an asyncio database: use AsyncPipelineDAO")
    raise _not_a_database(database, "PipelineDAO")


def async_driver_for(database: Any) -> AsyncDriver:
    """The adapter for an asyncio database object (PyMongo ``AsyncDatabase`` or Motor's).

    Raises:
        TypeError: the object is a synchronous database, or not a database pipereg knows.
    """
    driver: AsyncDriver | None = _adapter(database, _ASYNC_DATABASES)
    if driver is not None:
        return driver
    if _adapter(database, _SYNC_DATABASES) is not None:
        raise TypeError(f"{type(database).__name__} is a synchronous database: use PipelineDAO")
    raise _not_a_database(database, "AsyncPipelineDAO")
