"""One mistake a line, each tagged with the mypy error code it must raise (``# E: code``).

tests/test_stubs.py asserts that mypy reports exactly the tagged lines, with those codes, and
that pyright reports errors on exactly the tagged lines.
"""

from __future__ import annotations

from typed import AsyncPipelineDAO, PipelineDAO, get_pipeline

DAY = "2024-03-01"
N = "x"


def sync_mistakes(dao: PipelineDAO, key: str) -> None:
    dao.fetch_all("shop.order", {"since": DAY, "note": N})  # E: call-overload
    dao.fetch_all(key, {"since": DAY, "note": N})  # E: call-overload
    dao.fetch_all("shop.orders", {"note": N})  # E: call-overload
    dao.fetch_all("shop.orders")  # E: call-overload
    dao.fetch_all("shop.orders", {"since": 20240301, "note": N})  # E: call-overload
    dao.fetch_all("shop.orders", {"since": DAY, "note": N, "limit": "10"})  # E: call-overload
    dao.fetch_all("shop.orders", {"since": DAY, "note": N, "status": "lost"})  # E: call-overload
    dao.fetch_all("shop.orders", {"since": DAY, "note": N, "limmit": 10})  # E: call-overload
    dao.aggregate("shop.orders", {"since": DAY, "note": N, "flag": 1})  # E: call-overload
    dao.fetch_all("shop.orders", {"since": DAY, "note": N, "filter": {}})  # E: call-overload
    dao.fetch_all("shop.count", {"limit": 1})  # E: call-overload
    dao.fetch_all("shop.keywords", {"class": 1})  # E: call-overload


def get_pipeline_mistakes() -> None:
    get_pipeline("shop.order")  # E: call-overload
    get_pipeline("shop.orders", {"since": DAY, "note": N, "amount": 1.5})  # E: call-overload


async def async_mistakes(dao: AsyncPipelineDAO) -> None:
    await dao.fetch_all("shop.orders", {"since": DAY, "note": N, "ratio": "1"})  # E: call-overload
    await dao.fetch_one("shop.nope")  # E: call-overload
    await dao.aggregate("shop.orders", {"since": DAY})  # E: call-overload
