"""The schema editors use (``check/editor_schema.py``, ``pipereg schema``): completes, flags."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from pipereg import language
from pipereg.check.editor_schema import editor_schema
from pipereg.cli import main
from pipereg.language import Kind

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "files"
EDITOR_CHECK = REPO / "tools" / "editor_check"


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(editor_schema())


def _undescribed(node: Any, path: str) -> list[str]:
    # Every property a file can hold has a description; the "if"/"then" blocks that say which
    # keywords a parameter type does not take restrict properties, and describe none.
    missing = []
    if isinstance(node, dict):
        properties = node.get("properties", {})
        for name, member in properties.items():
            if isinstance(member, dict) and "description" not in member:
                missing.append(f"{path}/properties/{name}")
            missing += _undescribed(member, f"{path}/properties/{name}")
        for key, value in node.items():
            if key not in ("if", "then", "properties"):
                missing += _undescribed(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            missing += _undescribed(item, f"{path}/{i}")
    return missing


def test_the_editor_schemas_are_valid_and_keep_a_stable_id() -> None:
    jsonschema.Draft202012Validator.check_schema(editor_schema())
    assert editor_schema()["$id"] == "urn:pipereg:schema:pipeline-file:1"


def test_every_property_has_a_description() -> None:
    assert _undescribed(editor_schema(), "#") == []


def test_every_stage_and_operator_of_the_catalog_is_offered_with_its_description() -> None:
    document = editor_schema()
    stages = document["$defs"]["stage"]["else"]["properties"]
    assert set(stages) == set(language.names(Kind.STAGE))
    assert all(stage["description"] for stage in stages.values())
    offered = json.dumps(document["$defs"])
    every = set().union(*(language.names(kind) for kind in Kind if kind is not Kind.STAGE))
    assert all(f'"{name}": {{"description"' in offered for name in every)


def test_unknown_stage_names_are_flagged_with_standard_keywords() -> None:
    document = {"version": 1, "pipelines": {"p": {"collection": "c", "stages": [{"$mtach": {}}]}}}
    errors = list(_validator().iter_errors(document))
    assert errors
    assert any("'$mtach' was unexpected" in error.message for error in errors)


def test_valid_files_get_no_editor_error() -> None:
    paths = [p for p in (REPO / "pipelines").rglob("*.json") if not p.name.endswith(".test.json")]
    if CORPUS.is_dir():
        paths += [p for p in CORPUS.glob("*.json") if not p.name.endswith(".test.json")]
    validator = _validator()
    for path in paths:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(document)) == [], path


def test_pipereg_schema_writes_the_editor_schema(tmp_path: Path) -> None:
    target = tmp_path / "pipeline-file.schema.json"
    result = CliRunner().invoke(main, ["schema", "-o", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == editor_schema()
    printed = CliRunner().invoke(main, ["schema", "--kind", "tests"])
    assert json.loads(printed.stdout)["$id"] == "urn:pipereg:schema:pipeline-tests:1"


def test_pipereg_schema_to_an_unwritable_place_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "-o", str(tmp_path / "missing" / "s.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: -o: cannot write")


def test_vs_codes_json_language_service_completes_describes_and_flags() -> None:
    # The service comes from the npm registry (tools/editor_check/package-lock.json pins it):
    # installed here when node and npm are on the machine, as they are on CI's.
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run VS Code's JSON language service")
    if not (EDITOR_CHECK / "node_modules").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=EDITOR_CHECK, capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stdout + installed.stderr
    done = subprocess.run(
        [node, str(EDITOR_CHECK / "check.mjs")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
