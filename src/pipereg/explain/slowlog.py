"""mongod's structured log (MongoDB 4.4+): its "Slow query" entries, as profile entries.

Each line of the log is one JSON document (``{"t": ..., "s": "I", "c": "COMMAND", "id": 51803,
"msg": "Slow query", "attr": {...}}``). A slow operation's ``attr`` holds the command (whose
``comment`` carries the pipereg tag; a ``getMore`` has its aggregate's in
``originatingCommand``), ``durationMillis``, ``docsExamined``, ``keysExamined``, ``nreturned``
and ``planSummary``. Other messages are skipped; a line that is not JSON is counted, so a caller
can tell a pre-4.4 text log from a log with a torn last line. gzip files (rotated logs) are
read as they are.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipereg.explain.profile import Entry, comment_of, finite_number, plan_summary, whole_count

SLOW_QUERY = "Slow query"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class LogReading:
    """What reading one log found: lines read, and how many were not JSON."""

    lines: int = 0
    not_json: int = 0


def read_log(path: str | Path, reading: LogReading | None = None) -> Iterator[Entry]:
    """The "Slow query" entries of a mongod JSON log file, plain or gzip.

    Args:
        path: The log file.
        reading: Filled in with the count of lines read and of lines that are not JSON.

    Raises:
        OSError: the file cannot be read (also a gzip file that is not whole).
    """
    reading = reading if reading is not None else LogReading()
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    if compressed:
        with gzip.open(path, "rb") as unpacked:
            yield from _entries(unpacked, reading)
    else:
        with open(path, "rb") as plain:
            yield from _entries(plain, reading)


def _entries(lines: Iterable[bytes], reading: LogReading) -> Iterator[Entry]:
    for line in lines:
        if not line.strip():
            continue
        reading.lines += 1
        try:
            record = json.loads(line)
        except ValueError:
            reading.not_json += 1
            continue
        entry = from_log_record(record)
        if entry is not None:
            yield entry


def from_log_record(record: Any) -> Entry | None:
    """A profile entry from one parsed log line, or None if it is not a slow operation."""
    if not isinstance(record, dict) or record.get("msg") != SLOW_QUERY:
        return None
    attr = record.get("attr")
    if not isinstance(attr, dict):
        return None
    return Entry(
        comment=comment_of(attr),
        duration_ms=finite_number(attr.get("durationMillis")) or 0.0,
        docs_examined=whole_count(attr.get("docsExamined")),
        keys_examined=whole_count(attr.get("keysExamined")),
        returned=whole_count(attr.get("nreturned")),
        plan=plan_summary(attr.get("planSummary")),
    )
