"""Hostile pipeline files and discovery: every case is a located PipelineLoadError, never a crash.

One case per kind of hostile input: broken encodings and syntax, sizes and depths meant to exhaust
memory or the stack, schema and placeholder mistakes, and a file system that changes or refuses
access while files are found and read. Big and binary files are generated here, in tmp_path; the
100 MB one is sparse, and must be refused from its size without being read.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg import discovery as discovery_module
from pipereg.cli import main
from pipereg.discovery import SourceFile, discover_paths
from pipereg.errors import Problem
from pipereg.registry import load_sources

MiB = 2**20
MATCH = '"a": 1'  # the one value of GOOD that cases replace
GOOD = json.dumps(
    pipeline_file({"p": {"collection": "c", "stages": [{"$match": {"a": 1}}]}}), indent=2
)
A_PATH = "$.pipelines.p.stages[0].$match.a"


def place(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """Line and column (1-based, in characters) of the ``nth`` ``needle`` in ``text``."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def byte_place(data: bytes, pos: int) -> tuple[int, int]:
    return data.count(b"\n", 0, pos) + 1, pos - (data.rfind(b"\n", 0, pos) + 1) + 1


def load_error(root: Path, **options: Any) -> PipelineLoadError:
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(root, **options)
    return info.value


def only(error: PipelineLoadError) -> Problem:
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


# --- bytes that are not a pipeline file -------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A file's bytes and the one problem they must give (``where`` None: whole file, line 0)."""

    id: str
    data: bytes
    code: str
    where: tuple[int, int] | None
    json_path: str
    says: str


def _cases() -> list[Case]:
    truncated = GOOD[: GOOD.index('"c",') + 4]
    no_comma = GOOD.replace('"c",', '"c"')
    bad_utf8 = GOOD.encode().replace(b'"c"', b'"\xff"')
    bad_byte = bad_utf8.index(b"\xff")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    nan = GOOD.replace(MATCH, '"a": NaN')
    surrogate = GOOD.replace(MATCH, '"a": "x\\udc00y"')
    digits = GOOD.replace(MATCH, '"a": ' + "7" * 5000)
    return [
        Case("truncated", truncated.encode(), "PR001", place(truncated + "$", "$"), "",
             "invalid JSON: Expecting property name"),
        Case("invalid syntax", no_comma.encode(), "PR001", place(no_comma, '"stages"'), "",
             "invalid JSON: Expecting ',' delimiter"),
        Case("UTF-8 BOM", b"\xef\xbb\xbf" + GOOD.encode(), "PR001", (1, 1), "",
             "byte-order mark"),
        Case("UTF-16", GOOD.encode("utf-16"), "PR001", (1, 1), "", "file is UTF-16"),
        Case("UTF-16 without BOM", GOOD.encode("utf-16-le"), "PR001", (1, 2), "",
             "NUL byte at byte 1: a binary file, or UTF-16 or UTF-32 text?"),
        Case("UTF-32", GOOD.encode("utf-32"), "PR001", (1, 1), "", "file is UTF-32"),
        Case("invalid UTF-8", bad_utf8, "PR001", byte_place(bad_utf8, bad_byte), "",
             f"not valid UTF-8 (byte {bad_byte} is 0xff)"),
        Case("binary PNG", png, "PR001", (3, 1), "", "NUL byte at byte 8: a binary file"),
        Case("NUL bytes", b"\x00" * 64, "PR001", (1, 1), "", "NUL byte at byte 0"),
        Case("empty", b"", "PR001", (1, 1), "", "file is empty"),
        Case("whitespace only", b" \n\t\r\n", "PR001", (1, 1), "", "file is empty"),
        Case("top-level array", b"[]", "PR010", (1, 1), "$", "expected object, got array []"),
        Case("top-level number", b"42", "PR010", (1, 1), "$", "expected object, got number 42"),
        Case("top-level string", b'"x"', "PR010", (1, 1), "$", 'expected object, got string "x"'),
        Case("top-level null", b"null", "PR010", (1, 1), "$", "expected object, got null"),
        Case("top-level bool", b"true", "PR010", (1, 1), "$", "expected object, got boolean"),
        Case("NaN", nan.encode(), "PR001", place(nan, '"a"'), A_PATH,
             "invalid JSON: NaN is not valid JSON"),
        Case("unpaired surrogate", surrogate.encode(), "PR001", place(surrogate, '"a"'), A_PATH,
             "unpaired UTF-16 surrogate escape"),
        Case("5000-digit integer", digits.encode(), "PR050", place(digits, '"a"'), A_PATH,
             "an integer of more than 4300 digits"),
    ]  # fmt: skip


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.id)
def test_bytes_that_are_not_a_pipeline_file(write_tree: WriteTree, case: Case) -> None:
    if case.id == "5000-digit integer" and not getattr(sys, "get_int_max_str_digits", None):
        pytest.skip("this Python reads integers of any length")
    root = write_tree({"m.json": case.data})
    problem = only(load_error(root))
    assert problem.path == str(root / "m.json")
    assert (problem.code, problem.json_path) == (case.code, case.json_path)
    assert (problem.line, problem.column) == (case.where or (0, 0))
    assert case.says in problem.message


