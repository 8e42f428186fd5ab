"""The pytest plugin: case files collected and run as pytest items."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import pipeline_file
from pipereg.testing.pytest_plugin import URI_VARIABLE

pytest_plugins = ["pytester"]

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
        "union": {"collection": "orders", "stages": [{"$unionWith": "archive"}]},
        "typo": {"collection": "orders", "stages": [{"$project": {"n": {"$size": "$qty"}}}]},
    }
)
CASES = {
    "data": {
        "orders": [
            {"no": 1, "status": "paid", "qty": 2},
            {"no": 2, "status": "paid", "qty": 5},
        ]
    },
    "cases": {
        "all": {"pipeline": "paid", "expect": [{"no": 1, "qty": 2}, {"no": 2, "qty": 5}]},
        "wrong": {"pipeline": "paid", "params": {"min": 3}, "expect": [{"no": 2, "qty": 6}]},
        "later": {"pipeline": "paid", "expect": [], "skip": "not written yet"},
        "union": {"pipeline": "union", "expect": []},
    },
}
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with ``pipelines/shop.json`` and its cases, and no server configured."""
    monkeypatch.delenv("PIPEREG_TEST_MONGODB_URI", raising=False)
    monkeypatch.delenv("PIPEREG_PATH", raising=False)
    pytester.makefile(".ini", pytest=INI)
    write(pytester, "pipelines/shop.json", SHOP)
    write(pytester, "pipelines/shop.test.json", CASES)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process pytest run; hypothesis's plugin is left out (its summary costs seconds)."""
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)


def write(pytester: pytest.Pytester, relative: str, document: Any) -> None:
    path = pytester.path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    path.write_text(text, encoding="utf-8")


def test_cases_are_items_with_pass_fail_and_skips(project: pytest.Pytester) -> None:
    result = run(project, "-rs", "-v", "pipelines")
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "pipelines/shop.test.json::all PASSED*",
            "pipelines/shop.test.json::wrong FAILED*",
            "pipelines/shop.test.json::later SKIPPED*",
            "pipelines/shop.test.json::union SKIPPED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*case 'wrong' [[]shop.paid[]]*",
            "shop.paid: results differ",
            "expected 1 document, got 1 document",
            "--- expected",
            "+++ actual",
            '-    "qty": 6',
            '+    "qty": 5',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "SKIPPED *not written yet",
            "SKIPPED *unsupported on the embedded engine: $unionWith (run with --pipereg-uri "
            f"or {URI_VARIABLE}, *",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_k_selects_cases(project: pytest.Pytester) -> None:
    result = run(project, "pipelines", "-k", "all")
    result.assert_outcomes(passed=1, deselected=3)


def test_pipereg_paths_names_the_roots(project: pytest.Pytester) -> None:
    (project.path / "pipelines").rename(project.path / "queries")
    project.makefile(".ini", pytest=INI + "pipereg_paths = queries\n")
    result = run(project, "queries", "-k", "all")
    result.assert_outcomes(passed=1, deselected=3)


def test_a_bad_case_file_is_a_collection_error(project: pytest.Pytester) -> None:
    write(project, "pipelines/shop.test.json", {"cases": {"c": {"pipeline": "nope", "expect": []}}})
    result = run(project, "pipelines")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*pipelines/shop.test.json:4:7: PR080 $.cases.c.pipeline: unknown pipeline 'nope'*"]
    )


def test_pipelines_that_do_not_load_are_a_collection_error(project: pytest.Pytester) -> None:
    write(project, "pipelines/shop.json", "{")
    result = run(project, "pipelines")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pipereg: cannot load pipelines: 1 problem in pipeline files*"])


def test_an_unreachable_server_fails_the_cases_clearly(project: pytest.Pytester) -> None:
    uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100"
    result = run(project, "pipelines", "--pipereg-uri", uri)
    result.assert_outcomes(failed=3, skipped=1)
    result.stdout.fnmatch_lines(["cannot use the server: *"])


def test_python_tests_are_untouched(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = run(project, "test_plain.py")
    result.assert_outcomes(passed=1)


def test_an_error_while_running_fails_the_case_with_the_error(project: pytest.Pytester) -> None:
    case = {"pipeline": "typo", "data": {"orders": [{"_id": 1}]}, "expect": []}
    write(project, "pipelines/shop.test.json", {"cases": {"c": case}})
    result = run(project, "pipelines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["shop.typo: OperationFailure: The argument to $size must be an array*"]
    )


def test_case_files_outside_the_pipeline_roots_are_not_collected(project: pytest.Pytester) -> None:
    # A service's own fixture that happens to end in .test.json (not a case file at all).
    write(project, "tests/fixtures/login.test.json", {"user": "ann", "password": "x"})
    project.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = run(project)
    result.assert_outcomes(passed=2, failed=1, skipped=2)
    assert "login.test.json" not in result.stdout.str()


def test_pipereg_path_names_the_roots_when_the_ini_does_not(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.path / "pipelines").rename(project.path / "queries")
    write(project, "pipelines/other.test.json", {"cases": {}})  # not a root now: left alone
    monkeypatch.setenv("PIPEREG_PATH", "queries")
    result = run(project, "-k", "all")
    result.assert_outcomes(passed=1, deselected=3)


def test_a_conftest_fixture_chooses_the_server(project: pytest.Pytester) -> None:
    # The fixture is the hook for a server the session starts; here one that cannot answer,
    # which shows the cases asked the fixture rather than the flag or the environment.
    project.makeconftest(
        "import pytest\n"
        "@pytest.fixture(scope='session')\n"
        "def pipereg_uri():\n"
        "    return 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100'\n"
    )
    result = run(project, "pipelines")
    result.assert_outcomes(failed=3, skipped=1)
    result.stdout.fnmatch_lines(["cannot use the server: *"])


def test_a_case_writing_to_another_database_fails_without_running(
    project: pytest.Pytester,
) -> None:
    pipelines = pipeline_file(
        {"copy": {"collection": "orders", "stages": [{"$out": {"db": "prod", "coll": "x"}}]}}
    )
    write(project, "pipelines/shop.json", pipelines)
    write(project, "pipelines/shop.test.json", {"cases": {"c": {"pipeline": "copy", "expect": []}}})
    result = run(project, "pipelines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["shop.copy: refused: $out at stages[[]0[]] writes to database 'prod'*"]
    )
