"""Executed: DAOs that render a pipeline and run it on its collection, sync and async.

Both DAOs share one preparation step (:func:`prepare_call`); they differ only in awaiting.
Options merge file < call (``let`` variables merge by name; a call option of None counts as not
given), and the ``comment`` sent to the server starts with the pipeline's tag
(``pipereg:<key>@<version> fp:<fingerprint>``) so profiler and slow-query logs name the pipeline.
A driver error keeps its own type and gains a note naming the pipeline, its version and fingerprint
(:func:`pipereg.cursor.annotate`), from the command, from ``fetch_all``/``fetch_one``, and from the
cursor ``aggregate()`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipereg.adapters import AsyncDriver, SyncDriver, async_driver_for, sync_driver_for
from pipereg.aggregate_options import check_options
from pipereg.cursor import AsyncPipelineCursor, PipelineCursor, annotate
from pipereg.pipeline import Pipeline
from pipereg.registry import Registry, default_registry


@dataclass(frozen=True)
class Call:
    """One aggregation ready to send: the pipeline, its collection, stages and merged options."""

    pipeline: Pipeline
    collection: str
    stages: list[dict[str, Any]]
    options: dict[str, Any]


def prepare_call(
    registry: Registry, key: str, params: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> Call:
    """Render ``key`` and merge its file options with the call's; tag the comment.

    Raises:
        UnknownPipelineError, ParameterError: as :meth:`Registry.get` and :meth:`Pipeline.render`;
            ParameterError also for an option of the file that renders to a type the driver
            refuses (see :func:`~pipereg.aggregate_options.check_options`).
        TypeError: a call-time ``comment`` that is not a string.
    """
    pipeline = registry.get(key)
    stages, merged = pipeline.prepare(params)
    check_options(pipeline, merged)  # the file's options, before the call's are merged in
    for name, value in options.items():
        if value is None:
            continue  # None means "not given", as in the drivers
        if name == "let" and isinstance(merged.get("let"), dict):
            merged["let"] = {**merged["let"], **value}  # variables merge by name, call wins
        else:
            merged[name] = value
    comment = merged.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise TypeError(f"comment must be a string, got {type(comment).__name__}")
    merged["comment"] = f"{pipeline.tag} {comment}" if comment else pipeline.tag
    return Call(pipeline, pipeline.collection, stages, merged)


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
        self, database: Any, registry: Registry | None = None, *, driver: SyncDriver | None = None
    ) -> None:
        self.database = database
        self._registry = registry
        self._driver = driver if driver is not None else sync_driver_for(database)

    @property
    def registry(self) -> Registry:
        """The registry given, else the process-wide default one."""
        return self._registry if self._registry is not None else default_registry()

    def aggregate(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> PipelineCursor:
        """Run the pipeline and return the driver's cursor, wrapped to annotate its errors."""
        call = prepare_call(self.registry, key, params, options)
        return PipelineCursor(self._start(call), call.pipeline)

    def fetch_all(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """Run the pipeline and return every result document."""
        call = prepare_call(self.registry, key, params, options)
        cursor = self._start(call)
        try:
            return self._driver.fetch_all(cursor)
        except Exception as error:
            annotate(error, call.pipeline)
            raise

    def fetch_one(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any] | None:
        """Run the pipeline (with ``$limit: 1`` appended) and return its first result, or None."""
        call = _limit_one(prepare_call(self.registry, key, params, options))
        cursor = self._start(call)
        try:
            return self._driver.fetch_one(cursor)
        except Exception as error:
            annotate(error, call.pipeline)
            raise

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
        self, database: Any, registry: Registry | None = None, *, driver: AsyncDriver | None = None
    ) -> None:
        self.database = database
        self._registry = registry
        self._driver = driver if driver is not None else async_driver_for(database)

    @property
    def registry(self) -> Registry:
        """The registry given, else the process-wide default one."""
        return self._registry if self._registry is not None else default_registry()

    async def aggregate(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> AsyncPipelineCursor:
        """Run the pipeline and return the driver's cursor, wrapped to annotate its errors."""
        call = prepare_call(self.registry, key, params, options)
        return AsyncPipelineCursor(await self._start(call), call.pipeline)

    async def fetch_all(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """Run the pipeline and return every result document."""
        call = prepare_call(self.registry, key, params, options)
        cursor = await self._start(call)
        try:
            return await self._driver.fetch_all(cursor)
        except Exception as error:
            annotate(error, call.pipeline)
            raise

    async def fetch_one(
        self, key: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any] | None:
        """Run the pipeline (with ``$limit: 1`` appended) and return its first result, or None."""
        call = _limit_one(prepare_call(self.registry, key, params, options))
        cursor = await self._start(call)
        try:
            return await self._driver.fetch_one(cursor)
        except Exception as error:
            annotate(error, call.pipeline)
            raise

    async def _start(self, call: Call) -> Any:
        try:
            return await self._driver.aggregate(
                self.database, call.collection, call.stages, call.options
            )
        except Exception as error:
            annotate(error, call.pipeline)
            raise
