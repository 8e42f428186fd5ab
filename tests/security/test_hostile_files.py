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

from helpers import WriteTree, as_unprivileged, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.cli import main
from pipereg.errors import Problem
from pipereg.load import discovery as discovery_module
from pipereg.load.discovery import SourceFile, discover_paths
from pipereg.load.sources import load_sources

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


def test_declarations_deep_enough_to_exhaust_the_checks_are_refused(
    write_tree: WriteTree,
) -> None:
    # Parses (300 levels), but the schema validator recurses several frames per level.
    declaration: dict[str, Any] = {"type": "int", "bogus": 1}
    for _ in range(300):
        declaration = {"type": "array", "items": declaration}
    document = pipeline_file(
        {"p": {"collection": "c", "params": {"x": declaration}, "stages": [{"$match": {}}]}}
    )
    text = json.dumps(document)
    problem = only(load_error(write_tree({"m.json": text})))
    assert problem.code == "PR051"
    assert "nested too deeply to check" in problem.message
    # Level 101: the "type" of the declaration 96 "items" below x (4 levels down).
    assert problem.json_path == "$.pipelines.p.params.x" + ".items" * 96 + ".type"
    assert (problem.line, problem.column) == place(text, '"type"', 97)


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


def test_a_5_mb_string_loads_and_a_5_mb_key_gives_a_bounded_message(
    write_tree: WriteTree,
) -> None:
    big = "x" * (5 * 10**6)
    root = write_tree({"m.json": GOOD.replace(MATCH, f'"a": "{big}"')})
    assert Registry.from_paths(root).get("m.p").render()[0]["$match"]["a"] == big
    text = GOOD.replace('"version": 1', f'"version": 1, "{big}": 1')
    problem = only(load_error(write_tree({"m.json": text})))
    assert (problem.code, (problem.line, problem.column)) == ("PR010", place(text, f'"{big}"'))
    assert problem.json_path == "$." + "x" * 97 + "..."
    assert problem.message.startswith("unknown key 'xxx")
    assert "characters cut]..." in problem.message
    assert len(str(problem)) < 1500


def test_a_million_keys_in_one_object_load(write_tree: WriteTree) -> None:
    # Short keys keep the file under the 10 MiB limit; it loads in about 1.5 seconds. (Its
    # first render, which compiles the stage, takes longer: not a load concern.)
    keys = [f"{i:05x}" for i in range(10**6)]
    text = GOOD.replace(MATCH, ",".join(f'"{key}":0' for key in keys))
    assert len(text) < 10 * MiB
    registry = Registry.from_paths(write_tree({"m.json": text}))
    assert len(registry.get("m.p").definition["stages"][0]["$match"]) == 10**6


def test_identical_problems_are_reported_once(write_tree: WriteTree) -> None:
    text = GOOD.replace(MATCH, '"a": "' + "<<nope>>" * 10_000 + '"')
    problem = only(load_error(write_tree({"m.json": text})))
    assert (problem.code, problem.json_path) == ("PR020", A_PATH)


# --- valid JSON, invalid pipeline file --------------------------------------------------------


