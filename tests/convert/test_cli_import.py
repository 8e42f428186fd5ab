"""``pipereg import`` and ``pipereg render --format shell`` through click's CliRunner."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import bson
import pytest
from click.testing import CliRunner, Result

import pipereg
from pipereg.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "convert"
REPOSITORY = Path(__file__).parent.parent.parent
EXAMPLE_PARAMS: dict[str, list[dict[str, Any]]] = json.loads(
    (REPOSITORY / "tests" / "fixtures" / "example_params.json").read_text(encoding="utf-8")
)


def invoke(*args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("orders_service.py", "refused.py"):
        shutil.copy(FIXTURES / "python" / name, folder / name)
    return folder


def test_import_writes_one_canonical_file_per_source_and_exits_0(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pipelines"
    result = invoke("import", source / "orders_service.py", "--out", out)
    assert result.exit_code == 0, result.output
    written = out / "orders_service.json"
    assert f"pipereg: wrote {written}: 12 pipelines" in result.stderr
    registry = pipereg.Registry.from_paths(out)
    assert len(registry.keys()) == 12
    assert invoke("--path", out, "fmt", "--check").exit_code == 0


def test_left_out_pipelines_are_listed_as_file_line_reason_and_exit_1(
    source: Path, tmp_path: Path
) -> None:
    refused = source / "refused.py"
    result = invoke("import", refused, "--out", tmp_path / "out")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if ": note: " not in line]
    reasons = [line for line in lines if line.startswith(f"{refused}:")]
    assert len(reasons) == 12
    assert all(re.fullmatch(rf"{re.escape(str(refused))}:\d+: \w+: .+", r) for r in reasons)
    assert "Traceback" not in result.output
    registry = pipereg.Registry.from_paths(tmp_path / "out")
    assert registry.keys() == ["refused.counted"]


def test_dry_run_prints_the_file_and_writes_nothing(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "pipelines"
    result = invoke("import", source / "orders_service.py", "--out", out, "--dry-run")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["pipelines"]["daily_revenue"]["collection"] == "orders"
    assert "would write" in result.stderr
    assert not out.exists()


def test_an_existing_file_is_not_overwritten(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "pipelines"
    out.mkdir()
    (out / "orders_service.json").write_text("{}", encoding="utf-8")
    result = invoke("import", source / "orders_service.py", "--out", out)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "exists; not overwritten" in result.stderr
    assert (out / "orders_service.json").read_text(encoding="utf-8") == "{}"


def test_standard_input_is_read_as_shell_syntax(tmp_path: Path) -> None:
    text = "// pasted\ndb.orders.aggregate([{$match: {a: 1}}, {$count: 'n'},])\n"
    result = invoke("import", "-", "--module", "pasted", "--out", tmp_path, stdin=text)
    assert result.exit_code == 0, result.output
    assert pipereg.Registry.from_paths(tmp_path).render("pasted.orders") == [
        {"$match": {"a": 1}},
        {"$count": "n"},
    ]


def test_a_bare_array_takes_the_collection_option(tmp_path: Path) -> None:
    export = FIXTURES / "shell" / "export.js"
    result = invoke("import", export, "--collection", "shipments", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert pipereg.Registry.from_paths(tmp_path).get("export.shipments").collection == "shipments"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.py", "def f(:\n", r"broken\.py:1:\d+: "),
        ("broken.js", "db.x.aggregate([{$match: }])\n", r"broken\.js:1:\d+: syntax error"),
        ("notes.txt", "x", r"notes\.txt:1:1: not a \.py, \.js or \.mongodb file"),
    ],
)
def test_unreadable_input_is_one_line_and_exit_2(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke("import", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert re.match(r"pipereg: .*" + message, result.stderr)
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_missing_source_is_exit_2_and_nothing_is_written(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("import", source / "orders_service.py", tmp_path / "gone.py", "--out", out)
    assert result.exit_code == 2
    assert "gone.py:1:1: cannot read" in result.stderr
    assert not out.exists()


def test_standard_input_needs_a_module() -> None:
    result = invoke("import", "-", stdin="[]")
    assert result.exit_code == 2
    assert "needs --module" in result.output


CASES = [
    pytest.param(key, params, id=f"{key}[{index}]")
    for key, cases in EXAMPLE_PARAMS.items()
    for index, params in enumerate(cases)
]


@pytest.mark.parametrize(("key", "params"), CASES)
def test_render_shell_then_import_gives_the_same_pipeline(
    tmp_path: Path, key: str, params: dict[str, Any]
) -> None:
    roots = REPOSITORY / "pipelines"
    shown = invoke(
        "--path", roots, "render", key, "--params", json.dumps(params), "--format", "shell"
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("db.getCollection(")
    back = invoke("import", "-", "--module", "back", "--out", tmp_path, stdin=shown.stdout)
    assert back.exit_code == 0, back.output
    registry = pipereg.Registry.from_paths(roots)
    original = registry.get(key)
    (imported,) = pipereg.Registry.from_paths(tmp_path)
    assert imported.name == original.name
    assert imported.collection == original.collection
    rendered = registry.render(key, params)
    assert bson.encode({"p": imported.render({})}) == bson.encode({"p": rendered})
