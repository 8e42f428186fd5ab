"""Fuzz targets: the loader and the renderer raise nothing but PipeRegError subclasses.

Run briefly in CI (120 examples each); for a longer session set ``PIPEREG_FUZZ_EXAMPLES``, e.g.
``PIPEREG_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/security/test_fuzz.py``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import REPO, BytesResource
from pipereg import ParameterError, PipeRegError, Registry
from pipereg.load.discovery import SourceFile
from pipereg.load.file import load_file

EXAMPLES = int(os.environ.get("PIPEREG_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(data: bytes) -> None:
    """Load one file; any exception that is not a problem record is a bug."""
    result = load_file(SourceFile("fuzz.json", "fuzz", BytesResource(data)))  # type: ignore[arg-type]
    for problem in result.problems:
        assert problem.code.startswith("PR")
        assert problem.message


# The vocabulary of pipeline files, so generated documents reach deep into the loader.
KEYS = st.sampled_from(
    [
        "version", "pipelines", "module", "description", "collection", "stages", "params",
        "options", "type", "optional", "nullable", "default", "enum", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "items", "properties",
        "$match", "$group", "$sort", "$limit", "$facet", "$lookup", "pipeline", "$where",
        "$oid", "$date", "$numberLong", "$numberDecimal", "$concat", "$and", "$in", "let",
        "maxTimeMS", "allowDiskUse", "<<p>>", "<<q>>", "a", "b",
    ]
)  # fmt: skip
STRINGS = st.one_of(
    st.sampled_from(
        [
            "<<p>>", "<<q>>", "x-<<p>>", "<<<<", "<<", "<<a b>>", "<<$x>>", "string", "int",
            "date", "array", "object", "field", "objectId", "2024-03-01", "$x", "$$v",
            "65f1c00000000000000000aa", "^<<p>>",
        ]
    ),
    st.text(max_size=10),
)  # fmt: skip
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), STRINGS),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=40,
)


@st.composite
def pipeline_files(draw: st.DrawFn) -> Any:
    """Documents shaped like pipeline files, broken in random places."""
    params = draw(
        st.dictionaries(
            st.sampled_from(["p", "q", "r"]),
            st.one_of(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["string", "int", "date", "array", "field", "x"])},
                    optional={"optional": st.booleans(), "default": JSON, "items": JSON},
                ),
                JSON,
            ),
            max_size=3,
        )
    )
    stages = draw(st.lists(st.dictionaries(KEYS, JSON, min_size=1, max_size=1), max_size=4))
    pipeline = {"collection": draw(STRINGS), "params": params, "stages": stages}
    if draw(st.booleans()):
        pipeline["options"] = draw(st.dictionaries(KEYS, JSON, max_size=3))
    document: Any = {
        "version": draw(st.one_of(st.integers(0, 3), JSON)),
        "pipelines": {"p": pipeline},
    }
    return draw(st.one_of(st.just(document), JSON))


@FUZZ
@given(st.binary(max_size=300))
def test_loader_survives_arbitrary_bytes(data: bytes) -> None:
    load(data)


@FUZZ
@given(pipeline_files())
def test_loader_survives_pipeline_shaped_documents(document: Any) -> None:
    load(json.dumps(document).encode("utf-8"))


@FUZZ
@given(pipeline_files(), st.integers(0, 200))
def test_loader_survives_truncated_and_corrupted_text(document: Any, cut: int) -> None:
    text = json.dumps(document, indent=1).encode("utf-8")
    load(text[:cut])
    load(text[:cut] + b"\x00\xff" + text[cut:])


REGISTRY = Registry.from_paths(REPO / "pipelines")
PARAM_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=8),
        st.datetimes(),
        st.dates(),
        st.decimals(),
        STRINGS,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(KEYS, st.text(max_size=4)), children, max_size=3),
    ),
    max_leaves=10,
)


@FUZZ
@given(st.sampled_from(REGISTRY.keys()), st.data())
def test_renderer_raises_only_parameter_errors(key: str, data: st.DataObject) -> None:
    pipeline = REGISTRY.get(key)
    names = st.one_of(st.sampled_from(sorted(pipeline.params)), st.text(max_size=5))
    params = data.draw(st.dictionaries(names, PARAM_VALUES, max_size=len(pipeline.params) + 1))
    # Any exception other than ParameterError fails the test by propagating.
    try:
        pipeline.prepare(params)
    except ParameterError as error:
        failure = error
    else:
        return
    assert failure.pipeline == key
    assert isinstance(failure, PipeRegError)
