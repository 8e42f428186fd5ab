"""``pipereg lint --target-version``: stages and operators newer than the servers a team runs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipereg.cli import main

DOCUMENT = {
    "version": 1,
    "pipelines": {
        "stats": {
            "collection": "c",
            "stages": [
                {"$match": {"$expr": {"$gt": [{"$bitAnd": ["$a", 1]}, 0]}}},
                {
                    "$group": {
                        "_id": None,
                        "m": {"$median": {"input": "$a", "method": "approximate"}},
                    }
                },
            ],
        }
    },
}


def _lint(root: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    (root / "m.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    result = CliRunner().invoke(main, ["--path", str(root), "lint", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout or "[]")


def test_operators_newer_than_the_target_are_reported_where_they_stand(tmp_path: Path) -> None:
    status, findings = _lint(tmp_path, "--target-version", "6.0")
    assert status == 1
    assert [(f["code"], f["json_path"]) for f in findings] == [
        ("PR091", "$.pipelines.stats.stages[0].$match.$expr.$gt[0].$bitAnd"),
        ("PR091", "$.pipelines.stats.stages[1].$group.m.$median"),
    ]
    assert "$median came in MongoDB 7.0, after the target version 6.0" in str(
        findings[1]["message"]
    )


def test_a_target_that_has_them_all_finds_nothing(tmp_path: Path) -> None:
    assert _lint(tmp_path, "--target-version", "7.0") == (0, [])
    assert _lint(tmp_path) == (0, [])


def test_a_target_that_is_not_a_version_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--path", str(tmp_path), "lint", "--target-version", "seven"]
    )
    assert result.exit_code == 2
    assert "'seven' is not a server version" in result.stderr
