"""The ``pipereg`` logger: one record per DAO call, at WARNING past ``slow_ms`` (pipereg.dao)."""

from __future__ import annotations

import logging

import pytest

from helpers import AsyncInstantDriver, InstantDriver, WriteTree, pipeline_file
from pipereg import AsyncPipelineDAO, ParameterError, PipelineDAO, Registry

DOCUMENT = pipeline_file(
    {
        "p": {
            "collection": "orders",
            "params": {"min": {"type": "int"}},
            "stages": [{"$match": {"qty": {"$gte": "<<min>>"}}}],
        }
    },
    version=4,
)
ROWS = [{"qty": 2}, {"qty": 3}]


@pytest.fixture
def registry(write_tree: WriteTree) -> Registry:
    return Registry.from_paths(write_tree({"shop.json": DOCUMENT}))


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "pipereg"]


def test_each_call_is_logged_at_debug_with_its_fields(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pipereg")
    dao = PipelineDAO(object(), registry, driver=InstantDriver(ROWS))
    dao.fetch_all("shop.p", {"min": 2})
    dao.fetch_one("shop.p", {"min": 2})
    dao.aggregate("shop.p", {"min": 2})
    logged = records(caplog)
    assert [r.levelno for r in logged] == [logging.DEBUG] * 3
    assert [r.pipereg_operation for r in logged] == ["fetch_all", "fetch_one", "aggregate"]  # type: ignore[attr-defined]
    assert [r.rows for r in logged] == [2, 1, None]  # type: ignore[attr-defined]
    first = logged[0]
    pipeline = registry.get("shop.p")
    assert first.pipereg_key == "shop.p"  # type: ignore[attr-defined]
    assert first.pipereg_version == 4  # type: ignore[attr-defined]
    assert first.pipereg_fingerprint == pipeline.fingerprint  # type: ignore[attr-defined]
    assert first.outcome == "ok"  # type: ignore[attr-defined]
    assert first.duration_ms >= 0  # type: ignore[attr-defined]
    assert first.getMessage().startswith("fetch_all shop.p@4: ")
    assert first.getMessage().endswith(" ms, 2 rows")


def test_a_call_slower_than_slow_ms_is_a_warning(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pipereg")
    PipelineDAO(object(), registry, driver=InstantDriver(ROWS), slow_ms=10_000).fetch_all(
        "shop.p", {"min": 1}
    )
    assert records(caplog) == []  # fast: DEBUG only, which is off
    slow = PipelineDAO(object(), registry, driver=InstantDriver(ROWS, delay=0.02), slow_ms=5)
    slow.fetch_all("shop.p", {"min": 1})
    (record,) = records(caplog)
    assert record.levelno == logging.WARNING
    assert record.duration_ms > 5  # type: ignore[attr-defined]
    assert "slow pipeline call (over 5 ms): fetch_all shop.p@4" in record.getMessage()


def test_failed_calls_are_logged_with_outcome_error(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pipereg")
    dao = PipelineDAO(object(), registry, driver=InstantDriver(ROWS, fail=True))
    with pytest.raises(RuntimeError):
        dao.fetch_all("shop.p", {"min": 1})
    with pytest.raises(ParameterError):
        PipelineDAO(object(), registry, driver=InstantDriver(ROWS)).fetch_all(
            "shop.p", {"min": "x"}
        )
    driver_error, bad_param = records(caplog)
    assert driver_error.outcome == bad_param.outcome == "error"  # type: ignore[attr-defined]
    assert driver_error.rows is None  # type: ignore[attr-defined]
    assert driver_error.getMessage().endswith(", RuntimeError")
    assert bad_param.pipereg_version == 4  # type: ignore[attr-defined]


def test_an_unknown_key_is_logged_without_version(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pipereg")
    with pytest.raises(KeyError):
        PipelineDAO(object(), registry, driver=InstantDriver(ROWS)).fetch_all("shop.nope")
    (record,) = records(caplog)
    assert record.pipereg_key == "shop.nope"  # type: ignore[attr-defined]
    assert record.pipereg_version is None  # type: ignore[attr-defined]
    assert record.pipereg_fingerprint is None  # type: ignore[attr-defined]


async def test_async_calls_are_logged_alike(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pipereg")
    dao = AsyncPipelineDAO(object(), registry, driver=AsyncInstantDriver(ROWS), slow_ms=0)
    assert dao.slow_ms == 0
    await dao.fetch_all("shop.p", {"min": 2})
    await dao.fetch_one("shop.p", {"min": 2})
    await dao.aggregate("shop.p", {"min": 2})
    logged = records(caplog)
    # slow_ms=0: any call that took time at all is slow.
    assert {r.levelno for r in logged} <= {logging.WARNING, logging.DEBUG}
    assert [r.rows for r in logged] == [2, 1, None]  # type: ignore[attr-defined]
    assert all(r.pipereg_key == "shop.p" for r in logged)  # type: ignore[attr-defined]
