"""Every command, driven with hostile input: one clear line and exit 0, 1 or 2, never a traceback.

The cases are generated: each command that takes parameters gets every hostile parameter value
for every declared type, each command that reads files gets every hostile file (a named pipe,
``/dev/zero``, a folder, a file named with a newline, invalid UTF-8, nesting past any stack), and
each command that takes a key or a revision gets hostile ones. A case passes when the command
exits 0, 1 or 2, prints no traceback, and does not fall back on the CLI's last guard ("internal
error"), which would mean pipereg has a bug the input found. Each case runs under an alarm, so a
command that waits on a pipe fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from click.testing import CliRunner, Result

from helpers import commit_files, git, pipeline_file
from pipereg.cli import main

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM (POSIX)")

TYPES = [
    "string",
    "int",
    "long",
    "double",
    "bool",
    "date",
    "objectId",
    "decimal",
    "array",
    "object",
]
DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_VALUES = [
    "",
    "null",
    "9" * 5000,
    "-" + "9" * 5000,
    "1e999",
    "NaN",
    "x" * 1_000_000,
    "\n::error::forged",
    "\x1b[2J",
    '{"$oid": "zz"}',
    '{"$numberDecimal": "abc"}',
    '{"$code": 5}',
    '{"$date": "not a date"}',
    '{"$date": {"$numberLong": "x"}}',
    '{"$binary": {"base64": "!!", "subType": "zz"}}',
    '{"$regularExpression": {"pattern": 1, "options": 2}}',
    '{"$timestamp": {"t": -1, "i": 99999999999}}',
    '{"$uuid": "x"}',
    '{"$minKey": 2}',
    '{"$dbPointer": 5}',
    '{"$numberLong": "99999999999999999999999"}',
    '[{"$oid": "zz"}]',
    DEEP,
    '{"a": ' * 5000 + "1" + "}" * 5000,
    "[1, 2",
    "\udcff",  # a byte that is not UTF-8, as Python passes it from argv
]
HOSTILE_KEYS = ["", "x" * 1_000_000, "\n::error::forged", "a.b.c.d", "orders.q\udcff", "-h-"]
HOSTILE_REVISIONS = ["-x", "HEAD^{tree}", "\n", "a" * 100_000, "HEAD:pipelines", "@{-1}", ":/x"]


class Hung(BaseException):
    """A command waited too long: on a pipe, say. Not an Exception, so no handler swallows it."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung("the command did not finish within 20 seconds")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder with pipelines/orders.json: pipeline q takes one parameter per type."""
    root = tmp_path / "pipelines"
    root.mkdir()
    params = {f"p_{kind}": {"type": kind, "optional": True} for kind in TYPES}
    params["p_array"]["items"] = {"type": "int"}
    params["p_object"]["properties"] = {"a": {"type": "string", "optional": True}}
    match = {f"f_{kind}": f"<<p_{kind}>>" for kind in TYPES}
    doc = pipeline_file(
        {
            "q": {"collection": "c", "params": params, "stages": [{"$match": match}]},
            "r": {"collection": "c", "stages": [{"$match": {"a": 1}}]},
        }
    )
    (root / "orders.json").write_text(json.dumps(doc, indent=2))
    monkeypatch.chdir(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    yield tmp_path
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def invoke(*args: str) -> Result:
    signal.alarm(20)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        signal.alarm(0)


def assert_one_clear_answer(result: Result, *args: str) -> None:
    assert "Traceback" not in result.output, result.output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
    assert "internal error" not in result.output, result.output[-2000:]
    # Whatever the input, an error stays short: no megabyte echo (textconv prints the file).
    if result.exit_code != 0 and "--textconv" not in args:
        assert len(result.output) < 100_000, len(result.output)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v[:24]))
@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("command", ["render", "run"])
def test_a_hostile_p_value(env: Path, command: str, kind: str, value: str) -> None:
    assert_one_clear_answer(invoke(command, "orders.q", "-p", f"p_{kind}={value}"))


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v[:24]))
@pytest.mark.parametrize("command", ["render", "run"])
def test_a_hostile_params_json(env: Path, command: str, value: str) -> None:
    assert_one_clear_answer(invoke(command, "orders.q", "--params", value))
    wrapped = f'{{"p_object": {value or "1"}}}'
    assert_one_clear_answer(invoke(command, "orders.q", "--params", wrapped))


@pytest.mark.parametrize(
    "pair", ["", "=", "==", "noequals", "p_int=1=2", "x" * 100_000 + "=1", "\n=1"]
)
def test_a_hostile_p_pair(env: Path, pair: str) -> None:
    assert_one_clear_answer(invoke("render", "orders.q", "-p", pair))


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=lambda k: repr(k[:24]))
@pytest.mark.parametrize("command", ["show", "render", "run"])
def test_a_hostile_key(env: Path, command: str, key: str) -> None:
    result = invoke(command, key)
    assert_one_clear_answer(result)
    assert result.exit_code == 2


