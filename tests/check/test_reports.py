"""Lint report formats: text, json, GitHub workflow commands, SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from helpers import FIXTURES, WriteTree, pipeline_file
from pipereg.check import reports
from pipereg.cli import main
from pipereg.codes import CODES
from pipereg.errors import Problem

# The OASIS SARIF 2.1.0 schema (errata 01), as published; see tests/fixtures/sarif/README.md.
SARIF_SCHEMA = json.loads(
    (FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)

ERROR = Problem("pipelines/a.json", 3, 7, "$.pipelines.p.stages[0]", "PR030", "unknown stage")
WARNING = Problem("pipelines/a.json", 9, 2, "$.pipelines.p", "PR032", "JavaScript", "warning")
WHOLE_FILE = Problem("pipelines/b.json", 0, 0, "", "PR004", "too large")


def validate_sarif(log: Any) -> None:
    validator = jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA)
    validator.validate(log)


def test_text_and_json_records() -> None:
    assert reports.text([ERROR, WHOLE_FILE]) == (
        "pipelines/a.json:3:7: PR030 $.pipelines.p.stages[0]: unknown stage\n"
        "pipelines/b.json: PR004 too large\n"
    )
    assert reports.text([]) == ""
    (record,) = json.loads(reports.json_records([WARNING]))
    assert record == {
        "path": "pipelines/a.json",
        "line": 9,
        "column": 2,
        "json_path": "$.pipelines.p",
        "code": "PR032",
        "severity": "warning",
        "message": "JavaScript",
    }


def test_github_commands() -> None:
    assert reports.github([ERROR, WARNING, WHOLE_FILE]).splitlines() == [
        "::error file=pipelines/a.json,line=3,col=7,title=PR030::"
        "$.pipelines.p.stages[0]: unknown stage",
        "::warning file=pipelines/a.json,line=9,col=2,title=PR032::$.pipelines.p: JavaScript",
        "::error file=pipelines/b.json,title=PR004::too large",
    ]


def test_github_escapes_what_would_end_or_start_a_command() -> None:
    # %, CR and LF in the message; also , and : in properties (the runner's own rules).
    problem = Problem("p/a,b:c%.json", 1, 0, "", "PR001", "50% bad\r\n::error::forged")
    assert reports.github([problem]) == (
        "::error file=p/a%2Cb%3Ac%25.json,line=1,title=PR001::50%25 bad%0D%0A::error::forged\n"
    )


def test_sarif_validates_against_the_official_schema() -> None:
    log = json.loads(reports.sarif([ERROR, WARNING, WHOLE_FILE], base="."))
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pipereg"
    assert [rule["id"] for rule in driver["rules"]] == [c for c in CODES if c.startswith("PR")]
    assert driver["rules"][0]["shortDescription"]["text"] == CODES["PR001"]
    first, second, third = run["results"]
    assert first["ruleId"] == "PR030"
    assert driver["rules"][first["ruleIndex"]]["id"] == "PR030"
    assert first["level"] == "error"
    assert second["level"] == "warning"
    assert first["message"]["text"] == "$.pipelines.p.stages[0]: unknown stage"
    (location,) = first["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "pipelines/a.json"},
        "region": {"startLine": 3, "startColumn": 7},
    }
    assert location["logicalLocations"] == [{"fullyQualifiedName": "$.pipelines.p.stages[0]"}]
    assert first["properties"] == {"jsonPath": "$.pipelines.p.stages[0]"}
    # A whole-file problem has no region and no JSON path.
    (location,) = third["locations"]
    assert location == {"physicalLocation": {"artifactLocation": {"uri": "pipelines/b.json"}}}
    assert "properties" not in third


def test_the_schema_check_can_fail() -> None:
    log = json.loads(reports.sarif([ERROR]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(log)


def test_sarif_uris(tmp_path: Path) -> None:
    inside = Problem(str(tmp_path / "my pipelines" / "a.json"), 1, 0, "", "PR001", "x")
    outside = Problem("/elsewhere/b.json", 1, 1, "", "PR001", "x")
    log = json.loads(reports.sarif([inside, outside], base=str(tmp_path)))
    validate_sarif(log)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert uris == ["my%20pipelines/a.json", "file:///elsewhere/b.json"]
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1}  # column 0: unknown, left out


def test_lint_formats_on_the_command_line(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(
        {"bad.json": pipeline_file({"p": {"collection": "c", "stages": [{"$mtach": {}}]}})}
    )
    monkeypatch.chdir(root.parent)
    runner = CliRunner()
    result = runner.invoke(main, ["lint", "--format", "github", "pipelines"])
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=pipelines/bad.json,line=8,col=11,title=PR030::$.pipelines.p.stages[0].$mtach:"
        " unknown stage '$mtach' (did you mean '$match'?)\n"
    )
    result = runner.invoke(main, ["lint", "--format", "sarif", "pipelines"])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    validate_sarif(log)
    (found,) = log["runs"][0]["results"]
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "pipelines/bad.json"
    )
    assert "1 finding" in result.stderr
    clean = runner.invoke(main, ["lint", "--format", "sarif", "--path", "x"])
    assert clean.exit_code == 2  # --path belongs before the command: a usage error


def test_a_clean_tree_is_an_empty_sarif_run(write_tree: WriteTree) -> None:
    root = write_tree(
        {"ok.json": pipeline_file({"p": {"collection": "c", "stages": [{"$count": "n"}]}})}
    )
    result = CliRunner().invoke(main, ["lint", "--format", "sarif", str(root)])
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []
    result = CliRunner().invoke(main, ["lint", "--format", "github", str(root)])
    assert (result.exit_code, result.stdout) == (0, "")
