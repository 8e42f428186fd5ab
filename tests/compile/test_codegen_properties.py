"""Property tests: for random templates and parameters, compiled == reference, types included.

Templates include slots and texts that stand in a regular expression (escaped unless the
parameter is declared ``"regex": true``) or in an aggregation expression (strings starting with
``$`` wrapped in ``$literal``).
"""

from __future__ import annotations

import datetime
from typing import Any

from bson.json_util import CANONICAL_JSON_OPTIONS, dumps
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereg import ParameterError
from pipereg.compile.codegen import compile_options, compile_stages
from pipereg.compile.reference import render_options, render_stages
from pipereg.compile.template import FieldKey, Slot, StageList, Text
from pipereg.params.coerce import coerce_params
from pipereg.params.declare import from_json

UTC = datetime.timezone.utc
PARAMS = {
    name: from_json(name, declaration)
    for name, declaration in {
        "n": {"type": "int"},
        "s": {"type": "string"},
        "when": {"type": "date", "default": "2024-01-01"},
        "opt": {"type": "string", "optional": True},
        "ids": {"type": "array", "items": {"type": "int"}, "optional": True},
        "flag": {"type": "bool", "optional": True, "nullable": True},
        "sort": {"type": "field", "optional": True},
        "key": {"type": "field"},
        "pat": {"type": "string", "regex": True, "default": "a.*"},
        "names": {"type": "array", "items": {"type": "string"}, "optional": True},
        "obj": {
            "type": "object",
            "optional": True,
            "properties": {"a": {"type": "int"}, "b": {"type": "string", "optional": True}},
        },
    }.items()
}
EMBEDDABLE = ["n", "s", "when", "key", "pat"]  # scalar and always present
FIELDS = ["sort", "key"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.datetimes(timezones=st.just(UTC)),
)
slots = st.builds(Slot, st.sampled_from(sorted(PARAMS)), regex=st.booleans(), expr=st.booleans())
texts = st.builds(
    lambda parts, regex, expr: Text(tuple(parts), regex=regex, expr=expr),
    st.lists(
        st.one_of(st.text(min_size=1, max_size=4), st.sampled_from(EMBEDDABLE).map(Slot)),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
    st.booleans(),
)
keys = st.one_of(
    st.text(alphabet="abcxyz_", min_size=1, max_size=3),
    st.sampled_from(FIELDS).map(FieldKey),
)
leaves = st.one_of(scalars, slots, texts)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=25,
)
stages = st.lists(
    st.dictionaries(st.sampled_from(["$match", "$set"]), trees, min_size=1, max_size=1), max_size=5
)


@st.composite
def given_params(draw: st.DrawFn) -> dict[str, Any]:
    # Half the strings start with $, which expression positions must wrap in $literal.
    strings = st.one_of(st.sampled_from(["$x", "$$ROOT", "$"]), st.text(max_size=5))
    values: dict[str, Any] = {"n": draw(st.integers(-5, 5)), "s": draw(strings)}
    values["key"] = draw(st.sampled_from(["a", "x", "deep.path"]))
    if draw(st.booleans()):
        values["pat"] = draw(st.sampled_from(["^x$", "(a|b)+", "a b", "$x"]))
    optional = {
        "when": st.datetimes(timezones=st.just(UTC)),
        "opt": strings,
        "ids": st.lists(st.integers(-3, 3), max_size=3),
        "flag": st.one_of(st.none(), st.booleans()),
        "sort": st.sampled_from(["a", "b", "x"]),
        "obj": st.fixed_dictionaries({"a": st.integers(0, 3)}, optional={"b": strings}),
        "names": st.lists(strings, max_size=3),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            values[name] = draw(strategy)
    return values


def outcome(render: Any, values: dict[str, Any]) -> str:
    try:
        return dumps(render(values), json_options=CANONICAL_JSON_OPTIONS)
    except ParameterError as error:
        return f"ParameterError: {error}"


@settings(max_examples=300, deadline=None)
@given(stages, given_params())
def test_compiled_stages_equal_the_reference(template: list[Any], params: dict[str, Any]) -> None:
    tree = StageList(template)
    values = coerce_params("p.k", PARAMS, params)
    compiled = compile_stages(tree, PARAMS, "p.k")
    assert outcome(compiled, values) == outcome(
        lambda v: render_stages(tree, v, PARAMS, "p.k"), values
    )


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, trees, max_size=4), given_params())
def test_compiled_options_equal_the_reference(
    template: dict[Any, Any], params: dict[str, Any]
) -> None:
    values = coerce_params("p.k", PARAMS, params)
    compiled = compile_options(template, PARAMS, "p.k")
    assert outcome(compiled, values) == outcome(
        lambda v: render_options(template, v, PARAMS, "p.k"), values
    )


# A focused strategy for where values stand: one member whose value is a slot or a text that
# starts with a placeholder, in or out of a regex and an expression, so that the rarely drawn
# combinations of the random trees above are drawn every time.
positioned = st.one_of(
    slots,
    st.builds(
        lambda first, rest, regex, expr: Text((Slot(first), *rest), regex=regex, expr=expr),
        st.sampled_from(EMBEDDABLE),
        st.lists(st.one_of(st.text(max_size=3), st.sampled_from(EMBEDDABLE).map(Slot)), max_size=2),
        st.booleans(),
        st.booleans(),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(positioned, min_size=1, max_size=3), given_params())
def test_positioned_values_render_alike(nodes: list[Any], params: dict[str, Any]) -> None:
    tree = StageList([{"$set": {f"m{i}": node for i, node in enumerate(nodes)}}])
    values = coerce_params("p.k", PARAMS, params)
    compiled = compile_stages(tree, PARAMS, "p.k")
    assert outcome(compiled, values) == outcome(
        lambda v: render_stages(tree, v, PARAMS, "p.k"), values
    )


@settings(max_examples=200, deadline=None)
@given(stages, given_params())
def test_renders_share_nothing(template: list[Any], params: dict[str, Any]) -> None:
    tree = StageList(template)
    values = coerce_params("p.k", PARAMS, params)
    compiled = compile_stages(tree, PARAMS, "p.k")
    try:
        first, second = compiled(values), compiled(values)
    except ParameterError:
        return
    assert first == second
    assert not _shared(first, second)


def _shared(a: Any, b: Any) -> bool:
    if isinstance(a, (dict, list)) and a is b:
        return True
    if isinstance(a, dict):
        return any(_shared(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return any(_shared(x, y) for x, y in zip(a, b, strict=True))
    return False
