"""The loader's fast path finds exactly what the full checks find.

Loading vouches for most pipelines from their compact JSON text (``sketch.sketch`` and
``checks.clean``) and runs the full checks (templates built, every rule walked) only on the rest.
Here every file loads twice, once as the loader does and once with the fast path switched off,
and the problems (codes, messages, lines, columns, JSON paths) and loaded pipelines must be the
same: generated files full of placeholder mistakes, escapes, Extended JSON, deep nesting and
rule triggers, and every pipeline file in the repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import REPO, BytesResource
from pipereg.check import prefilter as sketch_module
from pipereg.check import rules as checks
from pipereg.check.prefilter import sketch
from pipereg.load.discovery import SourceFile
from pipereg.load.file import LoadedFile, load_file
from pipereg.params.declare import from_json

EXAMPLES = int(os.environ.get("PIPEREG_FUZZ_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@contextmanager
def full_checks_only() -> Iterator[None]:
    """Load as before the fast path: every pipeline gets templates built and every rule run."""
    with mock.patch.object(sketch_module, "sketch", return_value=None):
        yield


def load(data: bytes) -> LoadedFile:
    return load_file(SourceFile("p.json", "m", BytesResource(data)))  # type: ignore[arg-type]


def outcome(result: LoadedFile) -> tuple[list[Any], list[Any]]:
    pipelines = [
        (p.key, p.version, dict(p.params), p.stage_tree, p.option_tree) for p in result.pipelines
    ]
    # Param has identity equality; compare declarations by what they hold.
    pipelines = [
        (key, version, {n: repr(d) for n, d in params.items()}, stages, options)
        for key, version, params, stages, options in pipelines
    ]
    return list(result.problems), pipelines


def assert_same(data: bytes) -> LoadedFile:
    fast = load(data)
    with full_checks_only():
        full = load(data)
    assert outcome(fast) == outcome(full)
    return fast


# Parameters a generated pipeline may declare: every kind a rule looks at.
PARAMS: dict[str, Any] = {
    "a": {"type": "int"},
    "b": {"type": "string", "default": "x"},
    "s": {"type": "string"},
    "f": {"type": "field", "default": "k"},
    "g": {"type": "field"},
    "opt": {"type": "string", "optional": True},
    "nul": {"type": "int", "nullable": True, "default": None},
    "arr": {"type": "array", "items": {"type": "int"}},
    "r": {"type": "string", "regex": True, "maxLength": 5},
    "bad": {"type": "int", "default": "ten"},
    "fk": {"type": "field", "default": "a<<b"},
}
STRINGS = [
    "plain", "<<a>>", "<<b>>", "<<s>>", "<<f>>", "<<g>>", "<<opt>>", "<<nul>>", "<<arr>>",
    "<<r>>", "<<zz>>", "x-<<a>>", "x-<<opt>>", "x-<<arr>>", "$<<f>>", "$<<s>>", "$$<<a>>",
    "$<<g>>.y", "<<<<lit", "<<<<<<a>>", "<<1bad>>", "<<unclosed", "a <<b c>>", 'q"<<a>>',
    'q"<<opt>>', "back\\slash <<a>>", "tab\t<<opt>>", "é<<b>>", "$x", "$$ROOT", "$where",
    "65f1c000000000000000000b", "Infinity", "<<", ">>", "k", '"$oid"', "$in", "\\u003c<",
]  # fmt: skip
KEYS = [
    "$match", "$and", "$or", "$in", "$nin", "$cond", "$concat", "$round", "$where", "$function",
    "$expr", "$regex", "$regexMatch", "regex", "<<f>>", "<<g>>", "<<a>>", "<<zz>>", "a<<b>>",
    "<<<<k", "k", "x", 'q"k', "$q\\k", "pipeline", "<<fk>>", "a<<<<b", "$date", "$oid",
    "$numberLong", "$literal", "$sum", "let", "é",
]  # fmt: skip
STAGES = [
    "$match", "$project", "$addFields", "$group", "$sort", "$limit", "$facet", "$lookup",
    "$unionWith", "$out", "$merge", "$bogus", "<<f>>", "$where", "$set", "$replaceWith",
]  # fmt: skip
WRAPPERS = [
    {"$oid": "65f1c000000000000000000b"},
    {"$oid": "bad"},
    {"$date": "2024-01-01T00:00:00Z"},
    {"$numberLong": "1", "x": 1},
    {"$numberInt": "99999999999"},
]
INF = "__INF__"  # replaced by 1e999 in the text: a number that parses to infinity

leaves = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from([0, 1, -5, 2**63 - 1, 2**63, -(2**63) - 1, 1.5, 10**30, True, None, INF]),
    st.sampled_from(WRAPPERS),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    ),
    max_leaves=20,
)


def nested(depth: int) -> Any:
    node: Any = "<<a>>"
    for _ in range(depth):
        node = {"n": node}
    return node


@st.composite
def stages(draw: st.DrawFn, depth: int = 0) -> list[Any]:
    out: list[Any] = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(STAGES))
        if name == "$facet" and depth < 2:
            body: Any = {"f1": draw(stages(depth + 1)), draw(st.sampled_from(KEYS)): []}
        elif name in ("$lookup", "$unionWith") and depth < 2:
            body = {"from": "c", "pipeline": draw(stages(depth + 1))}
        else:
            body = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=4))
        out.append({name: body})
    if draw(st.integers(0, 9)) == 0:
        out.append({"$match": nested(draw(st.sampled_from([97, 98, 99, 100, 101])))})
    return out


options = st.one_of(
    st.none(),
    st.just({"allowDiskUse": True}),
    st.fixed_dictionaries({"maxTimeMS": st.sampled_from(["<<a>>", "<<s>>", 100])}),
    st.fixed_dictionaries({"let": st.dictionaries(st.sampled_from(["v", "w"]), values)}),
    st.fixed_dictionaries({"comment": st.sampled_from(STRINGS)}),
)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    pipelines = {}
    for name in draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=1, unique=True)):
        declared = draw(st.lists(st.sampled_from(sorted(PARAMS)), unique=True))
        definition: dict[str, Any] = {
            "collection": "c",
            "params": {n: PARAMS[n] for n in declared},
            "stages": draw(stages()),
        }
        chosen = draw(options)
        if chosen is not None:
            definition["options"] = chosen
        pipelines[name] = definition
    indent = draw(st.sampled_from([None, 2]))
    text = json.dumps({"version": 1, "pipelines": pipelines}, indent=indent, ensure_ascii=False)
    return text.replace(f'"{INF}"', "1e999").encode()


# Mostly valid pipelines, so that the fast path vouches for many and must be right about them:
# placeholders of the declared kinds where they belong, and rule triggers only now and then.
TAME_STRINGS = [
    "plain", "<<a>>", "<<b>>", "<<s>>", "<<opt>>", "<<arr>>", "<<nul>>", "x-<<a>>", "x-<<b>>",
    "$<<f>>", "$<<g>>", "<<<<lit", "$x", 'q"k', "é", "$$ROOT", "<<r>>", "^<<b>>",
]  # fmt: skip
TAME_KEYS = [
    "$match", "$and", "$or", "$in", "$cond", "$concat", "$round", "k", "x", "<<f>>", "<<g>>",
    "$expr", "$sum", "é", "$regex", "a<<<<b", "<<fk>>",
]  # fmt: skip
TAME_STAGES = ["$match", "$project", "$addFields", "$group", "$sort", "$set", "$limit", "$out"]
tame_values = st.recursive(
    st.one_of(st.sampled_from(TAME_STRINGS), st.sampled_from([0, 1, 1.5, True, None])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(TAME_KEYS), inner, max_size=3),
    ),
    max_leaves=12,
)


@st.composite
def tame_files(draw: st.DrawFn) -> bytes:
    stages = [
        {draw(st.sampled_from(TAME_STAGES)): draw(tame_values)}
        for _ in range(draw(st.integers(1, 5)))
    ]
    text = json.dumps(stages, ensure_ascii=False)
    used = {n for n in PARAMS if f"<<{n}>>" in text.replace("<<<<", "")}
    declared = used ^ set(draw(st.lists(st.sampled_from(sorted(PARAMS)), max_size=1)))
    definition = {"collection": "c", "params": {n: PARAMS[n] for n in sorted(declared)}}
    document = {"version": 1, "pipelines": {"p": {**definition, "stages": stages}}}
    return json.dumps(document, ensure_ascii=False).encode()


@SETTINGS
@given(st.one_of(files(), tame_files()))
def test_generated_files_load_the_same_with_and_without_the_fast_path(data: bytes) -> None:
    assert_same(data)


def _pipeline_files() -> list[Path]:
    found = []
    for path in sorted(REPO.glob("[!.]*/**/*.json")):
        if ".venv" in path.parts:
            continue
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            continue
        if isinstance(document, dict) and "pipelines" in document:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _pipeline_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_repository_files_load_the_same_with_and_without_the_fast_path(path: Path) -> None:
    assert_same(path.read_bytes())


def test_the_fast_path_vouches_for_an_ordinary_pipeline() -> None:
    # Not a timing: the benchmark's kind of pipeline must not fall back to the full checks.
    from benchmarks.workloads import PIPELINE

    definition = json.loads(json.dumps(PIPELINE))
    outline = sketch(definition["stages"], definition["options"])
    assert outline is not None
    params = {n: from_json(n, d) for n, d in definition["params"].items()}
    assert checks.clean(params, outline, definition["stages"])


@pytest.mark.parametrize(
    "stages",
    [
        # PR029 over a key the tree unescapes: "a<<<<b" is the key "a<<b", the default.
        [{"$sort": {"<<fk>>": 1, "a<<<<b": 1}}],
        [{"$sort": {"<<f>>": 1, "k": 1}}],  # PR029 plainly
        [{"$project": {"x": {"$concat": ["a", "<<opt>>"]}}}],  # PR027
        [{"$match": {"a": "<<opt>>"}}, {"$project": {"x": {"$concat": ["a", "b"]}}}],  # none
        [{"$set": {"x": "$<<s>>"}}],  # PR035
        [{"$match": {"$expr": {"$eq": ["$a", "$<<s>>"]}}}],  # PR035 in $expr
        [{"$match": {"x": "$<<s>>"}}],  # not an expression: no PR035
        [{"$lookup": {"from": "c", "as": "y", "pipeline": [{"$out": "z"}]}}],  # PR031
        [{"$facet": {"<<f>>": [{"$bogus": 1}]}}],  # a placeholder facet name: no PR030
        [{"$group": {"_id": None, "n": {"$accumulator": {}}}}],  # PR032
        [{"$match": {"a": {"n": {"n": {"n": "<<a>>"}}}}}],
    ],
)
def test_rule_cases_load_the_same_with_and_without_the_fast_path(stages: list[Any]) -> None:
    text = json.dumps(stages)
    used = [n for n in PARAMS if f"<<{n}>>" in text.replace("<<<<", "")]
    definition = {"collection": "c", "params": {n: PARAMS[n] for n in used}, "stages": stages}
    assert_same(json.dumps({"version": 1, "pipelines": {"p": definition}}).encode())
