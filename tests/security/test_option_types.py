"""Aggregate options rendered from parameters: a wrong type is a located ParameterError.

An option rendered to a type the driver refuses used to fail every call with the driver's bare
``TypeError``. Lint types every option at load (PR028, PR010); whatever it cannot tell (a
negative ``maxTimeMS`` from an ``int`` parameter), the DAO checks before anything is sent, and
names the pipeline and the parameter. A ``comment`` may be any value: the DAO wraps it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mongomock
import pytest

from helpers import pipeline_file
from pipereg.aggregate_options import check_options
from pipereg.dao import PipelineDAO
from pipereg.errors import ParameterError
from pipereg.registry import Registry


def registry(tmp_path: Path, option: str, template: Any, declaration: dict[str, Any]) -> Registry:
    pipeline = {
        "collection": "c",
        "params": {"p": declaration},
        "stages": [{"$match": {"a": 1}}],
        "options": {option: template},
    }
    (tmp_path / "m.json").write_text(json.dumps(pipeline_file({"q": pipeline})))
    return Registry.from_paths(tmp_path)


def test_a_negative_max_time_names_the_parameter_not_a_driver_error(tmp_path: Path) -> None:
    # Lint types the option (an int parameter is right for maxTimeMS); only the value is wrong.
    loaded = registry(tmp_path, "maxTimeMS", "<<p>>", {"type": "int"})
    dao = PipelineDAO(mongomock.MongoClient()["db"], loaded)
    with pytest.raises(ParameterError) as caught:
        dao.fetch_all("m.q", {"p": -1})
    assert (caught.value.pipeline, caught.value.parameter) == ("m.q", "p")
    assert str(caught.value) == (
        "m.q: parameter 'p': options.maxTimeMS rendered to int -1, but maxTimeMS takes a "
        "non-negative integer"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("maxTimeMS", "100"),
        ("maxTimeMS", -1),
        ("maxTimeMS", True),
        ("batchSize", 1.5),
        ("allowDiskUse", 1),
        ("bypassDocumentValidation", "yes"),
        ("collation", "fr"),
        ("let", [1]),
        ("hint", 1),
    ],
)
def test_every_checked_option_of_a_refused_type_is_a_parameter_error(
    tmp_path: Path, option: str, value: Any
) -> None:
    pipeline = registry(tmp_path, "comment", "<<p>>", {"type": "string"}).get("m.q")
    with pytest.raises(ParameterError, match=rf"options\.{option} rendered to"):
        check_options(pipeline, {option: value})


def test_the_parameter_named_is_the_options_placeholder(tmp_path: Path) -> None:
    pipeline = registry(tmp_path, "hint", "ix_<<p>>", {"type": "string"}).get("m.q")
    with pytest.raises(ParameterError) as caught:
        check_options(pipeline, {"hint": 7})
    assert caught.value.parameter == "p"


def test_options_of_the_right_type_still_run(tmp_path: Path) -> None:
    loaded = registry(tmp_path, "comment", "run <<p>>", {"type": "int"})
    dao = PipelineDAO(mongomock.MongoClient()["db"], loaded)
    assert dao.fetch_all("m.q", {"p": 5}) == []
