"""Python sources converted, then rendered with the original's values: the same BSON, exactly."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Decimal128, json_util
from convert_oracle import original

import pipereg
from pipereg.convert.output import file_text, lint
from pipereg.convert.python_source import read_python
from pipereg.jsontext import extjson
from pipereg.review.fmt import format_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "convert" / "python"
SOURCES = sorted(FIXTURES.glob("*.py"))


def _cases(source: Path) -> dict[str, list[dict[str, Any]]]:
    cases: dict[str, list[dict[str, Any]]] = extjson.loads(
        source.with_suffix(".cases.json").read_text(encoding="utf-8")
    )
    return cases


ROUND_TRIPS = [
    pytest.param(source, name, args, id=f"{source.stem}.{name}[{index}]")
    for source in SOURCES
    for name, cases in _cases(source).items()
    for index, args in enumerate(cases)
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> pipereg.Registry:
    root = tmp_path_factory.mktemp("converted") / "pipelines"
    root.mkdir()
    for source in SOURCES:
        result = read_python(source.read_text(encoding="utf-8"), str(source))
        path = root / f"{source.stem}.json"
        path.write_text(file_text(result, str(path)), encoding="utf-8")
    return pipereg.Registry.from_paths(root)


def _bson(stages: list[Any]) -> bytes:
    return bson.encode({"pipeline": stages})


@pytest.mark.parametrize(("source", "name", "args"), ROUND_TRIPS)
def test_converted_pipeline_renders_what_the_code_sent(
    converted: pipereg.Registry, source: Path, name: str, args: dict[str, Any]
) -> None:
    # A service holds decimals as decimal.Decimal (Extended JSON gives Decimal128).
    args = {k: v.to_decimal() if isinstance(v, Decimal128) else v for k, v in args.items()}
    collection, sent = original(source, name, args)
    pipeline = converted.get(f"{source.stem}.{name}")
    rendered = pipeline.render(args)
    assert _bson(rendered) == _bson(sent), (
        f"rendered {json_util.dumps(rendered)}\nsent     {json_util.dumps(sent)}"
    )
    if collection is not None:
        assert pipeline.collection == collection


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_converted_pipeline_has_round_trip_cases(source: Path) -> None:
    result = read_python(source.read_text(encoding="utf-8"), str(source))
    assert sorted(p.name for p in result.pipelines) == sorted(_cases(source))


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_output_is_canonical_and_loads(source: Path, tmp_path: Path) -> None:
    result = read_python(source.read_text(encoding="utf-8"), str(source))
    path = tmp_path / f"{source.stem}.json"
    text = file_text(result, str(path))
    assert format_text(text, str(path)) == text
    assert json.loads(text)["version"] == 1
    errors = [p for p in lint(text, path, source.stem) if p.severity == "error"]
    assert errors == []


def test_refusals_name_the_pipeline_and_the_reason_within_its_function() -> None:
    source = FIXTURES / "refused.py"
    expected = json.loads(source.with_suffix(".refusals.json").read_text(encoding="utf-8"))
    result = read_python(source.read_text(encoding="utf-8"), str(source))
    spans = {
        node.name: (node.lineno, node.end_lineno)
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
    }
    found = {r.reason.split(":", 1)[0]: r for r in result.refusals}
    assert sorted(found) == sorted(expected)
    for name, reason in expected.items():
        refusal = found[name]
        assert reason in refusal.reason
        assert spans[name][0] <= refusal.line <= (spans[name][1] or 0)
        assert str(refusal).startswith(f"{source}:{refusal.line}: {name}: ")


def _convert(code: str) -> Any:
    return read_python(code, "svc.py")


def test_if_member_becomes_optional_and_default_becomes_default() -> None:
    result = _convert(
        "from datetime import datetime\n"
        "def report(db, since=datetime(2024, 1, 1), limit=10, status: str | None = None):\n"
        "    match = {'at': {'$gte': since}}\n"
        "    if status is not None:\n"
        "        match['status'] = status\n"
        "    return db.orders.aggregate([{'$match': match}, {'$limit': limit}])\n"
    )
    (pipeline,) = result.pipelines
    assert pipeline.params == {
        "since": {"type": "date", "default": {"$date": "2024-01-01T00:00:00Z"}},
        "status": {"type": "string", "optional": True},
        "limit": {"type": "int", "default": 10},
    }
    assert pipeline.stages[0] == {"$match": {"at": {"$gte": "<<since>>"}, "status": "<<status>>"}}
    assert result.notes == []  # `is not None` is exactly pipereg's absence: nothing to say


def test_unconditional_none_default_is_nullable_null() -> None:
    (pipeline,) = _convert(
        "def f(db, tag: str | None = None):\n"
        "    return db.x.aggregate([{'$match': {'tag': tag}}])\n"
    ).pipelines
    assert pipeline.params["tag"] == {"type": "string", "nullable": True, "default": None}


def test_a_value_without_type_evidence_is_a_string_with_a_note() -> None:
    result = _convert(
        "def f(db, region):\n    return db.x.aggregate([{'$match': {'r': region}}])\n"
    )
    assert result.pipelines[0].params["region"] == {"type": "string"}
    assert [str(n) for n in result.notes] == [
        "svc.py:2: note: f: typed string: nothing in the code shows the type of region"
    ]


def test_literal_text_with_double_angle_brackets_is_escaped() -> None:
    (pipeline,) = _convert(
        "def f(db):\n    return db.x.aggregate([{'$match': {'a<<b': '<<c>>'}}])\n"
    ).pipelines
    assert pipeline.stages == [{"$match": {"a<<<<b": "<<<<c>>"}}]


def test_a_syntax_error_is_a_located_source_error() -> None:
    with pytest.raises(pipereg.PipeRegError, match=r"^svc\.py:2:\d+: "):
        _convert("def f(db):\n    return db.x.aggregate([{'$match': }])\n")
