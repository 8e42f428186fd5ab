"""Recorded operations attributed to pipelines (pipereg.explain.profile and .slowlog).

The log lines in ``tests/fixtures/profile/mongod.log`` follow MongoDB's documented structured
log format (4.4+): one JSON document per line, slow operations as ``"msg": "Slow query"``. The
profiler documents below have the documented ``system.profile`` shape.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from helpers import FIXTURES
from pipereg import Registry
from pipereg.explain.profile import Entry, Tag, from_profiler, read_tag, summarise
from pipereg.explain.slowlog import LogReading, read_log

LOG = FIXTURES / "profile" / "mongod.log"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_paths(FIXTURES / "dao")


def write_log(registry: Registry, folder: Path, name: str = "mongod.log") -> Path:
    """The sample log, its tags naming the current version and fingerprint of orders_since."""
    pipeline = registry.get("shop.orders_since")
    text = LOG.read_text(encoding="utf-8")
    text = text.replace("{version}", str(pipeline.version)).replace(
        "{fp}", pipeline.fingerprint[:12]
    )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("comment", "tag"),
    [
        ("pipereg:orders.daily@3 fp:207659c0601e", Tag("orders.daily", 3, "207659c0601e")),
        ("pipereg:orders.daily@3 fp:207659c0601e nightly", Tag("orders.daily", 3, "207659c0601e")),
        ("pipereg:orders.daily@3", Tag("orders.daily", 3, None)),  # the old form
        ("pipereg:billing.invoices.by-month@12 adhoc", Tag("billing.invoices.by-month", 12, None)),
        ("nightly job", None),
        ({"pipereg": "orders.daily@3"}, None),
        (None, None),
    ],
)
def test_read_tag_reads_both_tag_forms(comment: object, tag: Tag | None) -> None:
    assert read_tag(comment) == tag


def test_profiler_documents_of_the_documented_shape_become_entries() -> None:
    aggregate = {
        "op": "command",
        "ns": "shop.orders",
        "command": {
            "aggregate": "orders",
            "pipeline": [],
            "comment": "pipereg:a.b@1",
            "$db": "shop",
        },
        "keysExamined": 0,
        "docsExamined": 5,
        "nreturned": 2,
        "millis": 4,
        "planSummary": "COLLSCAN",
    }
    getmore = {
        "op": "getmore",
        "ns": "shop.orders",
        "command": {"getMore": 1, "collection": "orders"},
        "originatingCommand": {"aggregate": "orders", "comment": "pipereg:a.b@1"},
        "docsExamined": 3,
        "nreturned": 3,
        "millis": 1,
    }
    assert from_profiler(aggregate) == Entry("pipereg:a.b@1", 4.0, 5, 0, 2, "COLLSCAN")
    assert from_profiler(getmore) == Entry("pipereg:a.b@1", 1.0, 3, None, 3, None)
    # SecantusDB's profiler records no work counts and no plan: those stay unknown.
    assert from_profiler({"op": "command", "millis": "fast"}) == Entry(None, 0.0)


def test_the_log_reader_keeps_slow_queries_and_counts_lines_that_are_not_json(
    registry: Registry, tmp_path: Path
) -> None:
    path = write_log(registry, tmp_path)
    with path.open("a", encoding="utf-8") as log:
        log.write('{"t": "torn line\n\n')
    reading = LogReading()
    entries = list(read_log(path, reading))
    assert len(entries) == 7  # the connection message is not a slow query
    assert reading.lines == 9
    assert reading.not_json == 1
    first = entries[0]
    assert first.duration_ms == 300
    assert (first.docs_examined, first.keys_examined, first.returned) == (1000, 0, 10)
    assert first.plan == "COLLSCAN"
    assert read_tag(entries[2].comment) == read_tag(entries[1].comment)  # getMore: its aggregate


def test_gzip_logs_are_read_as_they_are(registry: Registry, tmp_path: Path) -> None:
    plain = write_log(registry, tmp_path)
    packed = tmp_path / "mongod.log.1.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(read_log(packed)) == list(read_log(plain))


def test_entries_are_summed_per_key_and_version_and_attributed_to_the_tree(
    registry: Registry, tmp_path: Path
) -> None:
    pipelines = {p.key: p for p in registry}
    report = summarise(read_log(write_log(registry, tmp_path)), pipelines, {"shop.orders_since": 7})
    document = report.to_json()
    version = registry.get("shop.orders_since").version
    assert [(p["key"], p["version"]) for p in document["pipelines"]] == [
        ("shop.orders_since", version),  # 600 ms in all: most total time first
        ("shop.over_threshold", 1),
        ("shop.retired", 2),
    ]
    since, threshold, retired = document["pipelines"]
    assert since == {
        "key": "shop.orders_since",
        "version": version,
        "count": 3,
        "total_ms": 600,
        "p50_ms": 200,
        "p95_ms": 300,
        "max_ms": 300,
        "docs_examined": 1025,
        "keys_examined": 25,
        "returned": 25,
        "plans": ["COLLSCAN", "IXSCAN { status: 1, created_at: 1 }"],
        "collscan": True,
        "file": registry.get("shop.orders_since").path,
        "line": 7,
        "stale": False,
    }
    assert threshold["stale"] is True  # fingerprint 000000000000 is not the file's
    assert threshold["line"] is None  # not located: the caller gave no line for it
    assert threshold["collscan"] is False
    assert (retired["file"], retired["line"], retired["stale"]) == (None, None, True)
    assert document["untagged"] == {"count": 2, "total_ms": 211}


def test_an_old_tag_is_stale_only_when_its_version_is_not_the_current_one(
    registry: Registry,
) -> None:
    pipelines = {p.key: p for p in registry}
    current = registry.get("shop.tagged")
    entries = [
        Entry(f"pipereg:shop.tagged@{current.version}", 5.0),
        Entry(f"pipereg:shop.tagged@{current.version - 1}", 5.0),
    ]
    report = summarise(entries, pipelines, {})
    assert {(s.version, s.stale) for s in report.pipelines} == {
        (current.version, False),
        (current.version - 1, True),
    }
