"""How ``pipereg run`` prints results (JSON, JSON Lines, a table) and says why there are none."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import click
from bson import ObjectId

from pipereg.cli.app import table
from pipereg.jsontext import extjson
from pipereg.messages import clip

FORMATS = ("json", "jsonl", "table")
_CELL = 40  # columns a nested value may take in a table cell


def print_results(
    results: Sequence[Mapping[str, Any]], output_format: str, canonical: bool
) -> None:
    """Print ``results``: a JSON array, one document per line (JSON Lines), or a table."""
    if output_format == "jsonl":
        for document in results:
            click.echo(extjson.dumps(document, canonical=canonical, indent=None))
    elif output_format == "table":
        if results:
            table(_rows(results))
    else:
        click.echo(extjson.dumps(list(results), canonical=canonical))


def _rows(results: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    # Columns: every top-level field, in the order first seen; a document without one shows "".
    columns = list(dict.fromkeys(key for document in results for key in document))
    rows = [columns]
    for document in results:
        rows.append([_cell(document[key]) if key in document else "" for key in columns])
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        utc = moment.astimezone(datetime.timezone.utc)
        text = utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    elif isinstance(value, ObjectId):
        text = str(value)
    elif value is None or isinstance(value, bool):
        text = "null" if value is None else str(value).lower()
    else:
        text = clip(extjson.dumps(value, indent=None), _CELL)
    # One line per document, whatever the strings hold.
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def empty_hint(
    collection: str | None, *, uri_names_database: bool | None, seeded: Sequence[str] | None
) -> str | None:
    """Why a run returned nothing, when the cause is likely the command line, or ``None``.

    Args:
        collection: The collection the pipeline reads (``None``: a database-level pipeline).
        uri_names_database: With ``--uri`` and no ``--db``: whether the URI names a database
            (``None`` when it does not apply).
        seeded: On the embedded engine, the collections ``--data`` seeded (``None`` on a server).
    """
    if uri_names_database is False:
        return (
            "no documents: the URI names no database, so database 'pipereg' was read; "
            "add /DBNAME to the URI or pass --db"
        )
    if seeded is not None and collection is not None and collection not in seeded:
        if not seeded:
            return (
                f"no documents: the embedded engine is empty; seed {collection!r} with "
                f"--data {collection}=FILE"
            )
        named = ", ".join(repr(name) for name in sorted(seeded))
        return (
            f"no documents: the pipeline reads collection {collection!r}, but --data seeded "
            f"{named}; pass --data {collection}=FILE (or a folder holding {collection}.json)"
        )
    return None
