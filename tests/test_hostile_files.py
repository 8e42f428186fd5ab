"""Hostile pipeline files and discovery: every case is a located PipelineLoadError, never a crash.

One case per kind of hostile input: broken encodings and syntax, sizes and depths meant to exhaust
memory or the stack, schema and placeholder mistakes, and a file system that changes or refuses
access while files are found and read. Big and binary files are generated here, in tmp_path; the
100 MB one is sparse, and must be refused from its size without being read.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry
from pipereg.errors import Problem

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
