"""What observing a DAO call costs: OpenTelemetry and slow-call logging against the plain DAO.

Every variant runs the same ``fetch_all`` on an instant fake driver (no I/O: it returns the same
two documents at once), so the differences are pipereg's and OpenTelemetry's own work per call:
rendering and preparing the call are in every variant, the span, the histogram point and the
log timing only in theirs. Measured side by side in interleaved rounds, reported as ratios to the
plain DAO and as microseconds added per call.

- plain: ``PipelineDAO`` as installed, no ``slow_ms``, the ``pipereg`` logger at its default level.
- slow_ms: ``PipelineDAO(..., slow_ms=1000)``: each call timed, nothing logged.
- OpenTelemetry: ``PipeRegInstrumentor`` with the SDK's tracer provider (always sampled, a span
  processor that drops spans) and meter provider (histogram points aggregated in memory).
- SDK floor: the plain call plus what any instrumentation must do with the same SDK: start and
  end one span with the same attributes, current during the call, and record one histogram
  point. OpenTelemetry minus this floor is pipereg's own share.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from pipereg import PipelineDAO, Registry

ROWS = [{"_id": 1, "total": 150}, {"_id": 2, "total": 170}]


class InstantDriver:
    """A sync driver that answers every aggregate at once with :data:`ROWS`."""

    def aggregate(self, database: Any, collection: str, stages: Any, options: Any) -> Any:
        return ROWS

    def fetch_all(self, cursor: Any) -> list[dict[str, Any]]:
        return list(cursor)

    def fetch_one(self, cursor: Any) -> dict[str, Any] | None:
        return cursor[0] if cursor else None


class _Database:
    name = "bench"


def _sdk() -> tuple[Any, Any, Any] | None:
    try:
        from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider  # noqa: PLC0415

        from pipereg.otel import PipeRegInstrumentor  # noqa: PLC0415
    except ImportError:
        return None

    class Counting(SpanProcessor):  # type: ignore[misc]
        """Counts ended spans, so the check can see the instrumentation ran."""

        ended = 0

        def on_end(self, span: Any) -> None:
            Counting.ended += 1

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(Counting())
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return PipeRegInstrumentor(), (tracer_provider, meter_provider), Counting


def overhead(
    registry: Registry,
    key: str,
    params: dict[str, Any],
    rounds: int,
    number: int,
    measure: Callable[[dict[str, Callable[[], Any]], int, int], dict[str, list[float]]],
) -> dict[str, list[float]] | None:
    """Seconds per call of each variant (None without the otel extra and SDK).

    ``measure`` is the suite's interleaved timer (:func:`benchmarks.run.measure`).
    """
    sdk = _sdk()
    if sdk is None:
        return None
    instrumentor, (tracer_provider, meter_provider), counting = sdk
    plain = PipelineDAO(_Database(), registry, driver=InstantDriver())
    timed = PipelineDAO(_Database(), registry, driver=InstantDriver(), slow_ms=1000)

    def plain_call() -> Any:
        return plain.fetch_all(key, params)

    def timed_call() -> Any:
        return timed.fetch_all(key, params)

    # The instrumentor wraps the class's methods, so the plain variants must run while it is
    # off: each round instruments, measures the instrumented call, and uninstruments.
    from opentelemetry import context, trace  # noqa: PLC0415

    tracer = tracer_provider.get_tracer("benchmark")
    histogram = meter_provider.get_meter("benchmark").create_histogram("floor", unit="s")
    pipeline = registry.get(key)
    attributes = {
        "db.system.name": "mongodb",
        "db.operation.name": "aggregate",
        "pipereg.key": key,
        "db.namespace": _Database.name,
        "db.collection.name": pipeline.collection,
        "db.query.summary": f"aggregate {pipeline.collection}",
        "pipereg.version": pipeline.version,
        "pipereg.fingerprint": pipeline.fingerprint,
        "pipereg.params": list(params),
    }
    point = {"pipereg.key": key, "pipereg.version": pipeline.version, "outcome": "ok"}

    def floor_call() -> Any:
        span = tracer.start_span(key, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        try:
            rows = plain.fetch_all(key, params)
        finally:
            context.detach(token)
        span.set_attribute("db.response.returned_rows", len(rows))
        span.end()
        histogram.record(1e-5, point)
        return rows

    samples: dict[str, list[float]] = {
        "plain": [], "slow_ms": [], "SDK floor": [], "OpenTelemetry": []
    }  # fmt: skip
    for _ in range(rounds):
        for name, call in (
            ("plain", plain_call),
            ("slow_ms", timed_call),
            ("SDK floor", floor_call),
        ):
            samples[name] += measure({name: call}, 1, number)[name]
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            before = counting.ended
            assert plain_call() == ROWS
            assert counting.ended == before + 1, "the instrumented call made no span"
            samples["OpenTelemetry"] += measure({"otel": plain_call}, 1, number)["otel"]
        finally:
            instrumentor.uninstrument()
    return samples


def table(samples: dict[str, list[float]]) -> list[str]:
    """Markdown rows: each variant's median per call, ratio to plain, microseconds added."""
    base = statistics.median(samples["plain"])
    lines = [
        "| DAO fetch_all | median per call | ratio to plain | added per call |",
        "|---|---:|---:|---:|",
    ]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median * 1e6:.2f} µs | {median / base:.2f}x "
            f"| {(median - base) * 1e6:+.2f} µs |"
        )
    return lines
