"""``pipereg lint --uri``: what the server refuses, as located findings; nothing executed.

Against the in-process wire server (SecantusDB), or the MongoDB at ``PIPEREG_TEST_MONGODB_URI``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
from click.testing import CliRunner

from pipereg.cli import main

REJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
pytestmark = pytest.mark.wire


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("PIPEREG_TEST_MONGODB_URI")
    if given:
        yield given
        return
    from secantus import SecantusDBServer

    with SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("secantus"))) as server:
        yield server.uri


def _lint(root: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(main, ["--path", str(root), "lint", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout or "[]"), result.stderr


def test_every_pipeline_only_the_server_can_tell_is_refused_where_it_stands(uri: str) -> None:
    server = REJECTED / "server.json"
    names = json.loads(server.read_text(encoding="utf-8"))["pipelines"]
    status, findings, _ = _lint(REJECTED, "--uri", uri, str(server))
    assert status == 1
    assert {item["code"] for item in findings} == {"PR092"}
    refused = {str(item["json_path"]).split(".")[2] for item in findings}
    assert refused == set(names)
    assert all(
        item["line"] and "the server refuses server." in str(item["message"]) for item in findings
    )
    assert any("(code " in str(item["message"]) for item in findings)


def test_valid_pipelines_pass_and_write_stages_are_never_run(uri: str, tmp_path: Path) -> None:
    database = f"lint_{os.getpid()}"
    document = {
        "version": 1,
        "pipelines": {
            "archive": {
                "collection": "orders",
                "params": {"status": {"type": "string", "enum": ["paid", "open"]}},
                "stages": [{"$match": {"status": "<<status>>"}}, {"$out": "archived"}],
            },
            "literal": {
                "collection": None,
                "options": {"readConcern": {"level": "local"}, "comment": 7},
                "stages": [{"$documents": [{"x": 1}]}, {"$project": {"y": {"$add": ["$x", 1]}}}],
            },
            "top": {
                "collection": "orders",
                "params": {"n": {"type": "int", "minimum": 1}},
                "stages": [{"$sort": {"total": -1}}, {"$limit": "<<n>>"}],
            },
        },
    }
    (tmp_path / "shop.json").write_text(json.dumps(document), encoding="utf-8")
    status, findings, _ = _lint(tmp_path, "--uri", uri, "--db", database)
    assert (status, findings) == (0, [])
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(uri)
    try:
        assert "archived" not in client[database].list_collection_names()
    finally:
        client.drop_database(database)
        client.close()


def test_no_server_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        json.dumps(
            {"version": 1, "pipelines": {"p": {"collection": "c", "stages": [{"$limit": 1}]}}}
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "--path",
            str(tmp_path),
            "lint",
            "--uri",
            "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: --uri: no server answers")
    assert "Traceback" not in result.stderr
