"""``pipereg run`` as people use it: output formats, hints when nothing comes back, clean driver
errors, and shell completion of keys and parameters (pipereg.cli.run, results, completion)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mongomock
import pymongo
import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner, Result

from helpers import WriteTree, pipeline_file
from pipereg.cli import main
from pipereg.dao import PipelineDAO

SHOP = pipeline_file(
    {
        "paid": {
            "collection": "orders",
            "params": {
                "min": {"type": "int", "default": 0},
                "status": {"type": "string", "default": "paid"},
            },
            "stages": [
                {"$match": {"status": "<<status>>", "qty": {"$gte": "<<min>>"}}},
                {"$sort": {"no": 1}},
                {"$project": {"_id": 0, "no": 1, "qty": 1, "at": 1, "note": 1}},
            ],
        },
        "counted": {"collection": "orders", "stages": [{"$count": "n"}]},
    }
)
ORDERS = [
    {"no": 1, "status": "paid", "qty": 2, "at": {"$date": "2024-03-01T09:00:00Z"}},
    {"no": 2, "status": "paid", "qty": 5, "note": "two\nlines"},
]


@pytest.fixture
def root(write_tree: WriteTree) -> Path:
    return write_tree({"pipelines/shop.json": SHOP, "data/orders.json": ORDERS}) / "pipelines"


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--path", str(root), *args])


def seeded(root: Path, *args: str) -> Result:
    data = root.parent / "data" / "orders.json"
    return invoke(root, "run", "shop.paid", "--data", f"orders={data}", *args)


def test_jsonl_is_one_compact_document_per_line(root: Path) -> None:
    result = seeded(root, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["no"] for line in lines] == [1, 2]
    assert json.loads(lines[0])["at"] == {"$date": "2024-03-01T09:00:00Z"}


def test_json_stays_the_default(root: Path) -> None:
    assert [row["no"] for row in json.loads(seeded(root).stdout)] == [1, 2]


def test_table_has_a_column_per_field_and_a_line_per_document(root: Path) -> None:
    result = seeded(root, "--format", "table")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "no  qty  at                        note",
        "1   2    2024-03-01T09:00:00.000Z",
        "2   5                              two\\nlines",
    ]


def test_table_and_canonical_do_not_mix(root: Path) -> None:
    result = seeded(root, "--format", "table", "--canonical")
    assert result.exit_code == 2
    assert "--canonical applies to --format json and jsonl" in result.stderr


def test_no_data_for_the_pipelines_collection_is_hinted(root: Path) -> None:
    data = root.parent / "data" / "orders.json"
    result = invoke(root, "run", "shop.paid", "--data", f"order={data}")
    assert result.exit_code == 0
    assert result.stdout == "[]\n"
    assert result.stderr == (
        "pipereg: no documents: the pipeline reads collection 'orders', but --data seeded "
        "'order'; pass --data orders=FILE (or a folder holding orders.json)\n"
    )
    empty = invoke(root, "run", "shop.paid")
    assert "the embedded engine is empty; seed 'orders' with --data orders=FILE" in empty.stderr


def test_no_hint_when_the_data_is_right_and_nothing_matches(root: Path) -> None:
    result = seeded(root, "-p", "min=99")
    assert result.stdout == "[]\n"
    assert result.stderr == ""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> mongomock.MongoClient[Any]:
    """``--uri`` served by one shared mongomock client, so a test can seed what run reads."""
    client: mongomock.MongoClient[Any] = mongomock.MongoClient()

    def connect(uri: str, **options: Any) -> Any:
        shared: Any = mongomock.MongoClient(uri)
        shared._store = client._store
        return shared

    monkeypatch.setattr(pymongo, "MongoClient", connect)
    return client


def test_a_uri_naming_no_database_is_hinted(root: Path, server: Any) -> None:
    server["shop"]["orders"].insert_one({"no": 1, "status": "paid", "qty": 1})
    bare = invoke(root, "run", "shop.paid", "--uri", "mongodb://db.example")
    assert bare.stdout == "[]\n"
    assert "the URI names no database, so database 'pipereg' was read" in bare.stderr
    named = invoke(root, "run", "shop.paid", "--uri", "mongodb://db.example/shop")
    assert [row["no"] for row in json.loads(named.stdout)] == [1]
    assert named.stderr == ""
    chosen = invoke(root, "run", "shop.paid", "--uri", "mongodb://db.example", "--db", "other")
    assert chosen.stderr == ""


def test_count_over_nothing_returns_nothing_as_on_mongodb(root: Path) -> None:
    result = invoke(
        root, "run", "shop.counted", "--data", f"orders={root.parent / 'data' / 'orders.json'}"
    )
    assert json.loads(result.stdout) == [{"n": 2}]
    empty = root.parent / "data" / "none.json"
    empty.write_text("[]", encoding="utf-8")
    result = invoke(root, "run", "shop.counted", "--data", f"orders={empty}")
    assert result.stdout == "[]\n"
    assert result.stderr == ""  # orders was given, empty: no hint about --data


REPLY = {
    "ok": 0.0,
    "errmsg": "PlanExecutor error during aggregation",
    "code": 292,
    "codeName": "QueryExceededMemoryLimitNoDiskUseAllowed",
    "$clusterTime": {"clusterTime": 7, "signature": {"hash": b"\x01" * 20, "keyId": 42}},
    "operationTime": 7,
}
CLEAN = (
    "pipereg: OperationFailure: PlanExecutor error during aggregation "
    "(code 292, QueryExceededMemoryLimitNoDiskUseAllowed)"
)


def fail(*args: Any, **kwargs: Any) -> Any:
    raise pymongo.errors.OperationFailure(str(REPLY["errmsg"]), 292, REPLY)


def test_driver_errors_leave_the_servers_reply_out(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PipelineDAO, "fetch_all", fail)
    result = seeded(root)
    assert result.exit_code == 1
    assert result.stderr == CLEAN + "\n"


def test_explain_driver_errors_leave_the_servers_reply_out(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipereg.explain.server

    monkeypatch.setattr(pipereg.explain.server, "explain_call", fail)
    result = invoke(root, "explain", "shop.paid", "--uri", "mongodb://db.example/shop")
    assert result.exit_code == 1
    assert result.stderr == CLEAN + "\n"


def complete(root: Path, args: list[str], incomplete: str) -> list[tuple[str, str | None]]:
    completer = ShellComplete(main, {}, "pipereg", "_PIPEREG_COMPLETE")
    items = completer.get_completions(["--path", str(root), *args], incomplete)
    return [(item.value, item.help) for item in items]


def test_commands_complete(root: Path) -> None:
    assert [value for value, _ in complete(root, [], "r")] == ["render", "run"]


@pytest.mark.parametrize("command", ["run", "render", "show", "explain"])
def test_pipeline_keys_complete(root: Path, command: str) -> None:
    assert complete(root, [command], "shop.p") == [("shop.paid", "on orders")]
    assert [value for value, _ in complete(root, [command], "")] == ["shop.counted", "shop.paid"]


def test_parameter_names_complete_for_the_pipeline_named(root: Path) -> None:
    assert complete(root, ["run", "shop.paid", "-p"], "") == [
        ("min=", "int"),
        ("status=", "string"),
    ]
    assert complete(root, ["run", "shop.paid", "-p", "min=2", "--param"], "") == [
        ("status=", "string")
    ]
    assert complete(root, ["render", "shop.paid", "-p"], "st") == [("status=", "string")]
    assert complete(root, ["run", "shop.paid", "-p"], "min=") == []  # the value is the user's
    assert complete(root, ["run", "nope", "-p"], "") == []


def test_a_root_that_does_not_load_completes_nothing(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert complete(tmp_path, ["run"], "") == []
