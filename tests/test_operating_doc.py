"""docs/operating.md stays true: its walk-through's command prints what the page shows."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from click.testing import CliRunner

from helpers import REPO
from pipereg.cli import main

PAGE = REPO / "docs" / "operating.md"


def blocks() -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def run(command: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(REPO)  # the page's paths are relative to the repository
    args = shlex.split(command)
    assert args[0] == "pipereg"
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_walk_through_shows_what_pipereg_profile_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = blocks()
    (at,) = [i for i, block in enumerate(found) if block.startswith("pipereg --path")]
    assert run(found[at].strip(), monkeypatch) == found[at + 1]


def test_the_json_example_is_what_format_json_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    (command,) = [b.strip() for b in blocks() if b.startswith("pipereg --path")]
    (shown,) = [b for b in blocks() if b.lstrip().startswith('{\n  "pipelines"')]
    assert json.loads(run(command + " --format json", monkeypatch)) == json.loads(shown)


def test_the_pages_links_resolve() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (PAGE.parent / target).resolve().exists(), target
