"""Executed: DAOs that render a pipeline and run it on its collection, sync and async.

Both DAOs share one preparation step (:func:`prepare_call`); they differ only in awaiting.
Options merge file < call (``let`` variables merge by name; a call option of None counts as not
given), and the ``comment`` sent to the server starts with the pipeline's tag
(``pipereg:<key>@<version> fp:<fingerprint>``) so profiler and slow-query logs name the pipeline.
A driver error keeps its own type and gains a note naming the pipeline, its version and fingerprint
(:func:`pipereg.cursor.annotate`), from the command, from ``fetch_all``/``fetch_one``, and from the
cursor ``aggregate()`` returns.

Every call is logged on the ``pipereg`` logger: at DEBUG, or at WARNING when it took longer than
the DAO's ``slow_ms``. The record's ``extra`` fields (``pipereg_key``, ``pipereg_version``,
``pipereg_fingerprint``, ``duration_ms``, ``rows``, ``outcome``) let JSON log formatters carry them;
see docs/operating.md. With neither DEBUG enabled nor ``slow_ms`` set, a call is not even timed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pipereg.adapters import AsyncDriver, SyncDriver, async_driver_for, sync_driver_for
from pipereg.cursor import AsyncPipelineCursor, PipelineCursor, annotate
from pipereg.pipeline import Pipeline
from pipereg.registry import Registry, default_registry

logger = logging.getLogger("pipereg")


@dataclass(frozen=True)
class Call:
    """One aggregation ready to send: the pipeline, its collection, stages and merged options."""

    pipeline: Pipeline
    collection: str | None  # None: a database-level pipeline, run as db.aggregate
    stages: list[dict[str, Any]]
    options: dict[str, Any]


def prepare_call(
    registry: Registry, key: str, params: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> Call:
    """Render ``key`` and merge its file options with the call's; tag the comment.

    Raises:
        UnknownPipelineError, ParameterError: as :meth:`Registry.get` and :meth:`Pipeline.render`.
    A ``comment`` that is not a string (MongoDB takes any BSON value) is sent as
    ``{"pipereg": <tag>, "comment": <value>}``, so the tag still names the pipeline.
    """
    return _prepare(registry.get(key), params, options)


def _prepare(
    pipeline: Pipeline, params: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> Call:
    stages, merged = pipeline.prepare(params)
    for name, value in options.items():
        if value is None:
            continue  # None means "not given", as in the drivers
        if name == "let" and isinstance(merged.get("let"), dict):
            merged["let"] = {**merged["let"], **value}  # variables merge by name, call wins
        else:
            merged[name] = value
    comment = merged.get("comment")
    if comment is not None and not isinstance(comment, str):
        merged["comment"] = {"pipereg": pipeline.tag, "comment": comment}
    else:
        merged["comment"] = f"{pipeline.tag} {comment}" if comment else pipeline.tag
    return Call(pipeline, pipeline.collection, stages, merged)


class _Logged:
    """Times one DAO call and logs it when the call ends, returned or raised.

    The DAO sets ``pipeline`` once it is known (an unknown key leaves it None) and ``rows`` once
    counted (``aggregate`` returns a cursor: unknown). Untimed when nothing would be logged.
    """

    __slots__ = ("key", "operation", "pipeline", "rows", "slow_ms", "started")

    def __init__(self, operation: str, key: str, slow_ms: float | None) -> None:
        self.operation = operation
        self.key = key
        self.slow_ms = slow_ms
        self.pipeline: Pipeline | None = None
        self.rows: int | None = None
        timed = slow_ms is not None or logger.isEnabledFor(logging.DEBUG)
        self.started = time.perf_counter() if timed else None

    def __enter__(self) -> _Logged:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.started is None:
            return
        duration_ms = (time.perf_counter() - self.started) * 1e3
        slow = self.slow_ms is not None and duration_ms > self.slow_ms
        level = logging.WARNING if slow else logging.DEBUG
        if not logger.isEnabledFor(level):
            return
        pipeline = self.pipeline
        version = None if pipeline is None else pipeline.version
        outcome = "ok" if exc is None else "error"
        rows = "" if self.rows is None else f", {self.rows} row{'s' if self.rows != 1 else ''}"
        error = "" if exc is None else f", {type(exc).__name__}"
        logger.log(
            level,
            "%s%s %s@%s: %.1f ms%s%s",
            f"slow pipeline call (over {self.slow_ms:g} ms): " if slow else "",
            self.operation,
            self.key,
            version,
            duration_ms,
            rows,
            error,
            extra={
                "pipereg_key": self.key,
                "pipereg_version": version,
                "pipereg_fingerprint": None if pipeline is None else pipeline.fingerprint,
                "pipereg_operation": self.operation,
                "duration_ms": duration_ms,
                "rows": self.rows,
                "outcome": outcome,
            },
        )


def _limit_one(call: Call) -> Call:
    # fetch_one needs one document: let the server stop early (a write stage must stay last).
    if call.stages and next(iter(call.stages[-1])) in ("$out", "$merge"):
        return call
    return Call(call.pipeline, call.collection, [*call.stages, {"$limit": 1}], call.options)


class PipelineDAO:
    """Runs registered pipelines on a synchronous database (PyMongo, or mongomock in tests).

    Example:
        >>> dao = PipelineDAO(MongoClient()["shop"])
        >>> dao.fetch_all("orders.daily_revenue", {"since": "2024-03-01"})
    """

    def __init__(
        self,
        database: Any,
        registry: Registry | None = None,
        *,
        driver: SyncDriver | None = None,
        slow_ms: float | None = None,
    ) -> None:
        self.database = database
        self._registry = registry
        self._driver = driver if driver is not None else sync_driver_for(database)
        self.slow_ms = slow_ms

    @property
    def registry(self) -> Registry:
        """The registry given, else the process-wide default one."""
        return self._registry if self._registry is not None else default_registry()

    def aggregate(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> PipelineCursor:
        """Run the pipeline and return the driver's cursor, wrapped to annotate its errors."""
        with _Logged("aggregate", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _prepare(pipeline, params, options)
            return PipelineCursor(self._start(call), pipeline)

    def fetch_all(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """Run the pipeline and return every result document."""
        with _Logged("fetch_all", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _prepare(pipeline, params, options)
            cursor = self._start(call)
            try:
                rows = self._driver.fetch_all(cursor)
            except Exception as error:
                annotate(error, pipeline)
                raise
            log.rows = len(rows)
            return rows

    def fetch_one(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any] | None:
        """Run the pipeline (with ``$limit: 1`` appended) and return its first result, or None."""
        with _Logged("fetch_one", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _limit_one(_prepare(pipeline, params, options))
            cursor = self._start(call)
            try:
                rows = self._driver.fetch_one(cursor)
            except Exception as error:
                annotate(error, pipeline)
                raise
            log.rows = int(rows is not None)
            return rows

    def _start(self, call: Call) -> Any:
        try:
            return self._driver.aggregate(self.database, call.collection, call.stages, call.options)
        except Exception as error:
            annotate(error, call.pipeline)
            raise


class AsyncPipelineDAO:
    """Runs registered pipelines on an asyncio database: PyMongo's ``AsyncDatabase`` or Motor's.

    Example:
        >>> dao = AsyncPipelineDAO(AsyncMongoClient()["shop"])
        >>> await dao.fetch_all("orders.daily_revenue", {"since": "2024-03-01"})
    """

    def __init__(
        self,
        database: Any,
        registry: Registry | None = None,
        *,
        driver: AsyncDriver | None = None,
        slow_ms: float | None = None,
    ) -> None:
        self.database = database
        self._registry = registry
        self._driver = driver if driver is not None else async_driver_for(database)
        self.slow_ms = slow_ms

    @property
    def registry(self) -> Registry:
        """The registry given, else the process-wide default one."""
        return self._registry if self._registry is not None else default_registry()

    async def aggregate(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> AsyncPipelineCursor:
        """Run the pipeline and return the driver's cursor, wrapped to annotate its errors."""
        with _Logged("aggregate", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _prepare(pipeline, params, options)
            return AsyncPipelineCursor(await self._start(call), pipeline)

    async def fetch_all(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """Run the pipeline and return every result document."""
        with _Logged("fetch_all", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _prepare(pipeline, params, options)
            cursor = await self._start(call)
            try:
                rows = await self._driver.fetch_all(cursor)
            except Exception as error:
                annotate(error, pipeline)
                raise
            log.rows = len(rows)
            return rows

    async def fetch_one(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any] | None:
        """Run the pipeline (with ``$limit: 1`` appended) and return its first result, or None."""
        with _Logged("fetch_one", key, self.slow_ms) as log:
            log.pipeline = pipeline = self.registry.get(key)
            call = _limit_one(_prepare(pipeline, params, options))
            cursor = await self._start(call)
            try:
                rows = await self._driver.fetch_one(cursor)
            except Exception as error:
                annotate(error, pipeline)
                raise
            log.rows = int(rows is not None)
            return rows

    async def _start(self, call: Call) -> Any:
        try:
            return await self._driver.aggregate(
                self.database, call.collection, call.stages, call.options
            )
        except Exception as error:
            annotate(error, call.pipeline)
            raise
