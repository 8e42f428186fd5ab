"""OpenTelemetry for the DAOs: a span and a duration point per call (the ``otel`` extra).

:class:`PipeRegInstrumentor` follows OpenTelemetry's Python instrumentation convention: a
``BaseInstrumentor`` subclass, registered under the ``opentelemetry_instrumentor`` entry point so
``opentelemetry-instrument`` loads it, with ``instrument(tracer_provider=..., meter_provider=...)``
and ``uninstrument()``. As the contrib instrumentations do, it wraps the instrumented methods
(``PipelineDAO`` and ``AsyncPipelineDAO``: ``aggregate``, ``fetch_all``, ``fetch_one``) with
``wrapt`` and restores them on ``uninstrument()``; the DAO module itself imports nothing of
OpenTelemetry.

Each call gets a span named after the pipeline key, current while the call runs, so the command
span of ``opentelemetry-instrumentation-pymongo`` nests under it. Its kind is INTERNAL: the
command span under it is the CLIENT span of the database semantic conventions, and a CLIENT span
should not have another as its parent. Attributes: ``db.system.name``, ``db.namespace``,
``db.collection.name``, ``db.operation.name`` (``aggregate``, the command every DAO method sends),
``db.query.summary`` (``aggregate <collection>``), ``pipereg.key``, ``pipereg.version``,
``pipereg.fingerprint`` (the full hex digest), ``pipereg.params`` (the names given, never the
values), and ``db.response.returned_rows`` where known (``fetch_all`` and ``fetch_one``; a cursor's
rows are not counted). A value is recorded, as ``pipereg.param.<name>``, only for parameters named
in ``instrument(capture_params={"orders.daily": ["status"]})``. An error sets the span's status,
``error.type``, and records the exception. Each call also records its duration in seconds on the
histogram ``pipereg.call.duration`` with ``pipereg.key``, ``pipereg.version`` and ``outcome``
(``ok`` or ``error``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from opentelemetry import context, metrics, trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from wrapt import wrap_function_wrapper

from pipereg.dao import AsyncPipelineDAO, PipelineDAO
from pipereg.pipeline import Pipeline

__all__ = ["DURATION_METRIC", "PipeRegInstrumentor"]

DURATION_METRIC = "pipereg.call.duration"
_METHODS = ("aggregate", "fetch_all", "fetch_one")
# The advisory buckets of the database client metric db.client.operation.duration.
_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0]
_SCALAR = (str, bool, int, float)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("pipereg")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


class _Telemetry:
    """What one ``instrument()`` set up: the tracer, the histogram and the captured values."""

    def __init__(
        self,
        tracer: trace.Tracer,
        duration: metrics.Histogram,
        capture: Mapping[str, frozenset[str]],
    ) -> None:
        self.tracer = tracer
        self.duration = duration
        self.capture = capture

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _CallSpan:
        key = args[0] if args else kwargs.get("key", "")
        params = args[1] if len(args) > 1 else kwargs.get("params")
        try:
            pipeline: Pipeline | None = instance.registry.get(key)
        except Exception:  # the call itself raises it again, inside the span, where it is recorded
            pipeline = None
        attributes: dict[str, Any] = {
            "db.system.name": "mongodb",
            "db.operation.name": "aggregate",
            "pipereg.key": str(key),
        }
        name = getattr(instance.database, "name", None)
        if isinstance(name, str):
            attributes["db.namespace"] = name
        if pipeline is not None:
            attributes.update(
                {
                    "db.collection.name": pipeline.collection,
                    "db.query.summary": f"aggregate {pipeline.collection}",
                    "pipereg.version": pipeline.version,
                    "pipereg.fingerprint": pipeline.fingerprint,
                }
            )
        if isinstance(params, Mapping):
            attributes["pipereg.params"] = [str(n) for n in params]
            allowed = self.capture.get(str(key), frozenset())
            for param, value in params.items():
                if param in allowed:
                    shown = value if isinstance(value, _SCALAR) else str(value)
                    attributes[f"pipereg.param.{param}"] = shown
        span = self.tracer.start_span(str(key), kind=SpanKind.INTERNAL, attributes=attributes)
        version = None if pipeline is None else pipeline.version
        return _CallSpan(self, span, str(key), version)


class _CallSpan:
    """One call's span and start time; ``end`` closes both the span and the duration point."""

    __slots__ = ("key", "span", "started", "telemetry", "version")

    def __init__(self, telemetry: _Telemetry, span: Span, key: str, version: int | None) -> None:
        self.telemetry = telemetry
        self.span = span
        self.key = key
        self.version = version
        self.started = time.perf_counter()

    def end(self, result: Any, error: BaseException | None, method: str) -> None:
        elapsed = time.perf_counter() - self.started
        span = self.span
        if error is not None:
            span.set_attribute("error.type", type(error).__qualname__)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        elif method == "fetch_all":
            span.set_attribute("db.response.returned_rows", len(result))
        elif method == "fetch_one":
            span.set_attribute("db.response.returned_rows", int(result is not None))
        span.end()
        attributes: dict[str, Any] = {
            "pipereg.key": self.key,
            "outcome": "ok" if error is None else "error",
        }
        if self.version is not None:
            attributes["pipereg.version"] = self.version
        self.telemetry.duration.record(elapsed, attributes)