def test_an_unknown_key_of_a_megabyte_is_not_echoed_whole(env: Path) -> None:
    result = invoke("show", "k" * 1_000_000)
    assert result.exit_code == 2
    assert len(result.output) < 200


def test_a_5000_digit_value_is_not_echoed_whole(env: Path) -> None:
    result = invoke("render", "orders.q", "-p", "p_int=" + "9" * 5000)
    assert result.exit_code == 2
    assert len(result.output) < 400


def hostile_files(base: Path) -> dict[str, Path]:
    """Paths that are hostile to read: made on demand below ``base``."""
    base.mkdir(exist_ok=True)
    fifo = base / "fifo.json"
    os.mkfifo(fifo)
    folder = base / "folder"
    folder.mkdir()
    os.mkfifo(folder / "orders.json")  # a folder of pipes
    (folder / "x.json").symlink_to(folder / "x.json")  # a link to itself
    newline = base / "a\n::error file=forged::x.json"
    newline.write_text("{")
    latin = base / "latin.json"
    latin.write_bytes(b'[{"a": "\xff"}]')
    deep = base / "deep.json"
    deep.write_text(DEEP)
    readonly = base / "readonly.json"
    readonly.write_text('{"version": 1, "pipelines": {}}  ')
    readonly.chmod(stat.S_IRUSR)
    return {
        "fifo": fifo,
        "zero": Path("/dev/zero"),
        "folder": folder,
        "missing": base / "missing.json",
        "newline": newline,
        "latin": latin,
        "deep": deep,
        "readonly": readonly,
        "self-link": folder / "x.json",
    }


FILE_KINDS = [
    "fifo",
    "zero",
    "folder",
    "missing",
    "newline",
    "latin",
    "deep",
    "readonly",
    "self-link",
]


@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize(
    "command",
    [
        ("lint", "{}"),
        ("lint", "--format", "github", "{}"),
        ("lint", "--format", "sarif", "{}"),
        ("lint", "--format", "json", "{}"),
        ("--path", "{}", "lint"),
        ("--path", "{}", "list"),
        ("fmt", "--check", "{}"),
        ("fmt", "{}"),
        ("test", "{}"),
        ("import", "--dry-run", "{}"),
        ("run", "orders.r", "--data", "c={}"),
        ("run", "orders.r", "--data", "{}"),
        ("docs", "-o", "{}"),
        ("stubs", "--check", "-o", "{}"),
        ("diff", "--textconv", "{}"),
        ("diff", "{}", "pipelines"),
    ],
    ids=" ".join,
)
def test_a_hostile_file(env: Path, command: tuple[str, ...], kind: str) -> None:
    if kind == "zero" and command[0] in ("docs", "stubs", "fmt"):
        # A command that writes must never get a device to write to in a test that runs as
        # root; test_cli_output.py covers refusing one with a named pipe instead.
        kind = "fifo"
    path = os.fspath(hostile_files(env / "hostile")[kind])
    args = [path if arg == "{}" else arg for arg in command]
    result = invoke(*args)
    assert_one_clear_answer(result, *args)
    assert "\n::error file=forged" not in result.output  # no forged line, in any format


@pytest.mark.parametrize("revision", HOSTILE_REVISIONS, ids=lambda r: repr(r[:24]))
def test_a_hostile_revision(env: Path, revision: str) -> None:
    git(env, "init", "-q")
    commit_files(env, {}, "the pipelines")
    result = invoke("diff", revision)
    assert_one_clear_answer(result)


@pytest.mark.parametrize(
    "args",
    [
        ("--max-file-bytes", "0", "lint"),
        ("--max-file-bytes", "abc", "lint"),
        ("--max-file-bytes", "9" * 400, "lint"),
        ("--max-file-bytes", "1", "list"),
        ("--path", "", "list"),
        ("--path", "\x00", "list"),  # no shell can pass a NUL; a Python caller can
        ("--path", "\udcff", "list"),
        ("lint", "\udcff.json"),
        ("run", "orders.r", "--uri", "not-a-uri"),
        ("run", "orders.r", "--uri", "mongodb://[::1"),
        ("explain", "orders.r", "--uri", "not-a-uri"),
        ("explain", "orders.r", "--uri", "mongodb://%zz@h"),
        ("run", "orders.r", "--db", "a/b\x00"),
        ("import", "--module", "x" * 100_000, "pipelines/orders.json"),
        ("test", "-k", "\x00"),
        ("lint", "--interval", "-1", "--watch"),
    ],
    ids=lambda a: " ".join(x[:20] for x in a),
)
def test_hostile_options(env: Path, args: tuple[str, ...]) -> None:
    assert_one_clear_answer(invoke(*args))


@pytest.mark.parametrize("value", ["abc", "0", "-5", "9" * 400, "1e3"])
def test_a_hostile_size_variable(env: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PIPEREG_MAX_FILE_BYTES", value)
    for command in (["lint"], ["list"], ["render", "orders.r"], ["fmt", "--check"]):
        assert_one_clear_answer(invoke(*command))
