"""OpenTelemetry: a span and a duration point per DAO call (pipereg.otel).

Spans and metric points are read back from the SDK's in-memory exporter and reader. The nesting
test runs the pymongo instrumentation against the in-process wire server.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from helpers import AsyncInstantDriver, InstantDriver
from pipereg import AsyncPipelineDAO, ParameterError, PipelineDAO, Registry
from pipereg.otel import PipeRegInstrumentor

ROWS = [{"order_no": 1}, {"order_no": 2}]


class FakeDatabase:
    name = "shop"


class Telemetry:
    """An SDK tracer provider and meter provider that keep what they record in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def points(self) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "pipereg.call.duration"
            for point in metric.data.data_points
        ]


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    recorded = Telemetry()
    PipeRegInstrumentor().instrument(
        tracer_provider=recorded.tracer_provider,
        meter_provider=recorded.meter_provider,
        capture_params={"shop.orders_since": ["status"]},
    )
    try:
        yield recorded
    finally:
        PipeRegInstrumentor().uninstrument()


SINCE = {"since": "2024-03-01"}


def test_each_call_gets_a_span_named_after_the_key_with_db_and_pipereg_attributes(
    telemetry: Telemetry, registry: Registry
) -> None:
    dao = PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS))
    assert dao.fetch_all("shop.orders_since", SINCE) == ROWS
    dao.fetch_one("shop.orders_since", SINCE)
    dao.aggregate("shop.orders_since", SINCE)
    spans = telemetry.spans()
    assert [s.name for s in spans] == ["shop.orders_since"] * 3
    pipeline = registry.get("shop.orders_since")
    attributes = dict(spans[0].attributes or {})
    assert attributes == {
        "db.system.name": "mongodb",
        "db.namespace": "shop",
        "db.collection.name": pipeline.collection,
        "db.operation.name": "aggregate",
        "db.query.summary": f"aggregate {pipeline.collection}",
        "pipereg.key": "shop.orders_since",
        "pipereg.version": pipeline.version,
        "pipereg.fingerprint": pipeline.fingerprint,
        "pipereg.params": ("since",),
        "db.response.returned_rows": 2,
    }
    assert spans[0].kind is SpanKind.INTERNAL
    assert spans[1].attributes is not None
    assert spans[1].attributes["db.response.returned_rows"] == 1
    # A cursor's rows are not counted.
    assert "db.response.returned_rows" not in (spans[2].attributes or {})
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)


def test_parameter_values_are_recorded_only_where_allowed(
    telemetry: Telemetry, registry: Registry
) -> None:
    dao = PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS))
    dao.fetch_all("shop.orders_since", {**SINCE, "status": "paid"})
    (span,) = telemetry.spans()
    attributes = dict(span.attributes or {})
    assert attributes["pipereg.params"] == ("since", "status")
    assert attributes["pipereg.param.status"] == "paid"
    assert "pipereg.param.since" not in attributes  # not allowed: the value stays out
    assert "2024-03-01" not in repr(attributes)


def test_errors_set_the_status_and_record_the_exception(
    telemetry: Telemetry, registry: Registry
) -> None:
    with pytest.raises(RuntimeError):
        PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS, fail=True)).fetch_all(
            "shop.orders_since", SINCE
        )
    with pytest.raises(ParameterError):
        PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS)).fetch_all(
            "shop.orders_since", {"since": 5}
        )
    with pytest.raises(KeyError):
        PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS)).fetch_all("shop.nope")
    driver_error, bad_param, unknown = telemetry.spans()
    for span, kind in ((driver_error, "RuntimeError"), (bad_param, "ParameterError")):
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes is not None
        assert span.attributes["error.type"] == kind
        (event,) = span.events
        assert event.name == "exception"
        assert event.attributes is not None
        assert event.attributes["exception.type"].endswith(kind)
    assert unknown.name == "shop.nope"
    assert unknown.status.status_code is StatusCode.ERROR
    assert "pipereg.version" not in (unknown.attributes or {})


