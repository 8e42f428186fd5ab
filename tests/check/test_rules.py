"""Lint rules on where parameters stand (pipereg.check.rules), as pass and fail cases.

They are warnings: the files load, and ``registry.warnings`` (and ``pipereg lint``) report them.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry


def one(stages: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    return pipeline_file({"p": {"collection": "c", "params": params, "stages": stages}})


def warnings(write_tree: WriteTree, document: dict[str, Any]) -> list[tuple[str, str, str]]:
    registry = Registry.from_paths(write_tree({"m.json": document}))
    assert "m.p" in registry
    return [(w.code, w.severity, w.json_path) for w in registry.warnings]


PATTERN = {"type": "string", "regex": True, "maxLength": 40}
IN_REGEX = [{"$match": {"name": {"$regex": "<<p>>"}}}]

# The pass and fail cases of each rule are fixture files, one per code: tests/check/
# test_rule_cases.py runs tests/fixtures/rules/<CODE>.json. What follows are decisions at the
# edges of the warnings that a case file cannot state.


def test_escaped_strings_in_a_regex_need_no_max_length(write_tree: WriteTree) -> None:
    # Decided: no warning. An escaped value matches as literal text, in linear time, and the
    # default limit bounds it.
    assert warnings(write_tree, one(IN_REGEX, {"p": {"type": "string"}})) == []


@pytest.mark.parametrize(
    "stage",
    [
        pytest.param({"$match": {"a": "$<<s>>", "b": "<<t>>"}}, id="query-compares-text"),
        pytest.param({"$set": {"a": "x$<<s>>", "b": "<<t>>"}}, id="dollar-inside-text"),
        pytest.param({"$set": {"a": "$a.<<s>>", "b": "<<t>>"}}, id="after-a-dot"),
        pytest.param({"$set": {"a": "$<<t>>$<<s>>"}}, id="after-another-placeholder"),
    ],
)
def test_text_after_dollar_is_a_path_only_at_its_start_in_expressions(
    write_tree: WriteTree, stage: dict[str, Any]
) -> None:
    # "x$<<s>>" is text, not a path; after "$a." a "$..." value makes an invalid path, an error
    # on the server rather than a read of another field.
    params = {"s": {"type": "string", "default": "b"}, "t": {"type": "field", "default": "a"}}
    document = one([stage], params)
    assert warnings(write_tree, document) == []


@pytest.mark.parametrize("kind", ["int", "field", "date", "array", "object"])
def test_regex_applies_to_strings_only(write_tree: WriteTree, kind: str) -> None:
    declaration: dict[str, Any] = {"type": kind, "regex": True}
    if kind == "array":
        declaration["items"] = {"type": "string"}
    if kind == "object":
        declaration["properties"] = {}
    root = write_tree({"m.json": one(IN_REGEX, {"p": declaration})})
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths(root)
    assert [(p.code, p.json_path, p.message) for p in info.value.problems] == [
        ("PR010", "$.pipelines.p.params.p.regex", "'regex' applies only to type string")
    ]
