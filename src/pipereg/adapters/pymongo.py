"""Synchronous PyMongo (and mongomock, which copies its API)."""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Document, Stages


class PyMongoDriver:
    """``Collection.aggregate`` returns a ``CommandCursor``; iterate it."""

    def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation; return the driver's cursor (on the database if no collection)."""
        target = database if collection is None else database[collection]
        return target.aggregate(stages, **options)

    def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor, closing it."""
        with cursor:
            return list(cursor)

    def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""
        with cursor:
            return next(cursor, None)
