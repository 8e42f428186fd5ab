"""Rule cases, one fixture file per code (tests/fixtures/rules/<CODE>.json), run by one test.

In ``PR037.json`` every pipeline named ``ok_*`` is valid MongoDB near the rule's edge and loads
with no finding at all; every other pipeline gets exactly ``PR037`` and no other code. Each
description starts with the class of mistake (``unknown_expression: ...``). ``server.json`` holds
pipelines only a server refuses: they load clean, and ``lint --uri`` catches them
(tests/explain/test_verify.py). Adding a rule means adding its file; a code with no file fails
:func:`test_every_rule_a_file_can_show_has_its_cases`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import FIXTURES
from pipereg import codes
from pipereg.load.discovery import discover_paths
from pipereg.load.sources import load_sources

RULES = FIXTURES / "rules"
_PIPELINE = re.compile(r"\$\.pipelines\.([A-Za-z0-9_]+)")


def _cases() -> dict[tuple[str, str], str]:
    cases = {}
    for file in sorted(RULES.glob("*.json")):
        for name in json.loads(file.read_text(encoding="utf-8"))["pipelines"]:
            ok = name.startswith("ok_") or file.stem == "server"
            cases[file.stem, name] = "" if ok else file.stem
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def found() -> dict[tuple[str, str], set[str]]:
    files, missing = discover_paths([str(RULES)])
    _, problems = load_sources(files, missing)
    found: dict[tuple[str, str], set[str]] = {}
    for problem in problems:
        match = _PIPELINE.match(problem.json_path or "")
        assert match, problem
        found.setdefault((Path(problem.path).stem, match.group(1)), set()).add(problem.code)
    return found


@pytest.mark.parametrize(
    ("where", "code"), CASES.items(), ids=[f"{file}.{name}" for file, name in CASES]
)
def test_rule_case(
    found: dict[tuple[str, str], set[str]], where: tuple[str, str], code: str
) -> None:
    assert found.get(where, set()) == ({code} if code else set())


def test_every_rule_a_file_can_show_has_its_cases() -> None:
    # The codes of whole files, of reading, of fragments, of test cases and of tools have their
    # own suites (tests/load, tests/fragments, tests/testing, tests/explain); every code a
    # pipeline's own text can trigger has a file here, with a failing case and a passing one.
    elsewhere = {
        codes.NOT_JSON, codes.DUPLICATE_KEY, codes.UNREADABLE, codes.TOO_LARGE, codes.SCHEMA,
        codes.DUPLICATE_PIPELINE, codes.INVALID_MODULE_NAME, codes.ENGINE_UNSUPPORTED,
        codes.CASE_UNKNOWN_PIPELINE, codes.CASE_PARAMETERS, codes.CASE_DATA,
        codes.COLLECTION_SCAN, codes.SORT_IN_MEMORY, codes.EXAMINED_FAR_MORE,
    }  # fmt: skip
    files = {file.stem for file in RULES.glob("*.json")}
    for code in ("PR030", "PR031", "PR033", "PR034", "PR035", "PR036", "PR037", "PR038", "PR039"):
        assert code in files, code
        assert code not in elsewhere
        assert any(c == code for (f, _), c in CASES.items() if f == code)
        assert any(c == "" for (f, _), c in CASES.items() if f == code), f"{code}: no ok_ case"


def test_the_rejected_suite_covers_every_class_and_lint_catches_95_percent_statically() -> None:
    # Pipelines MongoDB rejects: the failing cases of every file, and server.json.
    rejected = {where: code for where, code in CASES.items() if code or where[0] == "server"}
    assert len(rejected) >= 100
    classes = {
        json.loads((RULES / f"{file}.json").read_text(encoding="utf-8"))["pipelines"][name][
            "description"
        ].split(":", 1)[0]
        for file, name in rejected
    }
    assert {"unknown_stage", "unknown_query_operator", "unknown_expression"} <= classes
    assert {"unknown_accumulator", "unknown_window", "arguments", "placement"} <= classes
    assert {"values", "placeholder_misfit", "server"} <= classes
    static = sum(code != "" for code in rejected.values())
    assert static / len(rejected) >= 0.95
