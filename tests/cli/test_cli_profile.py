"""``pipereg profile``: slow queries attributed to pipelines, as text, JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import FIXTURES
from pipereg import Registry
from pipereg.cli import main

PIPELINES = FIXTURES / "dao"
LOG = FIXTURES / "profile" / "mongod.log"


def profile(*args: str) -> Result:
    return CliRunner().invoke(main, ["--path", str(PIPELINES), "profile", *args])


@pytest.fixture
def log(tmp_path: Path) -> Path:
    pipeline = Registry.from_paths(PIPELINES).get("shop.orders_since")
    text = LOG.read_text(encoding="utf-8").replace("{version}", str(pipeline.version))
    path = tmp_path / "mongod.log"
    path.write_text(text.replace("{fp}", pipeline.fingerprint[:12]), encoding="utf-8")
    return path


def test_json_names_file_and_line_of_each_pipeline(log: Path) -> None:
    result = profile("--log", str(log), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    since = document["pipelines"][0]
    assert since["key"] == "shop.orders_since"
    assert since["file"].endswith("shop.json")
    source = Path(since["file"]).read_text(encoding="utf-8").splitlines()
    assert '"orders_since"' in source[since["line"] - 1]  # the line the pipeline starts on
    assert document["untagged"] == {"count": 2, "total_ms": 211}


def test_text_shows_one_row_per_pipeline_most_time_first(log: Path) -> None:
    result = profile("--log", str(log))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["pipeline", "count", "total"]
    assert lines[1].startswith("shop.orders_since@")
    assert "COLLSCAN!" in lines[1]
    assert "1025/25/25" in lines[1]
    assert lines[2].startswith("shop.over_threshold@1")
    assert lines[2].endswith("(stale)")
    assert lines[3].startswith("shop.retired@2")
    assert "not in the tree (stale)" in lines[3]
    assert lines[-1] == "untagged: 2 entries, 211 ms"


def test_markdown_is_a_table(log: Path) -> None:
    result = profile("--log", str(log), "--format", "markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| pipeline | count | total ms |")
    assert lines[1].startswith("|---|")
    assert lines[2].startswith("| shop.orders_since@")
    assert lines[-1] == "untagged: 2 entries, 211 ms"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "profile needs a source: --log FILE"),
        (("--uri", "mongodb://localhost:1"), "--uri needs --db NAME"),
        (("--log", "missing.log"), "--log missing.log: cannot read: No such file or directory"),
    ],
)
def test_usage_and_input_errors_are_one_line_and_exit_2(
    args: tuple[str, ...], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIPEREG_MONGODB_URI", raising=False)
    result = profile(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"pipereg: {message}")
    assert "Traceback" not in result.output


def test_a_text_log_from_before_mongodb_4_4_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "mongod.log"
    old.write_text("2019-01-01T00:00:00.000+0000 I COMMAND [conn1] command shop.orders 120ms\n")
    result = profile("--log", str(old))
    assert result.exit_code == 2
    assert "not a MongoDB JSON log" in result.stderr


def test_a_truncated_gzip_log_is_an_input_error(log: Path, tmp_path: Path) -> None:
    import gzip

    packed = gzip.compress(log.read_bytes())
    torn = tmp_path / "mongod.log.gz"
    torn.write_bytes(packed[: len(packed) // 2])
    result = profile("--log", str(torn))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"pipereg: --log {torn}: cannot read")


def test_large_totals_and_fractions_read_plainly(tmp_path: Path) -> None:
    lines = [
        json.dumps({"msg": "Slow query", "attr": {"command": {"comment": "pipereg:x.y@1"},
                                                  "durationMillis": ms}})
        for ms in (1_250_000, 0.25)
    ]  # fmt: skip
    log = tmp_path / "big.log"
    log.write_text("\n".join(lines), encoding="utf-8")
    result = profile("--log", str(log))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:6] == [
        "x.y@1", "2", "1250000", "0.2", "1250000", "1250000",
    ]  # fmt: skip
