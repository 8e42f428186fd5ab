"""The compiled renderer against its oracle, the reference walk."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

from helpers import FIXTURES, REPO, WriteTree, pipeline_file
from pipereg import Pipeline, PipelineLoadError, Registry
from pipereg.compile.codegen import compile_options, compile_stages
from pipereg.compile.reference import render_options, render_stages
from pipereg.compile.template import Slot, StageList
from pipereg.jsontext.extjson import loads
from pipereg.params.coerce import coerce_params
from pipereg.params.declare import from_json

GOLDEN = FIXTURES / "render"


def typed(value: Any) -> Any:
    """Canonical Extended JSON with key order kept: equal only if types and order are equal."""
    return dumps(value, json_options=CANONICAL_JSON_OPTIONS)


def assert_same_as_reference(pipeline: Pipeline, params: dict[str, Any]) -> None:
    values = coerce_params(pipeline.key, pipeline.params, params)
    compiled_stages = compile_stages(pipeline.stage_tree, pipeline.params, pipeline.key)
    compiled_options = compile_options(pipeline.option_tree, pipeline.params, pipeline.key)
    assert compiled_stages.__doc__, "expected generated code, not the fallback"
    expected = render_stages(pipeline.stage_tree, values, pipeline.params, pipeline.key)
    assert typed(compiled_stages(values)) == typed(expected)
    expected_options = render_options(pipeline.option_tree, values, pipeline.params, pipeline.key)
    assert typed(compiled_options(values)) == typed(expected_options)


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_golden_cases_render_identically(case: str) -> None:
    pipeline = Registry.from_paths(GOLDEN / case / "pipeline.json").get("pipeline.p")
    params = loads((GOLDEN / case / "params.json").read_text(encoding="utf-8"))
    assert_same_as_reference(pipeline, params)


def example_params() -> list[tuple[str, dict[str, Any]]]:
    """Each bundled pipeline with its required parameters only, then with every optional one."""
    cases = json.loads((FIXTURES / "example_params.json").read_text())
    return [(key, loads(json.dumps(params))) for key, sets in cases.items() for params in sets]


@pytest.mark.parametrize(("key", "params"), example_params())
def test_bundled_examples_render_identically(key: str, params: dict[str, Any]) -> None:
    assert_same_as_reference(Registry.from_paths(REPO / "pipelines").get(key), params)


def test_every_bundled_pipeline_has_example_params() -> None:
    covered = {key for key, _ in example_params()}
    assert covered == set(Registry.from_paths(REPO / "pipelines").keys())


def test_unusual_strings_and_numbers_reach_the_output_exactly(write_tree: WriteTree) -> None:
    strings = ['"""', "'''", "\\", "\x00", "\U0001f600", "a\nb", "{x}", "%s", "\u2028", "$$ROOT"]
    stage = {"$project": {f"k{i}": {"$literal": s} for i, s in enumerate(strings)}}
    nan = {"$numberDouble": "NaN"}
    numbers = {"$match": {"big": 2**62, "neg": -0.0, "tiny": 5e-324, "nan": nan}}
    document = pipeline_file({"p": {"collection": "c", "stages": [stage, numbers]}})
    root = write_tree({"m.json": document})
    pipeline = Registry.from_paths(root).get("m.p")
    assert_same_as_reference(pipeline, {})
    rendered = pipeline.render()
    assert [v["$literal"] for v in rendered[0]["$project"].values()] == strings
    assert math.isnan(rendered[1]["$match"]["nan"])
    assert math.copysign(1, rendered[1]["$match"]["neg"]) == -1


def test_templates_deeper_than_the_parser_allows_fall_back_to_the_reference() -> None:
    # Files cannot nest that deep (PR051), but the compiler must not depend on it.
    deep: Any = Slot("x")
    for _ in range(400):
        deep = {"a": deep}
    params = {"x": from_json("x", {"type": "int"})}
    compiled = compile_stages(StageList([{"$match": deep}]), params, "m.p")
    assert compiled.__doc__ is None  # the reference fallback, not generated code
    node = compiled({"x": 7})[0]["$match"]
    for _ in range(400):
        node = node["a"]
    assert node == 7


def test_files_nested_deeper_than_mongodb_allows_are_load_errors(write_tree: WriteTree) -> None:
    deep: Any = 1
    for _ in range(120):
        deep = {"a": deep}
    document = pipeline_file({"p": {"collection": "c", "stages": [{"$match": deep}]}})
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(write_tree({"m.json": document}))
    assert [p.code for p in info.value.problems] == ["PR051"]
