"""mongosh and Compass syntax converted, then rendered: the BSON the shell literals denote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import json_util

import pipereg
from pipereg.convert.output import file_text, lint
from pipereg.convert.shell import read_shell
from pipereg.jsontext import extjson
from pipereg.review.fmt import format_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "convert" / "shell"
SOURCES = sorted([*FIXTURES.glob("*.js"), *FIXTURES.glob("*.mongodb")])
# A bare array (a Compass export) takes its collection from the command line.
COLLECTIONS = {"export": "shipments"}


def _expected(source: Path) -> dict[str, list[Any]]:
    expected: dict[str, list[Any]] = extjson.loads(
        source.with_suffix(".expected.json").read_text(encoding="utf-8")
    )
    return expected


def _read(source: Path) -> Any:
    return read_shell(source.read_text(encoding="utf-8"), str(source), COLLECTIONS.get(source.stem))


ROUND_TRIPS = [
    pytest.param(source, name, id=f"{source.name}:{name}")
    for source in SOURCES
    for name in _expected(source)
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> pipereg.Registry:
    root = tmp_path_factory.mktemp("converted") / "pipelines"
    root.mkdir()
    for source in SOURCES:
        path = root / f"{source.stem}.json"
        path.write_text(file_text(_read(source), str(path)), encoding="utf-8")
    return pipereg.Registry.from_paths(root)


@pytest.mark.parametrize(("source", "name"), ROUND_TRIPS)
def test_converted_pipeline_renders_the_shell_values(
    converted: pipereg.Registry, source: Path, name: str
) -> None:
    rendered = converted.render(f"{source.stem}.{name}")
    expected = _expected(source)[name]
    assert bson.encode({"p": rendered}) == bson.encode({"p": expected}), (
        f"rendered {json_util.dumps(rendered)}\nexpected {json_util.dumps(expected)}"
    )


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_every_pipeline_is_expected_or_refused(source: Path, tmp_path: Path) -> None:
    result = _read(source)
    assert sorted(p.name for p in result.pipelines) == sorted(_expected(source))
    refusals = source.with_suffix(".refusals.json")
    expected = json.loads(refusals.read_text(encoding="utf-8")) if refusals.exists() else {}
    found = {r.reason.split(":", 1)[0]: r.reason for r in result.refusals}
    assert sorted(found) == sorted(expected)
    for name, reason in expected.items():
        assert reason in found[name]
    path = tmp_path / f"{source.stem}.json"
    text = file_text(result, str(path))
    assert format_text(text, str(path)) == text
    assert lint(text, path, source.stem) == []


def test_options_are_kept_and_the_render_tag_names_the_pipeline() -> None:
    result = read_shell(
        'db.getCollection("orders").aggregate([{"$limit": 1}], '
        '{"allowDiskUse": true, "comment": "pipereg:orders.daily_revenue@3 fp:207659c0601e"})',
        "-",
    )
    (pipeline,) = result.pipelines
    assert pipeline.name == "daily_revenue"
    assert pipeline.options == {"allowDiskUse": True}


def test_a_bare_array_without_a_collection_is_refused() -> None:
    result = read_shell("[{$limit: 1}]", "x.js")
    assert [str(r) for r in result.refusals] == [
        "x.js:1: pipeline: a bare array names no collection: pass --collection"
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("db.orders.aggregate([{$match: {a: }}])", "x.js:1:"),
        ("db.orders.aggregate([\n  {$match: {a: 1}\n])", "x.js:"),
    ],
)
def test_a_syntax_error_is_one_located_line(text: str, where: str) -> None:
    with pytest.raises(pipereg.PipeRegError) as caught:
        read_shell(text, "x.js")
    message = str(caught.value)
    assert message.startswith(where)
    assert "\n" not in message
    assert "syntax error" in message


def test_js_numbers_become_what_mongosh_sends() -> None:
    result = read_shell(
        "db.c.aggregate([{$match: {a: 1, b: 1.0, c: 2.5, d: -0, e: 2147483648}}])", "x.js"
    )
    (pipeline,) = result.pipelines
    match = pipeline.stages[0]["$match"]
    assert [type(v) for v in match.values()] == [int, int, float, float, float]


def test_options_of_a_statement_are_kept_in_file_form() -> None:
    result = _read(FIXTURES / "compass.mongodb")
    options = {p.name: p.options for p in result.pipelines}
    assert options["paymentsAndRefunds"] == {"maxTimeMS": 30000}
    assert options["runningTotal"] == {"hint": {"customer_id": 1, "at": 1}, "batchSize": 500}
    assert options["payments"] == {
        "comment": "weekly payments check",
        "collation": {"locale": "en", "strength": 2},
    }
