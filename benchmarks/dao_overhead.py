"""What the DAO adds to a call: against an instant fake driver, and on the in-process wire server.

The fake driver (:class:`benchmarks.instrumentation.InstantDriver`) answers at once, so the ratio
is pipereg's whole share (look up, validate, render, tag, hand over) against hand-written code
doing the same checks and the same driver calls. On the wire server the same overhead sits
beside a real round trip.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import approaches
from benchmarks.instrumentation import InstantDriver
from benchmarks.workloads import SINCE, TYPED_PARAMS
from pipereg import PipelineDAO, Registry

Measure = Callable[[dict[str, Callable[[], Any]], int, int], dict[str, list[float]]]


def paired(
    direct: Callable[[], Any], dao: Callable[[], Any], rounds: int, number: int, measure: Measure
) -> tuple[float, float, list[float]]:
    """Median seconds of each, and each round's ratio dao/direct, in alternating order."""
    ratios, dao_times, direct_times = [], [], []
    for i in range(rounds):
        order = {"direct": direct, "dao": dao}
        if i % 2:
            order = dict(reversed(order.items()))
        samples = measure(order, 1, number)
        dao_times += samples["dao"]
        direct_times += samples["direct"]
        ratios.append(samples["dao"][0] / samples["direct"][0])
    return statistics.median(dao_times), statistics.median(direct_times), ratios


def instant(registry: Registry, measure: Measure) -> tuple[float, float, list[float]]:
    """The DAO over the instant driver against hand-written checks + the same driver calls."""
    driver = InstantDriver()
    dao = PipelineDAO(object(), registry, driver=driver)
    pipeline = registry.get("bench.report")
    options = {**dict(pipeline.options), "comment": pipeline.tag}

    def direct() -> list[Any]:
        stages = approaches.hand_validated(TYPED_PARAMS)
        return driver.fetch_all(driver.aggregate(None, "orders", stages, dict(options)))

    def through_dao() -> list[Any]:
        return dao.fetch_all("bench.report", TYPED_PARAMS)

    assert direct() == through_dao()
    return paired(direct, through_dao, 21, 2000, measure)


def dao_overhead(
    registry: Registry, storage: Path, measure: Measure
) -> tuple[float, float, list[float]] | None:
    """The same on the in-process wire server (None if the test extra's server is missing)."""
    try:
        from secantus import SecantusDBServer  # noqa: PLC0415 - test extra only
    except ImportError:
        return None
    import pymongo  # noqa: PLC0415

    docs = [
        {"customer_id": customer, "created_at": SINCE, "status": "paid", "total": 150 + i}
        for i, customer in enumerate(TYPED_PARAMS["customer_ids"] * 5)
    ]
    pipeline = registry.get("bench.report")
    with SecantusDBServer(storage_path=str(storage)) as server:
        client: Any = pymongo.MongoClient(server.uri, tz_aware=True)
        try:
            database = client["bench"]
            database["orders"].insert_many(docs)
            dao = PipelineDAO(database, registry)
            options = {**dict(pipeline.options), "comment": pipeline.tag}

            def direct() -> list[Any]:
                stages = approaches.hand_validated(TYPED_PARAMS)
                return list(database["orders"].aggregate(stages, **options))

            def through_dao() -> list[Any]:
                return dao.fetch_all("bench.report", TYPED_PARAMS)

            assert direct() == through_dao()
            return paired(direct, through_dao, 21, 50, measure)
        finally:
            client.close()
