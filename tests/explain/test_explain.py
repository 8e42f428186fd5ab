"""The explain command built for a pipeline; ``pipereg explain``'s input errors.

Against servers: ``tests/dao/test_explain_server.py`` (MockupDB for the exact command, SecantusDB
end to end). The reply summaries: ``tests/explain/test_plans.py``.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import FIXTURES
from pipereg import Registry
from pipereg.cli import main
from pipereg.cli.explain import print_summary
from pipereg.dao import prepare_call
from pipereg.explain.plans import summarize
from pipereg.explain.server import default_verbosity, explain_command
from pipereg.jsontext import extjson

PIPELINES = FIXTURES / "dao"
OUTPUTS = FIXTURES / "explain_outputs"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_paths(PIPELINES)


def test_command_wraps_the_daos_aggregate(registry: Registry) -> None:
    call = prepare_call(registry, "shop.tagged", {"status": "shipped"}, {"batchSize": 2})
    command = explain_command(call, "executionStats")
    tag = registry.get("shop.tagged").tag
    assert list(command) == ["explain", "verbosity", "maxTimeMS"]
    assert command == {
        "explain": {
            "aggregate": "orders",
            "pipeline": [
                {"$match": {"status": "shipped"}},
                {"$sort": {"order_no": 1}},
                {"$project": {"_id": 0, "order_no": 1}},
            ],
            "allowDiskUse": True,
            "maxTimeMS": 5000,
            "comment": f"{tag} from the file",
            "cursor": {"batchSize": 2},
        },
        "verbosity": "executionStats",
        # The server ignores maxTimeMS inside the explained command: repeated outside.
        "maxTimeMS": 5000,
    }


def test_let_and_no_time_limit(registry: Registry) -> None:
    call = prepare_call(registry, "shop.over_threshold", {"min_qty": 4}, {"maxTimeMS": None})
    command = explain_command(call, "queryPlanner")
    assert command["explain"]["let"] == {"min_qty": 4}
    assert command["explain"]["cursor"] == {}
    call = prepare_call(registry, "shop.orders_since", {"since": "2024-03-01"}, {})
    assert "maxTimeMS" not in explain_command(call, "queryPlanner")


def test_a_pipeline_that_writes_is_only_planned(registry: Registry) -> None:
    call = prepare_call(registry, "shop.archive", {}, {})
    assert default_verbosity(call) == "queryPlanner"
    assert explain_command(call, "queryPlanner")["verbosity"] == "queryPlanner"
    for verbosity in ("executionStats", "allPlansExecution"):
        with pytest.raises(ValueError, match=r"shop.archive ends with \$out: explain at"):
            explain_command(call, verbosity)
    reading = prepare_call(registry, "shop.tagged", {}, {})
    assert default_verbosity(reading) == "executionStats"


def test_unknown_verbosity(registry: Registry) -> None:
    call = prepare_call(registry, "shop.tagged", {}, {})
    with pytest.raises(ValueError, match="verbosity must be one of queryPlanner"):
        explain_command(call, "everything")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["shop.tagged"], "explain needs a MongoDB server: pass --uri URI or set"),
        (["shop.tagdeg", "--uri", "mongodb://127.0.0.1:1"], "did you mean 'shop.tagged'"),
        (["shop.tagged", "-p", "status=lost", "--uri", "mongodb://127.0.0.1:1"], "'status'"),
        (
            ["shop.archive", "--verbosity", "executionStats", "--uri", "mongodb://127.0.0.1:1"],
            "--verbosity: shop.archive ends with $out: explain at executionStats would execute",
        ),
        (["shop.tagged", "--uri", "mongodb://[bad"], "--uri:"),
    ],
)
def test_input_errors_are_one_line_exit_2(
    args: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEREG_MONGODB_URI", raising=False)
    result = CliRunner().invoke(main, ["--path", str(PIPELINES), "explain", *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_text_summary_of_a_sharded_reply(capsys: pytest.CaptureFixture[str]) -> None:
    reply = extjson.loads((OUTPUTS / "sharded_cursor_stages.json").read_text(encoding="utf-8"))
    reply["splitPipeline"]["mergerPart"].append({"$group": {"_id": "$region"}})
    print_summary(summarize(reply), "shop.by_region@1", "executionStats")
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "shop.by_region@1 on shop.orders (MongoDB 5.0.3, executionStats)",
        "  [shard-a] query  COLLSCAN -> SHARDING_FILTER                  "
        "returned 40, examined 2000 docs and 0 keys, 3 ms",
        "  [shard-b] query  IXSCAN region_1 -> FETCH -> SHARDING_FILTER  "
        "returned 35, examined 35 docs and 35 keys, 3 ms",
        "  [merger] $limit  5",
        '  [merger] $group  {"_id": "$region"}',
        "warning: PX001 shard shard-a: query: the $match on (region) reads every document "
        "(COLLSCAN); an index on these fields (or a prefix of them) would serve it",
        "warning: PX003 shard shard-a: query: examined 2000 documents and 0 keys to return 40",
    ]
    assert err == "2 warnings\n"


def test_text_summary_cuts_long_stage_documents(capsys: pytest.CaptureFixture[str]) -> None:
    wide = {f"field_{n}": 1 for n in range(20)}
    reply = {
        "stages": [
            {"$project": wide, "nReturned": 4},
            {"$sort": {"sortKey": {"a": 1}}, "usedDisk": True, "nReturned": 4},
        ]
    }
    print_summary(summarize(reply), "shop.wide@1", "executionStats")
    out, _ = capsys.readouterr()
    heading, project, sort = out.splitlines()
    assert heading == "shop.wide@1 on ? (server, executionStats)"
    assert project.startswith('  $project  {"field_0": 1, "field_1": 1, ')
    assert project.endswith("...  returned 4")
    assert sort.split() == ["$sort", '{"sortKey":', '{"a":', "1}}", "returned", "4,", "spilled",
                            "to", "disk"]  # fmt: skip
