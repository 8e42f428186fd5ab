"""Databases for the commands that execute: a server by ``--uri``, or the seeded embedded engine."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipereg import extjson
from pipereg.cli.app import InputError


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
        import mongomock  # noqa: PLC0415
    except ImportError as exc:
        raise InputError(
            "the embedded engine needs mongomock: pip install mongomock (or pass --uri)"
        ) from exc
    database: Any = mongomock.MongoClient(tz_aware=True)[db_name or "pipereg"]
    for collection, documents in _seed_data(data).items():
        if not collection or collection.startswith("$") or "\x00" in collection:
            raise InputError(f"--data: {collection!r} is not a collection name")
        if documents:
            try:
                database[collection].insert_many(documents)
            except Exception as exc:  # mongomock raises pymongo's errors (duplicate _id, ...)
                raise InputError(f"--data: cannot load collection {collection!r}: {exc}") from exc
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
