"""Motor (deprecated by MongoDB in favour of PyMongo's asyncio API, still widely used)."""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Document, Stages


class MotorDriver:
    """Motor, with its command sent when ``aggregate()`` is awaited.

    Motor's ``aggregate`` returns a latent cursor without an await; its command would run on
    the user's first fetch. This adapter sends it inside ``aggregate()``, so that a server error
    is raised there, as with PyMongo and PyMongo Async. A started latent cursor no longer takes
    ``batch_size()`` (Motor raises TypeError): pass ``batchSize=`` to ``aggregate()`` instead.
    """

    async def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Send the aggregate command now and return Motor's cursor, its first batch buffered."""
        target = database if collection is None else database[collection]
        cursor = target.aggregate(stages, **options)
        # _get_more() is what Motor's own first fetch awaits (MotorLatentCommandCursor); it has
        # no public equivalent but the deprecated fetch_next. Motor is in maintenance mode and
        # pinned below 4, and tests/dao cover this against a real wire-protocol server.
        await cursor._get_more()
        return cursor

    async def fetch_all(self, cursor: Any) -> list[Document]:
        """Every document of a cursor."""
        documents: list[Document] = await cursor.to_list(None)
        return documents

    async def fetch_one(self, cursor: Any) -> Document | None:
        """The first document of a cursor, or None, closing it."""
        documents: list[Document] = await cursor.to_list(1)
        close = getattr(cursor, "close", None)
        if close is not None:
            await close()
        return documents[0] if documents else None
