"""``pipereg stubs`` (pipereg.cli.stubs): print, write atomically, check for CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, WriteTree, pipeline_file
from pipereg import Registry
from pipereg.cli import main
from pipereg.review.stubs import generate

TREE = {
    "orders.json": pipeline_file(
        {
            "recent": {
                "collection": "orders",
                "params": {"since": {"type": "date"}},
                "stages": [{"$match": {"at": {"$gte": "<<since>>"}}}],
            }
        }
    )
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def root(write_tree: WriteTree) -> Path:
    return write_tree(TREE)


def test_prints_the_module_without_output(root: Path) -> None:
    result = invoke("--path", str(root), "stubs")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == generate(Registry.from_paths(root), [str(root)])
    assert "class OrdersRecentParams(TypedDict):" in result.stdout


def test_writes_the_file_then_finds_it_up_to_date(root: Path, tmp_path: Path) -> None:
    output = tmp_path / "typed.py"
    result = invoke("--path", str(root), "stubs", "-o", str(output))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"pipereg: wrote {output} (1 pipeline)\n"
    assert output.read_text(encoding="utf-8") == generate(Registry.from_paths(root), [str(root)])
    # No temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipelines", "typed.py"]

    again = invoke("--path", str(root), "stubs", "--output", str(output))
    assert again.exit_code == 0
    assert again.stderr == f"pipereg: {output} is up to date\n"


def test_replaces_a_stale_file(root: Path, tmp_path: Path) -> None:
    output = tmp_path / "typed.py"
    output.write_text("# old\n", encoding="utf-8")
    result = invoke("--path", str(root), "stubs", "-o", str(output))
    assert result.exit_code == 0, result.stderr
    assert "class OrdersRecentParams" in output.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipelines", "typed.py"]


def test_check_passes_on_current_stubs(root: Path, tmp_path: Path) -> None:
    output = tmp_path / "typed.py"
    assert invoke("--path", str(root), "stubs", "-o", str(output)).exit_code == 0
    result = invoke("--path", str(root), "stubs", "--check", "-o", str(output))
    assert result.exit_code == 0
    assert result.stderr == f"pipereg: {output} is up to date\n"


def test_check_fails_on_stale_stubs_and_writes_nothing(
    root: Path, tmp_path: Path, write_tree: WriteTree
) -> None:
    output = tmp_path / "typed.py"
    assert invoke("--path", str(root), "stubs", "-o", str(output)).exit_code == 0
    before = output.read_text(encoding="utf-8")
    pipeline = TREE["orders.json"]["pipelines"]["recent"]
    params = {"since": {"type": "date"}, "limit": {"type": "int", "default": 5}}
    stages = [*pipeline["stages"], {"$limit": "<<limit>>"}]
    changed = {**pipeline, "params": params, "stages": stages}
    write_tree({"orders.json": pipeline_file({"recent": changed})})

    result = invoke("--path", str(root), "stubs", "--check", "-o", str(output))
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipereg: {output} is out of date; run: pipereg stubs -o {output} "
        "(with the same --path), and commit it\n"
    )
    assert output.read_text(encoding="utf-8") == before


def test_check_fails_on_a_missing_file(root: Path, tmp_path: Path) -> None:
    output = tmp_path / "typed.py"
    result = invoke("--path", str(root), "stubs", "--check", "-o", str(output))
    assert result.exit_code == 1
    assert f"pipereg: {output} is missing; run: pipereg stubs -o {output}" in result.stderr
    assert not output.exists()


def test_committed_example_stubs_pass_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # as CI runs it, from the repository root
    result = invoke("stubs", "--check", "-o", "examples/service/pipelines_typed.py")
    assert result.exit_code == 0, result.stderr


def test_check_needs_an_output_file(root: Path) -> None:
    result = invoke("--path", str(root), "stubs", "--check")
    assert result.exit_code == 2
    assert "--check needs -o FILE" in result.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-folder", "cannot write: No such file or directory"),
        ("a-folder", "is a directory"),  # click's own check: a usage error
        ("not-utf8", "cannot read:"),
    ],
)
def test_a_bad_output_file_is_one_line_exit_2(
    root: Path, tmp_path: Path, setup: str, message: str
) -> None:
    output = tmp_path / "typed.py"
    if setup == "missing-folder":
        output = tmp_path / "nowhere" / "typed.py"
    elif setup == "a-folder":
        output.mkdir()
    else:
        output.write_bytes(b"\xff\xfe")
    result = invoke("--path", str(root), "stubs", "-o", str(output))
    assert result.exit_code == 2
    assert message in result.stderr
    if setup != "a-folder":
        assert result.stderr.startswith(f"pipereg: {output}: ")
        assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_pipelines_that_do_not_load_are_exit_2(write_tree: WriteTree) -> None:
    root = write_tree({"bad.json": "{"})
    result = invoke("--path", str(root), "stubs")
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: cannot load pipelines:\n")


def test_no_pipelines_is_exit_2(tmp_path: Path) -> None:
    result = invoke("--path", str(tmp_path), "stubs")
    assert result.exit_code == 2
    assert "PR003 no pipeline files" in result.stderr


def test_roots_holding_only_fragments_are_one_line_exit_2(write_tree: WriteTree) -> None:
    root = write_tree({"common.json": {"version": 1, "fragments": {"e": {"document": {"a": 1}}}}})
    result = invoke("--path", str(root), "stubs")
    assert result.exit_code == 2
    assert result.stderr == f"pipereg: no pipelines to type in {root}: only fragments\n"
    assert result.stdout == ""


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "typed.py"
    output.write_text("# old\n", encoding="utf-8")

    def replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pipereg.cli.output.os.replace", replace)
    result = invoke("--path", str(root), "stubs", "-o", str(output))
    assert result.exit_code == 2
    assert result.stderr == f"pipereg: {output}: cannot write: No space left on device\n"
    assert output.read_text(encoding="utf-8") == "# old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipelines", "typed.py"]
