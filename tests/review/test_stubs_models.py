"""``pipereg stubs --models``: request models typed for mypy, built from declarations."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from helpers import REPO, pipeline_file
from pipereg import Registry, set_default_registry
from pipereg.review.stubs import generate

pydantic = pytest.importorskip("pydantic", reason="the pydantic extra is not installed")

DOCUMENT = pipeline_file(
    {
        "recent": {
            "collection": "orders",
            "params": {
                "since": {"type": "date"},
                "limit": {"type": "int", "minimum": 1, "default": 20},
                "json": {"type": "bool", "optional": True},
                "filter": {
                    "type": "object",
                    "optional": True,
                    "properties": {"region": {"type": "string"}},
                },
            },
            "stages": [
                {"$match": {"at": {"$gte": "<<since>>"}, "j": "<<json>>", "f": "<<filter>>"}},
                {"$limit": "<<limit>>"},
            ],
        }
    }
)
SERVICE = """\
from __future__ import annotations

import datetime

from typed_models import OrdersRecentModel

good = OrdersRecentModel(since=datetime.date(2024, 3, 1), limit=5, json=True)
bad = OrdersRecentModel(since="2024-03-01", limit="5")  # E: arg-type
missing = OrdersRecentModel(limit=5)  # E: call-arg
print(good.limit, bad, missing)
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stub_models")
    root = folder / "pipelines"
    root.mkdir()
    (root / "orders.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    text = generate(Registry.from_paths(root), ["pipelines"], models=True)
    (folder / "typed_models.py").write_text(text, encoding="utf-8")
    (folder / "service_models.py").write_text(SERVICE, encoding="utf-8")
    return folder


@pytest.fixture
def typed(workdir: Path) -> Iterator[ModuleType]:
    set_default_registry(Registry.from_paths(workdir / "pipelines"))
    spec = importlib.util.spec_from_file_location("typed_models", workdir / "typed_models.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        yield module
    finally:
        set_default_registry(None)


def test_at_run_time_the_model_is_the_pipelines_own(typed: ModuleType) -> None:
    model = typed.OrdersRecentModel
    from pipereg import default_registry

    assert model is default_registry().get("orders.recent").params_model()
    assert typed.OrdersRecentModel is model  # kept after the first use
    with pytest.raises(pydantic.ValidationError):
        model.model_validate({"since": "2024-03-01", "limit": "5"})
    with pytest.raises(AttributeError):
        typed.NoSuchModel  # noqa: B018


def test_the_module_imports_without_pydantic_until_a_model_is_used(workdir: Path) -> None:
    code = (
        "import sys\n"
        "import typed_models\n"
        "print('pydantic' in sys.modules)\n"
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=workdir
    )
    assert done.stdout.strip() == "False"


def test_the_module_is_ruff_clean_and_formatted(workdir: Path) -> None:
    path = str(workdir / "typed_models.py")
    for command in (
        ["check", "--config", str(REPO / "pyproject.toml"), path],
        ["format", "--check", "--isolated", path],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_checks_model_construction_against_the_declarations(workdir: Path) -> None:
    from mypy import api

    files = [str(workdir / "typed_models.py"), str(workdir / "service_models.py")]
    args = ["--strict", "--no-error-summary", "--ignore-missing-imports"]
    args += ["--cache-dir", str(workdir / ".mypy_cache"), *files]
    limit = sys.getrecursionlimit()
    try:
        stdout, stderr, _ = api.run(args)
    finally:
        sys.setrecursionlimit(limit)
    assert not stderr, stderr
    found = {
        (int(line.split(":")[1]), line.rsplit("[", 1)[1].rstrip("]"))
        for line in stdout.splitlines()
        if "service_models.py" in line and ": error:" in line
    }
    expected = {
        (number, line.split("# E: ")[1])
        for number, line in enumerate(SERVICE.splitlines(), start=1)
        if "# E: " in line
    }
    assert found == expected, stdout
    assert "typed_models.py" not in stdout, stdout
