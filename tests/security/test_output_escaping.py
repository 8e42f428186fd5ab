"""File names and values that CI systems and terminals would act on: printed, never obeyed.

A file name may hold a newline (which forges a lint line, or a GitHub workflow command such as
``::error`` or ``::add-mask::``), an escape sequence (which repaints a terminal), a bidirectional
override (which reorders what a reviewer reads) or a Unicode line separator. Every output format
keeps one problem per line (or per record) and shows such characters as escapes.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import pipeline_file
from pipereg.cli import main
from pipereg.cli.app import InputError
from pipereg.cli.output import replace_file
from pipereg.errors import Problem
from pipereg.messages import printable

NAMES = {
    "newline": "a\n::error file=forged.py,line=1::forged.json",
    "carriage-return": "a\r::add-mask::x.json",
    "escape": "a\x1b[2J\x1b[31mred.json",
    "bidi": "a\u202eevil\u202c.json",
    "line-separator": "a\u2028::error::x.json",
    "nel": "a\u0085::error::x.json",
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()
    return tmp_path / "p"


@pytest.mark.parametrize("name", NAMES.values(), ids=list(NAMES))
@pytest.mark.parametrize("fmt", ["text", "github"])
def test_one_problem_is_one_line(tree: Path, name: str, fmt: str) -> None:
    (tree / name).write_text("{")
    (tree / "b.json").write_text("{")
    result = invoke("--path", "p", "lint", "--format", fmt)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()  # splitlines breaks at \r, \x1c-\x1e, \x85, \u2028 too
    assert len(lines) == 2, lines
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    if fmt == "github":
        assert all(line.startswith("::error file=p/") for line in lines)


@pytest.mark.parametrize("name", NAMES.values(), ids=list(NAMES))
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_formats_keep_the_name_exactly(tree: Path, name: str, fmt: str) -> None:
    (tree / name).write_text("{")
    result = invoke("--path", "p", "lint", "--format", fmt)
    layout = result.stdout.replace("\n", "")  # the layout's own newlines are the only raw ones
    assert not any(char in layout for char in "\r\x1b\u2028\u0085")
    document = json.loads(result.stdout)  # and the data survive exactly
    if fmt == "json":
        assert document[0]["path"] == f"p/{name}"
    else:
        uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        assert uri["artifactLocation"]["uri"].startswith("p/")


def test_json_line_separators_are_escaped(tree: Path) -> None:
    (tree / NAMES["line-separator"]).write_text("{")
    result = invoke("--path", "p", "lint", "--format", "json")
    assert "\u2028" not in result.stdout
    assert json.loads(result.stdout)[0]["path"] == f"p/{NAMES['line-separator']}"


def test_a_problem_prints_as_one_line() -> None:
    problem = Problem("a\nb.json", 1, 2, "$.x\n", "PR001", "bad\x1b[0m\nthing")
    assert str(problem) == "a\\nb.json:1:2: PR001 $.x\\n: bad\\x1b[0m\\nthing"


def test_an_input_error_escapes_what_it_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    InputError("--data a\nb: missing", ["detail\x1b[2J"]).show()
    assert capsys.readouterr().err == "pipereg: --data a\\nb: missing\ndetail\\x1b[2J\n"


def test_printable_leaves_plain_text_and_backslashes_alone() -> None:
    assert printable("C:\\pipelines\\a.json") == "C:\\pipelines\\a.json"
    assert printable("ünïcode ✓") == "ünïcode ✓"
    twice = printable(printable("a\nb"))
    assert twice == printable("a\nb") == "a\\nb"


def test_fmt_prints_a_changed_file_name_escaped(tree: Path) -> None:
    name = NAMES["newline"]
    doc = pipeline_file({"q": {"collection": "c", "stages": [{"$match": {"a": 1}}]}})
    (tree / name).write_text(json.dumps(doc))
    result = invoke("fmt", "--check", "p")
    assert result.exit_code == 1
    assert result.stdout == "p/a\\n::error file=forged.py,line=1::forged.json\n"


def test_fmt_leaves_a_read_only_file_alone(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tree / "q.json"
    text = json.dumps(pipeline_file({"q": {"collection": "c", "stages": [{"$match": {"a": 1}}]}}))
    path.write_text(text)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    if os.access(path, os.W_OK):  # root writes whatever the mode: be the user the mode binds
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, m, **k: False if m == os.W_OK else real(p, m, **k)
        )
    result = invoke("fmt", "p")
    assert result.exit_code == 2
    assert "read-only" in result.stderr
    assert path.read_text() == text
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IRUSR | stat.S_IRGRP


def test_a_named_pipe_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "out.md"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        replace_file(fifo, b"x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_docs_output_to_a_named_pipe_is_one_line(tree: Path) -> None:
    (tree / "q.json").write_text(
        json.dumps(pipeline_file({"q": {"collection": "c", "stages": [{"$match": {"a": 1}}]}}))
    )
    os.mkfifo("out.md")
    result = invoke("--path", "p", "docs", "-o", "out.md")
    assert result.exit_code == 2
    assert result.stderr == "pipereg: out.md: cannot read: not a regular file (a named pipe)\n"


def test_fmt_never_writes_through_a_link_out_of_its_root(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "home.json"
    outside.write_text('{"version":1,"pipelines":{}}')  # valid JSON that fmt would lay out
    (tree / "link.json").symlink_to(outside)
    result = invoke("fmt", "p")
    assert result.exit_code == 2
    assert f"p/link.json: links to a file outside {tree.resolve()}; left as it is" in (
        result.stderr
    )
    assert outside.read_text() == '{"version":1,"pipelines":{}}'
