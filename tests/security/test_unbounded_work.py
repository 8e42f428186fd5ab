"""Inputs that would make pipereg work without bound: each is refused or bounded, and located.

A declared ``pattern`` that ``re`` cannot compile for any reason is PR022 at its JSON path; the
did-you-mean search, which an unknown key from a request reaches, compares a bounded number of
candidates whatever their count; echoed inputs are clipped (see test_cli_no_traceback.py for
the command line). Work is bounded by count, not timed: timings belong in benchmarks/.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from helpers import pipeline_file
from pipereg.errors import PipelineLoadError, UnknownPipelineError
from pipereg.messages import MAX_COMPARED, MAX_WORD, suggestions
from pipereg.registry import Registry

# The schema's own regex format check (PR010) sees plain syntax errors first; what only
# compiling tells (OverflowError, RecursionError) is PR022.
PATTERNS = {
    "overflow": ("a{99999999999999999999}", "PR022"),
    "repeat-limit": ("a{4294967295}", "PR022"),
    "nesting": ("(" * 10_000 + ")" * 10_000, "PR022"),
    "syntax": ("[", "PR010"),
    "bad-group": ("(?P<1>x)", "PR010"),
}


@pytest.mark.parametrize(("pattern", "code"), PATTERNS.values(), ids=list(PATTERNS))
def test_a_pattern_that_cannot_compile_is_a_located_problem(
    tmp_path: Path, pattern: str, code: str
) -> None:
    params = {"s": {"type": "string", "pattern": pattern}}
    stages = [{"$match": {"s": "<<s>>"}}]
    doc = pipeline_file({"q": {"collection": "c", "params": params, "stages": stages}})
    (tmp_path / "m.json").write_text(json.dumps(doc))
    with pytest.raises(PipelineLoadError) as caught:
        Registry.from_paths(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.code, problem.json_path) == (code, "$.pipelines.q.params.s.pattern")
    assert problem.line == 1


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many candidates each difflib search compared."""
    sizes: list[int] = []
    original = difflib.get_close_matches

    def counting(word: str, pool: Any, *args: Any, **kwargs: Any) -> list[str]:
        sizes.append(len(pool))
        return original(word, pool, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)  # messages imports it on use
    return sizes


def test_ten_thousand_similar_keys_are_searched_within_the_bound(compared: list[int]) -> None:
    keys = [f"orders.daily_report_{i}" for i in range(10_000)]
    assert suggestions("orders.daily_reprt_5000", keys, 1) == ("orders.daily_report_5000",)
    assert max(compared) <= MAX_COMPARED


def test_a_typo_in_the_module_finds_the_module_first(compared: list[int]) -> None:
    keys = [f"{module}.report_{i}" for module in ("billing", "orders") for i in range(3000)]
    assert suggestions("ordrs.report_17", keys, 1) == ("orders.report_17",)
    assert max(compared) <= MAX_COMPARED


def test_a_long_or_odd_word_is_not_searched_at_all(compared: list[int]) -> None:
    keys = [f"m.k{i}" for i in range(10_000)]
    assert suggestions("m." + "k" * MAX_WORD, keys) == ()
    assert suggestions(12345, keys) == ()  # type: ignore[arg-type]
    assert compared == []


def test_few_candidates_are_searched_as_before(compared: list[int]) -> None:
    keys = [f"m.k{i}" for i in range(50)]
    assert suggestions("m.k7x", keys, 1) == ("m.k7",)
    assert compared == [50]


def test_an_unknown_megabyte_key_is_clipped_and_not_searched(
    tmp_path: Path, compared: list[int]
) -> None:
    doc = pipeline_file({"q": {"collection": "c", "stages": [{"$match": {"a": 1}}]}})
    (tmp_path / "m.json").write_text(json.dumps(doc))
    registry = Registry.from_paths(tmp_path)
    with pytest.raises(UnknownPipelineError) as caught:
        registry.get("k" * 1_000_000)
    assert len(str(caught.value)) < 100
    assert caught.value.key == "k" * 1_000_000  # the structured field keeps it whole
    assert compared == []
