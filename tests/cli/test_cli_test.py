"""``pipereg test`` and ``pipereg lint --engine embedded`` (pipereg.cli.test, pipereg.cli.lint)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, WriteTree, line_of, pipeline_file
from pipereg.cli import main

SHOP = pipeline_file(
    {
        "paid": {
            "collection": "orders",
            "params": {"min": {"type": "int", "default": 0}},
            "stages": [
                {"$match": {"status": "paid", "qty": {"$gte": "<<min>>"}}},
                {"$project": {"_id": 0, "no": 1, "qty": 1}},
            ],
        },
        "union": {
            "collection": "orders",
            "stages": [{"$unionWith": "archive"}, {"$project": {"_id": 0, "no": 1}}],
        },
    }
)
ORDERS = [
    {"no": 1, "status": "paid", "qty": 2},
    {"no": 2, "status": "paid", "qty": 5},
    {"no": 3, "status": "new", "qty": 1},
]
PASSING = {
    "paid: all": {"pipeline": "paid", "expect": [{"no": 1, "qty": 2}, {"no": 2, "qty": 5}]},
    "paid: min 3": {"pipeline": "paid", "params": {"min": 3}, "expect": [{"no": 2, "qty": 5}]},
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def tree(write_tree: WriteTree, cases: dict[str, Any]) -> Path:
    return write_tree(
        {"shop.json": SHOP, "shop.test.json": {"data": {"orders": ORDERS}, "cases": cases}}
    )


def test_all_pass_exits_0_with_a_summary(write_tree: WriteTree) -> None:
    root = tree(write_tree, PASSING)
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    case_file = root / "shop.test.json"
    line = line_of(case_file.read_text(encoding="utf-8"), '"paid: all"')
    assert lines[0] == f"PASS        {case_file}:{line}: paid: all [shop.paid]"
    assert lines[1].startswith("PASS        ")
    assert lines[-1].startswith("2 cases on the embedded engine: 2 passed in ")


def test_a_failure_exits_1_and_shows_the_difference(write_tree: WriteTree) -> None:
    wrong = {"pipeline": "paid", "params": {"min": 3}, "expect": [{"no": 2, "qty": 6}]}
    root = tree(write_tree, {**PASSING, "wrong": wrong})
    result = invoke("--path", str(root), "test", "-q")
    assert result.exit_code == 1, result.output
    line = line_of((root / "shop.test.json").read_text(encoding="utf-8"), '"wrong"')
    assert result.stdout.splitlines()[:9] == [
        f"FAIL        {root / 'shop.test.json'}:{line}: wrong [shop.paid]",
        "    expected 1 document, got 1 document",
        "    --- expected",
        "    +++ actual",
        "    @@ -1,6 +1,6 @@",
        "     [",
        "       {",
        '         "no": 2,',
        '    -    "qty": 6',
    ]
    assert result.stdout.splitlines()[-1].startswith(
        "3 cases on the embedded engine: 2 passed, 1 failed"
    )


def test_skipped_and_unsupported_cases_do_not_fail(write_tree: WriteTree) -> None:
    root = tree(
        write_tree,
        {
            "later": {"pipeline": "paid", "expect": [], "skip": "not written yet"},
            "union": {"pipeline": "union", "data": {"archive": [{"no": 7}]}, "expect": []},
        },
    )
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0].startswith("SKIP        ")
    assert out[1] == "    not written yet"
    assert out[2].startswith("UNSUPPORTED ")
    assert out[3] == (
        "    unsupported on the embedded engine: $unionWith "
        "(run with --uri, e.g. the in-process test server or a real MongoDB)"
    )
    assert out[4].startswith("2 cases on the embedded engine: 1 skipped, 1 unsupported in ")


def test_an_error_exits_1(write_tree: WriteTree) -> None:
    root = tree(
        write_tree,
        {"dup": {"pipeline": "paid", "data": {"orders": [{"_id": 1}, {"_id": 1}]}, "expect": []}},
    )
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 1
    assert result.stdout.startswith("ERROR       ")
    assert "cannot seed the database" in result.stdout
    assert "1 error in" in result.stdout


def test_k_selects_cases_by_name_or_key(write_tree: WriteTree) -> None:
    root = tree(write_tree, PASSING)
    result = invoke("--path", str(root), "test", "-k", "MIN 3")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("1 case on the embedded engine: 1 passed")
    result = invoke("--path", str(root), "test", "-k", "shop.paid")
    assert result.stdout.splitlines()[-1].startswith("2 cases on the embedded engine: 2 passed")
    result = invoke("--path", str(root), "test", "-k", "nothing")
    assert result.stdout.splitlines()[-1].startswith("0 cases on the embedded engine: none run")


def test_targets_name_case_files_or_folders(write_tree: WriteTree) -> None:
    root = tree(write_tree, PASSING)
    result = invoke("--path", str(root), "test", str(root / "shop.test.json"))
    assert result.exit_code == 0, result.output
    assert "2 passed" in result.stdout


def test_a_bad_case_file_exits_2_with_located_problems(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "shop.json": SHOP,
            "shop.test.json": json.dumps(
                {"cases": {"c": {"pipeline": "piad", "expect": []}}}, indent=2
            ),
        }
    )
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "pipereg: 1 problem in test-case files",
        f"{root / 'shop.test.json'}:4:7: PR080 $.cases.c.pipeline: unknown pipeline 'piad': "
        "not a pipeline of module 'shop' nor a full key (did you mean 'shop.paid'?)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test", "nowhere"], "pipereg: 1 problem in test-case files"),
        (["test", "--uri", "mongodb://"], "pipereg: cannot use the server: "),
        (
            ["test", "--uri", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200"],
            "pipereg: cannot use the server: ",
        ),
    ],
)
def test_input_errors_exit_2(
    write_tree: WriteTree, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(write_tree, PASSING)
    monkeypatch.chdir(root.parent)
    result = invoke("--path", str(root), *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("a.b", "'a.b': database names cannot hold '.'"),
        ("a/b c", "'a/b c': database names cannot hold ' ' '/'"),
        ("x" * 51, "51 bytes is too long"),
    ],
)
def test_a_database_prefix_mongodb_refuses_is_a_usage_error(
    write_tree: WriteTree, prefix: str, message: str
) -> None:
    root = tree(write_tree, PASSING)
    # No server answers here: the prefix is refused before connecting, not per case.
    uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200"
    result = invoke("--path", str(root), "test", "--uri", uri, "--db-prefix", prefix)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--db-prefix'" in result.stderr
    assert message in result.stderr
    assert invoke("--path", str(root), "test", "--db-prefix", "x" * 50).exit_code == 0


def test_no_case_files_exits_2(write_tree: WriteTree) -> None:
    root = write_tree({"shop.json": SHOP})
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 2
    assert result.stderr == "pipereg: no test-case files (*.test.json) found\n"


def test_pipelines_that_do_not_load_exit_2(write_tree: WriteTree) -> None:
    root = write_tree(
        {"shop.json": "{", "shop.test.json": {"cases": {"c": {"pipeline": "p", "expect": []}}}}
    )
    result = invoke("--path", str(root), "test")
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: cannot load pipelines:\n")


def test_the_bundled_cases_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke("test")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("30 cases on the embedded engine: 30 passed")


def test_lint_ignores_case_files_and_is_clean_on_the_bundled_examples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    for args in (["lint"], ["lint", "--engine", "embedded"]):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert result.stderr == "5 files, 13 pipelines, 0 findings\n"  # common.json: fragments only


def test_lint_engine_embedded_warns_pr070(write_tree: WriteTree) -> None:
    root = write_tree({"shop.json": SHOP})
    assert invoke("lint", str(root)).exit_code == 0
    result = invoke("lint", "--engine", "embedded", str(root))
    assert result.exit_code == 1
    line = line_of((root / "shop.json").read_text(encoding="utf-8"), '"$unionWith"')
    assert result.stdout.splitlines() == [
        f"{root / 'shop.json'}:{line}:11: PR070 $.pipelines.union.stages[0].$unionWith: warning: "
        "the embedded engine cannot run shop.union: $unionWith; pipereg test reports its cases "
        "as unsupported unless run with --uri"
    ]


def test_update_writes_failing_results_and_a_second_run_changes_nothing(
    write_tree: WriteTree,
) -> None:
    wrong = {
        "paid: all": {"pipeline": "paid", "expect": [{"no": 1, "qty": 2}]},
        "paid: min 3": {"pipeline": "paid", "params": {"min": 3}, "expect": [{"no": 2, "qty": 5}]},
    }
    root = tree(write_tree, wrong)
    case_file = root / "shop.test.json"
    before = case_file.read_text(encoding="utf-8")
    result = invoke("--path", str(root), "test", "--update")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("UPDATED     ")
    assert "1 passed, 1 updated" in result.stdout
    assert f"updated 1 case in {case_file}" in result.stderr
    after = case_file.read_text(encoding="utf-8")
    expected = [{"no": 1, "qty": 2}, {"no": 2, "qty": 5}]
    assert json.loads(after)["cases"]["paid: all"]["expect"] == expected
    # The passing case's text is untouched: only the failing expect changed.
    head = before.index('"expect"', before.index('"paid: all"'))
    tail = before.index('"paid: min 3"')
    assert after[:head] == before[:head]
    assert after.endswith(before[tail:])
    assert json.loads(after)["cases"]["paid: min 3"] == wrong["paid: min 3"]
    again = invoke("--path", str(root), "test", "--update-all")
    assert again.exit_code == 0, again.output
    assert "updated" not in again.stderr
    assert case_file.read_text(encoding="utf-8") == after


def test_update_all_rewrites_passing_cases_too(write_tree: WriteTree) -> None:
    swapped = [{"no": 2, "qty": 5}, {"no": 1, "qty": 2}]
    reordered = {"c": {"pipeline": "paid", "order": "unordered", "expect": swapped}}
    root = tree(write_tree, reordered)
    assert invoke("--path", str(root), "test", "--update").exit_code == 0
    unchanged = json.loads((root / "shop.test.json").read_text(encoding="utf-8"))
    assert unchanged["cases"]["c"]["expect"][0]["no"] == 2
    result = invoke("--path", str(root), "test", "--update-all")
    assert result.exit_code == 0, result.output
    rewritten = json.loads((root / "shop.test.json").read_text(encoding="utf-8"))
    assert [doc["no"] for doc in rewritten["cases"]["c"]["expect"]] == [1, 2]


def test_update_leaves_errors_and_unsupported_cases_alone(write_tree: WriteTree) -> None:
    cases = {"u": {"pipeline": "union", "expect": [{"no": 9}]}}
    root = tree(write_tree, cases)
    before = (root / "shop.test.json").read_text(encoding="utf-8")
    result = invoke("--path", str(root), "test", "--update-all")
    assert result.exit_code == 0, result.output
    assert (root / "shop.test.json").read_text(encoding="utf-8") == before