# --- size and depth ---------------------------------------------------------------------------


def deep_text(levels: int) -> str:
    return GOOD.replace(MATCH, '"a": ' + "[" * levels + "]" * levels)


def test_nesting_10000_levels_is_refused_where_it_passes_100_levels(
    write_tree: WriteTree,
) -> None:
    text = deep_text(10_000)
    problem = only(load_error(write_tree({"m.json": text})))
    assert problem.code == "PR001"
    assert "nested too deeply to parse" in problem.message
    # $.pipelines.p.stages[0].$match.a is 6 levels down; 95 more arrays make level 101.
    assert problem.json_path == A_PATH + "[0]" * 95
    line, column = place(text, "[[[")
    assert (problem.line, problem.column) == (line, column + 95)


def test_a_100_mb_file_is_refused_from_its_size_without_being_read(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"ok.json": GOOD})
    big = tmp_path / "big.json"
    with big.open("wb") as sparse:
        sparse.truncate(100 * MiB)

    def no_read(*args: object, **kwargs: object) -> object:
        raise AssertionError("the file was opened for reading")

    monkeypatch.setattr(discovery_module.os, "fdopen", no_read)
    with pytest.raises(AssertionError):  # the spy works: a small file is read through it
        Registry.from_paths(root)
    problem = only(load_error(big))
    assert (problem.path, problem.line, problem.code) == (str(big), 0, "PR004")
    assert problem.message.startswith(
        "file is 104,857,600 bytes, over the limit of 10,485,760 bytes"
    )
    assert "PIPEREG_MAX_FILE_BYTES" in problem.message


def test_the_size_limit_is_configurable(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"m.json": GOOD})
    size = len(GOOD.encode())
    assert len(Registry.from_paths(root, max_file_bytes=size)) == 1  # exactly at the limit
    problem = only(load_error(root, max_file_bytes=size - 1))
    assert problem.code == "PR004"
    assert f"file is {size:,} bytes, over the limit of {size - 1:,} bytes" in problem.message
    monkeypatch.setenv("PIPEREG_MAX_FILE_BYTES", str(size - 1))
    assert only(load_error(root)).code == "PR004"
    assert len(Registry.from_paths(root, max_file_bytes=size)) == 1  # the argument wins


