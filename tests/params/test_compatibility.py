"""One order over parameter constraints, asked by fragment binding and by breaking-change review."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry, codes
from pipereg.params.compatibility import limit, unmet
from pipereg.params.declare import from_json
from pipereg.params.values import DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH, FIELD_MAX_LENGTH
from pipereg.review.param_changes import param_changes

PLAIN = {"type": "string"}
LONG = {"type": "string", "maxLength": 2_000_000}


def test_undeclared_limits_are_the_ones_coercion_applies() -> None:
    assert limit(from_json("s", PLAIN), "max_length") == DEFAULT_MAX_LENGTH
    assert limit(from_json("f", {"type": "field"}), "max_length") == FIELD_MAX_LENGTH
    items = {"type": "array", "items": {"type": "int"}}
    assert limit(from_json("a", items), "max_items") == DEFAULT_MAX_ITEMS
    assert limit(from_json("s", PLAIN), "min_length") == 0
    assert limit(from_json("i", {"type": "int"}), "minimum") is None


@pytest.mark.parametrize(
    ("given", "required", "unmet_by"),
    [
        (LONG, PLAIN, "maxLength 1048576"),
        (PLAIN, LONG, ""),
        ({"type": "int"}, {"type": "int", "minimum": 1}, "minimum 1"),
        ({"type": "int", "minimum": 2}, {"type": "int", "minimum": 1}, ""),
        ({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["a"]}, "enum 'a'"),
        ({"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["a", "b"]}, ""),
        ({"type": "string"}, {"type": "string", "pattern": "^x"}, "pattern '^x'"),
    ],
)
def test_unmet(given: dict[str, Any], required: dict[str, Any], unmet_by: str) -> None:
    assert unmet(from_json("g", given), from_json("r", required)) == unmet_by


def test_binding_and_review_agree_on_a_length_the_fragment_does_not_declare(
    write_tree: WriteTree,
) -> None:
    # Before, the binding took the fragment's undeclared maxLength as no limit at all: a 1.5
    # million character value passed through a fragment whose declaration refuses it, while diff
    # called the same change "maxLength loosened from the default".
    fragment = {"match_note": {"params": {"note": PLAIN}, "document": {"note": "<<note>>"}}}
    stages = [{"$match": {"$include": "match_note", "with": {"note": "<<note>>"}}}]
    document = pipeline_file(
        {"p": {"collection": "c", "params": {"note": LONG}, "stages": stages}},
        fragments=fragment,
    )
    with pytest.raises(PipelineLoadError) as raised:
        Registry.from_paths(write_tree({"m.json": document}))
    [problem] = raised.value.problems
    assert problem.code == codes.BINDING_MISFIT
    assert "allows values the fragment refuses (maxLength 1048576)" in problem.message
    # Review reads the same relation: to the long declaration is looser, back is tighter.
    [looser] = param_changes({"note": from_json("note", PLAIN)}, {"note": from_json("note", LONG)})
    [stricter] = param_changes(
        {"note": from_json("note", LONG)}, {"note": from_json("note", PLAIN)}
    )
    assert (looser.kind, looser.breaking) == ("param-bound", False)
    assert (stricter.kind, stricter.breaking) == ("param-bound", True)
