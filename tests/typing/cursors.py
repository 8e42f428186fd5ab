"""Checked by mypy (not run by pytest): type checkers follow the cursors aggregate() returns."""

from typing import Any

from pipereg import AsyncPipelineDAO, PipelineDAO
from pipereg.cursor import AsyncPipelineCursor, PipelineCursor


def read(dao: PipelineDAO) -> list[dict[str, Any]]:
    cursor: PipelineCursor = dao.aggregate("orders.daily_revenue", {"since": "2024-03-01"})
    with cursor as entered:
        first: dict[str, Any] = next(entered)
        maybe: dict[str, Any] | None = entered.try_next()
        rest: list[dict[str, Any]] = entered.batch_size(100).to_list()
        alive: bool = entered.alive
        cursor.to_lsit()  # type: ignore[attr-defined]  # a typo is an error, not Any
        return [first, *([maybe] if maybe else []), *rest, *(cursor.cursor if alive else [])]


async def read_async(dao: AsyncPipelineDAO) -> list[dict[str, Any]]:
    cursor: AsyncPipelineCursor = await dao.aggregate("orders.daily_revenue")
    async with cursor as entered:
        first: dict[str, Any] = await entered.next()
        maybe: dict[str, Any] | None = await entered.try_next()
        rest: list[dict[str, Any]] = await entered.batch_size(100).to_list(10)
        more = [document async for document in entered]
        await cursor.to_lsit()  # type: ignore[attr-defined]  # a typo is an error, not Any
        return [first, *([maybe] if maybe else []), *rest, *more]
