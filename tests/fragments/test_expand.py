"""The include walk's pieces (pipereg.fragments.expand): binding fit and origins of inlined content.

Includes end to end (loading, locations, rendering) are tested in test_fragments.py.
"""

from __future__ import annotations

import pytest

from pipereg.fragments.expand import Origin, left_in, mismatch
from pipereg.params.declaration import Param
from pipereg.params.declare import from_json


def param(**declaration: object) -> Param:
    return from_json("p", {"type": "int", **declaration})


@pytest.mark.parametrize(
    ("outer", "inner", "says"),
    [
        (param(), param(), ""),
        (param(minimum=2), param(minimum=1), ""),
        (param(default=3, minimum=1), param(minimum=1), ""),
        (param(optional=True), param(optional=True), ""),
        (param(optional=True), param(default=1), "optional"),
        (param(nullable=True), param(), "nullable"),
        (param(maximum=9), param(maximum=5), "maximum 5"),
        (param(enum=[1, 2]), param(enum=[1]), "enum 1"),
        (
            from_json("p", {"type": "long"}),
            param(),
            "that is long and the fragment takes int",
        ),
    ],
)
def test_mismatch(outer: Param, inner: Param, says: str) -> None:
    found = mismatch(outer, inner)
    assert (says in found) if says else found == ""


def test_an_origin_in_inlined_content_names_each_fragment_on_the_way() -> None:
    site = Origin(("pipelines", "p", "stages", 2))
    assert site.step("$match").path == ("pipelines", "p", "stages", 2, "$match")
    assert site.note() == ""
    inner = Origin(site.path, (("m.a", "m.json", ("fragments", "a", "stages")),)).step(0)
    nested = Origin(inner.path, (*inner.hops, ("m.b", "m.json", ("fragments", "b", "document"))))
    assert nested.step("x").path == site.path
    assert nested.step("x").note() == (
        " (in fragment 'm.b', m.json $.fragments.b.document.x,"
        " included by 'm.a' at $.fragments.a.stages[0])"
    )


def test_left_in_finds_every_include_still_written() -> None:
    stages = [{"$match": {"a": [1, {"$include": "x"}]}}, {"$facet": {"b": {"$include": "y"}}}]
    assert left_in(stages, ("s",)) == [("s", 0, "$match", "a", 1), ("s", 1, "$facet", "b")]
    assert left_in([{"$match": {"a": ["$include"], "$literal": "$include"}}], ("s",)) == []
