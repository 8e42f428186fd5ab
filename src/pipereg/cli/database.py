"""Databases for the commands that execute: a server by ``--uri``, or the seeded embedded engine."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipereg.cli.app import InputError
from pipereg.errors import EngineError
from pipereg.jsontext import extjson
from pipereg.testing import embedded as engine


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


def embedded(db_name: str | None, data: Sequence[str]) -> Any:
    """A mongomock database seeded from ``--data`` specs (``COLLECTION=FILE`` or a folder)."""
    try:
        database = engine.database(db_name or "pipereg")
        engine.seed(database, _seed_data(data))
    except EngineError as exc:
        raise InputError(str(exc)) from exc
    except ValueError as exc:
        raise InputError(f"--data: {exc}") from exc
    return database


def _seed_data(specs: Sequence[str]) -> Mapping[str, list[dict[str, Any]]]:
    seeds: dict[str, list[dict[str, Any]]] = {}
    for spec in specs:
        collection, sep, location = spec.partition("=")
        if sep:
            seeds.setdefault(collection, []).extend(_documents(Path(location)))
        elif Path(spec).is_dir():
            for file in sorted(Path(spec).glob("*.json")):
                seeds.setdefault(file.stem, []).extend(_documents(file))
        else:
            raise InputError(f"--data {spec!r}: expected COLLECTION=FILE or a folder")
    return seeds


def _documents(file: Path) -> list[dict[str, Any]]:
    try:
        loaded = extjson.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--data {os.fspath(file)}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"--data {os.fspath(file)}: not valid JSON: {exc}") from exc
    if not isinstance(loaded, list) or not all(isinstance(doc, dict) for doc in loaded):
        raise InputError(f"--data {os.fspath(file)}: expected a JSON array of documents")
    return loaded
