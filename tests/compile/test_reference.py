"""Rendering (the reference walk, through Pipeline): golden cases, fresh output, duplicate keys.

Golden cases live in ``tests/fixtures/render/<case>/``:

- ``pipeline.json``: a pipeline file with one pipeline named ``p`` (its key is ``pipeline.p``);
- ``params.json``: the parameters, in Extended JSON (read with
  :func:`pipereg.jsontext.extjson.loads`);
- ``expected.json``: the rendered stages in canonical Extended JSON, so that BSON types are
  compared (``$numberInt`` vs ``$numberLong`` vs ``$numberDouble`` vs ``$numberDecimal``) and
  key order counts;
- ``options.json`` (when the rendered options are not empty): the rendered aggregate options.

``PIPEREG_REGEN_GOLDEN=1`` rewrites ``expected.json`` and ``options.json`` from what the code
renders (``helpers.golden``). Review every regenerated file by hand before committing it: the
expected output is what the specification says, not whatever the code happens to do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from bson import ObjectId
from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

from helpers import FIXTURES, WriteTree, golden, pipeline_file
from pipereg import ParameterError, Pipeline, Registry
from pipereg.jsontext.extjson import loads

GOLDEN = FIXTURES / "render"
CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "pipeline.json").is_file())
OID = "65f1c00000000000000000ff"


def canonical(value: Any) -> Any:
    """``value`` as canonical Extended JSON, parsed back into plain JSON values."""
    return json.loads(dumps(value, json_options=CANONICAL_JSON_OPTIONS))


def ordered(value: Any) -> Any:
    """A form of parsed JSON in which dict key order counts when compared."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def as_json(value: Any) -> str:
    """How the golden files hold a rendered value: indented, non-ASCII as written."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    folder = GOLDEN / case
    pipeline = Registry.from_paths(folder / "pipeline.json").get("pipeline.p")
    params = loads((folder / "params.json").read_text(encoding="utf-8"))
    stages, options = pipeline.prepare(params)
    rendered, rendered_options = canonical(stages), canonical(options)
    expected_file, options_file = folder / "expected.json", folder / "options.json"
    files = {expected_file: as_json(rendered)}
    if rendered_options or options_file.exists():
        files[options_file] = as_json(rendered_options)
    golden(files)  # compared as text: key order and the BSON type of each number count
    # render and render_options give what prepare gives.
    assert ordered(canonical(pipeline.render(params))) == ordered(rendered)
    assert ordered(canonical(pipeline.render_options(params))) == ordered(rendered_options)


# Fresh output: nothing shared with the template, the params, or another render.

FILE = pipeline_file(
    {
        "p": {
            "collection": "orders",
            "params": {
                "ids": {"type": "array", "items": {"type": "objectId"}},
                "statuses": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": ["paid", "shipped"],
                },
                "segment": {
                    "type": "object",
                    "properties": {
                        "country": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}, "default": ["x"]},
                    },
                },
                "region": {"type": "string", "optional": True},
            },
            "stages": [
                {
                    "$match": {
                        "customer_id": {"$in": "<<ids>>"},
                        "referrer_id": {"$in": "<<ids>>"},
                        "status": {"$in": "<<statuses>>"},
                        "flags": {"$all": ["a", "b"]},
                    }
                },
                {"$match": "<<segment>>"},
                {"$addFields": {"meta": {"kind": "report", "ids": "<<ids>>"}, "empty": {}}},
                {
                    "$match": {
                        "at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}},
                        "code": {"$regularExpression": {"pattern": "^A", "options": "i"}},
                    }
                },
            ],
            "options": {"let": {"region": "<<region>>", "fixed": [1, 2]}, "maxTimeMS": 100},
        }
    }
)


@pytest.fixture
def pipeline(write_tree: WriteTree) -> Pipeline:
    return Registry.from_paths(write_tree({"m.json": FILE})).get("m.p")


def params() -> dict[str, Any]:
    return {"ids": [OID], "segment": {"country": "NL"}, "region": "EU"}


def mutate(node: Any) -> None:
    """Change every list and dict below ``node`` in place."""
    if isinstance(node, dict):
        for value in list(node.values()):
            mutate(value)
        node["mutated"] = True
    elif isinstance(node, list):
        for value in node:
            mutate(value)
        node.append("mutated")


def test_renders_are_equal_but_never_the_same_objects(pipeline: Pipeline) -> None:
    first, second = pipeline.render(params()), pipeline.render(params())
    assert canonical(first) == canonical(second)
    assert first is not second
    for a, b in zip(first, second, strict=True):
        assert a is not b


def test_mutating_a_render_does_not_change_the_next(pipeline: Pipeline) -> None:
    pristine = canonical(pipeline.render(params()))
    mutate(pipeline.render(params()))
    assert canonical(pipeline.render(params())) == pristine


def test_mutating_the_bson_literals_of_a_render_does_not_change_the_template(
    pipeline: Pipeline,
) -> None:
    # BUG: bson.Regex (from {"$regularExpression": ...} in the file) is mutable, and the same
    # object is returned by every render.
    first = pipeline.render(params())
    regex = first[3]["$match"]["code"]
    regex.pattern = "^Z"
    again = pipeline.render(params())[3]["$match"]["code"]
    assert again is not regex
    assert (again.pattern, again.flags) == ("^A", 2)


def test_a_list_param_used_twice_is_two_lists(pipeline: Pipeline) -> None:
    (match, *_rest) = pipeline.render(params())
    customers, referrers = (
        match["$match"]["customer_id"]["$in"],
        match["$match"]["referrer_id"]["$in"],
    )
    assert customers is not referrers
    customers.append(ObjectId())
    assert referrers == [ObjectId(OID)]


def test_a_list_param_is_not_the_callers_list(pipeline: Pipeline) -> None:
    given = params()
    first = pipeline.render(given)
    assert first[0]["$match"]["customer_id"]["$in"] is not given["ids"]
    assert first[1]["$match"] is not given["segment"]


def test_mutating_the_params_afterwards_changes_no_render(pipeline: Pipeline) -> None:
    given = params()
    first = pipeline.render(given)
    pristine = canonical(first)
    given["ids"].append("65f1c0000000000000000001")
    given["segment"]["country"] = "FR"
    given["segment"]["tags"] = ["y"]
    given["region"] = "US"
    assert canonical(first) == pristine
    assert canonical(pipeline.render(params())) == pristine


def test_defaults_are_fresh_on_every_render(pipeline: Pipeline) -> None:
    first = pipeline.render(params())
    first[0]["$match"]["status"]["$in"].append("refunded")
    first[1]["$match"]["tags"].append("y")
    second = pipeline.render(params())
    assert second[0]["$match"]["status"]["$in"] == ["paid", "shipped"]
    assert second[1]["$match"]["tags"] == ["x"]
    assert pipeline.params["statuses"].default == ["paid", "shipped"]


def test_mutating_rendered_options_does_not_change_the_next(pipeline: Pipeline) -> None:
    stages, options = pipeline.prepare(params())
    pristine = canonical(options)
    assert pristine == {
        "let": {"region": "EU", "fixed": [{"$numberInt": "1"}, {"$numberInt": "2"}]},
        "maxTimeMS": {"$numberInt": "100"},
    }
    mutate(options)
    mutate(stages)
    assert canonical(pipeline.render_options(params())) == pristine
    assert canonical(pipeline.prepare(params())[1]) == pristine
    assert pipeline.options["let"] == {"region": "<<region>>", "fixed": [1, 2]}


def test_absent_optional_leaves_options_without_it(pipeline: Pipeline) -> None:
    given = params()
    del given["region"]
    assert canonical(pipeline.render_options(given)) == {
        "let": {"fixed": [{"$numberInt": "1"}, {"$numberInt": "2"}]},
        "maxTimeMS": {"$numberInt": "100"},
    }


def test_render_errors_are_parameter_errors(pipeline: Pipeline) -> None:
    with pytest.raises(ParameterError) as info:
        pipeline.render({**params(), "ids": [OID, "nope"]})
    assert (info.value.pipeline, info.value.parameter) == ("m.p", "ids[1]")
    with pytest.raises(ParameterError, match="did you mean 'region'"):
        pipeline.render_options({**params(), "regoin": "EU"})


# A key placeholder must not make a document carry one key twice.


def _sort_pipeline(write_tree: WriteTree, sort: dict[str, Any]) -> Pipeline:
    document = pipeline_file(
        {
            "p": {
                "collection": "c",
                "params": {"f": {"type": "field"}, "g": {"type": "field", "default": "b"}},
                "stages": [{"$match": {}}, {"$sort": sort}],
            }
        }
    )
    return Registry.from_paths(write_tree({"m.json": document})).get("m.p")


@pytest.mark.parametrize(
    ("sort", "f"),
    [
        pytest.param({"_id": 1, "<<f>>": 1, "<<g>>": 1}, "_id", id="literal-before"),
        pytest.param({"<<f>>": 1, "<<g>>": 1, "_id": 1}, "_id", id="literal-after"),
        pytest.param({"<<f>>": 1, "<<g>>": 1, "_id": 1}, "b", id="two-placeholders"),
    ],
)
def test_a_duplicate_rendered_key_is_a_parameter_error(
    write_tree: WriteTree, sort: dict[str, Any], f: str
) -> None:
    pipeline = _sort_pipeline(write_tree, sort)
    with pytest.raises(ParameterError) as info:
        pipeline.render({"f": f})
    error = info.value
    assert error.pipeline == "m.p"
    assert error.parameter in ("f", "g")
    assert f"field {f!r} would appear twice in one document" in str(error)


def test_distinct_rendered_keys_keep_their_order(write_tree: WriteTree) -> None:
    pipeline = _sort_pipeline(write_tree, {"<<f>>": -1, "<<g>>": 1, "_id": 1})
    (_, sort) = pipeline.render({"f": "total", "g": "created_at"})
    assert list(sort["$sort"].items()) == [("total", -1), ("created_at", 1), ("_id", 1)]


def test_sub_pipelines_lose_stages_but_stay_lists(write_tree: WriteTree) -> None:
    # A $facet branch or a $lookup pipeline emptied by removals stays [], like the pipeline itself:
    # dropping it would remove a facet from the results or make the $lookup invalid.
    match_x = [{"$match": {"a": "<<x>>"}}]
    stages = [
        {"$facet": {"all": [{"$count": "n"}], "page": match_x}},
        {
            "$lookup": {
                "from": "d",
                "as": "j",
                "localField": "a",
                "foreignField": "b",
                "pipeline": match_x,
            }
        },
        {"$unionWith": {"coll": "e", "pipeline": match_x}},
    ]
    document = pipeline_file(
        {
            "p": {
                "collection": "c",
                "params": {"x": {"type": "int", "optional": True}},
                "stages": stages,
            }
        }
    )
    pipeline = Registry.from_paths(write_tree({"m.json": document})).get("m.p")
    assert pipeline.render() == [
        {"$facet": {"all": [{"$count": "n"}], "page": []}},
        {
            "$lookup": {
                "from": "d",
                "as": "j",
                "localField": "a",
                "foreignField": "b",
                "pipeline": [],
            }
        },
        {"$unionWith": {"coll": "e", "pipeline": []}},
    ]
    assert pipeline.render({"x": 1})[0]["$facet"]["page"] == [{"$match": {"a": 1}}]
