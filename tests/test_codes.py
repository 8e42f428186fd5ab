"""Finding codes: one table (pipereg.codes), named constants everywhere else, a generated page."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import REPO
from pipereg import codes

CODE = re.compile(r"\bP[RX]\d{3}\b")


def test_codes_are_unique_and_in_order() -> None:
    written = [rule.code for rule in codes.RULES]
    assert len(set(written)) == len(written)
    assert written == sorted(written, key=lambda code: (code[:2] != "PR", code))
    assert dict(codes.CODES) == {rule.code: rule.summary for rule in codes.RULES}


def test_every_constant_is_a_code_of_the_table() -> None:
    constants = {
        name: value
        for name, value in vars(codes).items()
        if name.isupper() and isinstance(value, str) and CODE.fullmatch(value)
    }
    assert sorted(constants.values()) == sorted(codes.CODES)


def test_no_module_but_codes_spells_a_code_in_its_code() -> None:
    # Docstrings and comments may name a code for the reader; string literals may not.
    literal = re.compile(r"""["']P[RX]\d{3}["']""")
    package = REPO / "src" / "pipereg"
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "codes.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []


def test_the_rules_page_is_generated_from_the_table() -> None:
    page = Path(REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == codes.markdown(), (
        "docs/rules.md is stale: python -m pipereg.codes > docs/rules.md"
    )
    assert set(CODE.findall(page)) >= set(codes.CODES)
