"""Parameter rows shared by `pipereg show` and the catalog (pipereg.review.param_table)."""

from __future__ import annotations

from typing import Any

from pipereg.params.declaration import Param
from pipereg.params.declare import from_json
from pipereg.review.param_table import ParamSummary, summarize, summarize_all


def decl(**raw: Any) -> Param:
    return from_json("p", raw)


def test_required_default_and_constraints() -> None:
    row = summarize("limit", decl(type="int", minimum=1, maximum=9, default=3, description="d"))
    assert row == ParamSummary("limit", "int", "no", "3", False, "min 1, max 9", "d")
    assert summarize("x", decl(type="date")).required == "yes"
    assert summarize("x", decl(type="date", optional=True)).required == "optional"
    assert summarize("x", decl(type="date", optional=True)).default == "-"
    assert summarize("x", decl(type="string", nullable=True)).nullable


def test_every_constraint_in_words() -> None:
    row = summarize(
        "s",
        decl(type="string", enum=["a", "b"], minLength=1, maxLength=2, pattern="^.$"),
    )
    assert row.constraints == 'one of "a"|"b", minLength 1, maxLength 2, pattern ^.$'
    regex = summarize("r", decl(type="string", regex=True, maxLength=5))
    assert regex.constraints == "maxLength 5, a regular expression"
    items = summarize("a", decl(type="array", items={"type": "int"}, minItems=1, maxItems=2))
    assert (items.type, items.constraints) == ("array of int", "minItems 1, maxItems 2")
    assert summarize("d", decl(type="date", minimum="2024-01-01")).constraints == (
        'min {"$date": "2024-01-01T00:00:00Z"}'
    )


def test_nested_rows() -> None:
    params = {
        "plain": decl(type="array", items={"type": "int"}),
        "codes": decl(type="array", items={"type": "string", "pattern": "^x"}),
        "lines": decl(
            type="array",
            items={"type": "object", "properties": {"sku": {"type": "string"}}},
        ),
        "filter": decl(type="object", properties={"vip": {"type": "bool", "optional": True}}),
    }
    rows = [(r.name, r.type, r.required) for r in summarize_all(params)]
    assert rows == [
        ("plain", "array of int", "yes"),
        ("codes", "array of string", "yes"),
        ("codes[]", "string", "-"),
        ("lines", "array of object", "yes"),
        ("lines[]", "object", "-"),
        ("lines[].sku", "string", "yes"),
        ("filter", "object", "yes"),
        ("filter.vip", "bool", "optional"),
    ]
