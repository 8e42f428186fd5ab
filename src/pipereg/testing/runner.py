"""Running test cases: a fresh database per case, seeded, the pipeline run, the results compared.

Two engines: :class:`EmbeddedEngine` (mongomock in memory) and :class:`ServerEngine` (a MongoDB
server by URI). A server engine gives each case a database of its own, named
``<prefix>_<random>``, checks that no such database exists before writing to it, and drops it
afterwards: it never writes to, nor drops, a database it did not create. A case whose pipeline
names another database in ``$out`` or ``$merge`` (``{"$out": {"db": "prod", "coll": "x"}}``), at
any depth, is refused before anything runs, on every engine, so that a case passing on the
embedded engine cannot write to a server's other databases.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pipereg.dao import PipelineDAO
from pipereg.errors import EngineError
from pipereg.jsontext import extjson
from pipereg.messages import driver_error
from pipereg.registry import Registry
from pipereg.testing import embedded
from pipereg.testing import results as compare
from pipereg.testing.cases import Case

DEFAULT_PREFIX = "pipereg_test"
# MongoDB's rules for database names (the stricter Windows set, so a prefix works on any
# server): none of these characters, and fewer than 64 bytes in all. A case database is
# "<prefix>_" and 12 hex digits.
_FORBIDDEN = '/\\. "$*<>:|?\0'
_MAX_PREFIX_BYTES = 63 - 13


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot start a database name, or ``None`` if it can."""
    bad = sorted({char for char in prefix if char in _FORBIDDEN})
    if bad:
        shown = " ".join(repr(char) for char in bad)
        return f"database names cannot hold {shown}"
    size = len(prefix.encode("utf-8"))
    if size > _MAX_PREFIX_BYTES:
        return (
            f"{size} bytes is too long: a database name is under 64 bytes, so the prefix "
            f"(before _ and 12 random characters) may have {_MAX_PREFIX_BYTES}"
        )
    return None


class Status(enum.Enum):
    """How a case ended."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    UNSUPPORTED = "unsupported"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    """A case's status, and what to tell: the difference, the skip reason, the error.

    ``actual`` holds the results the pipeline returned, when it ran (``PASS`` and ``FAIL``).
    """

    case: Case
    status: Status
    detail: str = ""
    actual: tuple[Any, ...] | None = None


class Engine(Protocol):
    """Where cases run: ``open()`` gives a fresh, empty database for one case."""

    @property
    def embedded(self) -> bool:
        """Whether this is the embedded engine (mongomock), with its limits."""

    def open(self) -> AbstractContextManager[Any]:
        """A context manager yielding a fresh database, disposed of afterwards."""


class EmbeddedEngine:
    """mongomock: each case gets a database of its own in memory."""

    embedded = True

    def __init__(self) -> None:
        embedded.database()  # fail now, once, if mongomock is missing

    @contextmanager
    def open(self) -> Iterator[Any]:
        """A fresh mongomock database."""
        yield embedded.database(f"{DEFAULT_PREFIX}_{uuid.uuid4().hex[:12]}")


class ServerEngine:
    """A MongoDB server: each case gets a new database, dropped afterwards."""

    embedded = False

    def __init__(self, uri: str, prefix: str = DEFAULT_PREFIX, **client_options: Any) -> None:
        """Connect to ``uri`` (failing in 5 s if no server answers, unless the URI says).

        Raises:
            EngineError: the prefix cannot start a database name (checked first), the URI
                is not valid, or no server answers it.
        """
        problem = prefix_problem(prefix)
        if problem is not None:
            raise EngineError(f"database prefix {prefix!r}: {problem}")
        import pymongo  # noqa: PLC0415 - only the server engine needs the driver's client
        from pymongo.errors import PyMongoError  # noqa: PLC0415

        self.prefix = prefix
        options: dict[str, Any] = {"serverSelectionTimeoutMS": 5000}
        if "serverselectiontimeoutms" in uri.lower():
            options = {}
        options.update(client_options)
        try:
            self.client: Any = pymongo.MongoClient(
                uri, tz_aware=True, tzinfo=extjson.CODEC_OPTIONS.tzinfo, **options
            )
        except (PyMongoError, ValueError) as exc:
            raise EngineError(f"cannot use the server: {exc}") from exc
        try:
            self.client.admin.command("ping")
        except PyMongoError as exc:
            self.client.close()
            raise EngineError(f"cannot use the server: {exc}") from exc

    @contextmanager
    def open(self) -> Iterator[Any]:
        """A new database named ``<prefix>_<random>``; refused if it exists; dropped after."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        if name in self.client.list_database_names():
            raise EngineError(f"database {name!r} already exists; not touching it")
        try:
            yield self.client[name]
        finally:
            self.client.drop_database(name)

    def close(self) -> None:
        """Close the client."""
        self.client.close()


