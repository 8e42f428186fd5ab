"""Motor (deprecated by MongoDB in favour of PyMongo's asyncio API, still widely used)."""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Document, Stages


class MotorDriver:
    """Motor's ``aggregate`` returns its cursor directly, without an await; the command runs on
    the first fetch."""

    async def aggregate(
        self, database: Any, collection: str, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Return Motor's cursor (no round trip yet)."""
        return database[collection].aggregate(stages, **options)

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
