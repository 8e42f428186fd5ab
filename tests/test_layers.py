"""The import-layer contract (pyproject's [tool.importlinter]) holds, and fails when broken.

The test command runs ``lint-imports`` on the package itself; these tests show the contract
failing on a copy of the package with an upward import, and with a cycle inside one folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

# The test extra installs import-linter next to this interpreter (shutil.which adds .exe).
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    if LINT_IMPORTS is None:
        pytest.fail(f"no lint-imports in {Path(sys.executable).parent}: pip install -e '.[test]'")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True, text=True, env=env, cwd=src, check=False,
    )  # fmt: skip


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the package's source under ``tmp_path / "src"``; returns the package folder."""
    shutil.copytree(
        REPO / "src" / "pipereg",
        tmp_path / "src" / "pipereg",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path / "src" / "pipereg"


def test_the_package_keeps_its_layers(package: Path) -> None:
    done = lint_imports(package.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_an_upward_import_breaks_the_build(package: Path) -> None:
    errors = package / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom pipereg.cli import app  # noqa\n")
    done = lint_imports(package.parent)
    assert done.returncode == 1
    assert "Layers follow the data path BROKEN" in done.stdout
    assert "pipereg.errors is not allowed to import pipereg.cli" in done.stdout


def test_a_cycle_inside_a_folder_breaks_the_build(package: Path) -> None:
    # parse imports compact; compact importing parse back closes a circle within jsontext/.
    compact = package / "jsontext" / "compact.py"
    compact.write_text(compact.read_text() + "\nfrom pipereg.jsontext import parse  # noqa\n")
    done = lint_imports(package.parent)
    assert done.returncode == 1
    assert "No module imports another that imports it back, in any folder BROKEN" in done.stdout
