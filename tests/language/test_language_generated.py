"""The generated catalog is what the generator makes of its source, and the supplement fits it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pipereg.language import STAGES, Kind, _generated, _supplement, is_known, names

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "src" / "pipereg" / "language" / "_generated.py"
# Where the `fetch` tool leaves the mongo-php-library snapshot; PIPEREG_PHP_LIBRARY overrides.
SNAPSHOT = Path(
    os.environ.get("PIPEREG_PHP_LIBRARY", "/work/.mirror/mongodb+mongo-php-library/repo")
)


def _generator(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_language", ROOT / "tools" / "generate_language.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is made.
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _has_commit(path: Path, commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(path), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def test_generated_module_is_what_the_generator_makes_of_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("yaml")
    if not SNAPSHOT.exists() or not _has_commit(SNAPSHOT, _generated.COMMIT):
        pytest.skip(f"no mongo-php-library clone holding {_generated.COMMIT} at {SNAPSHOT}")
    out = tmp_path / "generated.py"
    _generator(monkeypatch).main([str(SNAPSHOT), "--rev", _generated.COMMIT, "--output", str(out)])
    assert out.read_text(encoding="utf-8") == GENERATED.read_text(encoding="utf-8")


def test_generated_header_names_the_source_and_its_commit() -> None:
    text = GENERATED.read_text(encoding="utf-8")
    assert "Source: https://github.com/mongodb/mongo-php-library" in text
    assert f"Commit: {_generated.COMMIT}" in text
    assert "Regenerate: python tools/generate_language.py" in text
    assert len(_generated.COMMIT) == 40


def test_generated_rows_are_sorted_and_unique() -> None:
    keys = [(row[0], row[1]) for row in _generated.OPERATORS]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def _every_name() -> set[tuple[Kind, str]]:
    return {(kind, name) for kind in Kind for name in names(kind)}


def test_every_supplement_fact_names_an_operator_the_catalog_has() -> None:
    # A misspelt key would otherwise do nothing, silently.
    known = _every_name()
    assert set(_supplement.INTRODUCED) <= known
    assert set(_supplement.FORMS) <= known
    assert {(kind, name) for kind, name, _ in _supplement.POSITIONS} <= known
    assert {(kind, name) for kind, name, _ in _supplement.OPTIONAL} <= known
    assert set(_supplement.PLACEMENT) <= set(STAGES)


def test_every_supplement_position_names_an_argument_of_its_operator() -> None:
    generated = {(row[0], arg[0]) for row in _generated.OPERATORS for arg in row[4]}
    for _, name, argument in _supplement.POSITIONS:
        assert (name, argument) in generated, (name, argument)


def test_every_stage_is_dated_placed_and_documented() -> None:
    for name, op in STAGES.items():
        assert op.introduced is not None, name
        assert op.placement is not None, name
        assert op.url.startswith("https://www.mongodb.com/docs/"), name
        assert op.description, name


def _rules_stage_list() -> frozenset[str]:
    # The lint rules' own stage list.
    from pipereg.check.rules import STAGES

    return STAGES


def test_every_stage_the_lint_rules_know_is_in_the_catalog() -> None:
    missing = {name for name in _rules_stage_list() if not is_known(name, Kind.STAGE)}
    assert not missing