@pytest.mark.parametrize("value", ["ten", "-1", "0", "1.5", "10MB"])
def test_a_bad_size_limit_setting_is_a_located_load_error(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    root = write_tree({"m.json": GOOD})
    monkeypatch.setenv("PIPEREG_MAX_FILE_BYTES", value)
    problem = only(load_error(root))
    assert (problem.path, problem.code) == ("PIPEREG_MAX_FILE_BYTES", "PR004")
    assert f"{value!r} is not a size in bytes" in problem.message


@pytest.mark.parametrize("value", [0, -5, 1.5, "10"])
def test_a_bad_size_limit_argument_is_a_value_error(write_tree: WriteTree, value: Any) -> None:
    with pytest.raises(ValueError, match="max_file_bytes must be a positive int"):
        Registry.from_paths(write_tree({"m.json": GOOD}), max_file_bytes=value)


def test_the_size_limit_applies_to_zipped_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zip member has no size to ask first: a bounded read tells instead.
    archive = tmp_path / "shipped.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped_pipelines/__init__.py", "")
        zipped.writestr("zipped_pipelines/orders.json", GOOD)
    monkeypatch.syspath_prepend(str(archive))
    assert Registry.from_package("zipped_pipelines").keys() == ["orders.p"]
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_package("zipped_pipelines", max_file_bytes=100)
    problem = only(info.value)
    assert (problem.path, problem.code) == ("package:zipped_pipelines/orders.json", "PR004")
    assert problem.message.startswith("file is over the limit of 100 bytes")


# --- discovery --------------------------------------------------------------------------------


needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


@pytest.fixture
def chmod_blocks(tmp_path: Path) -> None:
    """Skip unless chmod 000 really stops this process (root, as in CI containers, reads on)."""
    probe = tmp_path / "probe"
    probe.write_text("")
    probe.chmod(0)
    try:
        probe.read_bytes()
    except PermissionError:
        return
    finally:
        probe.chmod(stat.S_IRWXU)
    pytest.skip("this process reads files whatever their mode (root, or Windows)")


@needs_symlinks
def test_symlink_loops_end_and_looping_files_are_located(write_tree: WriteTree) -> None:
    root = write_tree({"a/ok.json": GOOD})
    (root / "a" / "up").symlink_to(root, target_is_directory=True)  # a folder loop
    (root / "b.json").symlink_to(root / "c.json")  # a file loop
    (root / "c.json").symlink_to(root / "b.json")
    (root / "dangling.json").symlink_to(root / "nowhere.json")
    error = load_error(root)
    assert [(p.path, p.code, p.line) for p in error.problems] == [
        (str(root / "b.json"), "PR003", 0),
        (str(root / "c.json"), "PR003", 0),
        (str(root / "dangling.json"), "PR003", 0),
    ]
    assert all(p.message.startswith("cannot read: ") for p in error.problems)


def deny(*args: object, **kwargs: object) -> Any:
    raise PermissionError(13, "Permission denied")


def test_an_unreadable_file_is_located(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"ok.json": GOOD, "locked.json": GOOD})
    real_read = SourceFile.read

    def read(self: SourceFile, max_bytes: int = MiB) -> bytes:
        return deny() if self.path.endswith("locked.json") else real_read(self, max_bytes)

    monkeypatch.setattr(SourceFile, "read", read)
    problem = only(load_error(root))
    assert (problem.path, problem.code, problem.line) == (str(root / "locked.json"), "PR003", 0)
    assert problem.message == "cannot read: Permission denied"


@pytest.mark.usefixtures("chmod_blocks")
def test_an_unreadable_file_is_located_for_real(write_tree: WriteTree) -> None:
    root = write_tree({"locked.json": GOOD})
    (root / "locked.json").chmod(0)
    problem = only(load_error(root))
    assert (problem.path, problem.code) == (str(root / "locked.json"), "PR003")
    assert "Permission denied" in problem.message


def test_an_unreadable_folder_is_a_problem_not_a_gap(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"ok.json": GOOD, "locked/hidden.json": GOOD})
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> Any:
        return deny() if self.name == "locked" else real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    problem = only(load_error(root))
    assert (problem.path, problem.code, problem.line) == (str(root / "locked"), "PR003", 0)
    assert problem.message == "cannot read folder: Permission denied"
    # An unreadable root says so, and not also that it holds no files.
    problem = only(load_error(root / "locked"))
    assert (problem.path, problem.message) == (
        str(root / "locked"),
        "cannot read folder: Permission denied",
    )


@pytest.mark.usefixtures("chmod_blocks")
def test_an_unreadable_folder_is_a_problem_for_real(write_tree: WriteTree) -> None:
    root = write_tree({"ok.json": GOOD, "locked/hidden.json": GOOD})
    (root / "locked").chmod(0)
    try:
        problem = only(load_error(root))
    finally:
        (root / "locked").chmod(stat.S_IRWXU)
    assert (problem.path, problem.code) == (str(root / "locked"), "PR003")
    assert "Permission denied" in problem.message


