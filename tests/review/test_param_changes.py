"""Parameter changes classified breaking or compatible, one rule per case."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import REPO
from pipereg.params.declare import from_json
from pipereg.review.param_changes import KINDS, param_changes

STR = {"type": "string"}
OPT = {"type": "string", "optional": True}


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, bool, str]]:
    before = {name: from_json(name, decl) for name, decl in old.items()}
    after = {name: from_json(name, decl) for name, decl in new.items()}
    return [(c.kind, c.breaking, c.message) for c in param_changes(before, after)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (OPT, {**OPT, "pattern": "^a"}, [("param-pattern", True, "pattern '^a' added")]),
        (
            {**OPT, "default": "x"},
            OPT,
            [
                (
                    "param-default",
                    False,
                    'default "x" removed (still optional: omitted means absent): '
                    "callers that omit it see it",
                )
            ],
        ),
        (
            OPT,
            {**OPT, "default": "x"},
            [
                (
                    "param-default",
                    False,
                    'default "x" added (omitted used to mean absent): '
                    "callers that omit it see it",
                )
            ],
        ),
        (STR, {**STR, "enum": ["a"]}, [("param-enum", True, 'enum added: only "a" accepted')]),
        (
            {**STR, "enum": ["a", "b"]},
            {**STR, "enum": ["a", "c"]},
            [("param-enum", True, 'enum narrowed: "b" no longer accepted ("c" added)')],
        ),
        (
            {"type": "int"},
            {"type": "int", "minimum": 3},
            [("param-bound", True, "minimum 3 added")],
        ),
        (
            {"type": "field", "maxLength": 600},
            {"type": "field", "maxLength": 1000},
            [],  # a field is at most 512 characters whatever it declares
        ),
        (
            {"type": "field"},
            {"type": "field", "maxLength": 100},
            [("param-bound", True, "maxLength tightened from the default 512 to 100")],
        ),
        (
            {"type": "date", "minimum": "2024-01-01"},
            {"type": "date", "minimum": "2023-01-01"},
            [
                (
                    "param-bound",
                    False,
                    'minimum loosened from {"$date": "2024-01-01T00:00:00Z"} '
                    'to {"$date": "2023-01-01T00:00:00Z"}',
                )
            ],
        ),
        (
            {"type": "decimal", "maximum": "9.5"},
            {"type": "decimal", "maximum": "9.25"},
            [
                (
                    "param-bound",
                    True,
                    'maximum tightened from {"$numberDecimal": "9.5"} '
                    'to {"$numberDecimal": "9.25"}',
                )
            ],
        ),
        ({**STR, "regex": True, "maxLength": 9}, {**STR, "maxLength": 9}, [
            ("param-regex", True, "no longer a regular expression: values are now escaped")
        ]),
        (
            {"type": "array", "items": {"type": "int", "maximum": 5}},
            {"type": "array", "items": {"type": "int", "maximum": 4}},
            [("param-bound", True, "maximum tightened from 5 to 4")],
        ),
        ({"type": "int"}, {"type": "int", "default": 1}, [
            ("param-required", False, "no longer required (now defaulted (1))")
        ]),
        ({"type": "double", "default": 1}, {"type": "double", "default": 1.0}, []),  # both 1.0
        ({"type": "double", "default": 1}, {"type": "double", "default": 1.5}, [
            ("param-default", False, "default changed from 1.0 to 1.5: callers that omit it see it")
        ]),
    ],
)  # fmt: skip
def test_rule(old: dict[str, Any], new: dict[str, Any], expected: list[Any]) -> None:
    assert changes({"x": old}, {"x": new}) == expected


def test_added_and_removed() -> None:
    assert changes({"gone": OPT}, {"new": STR, "opt": OPT}) == [
        ("param-removed", True, "parameter removed: callers that pass it fail (unknown parameter)"),
        ("param-added", True, "new required parameter (string): callers that omit it fail"),
        ("param-added", False, "new optional parameter (string)"),
    ]


def test_every_kind_is_documented_on_the_cli_page() -> None:
    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind}`" in page, kind
