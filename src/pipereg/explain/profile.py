"""What MongoDB recorded, attributed to pipelines: entries read by their tag, summed per version.

The DAO starts every command's ``comment`` with the pipeline's tag, ``pipereg:<key>@<version>
fp:<12 hex>`` (older pipereg wrote ``pipereg:<key>@<version>`` alone; both are read). A
profiler document (``system.profile``, :func:`from_profiler`) or a slow-query log entry
(:mod:`pipereg.explain.slowlog`) becomes an :class:`Entry`; :func:`summarise` groups entries by
key and version into :class:`PipelineStats`, with the pipeline's file and line in the current
tree and whether the tag is stale (its fingerprint, or for an old tag its version, is not the
current pipeline's). Entries without a tag are counted together as "untagged". Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipereg.pipeline import Pipeline

TAG = re.compile(
    r"pipereg:(?P<key>[A-Za-z0-9_][A-Za-z0-9_.-]*)@(?P<version>[0-9]+)"
    r"(?: fp:(?P<fp>[0-9a-f]{6,64}))?"
)


@dataclass(frozen=True)
class Tag:
    """A pipeline's tag read from a command's comment; ``fingerprint`` is a hex prefix or None."""

    key: str
    version: int
    fingerprint: str | None


def read_tag(comment: Any) -> Tag | None:
    """The pipereg tag in a command's ``comment``, or None (no comment, another comment)."""
    if not isinstance(comment, str):
        return None
    match = TAG.search(comment)
    if match is None:
        return None
    return Tag(match["key"], int(match["version"]), match["fp"])


@dataclass(frozen=True)
class Entry:
    """One operation the server recorded: its comment, duration and work, as far as known."""

    comment: Any
    duration_ms: float
    docs_examined: int | None = None
    keys_examined: int | None = None
    returned: int | None = None
    plan: str | None = None


def from_profiler(document: Mapping[str, Any]) -> Entry:
    """An entry from a ``system.profile`` document (MongoDB's documented profiler output).

    A ``getMore`` carries its aggregate's comment in ``originatingCommand``.
    """
    return Entry(
        comment=comment_of(document),
        duration_ms=finite_number(document.get("millis")) or 0.0,
        docs_examined=whole_count(document.get("docsExamined")),
        keys_examined=whole_count(document.get("keysExamined")),
        returned=whole_count(document.get("nreturned")),
        plan=plan_summary(document.get("planSummary")),
    )


def comment_of(record: Mapping[str, Any]) -> Any:
    """The ``comment`` of a recorded operation's command, or of the command a getMore continues."""
    for name in ("command", "originatingCommand"):
        command = record.get(name)
        if isinstance(command, Mapping) and "comment" in command:
            return command["comment"]
    return None


def finite_number(value: Any) -> float | None:
    """A recorded number as a float; None for anything else (a missing field, a string, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def whole_count(value: Any) -> int | None:
    """A recorded count as an int, or None."""
    number = finite_number(value)
    return None if number is None else int(number)


def plan_summary(value: Any) -> str | None:
    """A recorded ``planSummary`` (``IXSCAN { status: 1 }``, ``COLLSCAN``), or None."""
    return value if isinstance(value, str) and value else None


@dataclass
class PipelineStats:
    """What one pipeline version cost, over every entry tagged with it."""

    key: str
    version: int
    durations: list[float] = field(default_factory=list)
    docs_examined: int = 0
    keys_examined: int = 0
    returned: int = 0
    plans: list[str] = field(default_factory=list)
    fingerprints: set[str] = field(default_factory=set)
    file: str | None = None
    line: int | None = None
    stale: bool = False

    @property
    def count(self) -> int:
        """Entries recorded."""
        return len(self.durations)

    @property
    def total_ms(self) -> float:
        """Their total duration."""
        return sum(self.durations)

    @property
    def collscan(self) -> bool:
        """Whether any entry's plan scanned the whole collection."""
        return any("COLLSCAN" in plan for plan in self.plans)

    def percentile(self, rank: float) -> float:
        """The nearest-rank percentile of the durations (``rank`` from 0 to 100)."""
        ordered = sorted(self.durations)
        index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
        return ordered[index]

    def to_json(self) -> dict[str, Any]:
        """The JSON form ``pipereg profile --format json`` prints for this pipeline version."""
        return {
            "key": self.key,
            "version": self.version,
            "count": self.count,
            "total_ms": _ms(self.total_ms),
            "p50_ms": _ms(self.percentile(50)),
            "p95_ms": _ms(self.percentile(95)),
            "max_ms": _ms(max(self.durations)),
            "docs_examined": self.docs_examined,
            "keys_examined": self.keys_examined,
            "returned": self.returned,
            "plans": self.plans,
            "collscan": self.collscan,
            "file": self.file,
            "line": self.line,
            "stale": self.stale,
        }


def _ms(value: float) -> float | int:
    return int(value) if value == int(value) else round(value, 3)


@dataclass
class Report:
    """Every tagged pipeline version, most total time first, and the untagged remainder."""

    pipelines: list[PipelineStats]
    untagged_count: int = 0
    untagged_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """``{"pipelines": [...], "untagged": {"count": N, "total_ms": T}}``."""
        return {
            "pipelines": [stats.to_json() for stats in self.pipelines],
            "untagged": {"count": self.untagged_count, "total_ms": _ms(self.untagged_ms)},
        }


def summarise(
    entries: Iterable[Entry], current: Mapping[str, Pipeline], lines: Mapping[str, int]
) -> Report:
    """Group entries by tag, and attribute each group to the current tree.

    Args:
        entries: What the server recorded.
        current: The pipelines in the current tree, by key.
        lines: The line of each pipeline in its file, by key, where known.
    """
    groups: dict[tuple[str, int], PipelineStats] = {}
    report = Report([])
    for entry in entries:
        tag = read_tag(entry.comment)
        if tag is None:
            report.untagged_count += 1
            report.untagged_ms += entry.duration_ms
            continue
        stats = groups.get((tag.key, tag.version))
        if stats is None:
            stats = groups[tag.key, tag.version] = PipelineStats(tag.key, tag.version)
        stats.durations.append(entry.duration_ms)
        stats.docs_examined += entry.docs_examined or 0
        stats.keys_examined += entry.keys_examined or 0
        stats.returned += entry.returned or 0
        if entry.plan is not None and entry.plan not in stats.plans:
            stats.plans.append(entry.plan)
        if tag.fingerprint is not None:
            stats.fingerprints.add(tag.fingerprint)
    for stats in groups.values():
        pipeline = current.get(stats.key)
        if pipeline is None:
            stats.stale = True  # the key is gone from the tree: nothing there matches the tag
            continue
        stats.file = pipeline.path
        stats.line = lines.get(stats.key)
        if stats.fingerprints:
            stats.stale = any(not pipeline.fingerprint.startswith(f) for f in stats.fingerprints)
        else:  # an old tag, without a fingerprint: only the version can tell
            stats.stale = stats.version != pipeline.version
    report.pipelines = sorted(groups.values(), key=lambda s: (-s.total_ms, s.key, s.version))
    return report
