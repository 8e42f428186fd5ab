"""Database-level pipelines (``"collection": null``) run as ``db.aggregate``, on every driver."""

from __future__ import annotations

import json
from pathlib import Path

import pymongo
import pytest

from pipereg import PipelineDAO, Registry
from pipereg.errors import EngineError

DOCUMENT = {
    "version": 1,
    "pipelines": {
        "numbers": {
            "collection": None,
            "params": {"n": {"type": "int", "minimum": 1}},
            "stages": [{"$documents": [{"x": 1}, {"x": 2}, {"x": 3}]}, {"$limit": "<<n>>"}],
            "options": {"comment": "<<n>>"},
        }
    },
}


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    (tmp_path / "db.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return Registry.from_paths(tmp_path)


@pytest.mark.wire
def test_a_database_level_pipeline_runs_on_the_database(registry: Registry, wire_uri: str) -> None:
    assert registry.get("db.numbers").collection is None
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(wire_uri)
    try:
        rows = PipelineDAO(client["lint_db_level"], registry).fetch_all("db.numbers", {"n": 2})
    finally:
        client.close()
    assert [{"x": row["x"]} for row in rows] == [{"x": 1}, {"x": 2}]


def test_the_embedded_engine_says_it_cannot_run_one(registry: Registry) -> None:
    mongomock = pytest.importorskip("mongomock")
    dao = PipelineDAO(mongomock.MongoClient()["shop"], registry)
    with pytest.raises(EngineError, match="cannot run a database-level pipeline"):
        dao.fetch_all("db.numbers", {"n": 1})


def test_list_and_show_say_it_runs_on_the_database(registry: Registry, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipereg.cli import main

    listed = CliRunner().invoke(main, ["--path", str(tmp_path), "list"])
    assert "db.numbers  (database)" in listed.stdout
    shown = CliRunner().invoke(main, ["--path", str(tmp_path), "show", "db.numbers"])
    assert "collection: none (database-level: db.aggregate)" in shown.stdout
