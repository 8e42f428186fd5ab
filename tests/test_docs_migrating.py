"""docs/migrating.md works as written: its commands, run in order in a fresh folder, print what
the guide shows and write the files it shows (its Python blocks run in tests/test_docs.py)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO
from pipereg import Registry
from pipereg.cli import main
from pipereg.errors import ParameterError
from test_docs import Block, blocks

GUIDE = REPO / "docs" / "migrating.md"
TIMING = re.compile(r" in \d+\.\d+s$", re.M)


def guide() -> list[Block]:
    return blocks(GUIDE)


def shown_output(command: str) -> str:
    """The text block right after the ```sh block holding ``command``."""
    found = guide()
    for index, block in enumerate(found):
        if block.language == "sh" and block.text.strip() == command:
            following = found[index + 1]
            assert following.language == "", f"no output shown after {command!r}"
            return following.text
    raise AssertionError(f"the guide does not run {command!r}")


def file_block(path: str) -> str:
    (block,) = [b for b in guide() if b.marker == ("file", path)]
    return block.text


def run(command: str) -> Result:
    args = command.split()
    assert args[0] == "pipereg"
    return CliRunner().invoke(main, args[1:])


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the service module the guide starts from, as the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIPEREG_PATH", raising=False)
    (module,) = [b for b in guide() if b.language == "python" and b.marker]
    assert module.marker is not None
    assert "orders_service.py" in GUIDE.read_text(encoding="utf-8")
    (tmp_path / "orders_service.py").write_text(module.text, encoding="utf-8")
    return tmp_path


def test_the_guides_commands_print_and_write_what_it_shows(service: Path) -> None:
    imported = run("pipereg import orders_service.py")
    assert imported.exit_code == 0, imported.output
    assert imported.stderr == shown_output("pipereg import orders_service.py")
    pipelines = service / "pipelines" / "orders_service.json"
    assert pipelines.read_text(encoding="utf-8") == file_block("pipelines/orders_service.json")

    linted = run("pipereg lint")
    assert linted.exit_code == 0, linted.output
    assert linted.stdout == ""
    assert linted.stderr == shown_output("pipereg lint")

    # The cases as first written: the guide's case file with every expect empty.
    (skeleton,) = [
        b for b in guide() if b.language == "json" and b.marker is None and '"cases"' in b.text
    ]
    cases = service / "pipelines" / "orders_service.test.json"
    cases.write_text(skeleton.text, encoding="utf-8")
    updated = run("pipereg test --update")
    assert updated.exit_code == 0, updated.output
    status_lines = [line for line in updated.stdout.splitlines() if not line.startswith("    ")]
    assert TIMING.sub("", "\n".join(status_lines)) == TIMING.sub(
        "", shown_output("pipereg test --update").rstrip("\n")
    )
    after = cases.read_text(encoding="utf-8")
    assert after == file_block("pipelines/orders_service.test.json")

    # The diff the guide shows is the change --update made, line for line.
    (shown_diff,) = [b for b in guide() if b.language == "diff"]
    changes = [
        line
        for line in difflib.unified_diff(
            skeleton.text.splitlines(), after.splitlines(), lineterm=""
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changes == [line for line in shown_diff.text.splitlines() if line[:1] in "+-"]

    again = run("pipereg test --update")
    assert again.exit_code == 0
    assert cases.read_text(encoding="utf-8") == after


def test_the_wrong_value_the_guide_mentions_fails_as_it_says(service: Path) -> None:
    assert run("pipereg import orders_service.py").exit_code == 0
    registry = Registry.from_paths("pipelines")
    with pytest.raises(ParameterError) as raised:
        registry.render("orders_service.orders_with_status", {"status": ["paid"]})
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert f"`ParameterError: {raised.value}`" in text
