"""Test cases on a server: ``pipereg test --uri``, the plugin's ``--pipereg-uri``, and the server
engine's databases (pipereg.runner.ServerEngine), on the in-process wire server (or
``PIPEREG_TEST_MONGODB_URI``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pymongo import MongoClient

from helpers import REPO, WriteTree, pipeline_file
from pipereg.cli import main
from pipereg.errors import EngineError
from pipereg.testing.runner import ServerEngine

pytestmark = pytest.mark.wire
pytest_plugins = ["pytester"]

SHOP = pipeline_file(
    {
        "all_orders": {
            "collection": "orders",
            "stages": [{"$unionWith": "archive"}, {"$project": {"_id": 0, "no": 1}}],
        }
    }
)
CASES = {
    "data": {"orders": [{"no": 1}, {"no": 2}], "archive": [{"no": 7}]},
    "cases": {
        "union": {
            "pipeline": "all_orders",
            "order": "unordered",
            "expect": [{"no": 7}, {"no": 1}, {"no": 2}],
        },
        "wrong": {"pipeline": "all_orders", "order": "unordered", "expect": [{"no": 1}]},
    },
}


@pytest.fixture
def client(wire_uri: str) -> Iterator[MongoClient[dict[str, Any]]]:
    with MongoClient(wire_uri) as opened:
        yield opened


def databases(client: MongoClient[dict[str, Any]], prefix: str) -> list[str]:
    return [name for name in client.list_database_names() if name.startswith(prefix)]


def test_pipereg_test_uri_runs_what_the_embedded_engine_cannot(
    write_tree: WriteTree, wire_uri: str, client: MongoClient[dict[str, Any]]
) -> None:
    root = write_tree({"shop.json": SHOP, "shop.test.json": CASES})
    embedded = CliRunner().invoke(main, ["--path", str(root), "test"])
    assert embedded.exit_code == 0, embedded.output
    assert "2 unsupported" in embedded.stdout

    prefix = f"casewire{uuid.uuid4().hex[:6]}"
    args = ["--path", str(root), "test", "--uri", wire_uri, "--db-prefix", prefix]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS        ")
    assert lines[1].startswith("FAIL        ")
    assert lines[2:5] == [
        "    expected 1 document in any order, got 3 documents",
        "    unexpected (2):",
        '      {"no": 2}',
    ]
    assert lines[-1].startswith("2 cases on the server: 1 passed, 1 failed in ")
    assert databases(client, prefix) == []


def test_the_server_engine_never_touches_an_existing_database(
    wire_uri: str, client: MongoClient[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"casewire{uuid.uuid4().hex[:6]}"
    fixed = uuid.UUID(int=7)
    name = f"{prefix}_{fixed.hex[:12]}"
    client[name]["keep"].insert_one({"_id": 1, "precious": True})
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    engine = ServerEngine(wire_uri, prefix)
    try:
        with pytest.raises(EngineError, match="already exists; not touching it"), engine.open():
            pass  # pragma: no cover - never entered
        assert list(client[name]["keep"].find()) == [{"_id": 1, "precious": True}]
    finally:
        engine.close()
        client.drop_database(name)


def test_the_server_engine_drops_its_database_even_after_an_error(
    wire_uri: str, client: MongoClient[dict[str, Any]]
) -> None:
    prefix = f"casewire{uuid.uuid4().hex[:6]}"
    engine = ServerEngine(wire_uri, prefix)
    seen: list[str] = []

    def fail_inside() -> None:
        with engine.open() as database:
            database["c"].insert_one({"_id": 1})
            seen.extend(databases(client, prefix))
            raise RuntimeError

    try:
        with pytest.raises(RuntimeError):
            fail_inside()
    finally:
        engine.close()
    assert len(seen) == 1
    assert databases(client, prefix) == []


def test_the_plugin_runs_cases_on_the_server(
    pytester: pytest.Pytester, wire_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEREG_TEST_MONGODB_URI", raising=False)
    pytester.makefile(".ini", pytest="[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for relative, document in (("pipelines/shop.json", SHOP), ("pipelines/shop.test.json", CASES)):
        path: Path = pytester.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
    options = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "pipelines")
    result = pytester.runpytest(*options)
    result.assert_outcomes(skipped=2)
    result = pytester.runpytest(*options, "--pipereg-uri", wire_uri)
    result.assert_outcomes(passed=1, failed=1)
    monkeypatch.setenv("PIPEREG_TEST_MONGODB_URI", wire_uri)
    result = pytester.runpytest(*options)
    result.assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize(
    "stage",
    [
        {"$out": {"db": "TARGET", "coll": "copy"}},
        {"$merge": {"into": {"db": "TARGET", "coll": "copy"}}},
    ],
)
def test_a_case_never_writes_outside_its_database(
    write_tree: WriteTree,
    wire_uri: str,
    client: MongoClient[dict[str, Any]],
    stage: dict[str, Any],
) -> None:
    target = f"prodlike{uuid.uuid4().hex[:6]}"
    written = json.loads(json.dumps(stage).replace("TARGET", target))
    pipelines = pipeline_file({"copy": {"collection": "orders", "stages": [written]}})
    case = {"pipeline": "copy", "data": {"orders": [{"no": 1}]}, "expect": []}
    cases = {"cases": {"copies": case}}
    root = write_tree({"shop.json": pipelines, "shop.test.json": cases})
    args = ["--path", str(root), "test", "--uri", wire_uri]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].startswith("ERROR       ")
    assert f"writes to database '{target}'; a case may write only to its own" in result.stdout
    assert target not in client.list_database_names()


def test_the_documented_conftest_recipe_runs_the_cases_on_a_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_docs import blocks

    (recipe,) = [
        block
        for block in blocks(REPO / "docs" / "testing.md")
        if block.marker and "test_cases_wire.py" in block.marker[1]
    ]
    monkeypatch.delenv("PIPEREG_TEST_MONGODB_URI", raising=False)
    pytester.makefile(".ini", pytest="[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(recipe.text)
    for relative, document in (("pipelines/shop.json", SHOP), ("pipelines/shop.test.json", CASES)):
        path: Path = pytester.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    # $unionWith, which the embedded engine skips, ran: the server answered both cases.
    result.assert_outcomes(passed=1, failed=1)
