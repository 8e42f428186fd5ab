"""``pipereg fmt`` (pipereg.cli.fmt): rewriting, --check, --diff, refusals, atomic replacement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, WriteTree
from pipereg.cli import main

COMPACT = '{"version": 1, "pipelines": {"p": {"collection": "c", "stages": [{"$limit": 1.0}]}}}'
CANONICAL = """{
  "version": 1,
  "pipelines": {
    "p": {
      "collection": "c",
      "stages": [
        {"$limit": 1.0}
      ]
    }
  }
}
"""
# An hour ago: a rewrite would move the modification time to now.
LONG_AGO = 3600


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def aged(path: Path) -> int:
    """Move ``path``'s modification time an hour back; return it in nanoseconds."""
    then = path.stat().st_mtime_ns - LONG_AGO * 10**9
    os.utime(path, ns=(then, then))
    return then


@pytest.fixture
def tree(write_tree: WriteTree) -> Path:
    return write_tree({"a.json": COMPACT, "sub/b.json": CANONICAL})


def test_rewrites_what_changes_and_lists_it(tree: Path) -> None:
    untouched = aged(tree / "sub" / "b.json")
    result = invoke("fmt", str(tree))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tree / 'a.json'}\n"
    assert result.stderr == "2 files, 1 reformatted\n"
    assert (tree / "a.json").read_text(encoding="utf-8") == CANONICAL
    assert (tree / "sub" / "b.json").stat().st_mtime_ns == untouched  # not rewritten
    again = invoke("fmt", str(tree))
    assert (again.exit_code, again.stdout) == (0, "")
    assert again.stderr == "2 files, 0 reformatted\n"