def run_case(
    case: Case, registry: Registry, engine: Engine, *, hint: str = embedded.HINT
) -> Outcome:
    """Run one case on a fresh database of ``engine`` and compare its results with the expected.

    Never raises for what a case does: a failure to seed or run is an ``ERROR`` outcome, and a
    stage or operator the embedded engine lacks is ``UNSUPPORTED``, its detail ending with
    ``hint``: how to run on a server, in the caller's words (the CLI's ``--uri`` by default).
    """
    if case.skip is not None:
        return Outcome(case, Status.SKIP, case.skip)
    stages, _ = registry.get(case.key).prepare(case.params)
    refused = foreign_write(stages)
    if refused is not None:
        return Outcome(case, Status.ERROR, refused)
    if engine.embedded:
        missing = embedded.unsupported(stages)
        if missing:
            return _unsupported(case, [item.feature for item in missing], hint)
    try:
        with engine.open() as database:
            return _run(case, registry, database, engine.embedded, hint)
    except Exception as exc:  # the engine's own database could not be made or dropped
        return Outcome(case, Status.ERROR, f"database for the case: {driver_error(exc)}")


def _run(case: Case, registry: Registry, database: Any, on_embedded: bool, hint: str) -> Outcome:
    try:
        embedded.seed(database, case.data)
    except ValueError as exc:
        return Outcome(case, Status.ERROR, f"cannot seed the database: {exc}")
    try:
        results = PipelineDAO(database, registry).fetch_all(case.key, case.params)
    except Exception as exc:  # a driver or engine error: reported, with the DAO's note
        feature = embedded.unsupported_error(exc) if on_embedded else None
        if feature is not None:
            return _unsupported(case, [feature], hint)
        return Outcome(case, Status.ERROR, driver_error(exc))
    difference = compare.difference(case.expect, results, case.order)
    if difference is None:
        return Outcome(case, Status.PASS, actual=tuple(results))
    return Outcome(case, Status.FAIL, difference, tuple(results))


def foreign_write(stages: Any, at: str = "stages") -> str | None:
    """Why a case may not run ``stages``: an ``$out`` or ``$merge`` naming a database; else None.

    Any depth counts (``$facet``, ``$lookup`` and ``$unionWith`` sub-pipelines), whether the server
    would accept the stage there or not: refusing costs nothing, and a write is never risked.
    """
    if isinstance(stages, list):
        for index, item in enumerate(stages):
            found = foreign_write(item, f"{at}[{index}]")
            if found:
                return found
    elif isinstance(stages, dict):
        for key, value in stages.items():
            target = _target_database(key, value)
            if target is not None:
                return (
                    f"refused: {key} at {at} writes to database {target!r}; a case may write "
                    f"only to its own database (name the collection alone: "
                    f'{{"{key}": "collection"}})'
                )
            found = foreign_write(value, f"{at}.{key}")
            if found:
                return found
    return None


def _target_database(key: str, value: Any) -> Any:
    if key == "$out" and isinstance(value, dict) and "db" in value:
        return value["db"]
    if key == "$merge" and isinstance(value, dict):
        into = value.get("into")
        if isinstance(into, dict) and "db" in into:
            return into["db"]
    return None


def _unsupported(case: Case, features: list[str], hint: str) -> Outcome:
    return Outcome(case, Status.UNSUPPORTED, embedded.describe(features, hint))