def _sync_wrapper(telemetry: _Telemetry, method: str) -> Callable[..., Any]:
    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        call = telemetry.start(instance, args, kwargs)
        # attach/detach rather than trace.use_span: the same, without a generator per call.
        token = context.attach(trace.set_span_in_context(call.span))
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end(None, error, method)
            raise
        finally:
            context.detach(token)
        call.end(result, None, method)
        return result

    return wrapper


def _async_wrapper(telemetry: _Telemetry, method: str) -> Callable[..., Any]:
    async def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        call = telemetry.start(instance, args, kwargs)
        # attach/detach rather than trace.use_span: the same, without a generator per call.
        token = context.attach(trace.set_span_in_context(call.span))
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.end(None, error, method)
            raise
        finally:
            context.detach(token)
        call.end(result, None, method)
        return result

    return wrapper


class PipeRegInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces and times every DAO call (see the module docstring for what is recorded).

    Example:
        >>> PipeRegInstrumentor().instrument(tracer_provider=provider, meter_provider=meters)
        >>> PipeRegInstrumentor().uninstrument()
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        """The package instrumented: pipereg itself."""
        return ("pipereg >= 0.1",)

    def _instrument(self, **kwargs: Any) -> None:
        """Wrap the DAO methods.

        Args:
            **kwargs: ``tracer_provider`` and ``meter_provider`` (the global ones if not given),
                and ``capture_params``: parameter names whose values may be recorded, by
                pipeline key.
        """
        version = _version()
        tracer = trace.get_tracer(__name__, version, kwargs.get("tracer_provider"))
        meter = metrics.get_meter(__name__, version, kwargs.get("meter_provider"))
        duration = meter.create_histogram(
            DURATION_METRIC,
            unit="s",
            description="Duration of pipereg DAO calls, from the call to its result or cursor.",
            explicit_bucket_boundaries_advisory=_BUCKETS,
        )
        capture = {
            key: frozenset(names) for key, names in (kwargs.get("capture_params") or {}).items()
        }
        telemetry = _Telemetry(tracer, duration, capture)
        for method in _METHODS:
            wrap_function_wrapper(PipelineDAO, method, _sync_wrapper(telemetry, method))
            wrap_function_wrapper(AsyncPipelineDAO, method, _async_wrapper(telemetry, method))

    def _uninstrument(self, **kwargs: Any) -> None:
        """Restore the DAO methods."""
        for method in _METHODS:
            unwrap(PipelineDAO, method)
            unwrap(AsyncPipelineDAO, method)
