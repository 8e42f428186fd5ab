"""The pipereg command, through click's CliRunner (pipereg.cli)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from click.testing import CliRunner, Result

from helpers import REPO, WriteTree, pipeline_file
from pipereg.cli import main

ORDERS = pipeline_file(
    {
        "recent": {
            "description": "Orders since a date",
            "collection": "orders",
            "params": {
                "since": {"type": "date", "description": "inclusive"},
                "status": {"type": "string", "enum": ["paid", "open"], "default": "paid"},
                "ids": {"type": "array", "items": {"type": "objectId"}, "optional": True},
                "limit": {"type": "int", "minimum": 1, "default": 10},
                "big": {"type": "long", "optional": True},
                "flag": {"type": "bool", "optional": True},
                "ratio": {"type": "double", "optional": True},
            },
            "stages": [
                {
                    "$match": {
                        "at": {"$gte": "<<since>>"},
                        "status": "<<status>>",
                        "_id": {"$in": "<<ids>>"},
                        "big": "<<big>>",
                        "flag": "<<flag>>",
                        "ratio": {"$lt": "<<ratio>>"},
                    }
                },
                {"$sort": {"at": 1}},
                {"$limit": "<<limit>>"},
            ],
            "options": {"maxTimeMS": 100},
        }
    },
    version=2,
)
DATA = [
    {"_id": {"$oid": "65f000000000000000000001"}, "at": {"$date": "2024-03-01T00:00:00Z"},
     "status": "paid"},
    {"_id": {"$oid": "65f000000000000000000002"}, "at": {"$date": "2024-03-05T00:00:00Z"},
     "status": "paid"},
    {"_id": {"$oid": "65f000000000000000000003"}, "at": {"$date": "2024-03-09T00:00:00Z"},
     "status": "open"},
]  # fmt: skip


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def root(write_tree: WriteTree) -> Path:
    return write_tree({"orders.json": ORDERS})


def assert_one_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output + result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr


def test_lint_clean_tree_exits_0(root: Path) -> None:
    result = invoke("--path", str(root), "lint")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "1 file, 1 pipeline, 0 findings" in result.stderr


def test_lint_prints_located_findings_and_exits_1(write_tree: WriteTree) -> None:
    root = write_tree(
        {"bad.json": pipeline_file({"p": {"collection": "c", "stages": [{"$mtach": {}}]}})}
    )
    result = invoke("lint", str(root))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{root / 'bad.json'}:8:11: PR030 $.pipelines.p.stages[0].$mtach: unknown stage "
        "'$mtach' (did you mean '$match'?)"
    ]


def test_lint_json_format(write_tree: WriteTree) -> None:
    root = write_tree({"bad.json": '{"version": 1, "pipelines": {}'})
    result = invoke("lint", "--format", "json", str(root))
    assert result.exit_code == 1
    (record,) = json.loads(result.stdout)
    assert record["code"] == "PR001"
    assert record["path"] == str(root / "bad.json")
    assert (record["line"], record["column"], record["severity"]) == (1, 31, "error")


def test_lint_of_a_missing_path_is_a_usage_error() -> None:
    result = invoke("lint", "/no/such/dir")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_list(root: Path) -> None:
    result = invoke("--path", str(root), "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "KEY            COLLECTION  VERSION  PARAMS",
        'orders.recent  orders      2        since, status="paid", ids?, limit=10, big?, flag?, '
        "ratio?",
    ]


def test_show(root: Path) -> None:
    result = invoke("--path", str(root), "show", "orders.recent")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("orders.recent  version 2  fingerprint ")
    assert "Orders since a date\n" in out
    assert f"file: {root / 'orders.json'}\ncollection: orders\n" in out
    assert "  since   date               yes       -        -" in out
    assert 'status  string             no        "paid"   one of "paid"|"open"' in out
    assert "ids     array of objectId  optional" in out
    assert "limit   int                no        10       min 1" in out
    assert 'options: {"maxTimeMS": 100}' in out
    assert '"$gte": "<<since>>"' in out  # stages as written


def test_render_parses_values_by_declared_type(root: Path) -> None:
    result = invoke(
        "--path", str(root), "render", "orders.recent",
        "-p", "since=2024-03-01", "-p", 'ids=["65f000000000000000000001"]',
        "-p", "big=9000000000", "-p", "flag=true", "-p", "ratio=0.5", "--canonical",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    match = json.loads(result.stdout)[0]["$match"]
    assert match == {
        "at": {"$gte": {"$date": {"$numberLong": "1709251200000"}}},
        "status": "paid",
        "_id": {"$in": [{"$oid": "65f000000000000000000001"}]},
        "big": {"$numberLong": "9000000000"},
        "flag": True,
        "ratio": {"$lt": {"$numberDouble": "0.5"}},
    }


def test_render_relaxed_by_default_and_optional_members_disappear(root: Path) -> None:
    result = invoke("--path", str(root), "render", "orders.recent", "-p", "since=2024-03-01")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {"$match": {"at": {"$gte": {"$date": "2024-03-01T00:00:00Z"}}, "status": "paid"}},
        {"$sort": {"at": 1}},
        {"$limit": 10},
    ]


def test_render_params_json_and_full(root: Path) -> None:
    result = invoke(
        "--path", str(root), "render", "orders.recent", "--full",
        "--params", '{"since": {"$date": "2024-03-01T00:00:00Z"}, "limit": 3, "status": "open"}',
        "-p", "limit=4",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["collection"] == "orders"
    # What the DAO sends: the file's options and the tagged comment.
    assert output["options"]["maxTimeMS"] == 100
    assert output["options"]["comment"].startswith("pipereg:orders.recent@2 fp:")
    assert output["pipeline"][0]["$match"]["status"] == "open"
    assert output["pipeline"][2] == {"$limit": 4}


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("render", "orders.recnt"), ["unknown pipeline 'orders.recnt'", "'orders.recent'"]),
        (
            ("render", "orders.recent"),
            ["parameter 'since'", "missing required parameter of type date"],
        ),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", "limit=ten"),
            ["parameter 'limit'", "cannot read 'ten' as int"],
        ),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", "limit=0"),
            ["parameter 'limit'", "0 is less than the minimum 1"],
        ),
        (
            ("render", "orders.recent", "-p", "since=yesterday"),
            ["parameter 'since'", "not an ISO-8601 date"],
        ),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", "stauts=paid"),
            ["parameter 'stauts'", "did you mean 'status'"],
        ),
        (("render", "orders.recent", "-p", "since"), ["expected NAME=VALUE"]),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", "since=2024-03-02"),
            ["-p since: given twice"],
        ),
        (("render", "orders.recent", "--params", "{nope"), ["--params is not valid JSON"]),
        (("render", "orders.recent", "--params", "[1]"), ["--params must be a JSON object"]),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", "flag=yes"),
            ["cannot read 'yes' as bool"],
        ),
        (
            ("render", "orders.recent", "-p", "since=2024-03-01", "-p", 'ids=["x"]'),
            ["parameter 'ids[0]'", "expected objectId"],
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    root: Path, args: tuple[str, ...], fragments: list[str]
) -> None:
    result = invoke("--path", str(root), *args)
    assert_one_clean_error(result, *fragments)
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_file_lists_its_problems_and_exits_2(write_tree: WriteTree) -> None:
    root = write_tree({"bad.json": '{"version": 1, "pipelines": {"p": {}}}'})
    result = invoke("--path", str(root), "list")
    assert_one_clean_error(result, "cannot load pipelines", f"{root / 'bad.json'}:1:", "PR010")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "orders.json").write_text(json.dumps(DATA))
    return folder


def results(result: Result) -> list[Any]:
    assert result.exit_code == 0, result.stderr
    loaded: list[Any] = json_util.loads(result.stdout)
    return loaded


def test_run_on_the_embedded_engine_seeded_from_a_folder(root: Path, data: Path) -> None:
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-03-02", "--data", str(data)
    )
    assert [str(doc["_id"]) for doc in results(result)] == ["65f000000000000000000002"]


def test_run_seeded_from_a_named_file(root: Path, data: Path) -> None:
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01", "-p", "status=open",
        "--data", f"orders={data / 'orders.json'}",
    )  # fmt: skip
    assert [doc["status"] for doc in results(result)] == ["open"]


@pytest.mark.parametrize(
    ("data_arg", "fragment"),
    [
        ("orders=/no/such.json", "--data: /no/such.json: PR082 cannot read: No such file"),
        ("nonsense", "expected COLLECTION=FILE or a folder"),
    ],
)
def test_run_bad_data_is_exit_2(root: Path, data_arg: str, fragment: str) -> None:
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01", "--data", data_arg
    )
    assert_one_clean_error(result, fragment)


def test_run_data_that_is_not_an_array_of_documents(root: Path, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}')
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01",
        "--data", f"orders={tmp_path / 'x.json'}",
    )  # fmt: skip
    assert_one_clean_error(result, "expected a JSON array of documents")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('[{"a": 1, "a": 2}]', ":1:11: PR082 $[0].a: duplicate key 'a'"),
        ('[{"a": NaN}]', ":1:3: PR082 $[0].a: invalid JSON: NaN is not valid JSON"),
        ('[{"d": {"$date": "yesterday"}}]', ":1:3: PR050 $[0].d: invalid Extended JSON"),
        ("[1]", ":1:2: PR082 $[0]: expected a document"),
    ],
    ids=["duplicate key", "NaN", "bad literal", "not a document"],
)
def test_run_reads_data_as_strictly_as_test_cases_do(
    root: Path, tmp_path: Path, content: str, says: str
) -> None:
    # One seed-data reader for `run --data` and case files: before, `run` took duplicate keys
    # (the last won) and NaN, had no size limit, and said nothing of where.
    (tmp_path / "x.json").write_text(content)
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01",
        "--data", f"orders={tmp_path / 'x.json'}",
    )  # fmt: skip
    assert_one_clean_error(result, str(tmp_path / "x.json") + says)


def test_run_data_over_the_size_limit_is_refused_unread(root: Path, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[" + ", ".join(["{}"] * 1000) + "]")
    result = invoke(
        "--max-file-bytes", "2000", "--path", str(root), "run", "orders.recent",
        "-p", "since=2024-01-01", "--data", f"orders={tmp_path / 'x.json'}",
    )  # fmt: skip
    assert_one_clean_error(result, "PR082 file is 4,000 bytes, over the limit of 2,000 bytes")


def test_run_refuses_data_with_a_uri(root: Path, data: Path) -> None:
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01",
        "--uri", "mongodb://127.0.0.1:1", "--data", str(data),
    )  # fmt: skip
    assert_one_clean_error(result, "--data seeds the embedded engine only")


def test_run_database_error_is_one_line_exit_1(write_tree: WriteTree) -> None:
    document = pipeline_file(
        {"p": {"collection": "c", "stages": [{"$project": {"a": {"$size": "$nosuchfield"}}}]}}
    )
    root = write_tree({"m.json": document})
    result = invoke(
        "--path", str(root), "run", "m.p", "--data", "c=" + str(REPO / "examples/data/orders.json")
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "pipereg: while running m.p@1" in result.stderr
    assert result.stdout == ""


def test_bundled_example_runs_offline() -> None:
    result = invoke(
        "--path", str(REPO / "pipelines"), "run", "orders.daily_revenue",
        "-p", "since=2024-03-01", "-p", "until=2024-04-01", "-p", "limit=3",
        "--data", str(REPO / "examples/data"),
    )  # fmt: skip
    days = results(result)
    assert [day["day"] for day in days] == sorted(day["day"] for day in days)
    assert len(days) == 3
    assert all(day["day"].startswith("2024-03") for day in days)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1.0", "expected an integer"),
        ("1_000", "expected an integer"),
        (" 5", "expected an integer"),
    ],
)
def test_integers_on_the_command_line_are_read_strictly(
    root: Path, value: str, fragment: str
) -> None:
    result = invoke(
        "--path",
        str(root),
        "render",
        "orders.recent",
        "-p",
        "since=2024-03-01",
        "-p",
        f"limit={value}",
    )
    assert_one_clean_error(result, "parameter 'limit'", fragment)


def test_lint_marks_warnings_and_an_empty_root_is_a_finding(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    js = pipeline_file({"p": {"collection": "c", "stages": [{"$match": {"$where": "1"}}]}})
    result = invoke("lint", str(write_tree({"m.json": js})))
    assert result.exit_code == 1
    assert "PR032 $.pipelines.p.stages[0].$match.$where: warning: $where runs" in result.stdout
    (tmp_path / "empty").mkdir()
    result = invoke("lint", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "PR003 no pipeline files (*.json) below this root" in result.stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('[{"_id": 1}, {"_id": 1}]', "cannot load collection 'orders'"),
    ],
)
def test_run_seed_data_the_engine_rejects_is_exit_2(
    root: Path, tmp_path: Path, content: str, fragment: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01",
        "--data", f"orders={tmp_path / 'bad.json'}",
    )  # fmt: skip
    assert_one_clean_error(result, fragment)


def test_run_empty_collection_name_is_exit_2(root: Path, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]")
    result = invoke(
        "--path", str(root), "run", "orders.recent", "-p", "since=2024-01-01",
        "--data", f"={tmp_path / 'x.json'}",
    )  # fmt: skip
    assert_one_clean_error(result, "is not a collection name")


def test_params_that_are_json_but_not_extended_json_say_so(root: Path) -> None:
    result = invoke(
        "--path", str(root), "run", "orders.recent",
        "--params", '{"since": {"$numberDecimal": "abc"}}',
    )  # fmt: skip
    assert_one_clean_error(
        result, "--params holds invalid Extended JSON: a $numberDecimal that is not a decimal"
    )