def test_roots_are_the_default(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("--path", str(tree), "fmt").stdout == f"{tree / 'a.json'}\n"
    (tree / "a.json").write_text(COMPACT, encoding="utf-8")
    monkeypatch.setenv("PIPEREG_PATH", str(tree))
    assert invoke("fmt").stdout == f"{tree / 'a.json'}\n"
    monkeypatch.chdir(tree.parent)  # ./pipelines
    (tree / "a.json").write_text(COMPACT, encoding="utf-8")
    monkeypatch.delenv("PIPEREG_PATH")
    assert invoke("fmt").stdout == f"{Path('pipelines', 'a.json')}\n"


def test_check_lists_what_would_change_and_changes_nothing(tree: Path) -> None:
    before = aged(tree / "a.json")
    result = invoke("fmt", "--check", str(tree))
    assert result.exit_code == 1
    assert result.stdout == f"{tree / 'a.json'}\n"
    assert result.stderr == "2 files, 1 would be reformatted\n"
    assert (tree / "a.json").read_text(encoding="utf-8") == COMPACT
    assert (tree / "a.json").stat().st_mtime_ns == before
    clean = invoke("fmt", "--check", str(tree / "sub"))
    assert (clean.exit_code, clean.stdout) == (0, "")


def test_diff_shows_each_change_and_changes_nothing(tree: Path) -> None:
    result = invoke("fmt", "--diff", str(tree))
    assert result.exit_code == 1
    path = tree / "a.json"
    assert result.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n@@ -1 +1,11 @@\n-{COMPACT}\n")
    assert "\\ No newline at end of file\n+{\n" in result.stdout
    assert result.stdout.endswith('+        {"$limit": 1.0}\n+      ]\n+    }\n+  }\n+}\n')
    assert path.read_text(encoding="utf-8") == COMPACT


def test_a_file_that_is_not_json_is_refused_as_lint_refuses_it(write_tree: WriteTree) -> None:
    root = write_tree({"a.json": COMPACT, "bad.json": '{"a": 1,\n "a": 2}'})
    result = invoke("fmt", str(root))
    assert result.exit_code == 2
    problem = f"{root / 'bad.json'}:2:2: PR002 $.a: duplicate key 'a'"
    assert problem in invoke("lint", str(root)).stdout.splitlines()
    assert result.stderr == f"{problem}\n2 files, 1 reformatted, 1 error\n"
    assert (root / "bad.json").read_text(encoding="utf-8") == '{"a": 1,\n "a": 2}'
    assert (root / "a.json").read_text(encoding="utf-8") == CANONICAL  # the others are done
    assert invoke("fmt", "--check", str(root)).exit_code == 2  # errors outrank changes


def test_a_file_with_numbers_bson_cannot_hold_is_refused_as_lint_refuses_it(
    write_tree: WriteTree,
) -> None:
    text = (
        '{"version":1,"pipelines":{"p":{"collection":"c",'
        '"stages":[{"$match":{"a":1e400,"d":12345678901234567890}}]}}}'
    )
    root = write_tree({"a.json": text})
    result = invoke("fmt", str(root))
    assert result.exit_code == 2
    linted = invoke("lint", str(root)).stdout.splitlines()
    problems = [line for line in linted if " PR050 " in line]
    assert len(problems) == 2
    assert result.stderr == "\n".join(problems) + "\n1 file, 0 reformatted, 2 errors\n"
    assert (root / "a.json").read_text(encoding="utf-8") == text
    assert invoke("fmt", "--check", str(root)).exit_code == 2


def test_a_file_that_fails_the_schema_is_still_formatted(write_tree: WriteTree) -> None:
    root = write_tree({"a.json": '{"pipelines": {"p": {"stages": [], "colection": "c"}}}'})
    assert invoke("lint", str(root)).exit_code == 1
    assert invoke("fmt", str(root)).exit_code == 0
    formatted = '{\n  "pipelines": {"p": {"stages": [], "colection": "c"}}\n}\n'
    assert (root / "a.json").read_text(encoding="utf-8") == formatted


def test_files_are_found_as_lint_finds_them(write_tree: WriteTree) -> None:
    root = write_tree({".hidden.json": COMPACT, "notes.txt": "x", "a.json": COMPACT})
    result = invoke("fmt", str(root))
    assert result.stdout == f"{root / 'a.json'}\n"
    assert (root / ".hidden.json").read_text(encoding="utf-8") == COMPACT
    empty = root / "empty"
    empty.mkdir()
    refused = invoke("fmt", str(empty))
    assert refused.exit_code == 2
    assert "PR003 no pipeline files (*.json) below this root" in refused.stderr
    assert invoke("fmt", str(root / "missing")).exit_code == 2  # a usage error


def test_a_file_over_the_size_limit_is_refused_unread(tree: Path) -> None:
    result = invoke("--max-file-bytes", "50", "fmt", str(tree / "a.json"))
    assert result.exit_code == 2
    assert f"{tree / 'a.json'}: PR004 file is 84 bytes, over the limit of 50 bytes" in result.stderr


def test_mode_is_kept_and_a_symlink_stays_a_link(tree: Path) -> None:
    target = tree / "a.json"
    target.chmod(0o640)
    link = tree / "link.json"
    link.symlink_to(target)
    result = invoke("fmt", str(link))
    assert (result.exit_code, result.stdout) == (0, f"{link}\n")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_line_endings_and_byte_order_mark(write_tree: WriteTree) -> None:
    crlf, bom = b'{"a": 1,\r\n"b": 2}\r\n', b'\xef\xbb\xbf{"a": 1}'
    root = write_tree({"crlf.json": crlf, "bom.json": bom})
    check = invoke("fmt", "--check", str(root / "bom.json"))
    assert check.exit_code == 1
    assert f"{root / 'bom.json'}: UTF-8 byte-order mark would be removed" in check.stderr
    result = invoke("fmt", str(root))
    assert result.exit_code == 0
    assert f"{root / 'bom.json'}: UTF-8 byte-order mark removed" in result.stderr
    assert (root / "bom.json").read_bytes() == b'{\n  "a": 1\n}\n'
    assert (root / "crlf.json").read_bytes() == b'{\r\n  "a": 1,\r\n  "b": 2\r\n}\r\n'
    assert invoke("lint", str(root / "bom.json")).exit_code == 1  # the schema, not the BOM
    assert "byte-order mark" not in invoke("lint", str(root / "bom.json")).stdout


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_a_failed_replace_leaves_the_file_whole(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    result = invoke("fmt", str(tree))
    assert result.exit_code == 2
    assert f"{tree / 'a.json'}: cannot write: Permission denied" in result.stderr
    assert (tree / "a.json").read_text(encoding="utf-8") == COMPACT
    assert leftovers(tree) == []


def test_an_interrupted_write_leaves_the_file_whole(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    result = invoke("fmt", str(tree))
    assert result.exit_code != 0
    assert (tree / "a.json").read_text(encoding="utf-8") == COMPACT
    assert leftovers(tree) == []


def test_an_edit_made_while_formatting_is_not_overwritten(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipereg.cli.fmt

    formatted = pipereg.cli.fmt.format_bytes
    edit = '{"edited": "meanwhile, by an editor"}'

    def format_while_editing(data: bytes, path: str) -> bytes:
        (tree / "a.json").write_text(edit, encoding="utf-8")
        return formatted(data, path)

    monkeypatch.setattr(pipereg.cli.fmt, "format_bytes", format_while_editing)
    result = invoke("fmt", str(tree / "a.json"))
    assert result.exit_code == 2
    assert "changed on disk since it was read; left as it is, run fmt again" in result.stderr
    assert (tree / "a.json").read_text(encoding="utf-8") == edit
    assert leftovers(tree) == []


def test_the_bundled_pipelines_pass_the_check() -> None:
    result = invoke("fmt", "--check", str(REPO / "pipelines"))
    assert (result.exit_code, result.stdout) == (0, "")
