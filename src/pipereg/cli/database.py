"""Databases for the commands that execute: a server by ``--uri``, or the seeded embedded engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipereg.cli.app import InputError
from pipereg.errors import EngineError, Problem
from pipereg.jsontext import extjson
from pipereg.testing import embedded as engine
from pipereg.testing import seed_data


def connect(uri: str, db_name: str | None) -> Any:
    """The database a ``--uri`` names (its own, else ``db_name``, else ``pipereg``); fails fast."""
    import pymongo  # noqa: PLC0415
    from pymongo.errors import ConfigurationError, InvalidURI  # noqa: PLC0415

    # Fail in seconds when no server answers, unless the URI says otherwise.
    timeout: dict[str, Any] = {"serverSelectionTimeoutMS": 5000}
    if "serverselectiontimeoutms" in uri.lower():
        timeout = {}
    try:
        client: Any = pymongo.MongoClient(
            uri, tz_aware=True, tzinfo=extjson.CODEC_OPTIONS.tzinfo, **timeout
        )
    except (ConfigurationError, InvalidURI, ValueError) as exc:
        raise InputError(f"--uri: {exc}") from exc
    if db_name:
        return client[db_name]
    return client.get_default_database(default="pipereg")


def embedded(db_name: str | None, data: Sequence[str], max_bytes: int) -> Any:
    """A mongomock database seeded from ``--data`` specs (``COLLECTION=FILE`` or a folder)."""
    try:
        database = engine.database(db_name or "pipereg")
        engine.seed(database, _seed_data(data, max_bytes))
    except EngineError as exc:
        raise InputError(str(exc)) from exc
    except ValueError as exc:
        raise InputError(f"--data: {exc}") from exc
    return database


def _seed_data(specs: Sequence[str], limit: int) -> Mapping[str, list[dict[str, Any]]]:
    # The reader test cases use: strict JSON, a size limit, located problems.
    seeds: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for spec in specs:
        collection, sep, location = spec.partition("=")
        if sep:
            documents, trouble = seed_data.read_documents(Path(location), limit)
            seeds.setdefault(collection, []).extend(documents)
        elif Path(spec).is_dir():
            found, trouble = seed_data.read_folder(Path(spec), limit)
            for name, documents in found.items():
                seeds.setdefault(name, []).extend(documents)
        else:
            raise InputError(f"--data {spec!r}: expected COLLECTION=FILE or a folder")
        problems += trouble
    if problems:
        raise InputError("--data: " + "\n".join(str(problem) for problem in problems))
    return seeds