def test_a_folder_named_x_json_is_walked_not_read(write_tree: WriteTree, tmp_path: Path) -> None:
    root = write_tree({"x.json/inner.json": "{"})
    problem = only(load_error(root))
    assert (problem.path, problem.code) == (str(root / "x.json" / "inner.json"), "PR001")
    (tmp_path / "only" / "x.json").mkdir(parents=True)
    problem = only(load_error(tmp_path / "only"))
    assert (problem.code, problem.message) == (
        "PR003",
        "no pipeline files (*.json) below this root",
    )


def test_a_file_replaced_by_a_folder_after_discovery_is_located(write_tree: WriteTree) -> None:
    root = write_tree({"m.json": GOOD})
    files, problems = discover_paths([root])
    (root / "m.json").unlink()
    (root / "m.json").mkdir()
    _, found = load_sources(files, problems)
    assert [(p.path, p.code, p.message) for p in found] == [
        (str(root / "m.json"), "PR003", "cannot read: not a regular file (a folder)")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.timeout(10)
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(write_tree: WriteTree) -> None:
    root = write_tree({"ok.json": GOOD})
    os.mkfifo(root / "pipe.json")
    problem = only(load_error(root))
    assert (problem.path, problem.code) == (str(root / "pipe.json"), "PR003")
    assert problem.message == "cannot read: not a regular file (a named pipe)"


def test_a_file_deleted_after_discovery_is_located(write_tree: WriteTree) -> None:
    root = write_tree({"m.json": GOOD, "gone.json": GOOD})
    files, problems = discover_paths([root])
    (root / "gone.json").unlink()
    _, found = load_sources(files, problems)
    assert [(p.path, p.code, p.line) for p in found] == [(str(root / "gone.json"), "PR003", 0)]
    assert "No such file" in found[0].message


@pytest.mark.parametrize(
    ("before", "after", "codes"),
    [(GOOD, GOOD.replace('"c"', "5"), ["PR010"]), ("{", GOOD, [])],
    ids=["good then bad", "bad then good"],
)
def test_a_file_rewritten_after_discovery_is_judged_by_what_is_read(
    write_tree: WriteTree, before: str, after: str, codes: list[str]
) -> None:
    root = write_tree({"m.json": before})
    files, problems = discover_paths([root])
    (root / "m.json").write_text(after, encoding="utf-8")
    loaded, found = load_sources(files, problems)
    assert [p.code for p in found] == codes
    assert len(loaded[0].pipelines) == (0 if codes else 1)


def test_a_file_reached_through_two_roots_is_read_once(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"sub/m.json": GOOD})
    reads: list[str] = []
    real_read = SourceFile.read

    def read(self: SourceFile, max_bytes: int = MiB) -> bytes:
        reads.append(self.path)
        return real_read(self, max_bytes)

    monkeypatch.setattr(SourceFile, "read", read)
    registry = Registry.from_paths(root, root / "sub", root / "sub" / "m.json")
    assert registry.keys() == ["sub.m.p"]
    assert reads == [str(root / "sub" / "m.json")]


# --- the command line -------------------------------------------------------------------------


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_command_line_size_limit_option_and_variable(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"m.json": GOOD})
    assert cli("--path", str(root), "lint").exit_code == 0
    small = cli("--path", str(root), "--max-file-bytes", "10", "lint")
    assert small.exit_code == 1
    assert small.stdout.startswith(f"{root / 'm.json'}: PR004 file is ")
    monkeypatch.setenv("PIPEREG_MAX_FILE_BYTES", "10")
    assert cli("--path", str(root), "list").exit_code == 2
    assert cli("--path", str(root), "--max-file-bytes", "10000", "list").exit_code == 0
    for bad in ("0", "ten"):
        monkeypatch.setenv("PIPEREG_MAX_FILE_BYTES", bad)
        result = cli("--path", str(root), "lint")
        assert result.exit_code == 2
        assert "--max-file-bytes" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
