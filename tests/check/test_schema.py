"""The pipeline-file JSON Schema and its messages (pipereg.check.schema)."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from helpers import REPO, pipeline_file
from pipereg.check import schema
from pipereg.cli.schema import render


def messages(document: Any) -> list[tuple[str, str]]:
    from pipereg.jsontext.parse import format_json_path

    return [(format_json_path(f.at), f.message) for f in schema.validate(document)]


def minimal(**pipeline: Any) -> dict[str, Any]:
    return pipeline_file({"p": {"collection": "c", "stages": [{"$match": {}}], **pipeline}})


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.schema())


def test_editor_copy_in_schemas_folder_is_the_generated_editor_schema() -> None:
    editor = (REPO / "schemas/pipeline-file.schema.json").read_text(encoding="utf-8")
    assert editor == render("pipelines"), "run: pipereg schema -o schemas/pipeline-file.schema.json"


def test_bundled_examples_reference_the_schema_and_validate() -> None:
    paths = [p for p in (REPO / "pipelines").rglob("*.json") if not p.name.endswith(".test.json")]
    assert len(paths) == 5  # four modules of pipelines, and common.json of fragments
    for path in sorted(paths):
        document = json.loads(path.read_text(encoding="utf-8"))
        target = (path.parent / document["$schema"]).resolve()
        assert target == (REPO / "schemas/pipeline-file.schema.json").resolve(), path
        assert schema.validate(document) == [], path


def test_bundled_test_cases_reference_the_cases_schema_and_validate() -> None:
    paths = sorted((REPO / "pipelines").rglob("*.test.json"))
    assert len(paths) == 4
    for path in paths:
        document = json.loads(path.read_text(encoding="utf-8"))
        target = (path.parent / document["$schema"]).resolve()
        assert target == (REPO / "schemas/pipeline-tests.schema.json").resolve(), path
        assert schema.validate(document, schema.CASES_SCHEMA_FILE) == [], path


def test_cases_schema_is_valid_and_its_editor_copy_is_the_shipped_one() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.schema(schema.CASES_SCHEMA_FILE))
    editor = (REPO / "schemas/pipeline-tests.schema.json").read_text(encoding="utf-8")
    assert editor == render("tests"), "run: pipereg schema --kind tests -o schemas/..."


def test_minimal_file_is_valid() -> None:
    assert messages(minimal()) == []


VIOLATIONS: list[tuple[Any, tuple[str, str]]] = [
    ({"pipelines": {}}, ("$", "missing required key 'version'")),
    (
        pipeline_file({"p": {"collection": "c", "stages": [{"$match": {}}]}}, verison=2),
        ("$.verison", "unknown key 'verison' (did you mean 'version'?)"),
    ),
    (
        pipeline_file({"p": {"colection": "c", "stages": [{"$match": {}}]}}),
        ("$.pipelines.p.colection", "unknown key 'colection' (did you mean 'collection'?)"),
    ),
    (
        minimal(version=0),
        ("$.pipelines.p.version", "0 is less than the minimum of 1"),
    ),
    (
        minimal(stages=[]),
        ("$.pipelines.p.stages", "must have at least one item"),
    ),
    (
        minimal(stages=[{"$match": {}, "$limit": 1}]),
        (
            "$.pipelines.p.stages[0]",
            "a stage is an object with exactly one key, the stage name such as $match",
        ),
    ),
    (
        minimal(stages=[{"match": {}}]),
        (
            "$.pipelines.p.stages[0].match",
            "'match': a stage name starts with $, such as $match",
        ),
    ),
    (
        pipeline_file({"daily-revenue": {"collection": "c", "stages": [{"$match": {}}]}}),
        (
            '$.pipelines["daily-revenue"]',
            "'daily-revenue': a pipeline name is letters, digits and _, not starting with a digit",
        ),
    ),
    (
        minimal(params={"n": {"type": "integer"}}),
        (
            "$.pipelines.p.params.n.type",
            '"integer" is not one of string, int, long, double, '
            "decimal, bool, date, objectId, field, array, object (did you mean 'int'?)",
        ),
    ),
    (
        minimal(params={"n": {"type": "bool", "minimum": 1}}),
        ("$.pipelines.p.params.n.minimum", "'minimum' does not apply to type bool"),
    ),
    (
        minimal(params={"n": {"type": "array"}}),
        ("$.pipelines.p.params.n", "missing required key 'items'"),
    ),
    (
        minimal(params={"n": {"type": "object"}}),
        ("$.pipelines.p.params.n", "missing required key 'properties'"),
    ),
    (
        minimal(params={"n": {"type": "array", "items": {"type": "int", "optional": True}}}),
        ("$.pipelines.p.params.n.items.optional", "array items cannot be optional"),
    ),
    (
        minimal(params={"n": {"type": "string", "optional": "yes"}}),
        ("$.pipelines.p.params.n.optional", 'expected boolean, got string "yes"'),
    ),
    (
        minimal(options={"maxTimeMS": "soon"}),
        (
            "$.pipelines.p.options.maxTimeMS",
            "expected a non-negative integer or a <<placeholder>>",
        ),
    ),
    (
        minimal(options={"allowDiskUse": True, "explain": True}),
        ("$.pipelines.p.options.explain", "unknown key 'explain'"),
    ),
]


@pytest.mark.parametrize(("document", "expected"), VIOLATIONS)
def test_violations_have_located_readable_messages(
    document: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in messages(document)


def test_every_problem_is_reported_not_just_the_first() -> None:
    document = pipeline_file(
        {
            "a": {"colection": "c", "stages": [{"$match": {}}]},
            "b": {"collection": "c", "stages": [], "option": {}},
        }
    )
    paths = [path for path, _ in messages(document)]
    assert paths == [
        "$.pipelines.a",
        "$.pipelines.a.colection",
        "$.pipelines.b.option",
        "$.pipelines.b.stages",
    ]


def test_placeholders_are_accepted_where_options_take_values() -> None:
    document = minimal(
        options={"maxTimeMS": "<<t>>", "allowDiskUse": "<<d>>", "let": {"x": "<<x>>"}}
    )
    assert messages(document) == []


def corpus() -> list[Any]:
    """Valid and invalid files: every case in this module, the examples, every JSON fixture."""
    documents: list[Any] = [document for document, _ in VIOLATIONS]
    documents += [minimal(), {}, [], "x", {"version": 1, "pipelines": {"p": {}}}]
    for folder in ("pipelines", "tests"):
        for path in sorted((REPO / folder).rglob("*.json")):
            try:
                documents.append(json.loads(path.read_text(encoding="utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue  # the unreadable inputs of tests/fixtures/fmt
    return documents


def test_the_fast_validator_agrees_with_the_reporting_one() -> None:
    # jsonschema-rs decides whether a file is valid; jsonschema explains why one is not. They
    # must never disagree, or a file would pass with no finding or fail with none.
    readable = jsonschema_rs.validator_for(schema.schema(), validate_formats=True)
    reporting = jsonschema.Draft202012Validator(
        schema.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    documents = corpus()
    assert len(documents) > 150
    for document in documents:
        assert schema.is_valid(document) == readable.is_valid(document), document
        assert schema.is_valid(document) == reporting.is_valid(document), document


# Values for each keyword of a parameter declaration: the first fits, the others mostly do not.
DECLARATION_VALUES: dict[str, list[Any]] = {
    "description": ["d", 1],
    "optional": [True, False, "yes"],
    "nullable": [True, None],
    "default": [1, "x", None],
    "enum": [["a", "b"], [], "a"],
    "minimum": [0, "2024-01-01", {"$date": "2024-01-01T00:00:00Z"}, -1.5, True, [1]],
    "maximum": [10, "z", {"$numberDecimal": "1"}, None],
    "minLength": [0, -1, 1.5, "3"],
    "maxLength": [5, 2.0, -3],
    "pattern": ["^a+$", "(", 1],
    "regex": [True, False, 1],
    "minItems": [1, -1, "1"],
    "maxItems": [3, 0.5],
    "minimun": [1],
}


def declarations(count: int, seed: int = 3) -> list[Any]:
    """Parameter declarations, valid and invalid, nested through items and properties.

    First every type (and two that are not types, and none) alone and with each keyword, so
    that each type's rules are both met and broken; then ``count`` random mixes.
    """
    kinds: list[Any] = schema.schema()["$defs"]["param"]["properties"]["type"]["enum"]
    wrong_kinds: list[Any] = ["integer", 1]
    keywords = [*DECLARATION_VALUES, "items", "properties"]
    rng = random.Random(seed)

    def value(keyword: str, depth: int, fits: bool = False) -> Any:
        fits = fits or rng.random() < 0.6
        if keyword == "items":
            return {"type": "int"} if fits else rng.choice([declaration(depth + 1), "x"])
        if keyword == "properties":
            if fits:
                return {"a": {"type": "int"}}
            return rng.choice([{"a": declaration(depth + 1)}, {"1a": {"type": "int"}}, {}, "x"])
        return DECLARATION_VALUES[keyword][0] if fits else rng.choice(DECLARATION_VALUES[keyword])

    def declaration(depth: int) -> Any:
        if depth > 2:
            return {"type": "int"}
        kind = rng.choice(kinds if rng.random() < 0.95 else wrong_kinds)
        picked: dict[str, Any] = {"type": kind} if rng.random() < 0.98 else {}
        if kind in ("array", "object") and rng.random() < 0.8:
            # Most arrays and objects have the key they need, so their other rules are reached.
            key = "items" if kind == "array" else "properties"
            picked[key] = value(key, depth)
        for keyword in keywords:
            if rng.random() < 0.1:
                picked[keyword] = value(keyword, depth)
        return picked

    found: list[Any] = []
    for kind in [*kinds, *wrong_kinds, None]:
        alone: dict[str, Any] = {} if kind is None else {"type": kind}
        found += [alone, {**alone, "items": {"type": "int"}}, {**alone, "properties": {}}]
        if kind in ("array", "object"):
            key = "items" if kind == "array" else "properties"
            alone = {**alone, key: value(key, 0, fits=True)}
        found += [{**alone, keyword: value(keyword, 0, fits=True)} for keyword in keywords]
    return found + [declaration(0) for _ in range(count)]


def test_the_fast_schema_accepts_and_rejects_declarations_as_the_readable_one() -> None:
    # jsonschema-rs checks a restatement of the declarations' per-type rules (schema.py,
    # _fast_schema); the readable schema, which findings come from, must agree on every file.
    readable = jsonschema_rs.validator_for(schema.schema(), validate_formats=True)
    reporting = jsonschema.Draft202012Validator(
        schema.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    documents = [minimal(params={"n": declaration}) for declaration in declarations(4000)]
    verdicts = [schema.is_valid(document) for document in documents]
    assert 0.2 < sum(verdicts) / len(verdicts) < 0.8  # both sides of every rule are reached
    for document, verdict in zip(documents, verdicts, strict=True):
        assert verdict == readable.is_valid(document), document
        assert verdict == reporting.is_valid(document), document


def test_the_fast_schema_tests_each_declaration_type_three_times_at_most() -> None:
    # Not a copy of the readable schema: a change to $defs/param that the restatement does not
    # understand would quietly bring back the cost of twelve conditions per declaration.
    param = schema._fast_schema(schema.schema())["$defs"]["param"]
    assert "allOf" not in param

    def rules(kind: str) -> tuple[int, dict[str, Any]]:
        node, tests = param, 0
        while "if" in node:
            tests += 1
            node = (
                node["then"] if kind in node["if"]["properties"]["type"]["enum"] else node["else"]
            )
        return tests, node

    for kind in param["properties"]["type"]["enum"]:
        assert rules(kind)[0] <= 3, kind
    assert rules("field")[1] == {
        "properties": dict.fromkeys(
            ["items", "maxItems", "maximum", "minItems", "minimum", "properties", "regex"], False
        )
    }
    assert rules("array")[1]["required"] == ["items"]


def test_a_param_definition_of_another_shape_is_checked_as_it_is() -> None:
    readable = schema.schema()
    other = json.loads(json.dumps(readable))
    other["$defs"]["param"]["allOf"].append({"if": {"required": ["regex"]}, "then": {}})
    assert schema._fast_schema(other) is other
    assert schema._fast_schema(schema.schema(schema.CASES_SCHEMA_FILE)) is schema.schema(
        schema.CASES_SCHEMA_FILE
    )


@pytest.mark.parametrize(
    "options",
    [
        {"readConcern": {"level": "majority"}},
        {"writeConcern": {"w": "majority", "j": True, "wtimeout": 100}},
        {"bypassDocumentValidation": True},
        {"comment": 42},
        {"comment": {"team": "billing"}},
        {"hint": "<<index>>"},
        {"maxAwaitTimeMS": 500},
        {"let": {"x": 1}, "collation": {"locale": "fr"}, "maxTimeMS": 10, "batchSize": 5},
    ],
)
def test_every_aggregate_option_mongodb_takes_is_accepted(options: dict[str, Any]) -> None:
    assert messages(minimal(options=options)) == []


def test_a_database_level_pipeline_has_a_null_collection() -> None:
    assert messages(minimal(collection=None)) == []
    assert messages(minimal(collection="")) != []
