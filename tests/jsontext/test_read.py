"""Reading JSON files: within the size limit, never waiting on a pipe, parsed strictly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipereg import codes
from pipereg.jsontext import read
from pipereg.jsontext.parse import ParseFailure


@pytest.fixture
def grown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file of 5,000 bytes whose fstat says 1,000: as if it grew after its size was taken."""
    path = tmp_path / "a.json"
    path.write_bytes(b"x" * 5000)
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        fields = list(real(fd))
        fields[6] = 1000  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(read.os, "fstat", fstat)
    return path


def test_a_file_that_grew_after_its_size_was_taken_is_read_whole(grown: Path) -> None:
    assert read.read_bytes(grown, 10_000) == b"x" * 5000


def test_a_file_that_grew_past_the_limit_after_its_size_was_taken_is_too_large(
    grown: Path,
) -> None:
    with pytest.raises(read.FileTooLarge) as raised:
        read.read_bytes(grown, 2000)
    assert raised.value.size is None


def test_read_json_gives_the_document_and_its_text(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"a": [1, 2]}')
    assert read.read_json(tmp_path / "a.json", 100) == ({"a": [1, 2]}, '{"a": [1, 2]}')


@pytest.mark.parametrize(
    ("content", "code", "says"),
    [
        (b'{"a": 1, "a": 2}', codes.DUPLICATE_KEY, "duplicate key 'a'"),
        (b'{"a": NaN}', codes.NOT_JSON, "NaN is not valid JSON"),
        (b"\xff\xfe{}", codes.NOT_JSON, "UTF"),
        (b"x" * 200, codes.TOO_LARGE, "over the limit of 100 bytes"),
    ],
    ids=["duplicate key", "NaN", "not UTF-8", "too large"],
)
def test_read_json_refuses_with_located_problems(
    tmp_path: Path, content: bytes, code: str, says: str
) -> None:
    (tmp_path / "a.json").write_bytes(content)
    with pytest.raises(ParseFailure) as raised:
        read.read_json(tmp_path / "a.json", 100, "shown.json")
    [problem] = raised.value.problems
    assert (problem.path, problem.code) == ("shown.json", code)
    assert says in problem.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_read_json_never_waits_on_a_named_pipe(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    with pytest.raises(ParseFailure) as raised:
        read.read_json(tmp_path / "pipe.json", 100)
    [problem] = raised.value.problems
    assert problem.code == codes.UNREADABLE
    assert "named pipe" in problem.message


def test_short_reads_are_read_on_until_the_end_or_the_size() -> None:
    import io

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            chunk, self.data = self.data[:1], self.data[1:]  # one byte at a time
            return chunk

    assert read._read_at_most(Trickle(b"abcdef"), 4) == b"abcd"  # type: ignore[arg-type]
    assert read._read_at_most(Trickle(b"ab"), 4) == b"ab"  # type: ignore[arg-type]
