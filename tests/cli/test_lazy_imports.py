"""Start-up: a command imports what it needs, and every command is still there.

``pipereg`` and the CLI import modules on first use (PEP 562 names in ``pipereg``, a lazy click
group), so ``pipereg lint`` pays for loading and checking, not for the DAO, the drivers, the
embedded engine or the review tools.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click

from helpers import REPO
from pipereg.cli import main
from pipereg.cli.app import COMMANDS

PROBE = """
import json, sys
import pipereg
after_import = sorted(m for m in sys.modules if m.startswith("pipereg"))
from pipereg.cli import main
try:
    main(["--path", "pipelines", "lint"], standalone_mode=False)
except SystemExit:
    pass
after_lint = sorted(m for m in sys.modules if m.startswith("pipereg"))
print(json.dumps([after_import, after_lint, "jsonschema" in sys.modules]))
"""

# What linting never needs.
NOT_FOR_LINT = (
    "pipereg.dao",
    "pipereg.cursor",
    "pipereg.adapters",
    "pipereg.testing",
    "pipereg.review",
    "pipereg.explain",
    "pipereg.compile.codegen",
    "pipereg.params.validator",
    "pipereg.cli.run",
    "pipereg.cli.test",
)


def probe() -> tuple[list[str], list[str], bool]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    after_import, after_lint, jsonschema = json.loads(done.stdout.splitlines()[-1])
    return after_import, after_lint, jsonschema


def test_import_pipereg_imports_no_public_module_until_used() -> None:
    after_import, _, _ = probe()
    assert set(after_import) <= {"pipereg", "pipereg._moved"}


def test_pipereg_lint_imports_no_driver_dao_or_review_code() -> None:
    _, after_lint, _ = probe()
    loaded = [m for m in after_lint if m.startswith(NOT_FOR_LINT)]
    assert loaded == []
    assert "pipereg.cli.lint" in after_lint


def test_public_names_resolve_on_first_use() -> None:
    import pipereg

    for name in pipereg.__all__:
        assert getattr(pipereg, name) is not None
    assert set(pipereg.__all__) <= set(dir(pipereg))


def test_every_command_is_listed_and_resolves_to_itself() -> None:
    with click.Context(main) as context:
        assert main.list_commands(context) == sorted(COMMANDS)
        for name in COMMANDS:
            command = main.get_command(context, name)
            assert command is not None
            assert command.name == name
        assert main.get_command(context, "no-such-command") is None