def one(stages: list[Any], params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    pipeline: dict[str, Any] = {"collection": "c", "stages": stages, **extra}
    if params is not None:
        pipeline["params"] = params
    return pipeline_file({"p": pipeline})


def located(write_tree: WriteTree, document: dict[str, Any] | str) -> tuple[str, list[Problem]]:
    """The file's text and its problems, each checked to name the file."""
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    root = write_tree({"m.json": text})
    problems = list(load_error(root).problems)
    assert {p.path for p in problems} == {str(root / "m.json")}
    return text, problems


def test_duplicate_keys_are_located_at_each_repeat(write_tree: WriteTree) -> None:
    text = GOOD.replace('"c",', '"c", "collection": "d",').replace(MATCH, '"a": 1, "a": 2')
    _, problems = located(write_tree, text)
    assert [(p.code, p.json_path, (p.line, p.column)) for p in problems] == [
        ("PR002", "$.pipelines.p.collection", place(text, '"collection"', 2)),
        ("PR002", A_PATH, place(text, '"a"', 2)),
    ]


def test_unknown_keys_are_located_with_a_suggestion(write_tree: WriteTree) -> None:
    text, problems = located(write_tree, one([{"$match": {}}], colection="c"))
    assert [(p.code, p.json_path, (p.line, p.column), p.message) for p in problems] == [
        (
            "PR010",
            "$.pipelines.p.colection",
            place(text, '"colection"'),
            "unknown key 'colection' (did you mean 'collection'?)",
        )
    ]


@pytest.mark.parametrize(
    ("document", "json_path", "says"),
    [
        ({"version": "1", "pipelines": {}}, "$.version", 'expected integer, got string "1"'),
        ({"version": 1, "pipelines": []}, "$.pipelines", "expected object, got array"),
        (one([{"$match": {}}], collection=5), "$.pipelines.p.collection", "expected string"),
        (
            pipeline_file({"p": {"collection": "c", "stages": {}}}),
            "$.pipelines.p.stages",
            "expected array, got object",
        ),
        (one([5]), "$.pipelines.p.stages[0]", "a stage is an object with exactly one key"),
        (one([{"$match": {}}], description=5), "$.pipelines.p.description", "expected string"),
        (
            one([{"$match": {"a": "<<x>>"}}], {"x": {"type": 3}}),
            "$.pipelines.p.params.x.type",
            "3 is not one of string, int",
        ),
        (
            one([{"$match": {"a": "<<x>>"}}], {"x": {"type": "array", "items": "int"}}),
            "$.pipelines.p.params.x.items",
            'expected object, got string "int"',
        ),
        (
            one([{"$match": {}}], options={"maxTimeMS": "x"}),
            "$.pipelines.p.options.maxTimeMS",
            "expected a non-negative integer",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.startswith("$") else "",
)
def test_wrong_types_anywhere_in_the_schema_are_located(
    write_tree: WriteTree, document: dict[str, Any], json_path: str, says: str
) -> None:
    text, problems = located(write_tree, document)
    problem = next(p for p in problems if p.json_path == json_path)
    assert problem.code == "PR010"
    assert says in problem.message
    # Located at the member's key (its last occurrence in the text), or at the array item.
    anchor = "5" if json_path.endswith("[0]") else f'"{json_path.rsplit(".", 1)[-1]}"'
    assert (problem.line, problem.column) == place(text, anchor, text.count(anchor))


@pytest.mark.parametrize(
    ("placeholder", "says"),
    [
        ("<<>>", "invalid placeholder <<>>"),
        ("<<a b>>", "invalid placeholder <<a b>>"),
        ("<<$x>>", "invalid placeholder <<$x>>"),
        ("<<x", "unclosed placeholder in '<<x'"),
    ],
)
def test_malformed_placeholders_are_located(
    write_tree: WriteTree, placeholder: str, says: str
) -> None:
    text, problems = located(write_tree, one([{"$match": {"a": placeholder}}]))
    assert [(p.code, p.json_path, (p.line, p.column)) for p in problems] == [
        ("PR025", A_PATH, place(text, '"a"'))
    ]
    assert says in problems[0].message


@pytest.mark.parametrize(
    ("declaration", "json_path", "says"),
    [
        ({"type": "int", "default": "ten"}, ".default", "expected int, got str 'ten'"),
        ({"type": "string", "enum": ["a"], "default": "b"}, ".default", "'b' is not one of"),
        ({"type": "int", "minimum": 5, "default": 1}, ".default", "less than the minimum 5"),
        (
            {"type": "array", "items": {"type": "int"}, "default": ["x"]},
            ".default[0]",
            "expected int, got str 'x'",
        ),
    ],
)
def test_defaults_that_break_their_own_declaration_are_located(
    write_tree: WriteTree, declaration: dict[str, Any], json_path: str, says: str
) -> None:
    text, problems = located(write_tree, one([{"$match": {"a": "<<x>>"}}], {"x": declaration}))
    assert [(p.code, p.json_path) for p in problems] == [
        ("PR022", "$.pipelines.p.params.x" + json_path)
    ]
    assert says in problems[0].message
    # At the "default" key, or at the item (the last "x" in the text: the name comes first).
    anchor = '"x"' if json_path.endswith("]") else '"default"'
    assert (problems[0].line, problems[0].column) == place(text, anchor, text.count(anchor))


# --- discovery --------------------------------------------------------------------------------


needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


POSIX_MODES = pytest.mark.skipif(sys.platform == "win32", reason="Windows has no POSIX file modes")


def located_problems(root: Path) -> list[tuple[str, str, str]]:
    """``(path, code, message)`` of each problem loading ``root``; run via as_unprivileged."""
    try:
        Registry.from_paths(root)
    except PipelineLoadError as error:
        return [(p.path, p.code, p.message) for p in error.problems]
    return []


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


@POSIX_MODES
def test_an_unreadable_file_is_located_for_real(world_tmp: Path) -> None:
    root = world_tmp / "pipelines"
    root.mkdir()
    (root / "locked.json").write_text(GOOD)
    (root / "locked.json").chmod(0)
    ((path, code, message),) = as_unprivileged(located_problems, root)
    assert (path, code) == (str(root / "locked.json"), "PR003")
    assert "Permission denied" in message


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


@POSIX_MODES
def test_an_unreadable_folder_is_a_problem_for_real(world_tmp: Path) -> None:
    root = world_tmp / "pipelines"
    (root / "locked").mkdir(parents=True)
    (root / "ok.json").write_text(GOOD)
    (root / "locked" / "hidden.json").write_text(GOOD)
    (root / "locked").chmod(0)
    try:
        ((path, code, message),) = as_unprivileged(located_problems, root)
    finally:
        (root / "locked").chmod(stat.S_IRWXU)
    assert (path, code) == (str(root / "locked"), "PR003")
    assert "Permission denied" in message


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


def sparse_100_mb(root: Path) -> None:
    with (root / "big.json").open("wb") as sparse:
        sparse.truncate(100 * MiB)


CLI_CASES: dict[str, dict[str, Any]] = {
    "encoding": {"bom.json": b"\xef\xbb\xbf" + GOOD.encode(), "ok.json": GOOD},
    "size": {"ok.json": GOOD},  # and big.json, sparse
    "depth": {"deep.json": deep_text(10_000)},
    "schema": {"m.json": json.dumps(one([{"$mtach": {}}], colection="c"))},
    "placeholder": {"m.json": json.dumps(one([{"$match": {"a": "<<x"}}]))},
    "discovery": {"ok.json": GOOD, "x.json/gone.json": GOOD, "b.json": "{"},  # x.json unlistable
}


@pytest.mark.parametrize("category", list(CLI_CASES))
def test_the_command_line_prints_one_line_per_problem_and_never_a_traceback(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch, category: str
) -> None:
    root = write_tree(CLI_CASES[category])
    if category == "size":
        sparse_100_mb(root)
    if category == "discovery":
        real_iterdir = Path.iterdir
        monkeypatch.setattr(
            Path, "iterdir", lambda self: deny() if self.name == "x.json" else real_iterdir(self)
        )
    expected = [str(p) for p in load_error(root).problems]

    lint = cli("--path", str(root), "lint")
    assert lint.exit_code == 1, lint.output
    assert lint.stdout.splitlines() == expected
    assert all(line.startswith(str(root)) for line in expected)

    listing = cli("--path", str(root), "list")
    assert listing.exit_code == 2
    assert listing.stdout == ""
    assert listing.stderr.splitlines() == ["pipereg: cannot load pipelines:", *expected]

    for result in (lint, listing):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stdout + result.stderr


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
