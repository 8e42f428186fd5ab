"""PyMongo's native asyncio API (``AsyncMongoClient``)."""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Document, Stages


class PyMongoAsyncDriver:
    """``AsyncCollection.aggregate`` is a coroutine that returns an ``AsyncCommandCursor``."""

    async def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation; return the driver's cursor (on the database if no collection)."""
        target = database if collection is None else database[collection]
        return await target.aggregate(stages, **options)

    async def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""
        async with cursor:
            documents: list[Document] = await cursor.to_list()
            return documents

    async def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""
        async with cursor:
            async for document in cursor:
                first: Document = document
                return first
            return None
