"""Pipelines MongoDB rejects (tests/fixtures/rejected/): lint catches each one, with its code.

Each file holds one class of mistake; each pipeline's description starts with the code lint must
report for it (``PR036: ...``), or ``server`` for the few only the server can tell, which
``lint --uri`` catches (tests/explain/test_verify.py). At least 95% must be caught statically.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipereg.load.discovery import discover_paths
from pipereg.load.sources import load_sources

REJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "rejected"
_PIPELINE = re.compile(r"\$\.pipelines\.([A-Za-z0-9_]+)")


def _expected() -> dict[tuple[str, str], str]:
    expected = {}
    for file in sorted(REJECTED.glob("*.json")):
        document = json.loads(file.read_text(encoding="utf-8"))
        for name, pipeline in document["pipelines"].items():
            expected[file.stem, name] = pipeline["description"].split(":", 1)[0]
    return expected


def _found() -> dict[tuple[str, str], list[str]]:
    files, missing = discover_paths([str(REJECTED)])
    _, problems = load_sources(files, missing)
    found: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        match = _PIPELINE.match(problem.json_path or "")
        assert match, problem
        found.setdefault((Path(problem.path).stem, match.group(1)), []).append(problem.code)
    return found


EXPECTED = _expected()


@pytest.fixture(scope="module")
def found() -> dict[tuple[str, str], list[str]]:
    return _found()


@pytest.mark.parametrize(("where", "code"), EXPECTED.items(), ids="{0[0]}.{0[1]}".format)
def test_each_rejected_pipeline_gets_its_code_and_no_other(
    found: dict[tuple[str, str], list[str]], where: tuple[str, str], code: str
) -> None:
    if code == "server":
        assert found.get(where, []) == []  # it loads: only the server can tell
    else:
        assert found.get(where), f"lint found nothing in {where}"
        assert set(found[where]) == {code}


def test_the_suite_covers_every_class_and_lint_catches_95_percent_statically() -> None:
    assert len(EXPECTED) >= 100
    classes = {file for file, _ in EXPECTED}
    assert {"unknown_stage", "unknown_query_operator", "unknown_expression"} <= classes
    assert {"unknown_accumulator", "unknown_window", "arguments", "placement"} <= classes
    assert {"values", "placeholder_misfit", "server"} <= classes
    static = sum(code != "server" for code in EXPECTED.values())
    assert static / len(EXPECTED) >= 0.95


def test_valid_pipelines_at_the_edges_of_the_checks_get_no_finding() -> None:
    # tests/fixtures/accepted/: what MongoDB accepts near each check (a list for $merge's on, a
    # string whenMatched, $year of a date alone, an exclusion projection without _id...).
    files, missing = discover_paths([str(REJECTED.parent / "accepted")])
    loaded, problems = load_sources(files, missing)
    assert problems == []
    assert sum(len(result.pipelines) for result in loaded) >= 18
