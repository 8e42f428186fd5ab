"""Every stage and operator the real-world corpus uses is known to the catalog, and its stages
stand where the catalog allows them with arguments it accepts.

The corpus is third-party (/work/shared/corpus, beside the repository): it is read in place,
never copied, and the tests skip where it is absent (CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipereg.language import OPERATORS, Kind, Position, is_known, slots, stage

CORPUS = Path(
    os.environ.get(
        "PIPEREG_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
    )
)
# Extended JSON v2 type wrappers (the BSON corpus's and extjson's keys): values, not operators.
EXTENDED_JSON = frozenset(
    [
        "$oid",
        "$date",
        "$numberInt",
        "$numberLong",
        "$numberDouble",
        "$numberDecimal",
        "$binary",
        "$uuid",
        "$regularExpression",
        "$code",
        "$scope",
        "$timestamp",
        "$minKey",
        "$maxKey",
        "$symbol",
        "$dbPointer",
        "$undefined",
    ]
)
# Keys such as $near's "$geometry" and $text's "$search" are arguments, not operators.
DOLLAR_ARGUMENTS = frozenset(
    arg.name for op in OPERATORS for arg in op.arguments if arg.name.startswith("$")
)
SUB_PIPELINES = {s.operator.name: s.path for s in slots(Position.PIPELINE)}


def _pipelines() -> list[tuple[str, Any]]:
    files = sorted((CORPUS / "files").glob("*.json")) if CORPUS.is_dir() else []
    if not files:
        pytest.skip(f"the pipeline corpus is not at {CORPUS}")
    found = []
    for path in files:
        if path.name.endswith(".test.json"):
            continue
        for key, pipeline in json.loads(path.read_text(encoding="utf-8"))["pipelines"].items():
            found.append((f"{path.name}:{key}", pipeline["stages"]))
    return found


def _at(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield value
    elif isinstance(value, dict):
        head, rest = path[0], path[1:]
        for item in value.values() if head == "*" else [value[head]] if head in value else []:
            yield from _at(item, rest)


def _stage_problems(stages: Any, *, top: bool) -> Iterator[str]:
    if not isinstance(stages, list):
        return
    for i, element in enumerate(stages):
        for name, body in element.items():
            op = stage(name)
            if op is None or op.placement is None:
                yield f"unknown stage {name}"
                continue
            error = op.arity_error(body)
            if error:
                yield error
            if op.placement.first and i != 0:
                yield f"{name} not first"
            if op.placement.last and i != len(stages) - 1:
                yield f"{name} not last"
            if op.placement.top_level and not top:
                yield f"{name} in a sub-pipeline"
            if name in SUB_PIPELINES and isinstance(body, dict):
                for inner in _at(body, SUB_PIPELINES[name]):
                    yield from _stage_problems(inner, top=False)


def _dollar_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                yield key
            yield from _dollar_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dollar_keys(item)


def test_the_corpus_is_the_one_described() -> None:
    assert len(_pipelines()) == 519


def test_every_stage_of_the_corpus_is_known_placed_and_well_formed() -> None:
    problems = {
        f"{key}: {problem}"
        for key, stages in _pipelines()
        for problem in _stage_problems(stages, top=True)
    }
    assert not problems


def test_every_operator_name_in_the_corpus_is_known() -> None:
    unknown = {
        f"{key}: {name}"
        for key, stages in _pipelines()
        for name in _dollar_keys(stages)
        if not is_known(name) and name not in EXTENDED_JSON | DOLLAR_ARGUMENTS
    }
    assert not unknown


def test_the_corpus_walk_finds_an_unknown_stage() -> None:
    # The walk above must be able to fail: a made-up stage inside a $facet is reported.
    stages = [{"$facet": {"a": [{"$matchh": {}}]}}, {"$out": "x"}, {"$limit": 1}]
    assert set(_stage_problems(stages, top=True)) == {"unknown stage $matchh", "$out not last"}
    assert not is_known("$matchh", Kind.STAGE)
