"""The benchmark suite's quick mode: every approach renders the same pipeline (no timings)."""

from __future__ import annotations

import pytest
from benchmarks import run


def test_quick_mode_checks_every_approach_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--quick"]) == 0
    assert "approaches agree on the output" in capsys.readouterr().out
