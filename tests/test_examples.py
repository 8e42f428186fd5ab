"""The bundled examples: every command in examples/params.md runs offline and returns rows."""

from __future__ import annotations

import shlex

import pytest
from bson import json_util
from click.testing import CliRunner

from helpers import REPO
from pipereg import Registry
from pipereg.cli import main


def commands() -> list[list[str]]:
    lines = (REPO / "examples/params.md").read_text(encoding="utf-8").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith("pipereg run ")]


def test_every_bundled_pipeline_has_an_example_command() -> None:
    documented = {args[1] for args in commands()}
    assert documented == set(Registry.from_paths(REPO / "pipelines").keys())


@pytest.mark.parametrize("args", commands(), ids=lambda args: args[1])
def test_example_command_runs_on_the_embedded_engine(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the commands use paths relative to the repository
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    rows = json_util.loads(result.stdout)
    assert isinstance(rows, list)
    assert rows, "an example should show real results"
    assert all(isinstance(row, dict) for row in rows)


def test_examples_use_every_parameter_type() -> None:
    registry = Registry.from_paths(REPO / "pipelines")
    types = set()
    for pipeline in registry:
        for param in pipeline.params.values():
            types.add(param.type)
            if param.items is not None:
                types.add(param.items.type)
            types.update(prop.type for prop in param.properties.values())
    assert types == {
        "string", "int", "long", "double", "decimal", "bool", "date", "objectId", "field",
        "array", "object",
    }  # fmt: skip
