"""The placeholder grammar is written once (pipereg.compile.placeholders); every reader uses it."""

from __future__ import annotations

import json
import re

import pytest

from helpers import REPO
from pipereg.compile.placeholders import NAME_PATTERN, WHOLE, Token, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<<a>>", [Token("", "a")]),
        ("x<<a>>y<<b_2>>", [Token("x"), Token("", "a"), Token("y"), Token("", "b_2")]),
        ("<<<< Previous", [Token("<<"), Token(" Previous")]),
        ("<<<<a>>", [Token("<<"), Token("a>>")]),
        ("plain", [Token("plain")]),
        ("", []),
    ],
)
def test_tokens(text: str, expected: list[Token]) -> None:
    assert list(tokens(text)) == expected


@pytest.mark.parametrize("text", ["<<>>", "<<a b>>", "<<$x>>", "<<1a>>", "x<<a", "<<a>><<"])
def test_malformed_placeholders_stop_the_reading_with_an_error(text: str) -> None:
    *_, last = tokens(text)
    assert last.error is not None
    assert "write <<<< for a literal <<" in last.error


def test_the_schema_names_parameters_with_the_same_pattern() -> None:
    # The JSON Schema (shipped in the package and in schemas/) spells the name pattern in its
    # own text; it must be the grammar's, for every kind of name the grammar reads.
    for path in (REPO / "schemas" / "pipeline-file.schema.json",
                 REPO / "src" / "pipereg" / "pipeline-file.schema.json"):  # fmt: skip
        text = path.read_text(encoding="utf-8")
        patterns = set(re.findall(r'"pattern": "(\^\[A-Za-z_\][^"]*)"', text))
        assert patterns == {"^" + NAME_PATTERN + "$"}, path
        assert json.loads(text)


def test_no_module_writes_the_grammar_again() -> None:
    # The name pattern spelled in a regular expression anywhere else in the package.
    spelled = re.compile(r"<<\(?\[A-Za-z_\]")
    package = REPO / "src" / "pipereg"
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "placeholders.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert offenders == []
    assert WHOLE.match("<<abc>>")