def test_the_duration_histogram_has_a_point_per_key_version_and_outcome(
    telemetry: Telemetry, registry: Registry
) -> None:
    dao = PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS))
    dao.fetch_all("shop.orders_since", SINCE)
    dao.fetch_all("shop.orders_since", SINCE)
    with pytest.raises(ParameterError):
        dao.fetch_all("shop.orders_since", {})
    version = registry.get("shop.orders_since").version
    by_outcome = {p.attributes["outcome"]: p for p in telemetry.points()}
    assert set(by_outcome) == {"ok", "error"}
    assert by_outcome["ok"].count == 2
    assert by_outcome["error"].count == 1
    assert dict(by_outcome["ok"].attributes) == {
        "pipereg.key": "shop.orders_since",
        "pipereg.version": version,
        "outcome": "ok",
    }
    assert 0 <= by_outcome["ok"].sum < 1  # seconds, not milliseconds


async def test_async_calls_are_traced_alike(telemetry: Telemetry, registry: Registry) -> None:
    dao = AsyncPipelineDAO(FakeDatabase(), registry, driver=AsyncInstantDriver(ROWS))
    assert await dao.fetch_all("shop.orders_since", SINCE) == ROWS
    await dao.fetch_one("shop.orders_since", SINCE)
    await dao.aggregate("shop.orders_since", SINCE)
    spans = telemetry.spans()
    assert [s.name for s in spans] == ["shop.orders_since"] * 3
    assert [(s.attributes or {}).get("db.response.returned_rows") for s in spans] == [2, 1, None]
    assert sum(p.count for p in telemetry.points()) == 3


def test_uninstrument_restores_the_plain_methods(registry: Registry) -> None:
    plain = PipelineDAO.fetch_all
    recorded = Telemetry()
    PipeRegInstrumentor().instrument(tracer_provider=recorded.tracer_provider)
    assert PipelineDAO.fetch_all is not plain
    PipeRegInstrumentor().uninstrument()
    assert PipelineDAO.fetch_all is plain
    PipelineDAO(FakeDatabase(), registry, driver=InstantDriver(ROWS)).fetch_all(
        "shop.orders_since", SINCE
    )
    assert recorded.spans() == []


def test_opentelemetry_instrument_finds_the_instrumentor_by_its_entry_point() -> None:
    (entry,) = importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="pipereg")
    assert entry.load() is PipeRegInstrumentor
    assert PipeRegInstrumentor().instrumentation_dependencies() == ("pipereg >= 0.1",)


@pytest.mark.wire
def test_the_pymongo_command_span_nests_under_the_pipeline_span(
    telemetry: Telemetry, registry: Registry, wire_uri: str
) -> None:
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    # The pymongo instrumentation keeps the tracer of its first instrument() call, and its
    # listener sees only clients created afterwards: so one provider, and a new client.
    PymongoInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)
    try:
        client: Any = pymongo.MongoClient(wire_uri, tz_aware=True)
        try:
            database = client["otel_nesting"]
            PipelineDAO(database, registry).fetch_all("shop.orders_since", SINCE)
        finally:
            client.drop_database("otel_nesting")
            client.close()
    finally:
        PymongoInstrumentor().uninstrument()
    spans = telemetry.spans()
    (outer,) = [s for s in spans if s.name == "shop.orders_since"]
    (command,) = [s for s in spans if s.name == "otel_nesting.aggregate"]
    assert command.parent is not None
    assert outer.context is not None
    assert command.parent.span_id == outer.context.span_id
    assert command.context is not None
    assert command.context.trace_id == outer.context.trace_id
    assert command.kind is SpanKind.CLIENT
    assert outer.attributes is not None
    assert outer.attributes["db.namespace"] == "otel_nesting"
    assert outer.attributes["db.response.returned_rows"] == 0
