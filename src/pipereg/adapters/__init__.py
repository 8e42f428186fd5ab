"""Drivers behind small adapters: one module per driver, chosen from the database object's type.

The DAO renders a pipeline once and hands the stages and options to an adapter. Adapters differ only
where the drivers do: PyMongo's ``AsyncCollection.aggregate`` must be awaited to get a cursor,
Motor's returns one directly. mongomock (sync) speaks PyMongo's API and uses the PyMongo adapter;
mongomock-motor poses as Motor and uses the Motor adapter.
"""

from __future__ import annotations

from typing import Any, Protocol

Stages = list[dict[str, Any]]
Document = dict[str, Any]


class SyncDriver(Protocol):
    """Runs an aggregation with a synchronous driver."""

    def aggregate(
        self, database: Any, collection: str, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation and return the driver's cursor."""

    def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""

    def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""


class AsyncDriver(Protocol):
    """Runs an aggregation with an asyncio driver."""

    async def aggregate(
        self, database: Any, collection: str, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation and return the driver's cursor."""

    async def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""

    async def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""


def _family(database: Any, *prefixes: str) -> bool:
    # By the modules of the object's class and its bases, so subclasses defined in an
    # application count, and without importing drivers the application does not use.
    # mongomock-motor's classes pose as Motor's (module and name); their bases do not.
    return any(cls.__module__.startswith(prefixes) for cls in type(database).__mro__)


def sync_driver_for(database: Any) -> SyncDriver:
    """The adapter for a synchronous database object (PyMongo ``Database`` or mongomock's).

    Raises:
        TypeError: the object is an asyncio database, or not a database pipereg knows.
    """
    if _family(database, "mongomock_motor", "pymongo.asynchronous", "motor"):
        raise TypeError(f"{type(database).__name__} is an asyncio database: use AsyncPipelineDAO")
    if _family(database, "mongomock"):
        from pipereg.adapters.mongomock import MongomockDriver  # noqa: PLC0415

        return MongomockDriver()
    if _family(database, "pymongo.synchronous", "pymongo.database"):
        from pipereg.adapters.pymongo import PyMongoDriver  # noqa: PLC0415

        return PyMongoDriver()
    raise TypeError(
        f"unsupported database object {type(database).__module__}.{type(database).__name__}: "
        "PipelineDAO takes a pymongo or mongomock Database; pass driver= for another"
    )


def async_driver_for(database: Any) -> AsyncDriver:
    """The adapter for an asyncio database object (PyMongo ``AsyncDatabase`` or Motor's).

    Raises:
        TypeError: the object is a synchronous database, or not a database pipereg knows.
    """
    if _family(database, "pymongo.asynchronous"):
        from pipereg.adapters.pymongo_async import PyMongoAsyncDriver  # noqa: PLC0415

        return PyMongoAsyncDriver()
    if _family(database, "mongomock_motor"):
        from pipereg.adapters.mongomock import MongomockMotorDriver  # noqa: PLC0415

        return MongomockMotorDriver()
    if _family(database, "motor"):
        from pipereg.adapters.motor import MotorDriver  # noqa: PLC0415

        return MotorDriver()
    if _family(database, "pymongo.synchronous", "pymongo.database", "mongomock"):
        raise TypeError(f"{type(database).__name__} is a synchronous database: use PipelineDAO")
    raise TypeError(
        f"unsupported database object {type(database).__module__}.{type(database).__name__}: "
        "AsyncPipelineDAO takes a PyMongo AsyncDatabase or a Motor database; "
        "pass driver= for another"
    )
