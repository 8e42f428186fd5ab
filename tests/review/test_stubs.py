"""Typed calls: the generated module, and mypy's and pyright's verdicts on it.

One module-scoped mypy run and one pyright run check, together: the stubs generated for a small
tree, a service module that uses them correctly (no error), one with a mistake on each tagged
line (``# E: code``: exactly those lines fail), and the bundled example service.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import mongomock
import pytest
from mongomock_motor import AsyncMongoMockClient

import pipereg
from helpers import FIXTURES, REPO, pipeline_file
from pipereg import Registry
from pipereg.review.stubs import generate

SERVICES = FIXTURES / "stubs"
EXAMPLE = REPO / "examples/service"
# Long enough for an alias; quotes as ruff writes them.
COLOURS = ["red", "green", "blue", "cyan", "teal", 'say "hi"', "it's", '\'""', "\\'\"\n"]


def declared(params: dict[str, Any]) -> dict[str, Any]:
    """A pipeline on ``c``: a $match with every parameter (without parameters, a $sort)."""
    return {
        "collection": "c",
        "params": params,
        "stages": [
            {"$match": {name: f"<<{name}>>" for name in params}} if params else {"$sort": {"x": 1}}
        ],
    }


TREE = {
    "shop.json": pipeline_file(
        {
            "orders": declared(
                {
                    "since": {"type": "date"},
                    "status": {"type": "string", "enum": ["paid", "open"], "default": "paid"},
                    "ids": {"type": "array", "items": {"type": "objectId"}, "optional": True},
                    "limit": {"type": "int", "default": 10},
                    "big": {"type": "long", "optional": True},
                    "ratio": {"type": "double", "optional": True},
                    "amount": {"type": "decimal", "optional": True},
                    "flag": {"type": "bool", "optional": True},
                    "sort_by": {"type": "field", "optional": True},
                    "note": {"type": "string", "nullable": True},
                    "filter": {
                        "type": "object",
                        "optional": True,
                        "properties": {
                            "region": {"type": "string"},
                            "tier": {"type": "int", "optional": True},
                        },
                    },
                    "days": {
                        "type": "array",
                        "items": {"type": "int", "enum": [1, 2, 3]},
                        "optional": True,
                    },
                }
            ),
            "count": declared({}),
            "keywords": declared(
                {"class": {"type": "string"}, "str": {"type": "int", "optional": True}}
            ),
            "edges": declared(
                {
                    "__x": {"type": "int", "optional": True},
                    "empty": {"type": "object", "properties": {}, "optional": True},
                    "colour": {"type": "string", "enum": COLOURS, "optional": True},
                    "when": {
                        "type": "array",
                        "items": {"type": "date", "nullable": True},
                        "optional": True,
                    },
                }
            ),
        }
    ),
    # Both keys make the class name ABC...: the second in key order is numbered.
    "a_b.json": pipeline_file({"c": declared({"x": {"type": "int"}})}),
    "a.json": pipeline_file({"b_c": declared({"y": {"type": "string"}})}),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stubs for TREE as ``typed.py`` beside the service modules; single-pipeline stubs too."""
    folder = tmp_path_factory.mktemp("stubs")
    root = folder / "pipelines"
    for relative, document in TREE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
    (folder / "typed.py").write_text(generate(Registry.from_paths(root), ["pipelines"]), "utf-8")
    single = folder / "single"
    single.mkdir()
    (single / "one.json").write_text(
        json.dumps(pipeline_file({"p": declared({"n": {"type": "int"}})})), encoding="utf-8"
    )
    (folder / "typed_single.py").write_text(
        generate(Registry.from_paths(single), ["single"]), "utf-8"
    )
    for service in SERVICES.glob("*.py"):
        shutil.copy(service, folder / service.name)
    return folder


def tagged(path: Path) -> set[tuple[int, str]]:
    """The ``# E: code`` tags of a service module: (line, mypy error code)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {
        (number, match.group(1))
        for number, line in enumerate(lines, start=1)
        if (match := re.search(r"# E: ([a-z-]+)$", line))
    }


def checked_files(workdir: Path) -> list[Path]:
    names = ["typed.py", "typed_single.py", "service_ok.py", "service_mistakes.py"]
    return [workdir / name for name in names] + [EXAMPLE / "app.py", EXAMPLE / "pipelines_typed.py"]


@pytest.fixture(scope="module")
def mypy_errors(workdir: Path) -> dict[str, set[tuple[int, str]]]:
    """mypy (strict, the project's configuration) on every checked file: errors by file name."""
    from mypy import api

    files = checked_files(workdir)
    args = ["--config-file", str(REPO / "pyproject.toml"), "--strict", "--no-error-summary"]
    args += ["--cache-dir", str(workdir / ".mypy_cache"), *map(str, files)]
    # mypy raises the interpreter's recursion limit for good; later tests (how deep a file the
    # JSON parser takes) depend on the default, so it is put back.
    limit = sys.getrecursionlimit()
    try:
        stdout, stderr, status = api.run(args)
    finally:
        sys.setrecursionlimit(limit)
    assert not stderr, stderr
    errors: dict[str, set[tuple[int, str]]] = {path.name: set() for path in files}
    for line in stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error: .*\[([a-z-]+)\]$", line)
        if match:
            errors[Path(match.group(1)).name].add((int(match.group(2)), match.group(3)))
    assert status == (1 if any(errors.values()) else 0), stdout
    return errors


@pytest.fixture(scope="module")
def pyright_errors(workdir: Path) -> dict[str, set[int]]:
    """pyright (basedpyright, strict mode) on every checked file: lines with errors by file name."""
    executable = Path(sys.executable).parent / "basedpyright"
    files = checked_files(workdir)
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.10",
        "extraPaths": [str(workdir), str(EXAMPLE)],
    }
    (workdir / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(
        [
            *(str(executable), "--outputjson", "--pythonpath", sys.executable),
            *("-p", str(workdir / "pyrightconfig.json"), *map(str, files)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    errors: dict[str, set[int]] = {path.name: set() for path in files}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            line = diagnostic["range"]["start"]["line"] + 1
            errors[Path(diagnostic["file"]).name].add(line)
    return errors


@pytest.mark.parametrize(
    "name",
    ["typed.py", "typed_single.py", "service_ok.py", "app.py", "pipelines_typed.py"],
)
def test_mypy_accepts_the_stubs_and_correct_calls(
    name: str, mypy_errors: dict[str, set[tuple[int, str]]]
) -> None:
    assert mypy_errors[name] == set()


def test_mypy_rejects_each_mistake_on_its_line(
    mypy_errors: dict[str, set[tuple[int, str]]],
) -> None:
    expected = tagged(SERVICES / "service_mistakes.py")
    assert len(expected) >= 15  # every kind of mistake, on the sync DAO, the async DAO, ...
    assert mypy_errors["service_mistakes.py"] == expected


@pytest.mark.parametrize(
    "name",
    ["typed.py", "typed_single.py", "service_ok.py", "app.py", "pipelines_typed.py"],
)
def test_pyright_accepts_the_stubs_and_correct_calls(
    name: str, pyright_errors: dict[str, set[int]]
) -> None:
    assert pyright_errors[name] == set()


def test_pyright_rejects_each_mistake_on_its_line(pyright_errors: dict[str, set[int]]) -> None:
    expected = {line for line, _ in tagged(SERVICES / "service_mistakes.py")}
    assert pyright_errors["service_mistakes.py"] == expected


def test_bundled_example_stubs_are_current() -> None:
    committed = (EXAMPLE / "pipelines_typed.py").read_text(encoding="utf-8")
    assert generate(Registry.from_paths(REPO / "pipelines"), ["pipelines"]) == committed


@pytest.mark.parametrize("name", ["typed.py", "typed_single.py"])
def test_generated_module_is_ruff_clean_and_formatted(workdir: Path, name: str) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    path = str(workdir / name)
    checks = [
        [*ruff, "check", "--config", str(REPO / "pyproject.toml"), path],
        [*ruff, "format", "--check", "--isolated", path],  # ruff's defaults: 88 columns
        [*ruff, "format", "--check", "--config", str(REPO / "pyproject.toml"), path],
    ]
    for command in checks:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def load(path: Path) -> ModuleType:
    """Import a generated module from its file."""
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import does: get_type_hints looks for it there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def typed(workdir: Path) -> ModuleType:
    return load(workdir / "typed.py")


def test_required_and_optional_keys_follow_the_declarations(typed: ModuleType) -> None:
    params = typed.ShopOrdersParams
    assert params.__required_keys__ == {"since", "note"}  # note: nullable, but required
    assert params.__optional_keys__ == set(TREE["shop.json"]["pipelines"]["orders"]["params"]) - {
        "since",
        "note",
    }
    assert typed.ShopOrdersFilter.__required_keys__ == {"region"}
    assert typed.ShopOrdersFilter.__optional_keys__ == {"tier"}
    assert typed.ShopCountParams.__required_keys__ == frozenset()


def annotations(typed_dict: Any) -> dict[str, str]:
    """A class-syntax TypedDict's annotations as written (TypedDict wraps them in ForwardRef)."""
    return {name: ref.__forward_arg__ for name, ref in typed_dict.__annotations__.items()}


def test_types_follow_coercion(typed: ModuleType) -> None:
    # Evaluating them proves they work at run time too (get_type_hints raises otherwise).
    assert set(typing.get_type_hints(typed.ShopOrdersParams)) == set(
        annotations(typed.ShopOrdersParams)
    )
    hints = annotations(typed.ShopOrdersParams)
    assert hints == {
        "since": "DateValue",
        "note": "str | None",
        "status": "Literal['paid', 'open'] | None",  # unparsed: Python's quotes
        "ids": "Sequence[ObjectIdValue] | None",
        "limit": "int | None",
        "big": "int | None",
        "ratio": "float | None",
        "amount": "DecimalValue | None",
        "flag": "bool | None",
        "sort_by": "str | None",
        "filter": "ShopOrdersFilter | None",
        "days": "Sequence[Literal[1, 2, 3]] | None",
    }
    assert typing.get_type_hints(typed.ShopEdgesParams)["when"] == (
        Sequence[datetime.datetime | datetime.date | str | None] | None
    )


def test_names_that_class_syntax_cannot_spell_use_the_functional_syntax(
    typed: ModuleType, workdir: Path
) -> None:
    text = (workdir / "typed.py").read_text(encoding="utf-8")
    assert "_ShopKeywordsParamsOptional = TypedDict(  # noqa: UP013\n" in text  # str: str
    assert "_ShopKeywordsParamsRequired = TypedDict(\n" in text  # class: a keyword
    assert typed.ShopKeywordsParams.__required_keys__ == {"class"}
    assert typed.ShopKeywordsParams.__optional_keys__ == {"str"}
    assert typed.ShopEdgesParams.__optional_keys__ == {"__x", "empty", "colour", "when"}


def test_colliding_class_names_are_numbered_in_key_order(typed: ModuleType) -> None:
    assert typed.ABCParams.__required_keys__ == {"y"}  # a.b_c sorts first
    assert typed.ABCParams2.__required_keys__ == {"x"}  # a_b.c


def test_a_long_enum_gets_an_alias(workdir: Path) -> None:
    text = (workdir / "typed.py").read_text(encoding="utf-8")
    assert 'ShopEdgesColourChoice: TypeAlias = Literal[\n    "red",\n' in text
    assert '"colour": ShopEdgesColourChoice | None,\n' in text  # functional: __x


def test_every_key_has_its_overloads(typed: ModuleType, workdir: Path) -> None:
    text = (workdir / "typed.py").read_text(encoding="utf-8")
    keys = ["a.b_c", "a_b.c", "shop.count", "shop.edges", "shop.keywords", "shop.orders"]
    assert typed.PipelineKey.__args__ == tuple(keys)
    for key in keys:
        # get_pipeline, then aggregate, fetch_all and fetch_one on each DAO.
        assert text.count(f'key: Literal["{key}"],') == 7
    assert text.count("@overload") == 7 * len(keys)
    assert "key: str" not in text  # no catch-all


def test_one_pipeline_needs_no_overload(workdir: Path) -> None:
    text = (workdir / "typed_single.py").read_text(encoding="utf-8")
    assert "@overload" not in text
    assert 'def get_pipeline(\n    key: Literal["one.p"],\n    params: OnePParams,\n' in text


def test_output_is_sorted_whatever_the_order_of_the_pipelines() -> None:
    pipelines = list(Registry.from_paths(REPO / "pipelines"))
    assert generate(reversed(pipelines), ["x"]) == generate(pipelines, ["x"])


def test_no_pipelines_is_an_error() -> None:
    with pytest.raises(ValueError, match="no pipelines"):
        generate([], ["empty"])


@pytest.fixture
def registry(workdir: Path) -> Iterator[Registry]:
    registry = Registry.from_paths(workdir / "pipelines")
    pipereg.set_default_registry(registry)
    yield registry
    pipereg.set_default_registry(None)


def test_typed_calls_run_as_the_untyped_ones(typed: ModuleType, registry: Registry) -> None:
    database: Any = mongomock.MongoClient(tz_aware=True)["shop"]
    database["c"].insert_many([{"x": 1}, {"x": 1}, {"x": 2}])
    dao = typed.PipelineDAO(database, registry)
    assert dao.database is database
    assert dao.registry is registry
    assert len(dao.fetch_all("shop.count")) == 3
    assert dao.fetch_one("a_b.c", {"x": 2}, comment="why")["x"] == 2
    with dao.aggregate("a_b.c", {"x": 1}) as cursor:
        assert len(list(cursor)) == 2
    assert typed.get_pipeline("a_b.c", {"x": 1}) == registry.render("a_b.c", {"x": 1})
    with pytest.raises(pipereg.ParameterError, match="missing required"):
        dao.fetch_all("a_b.c", {})  # what type checkers reject still fails at run time


async def test_typed_async_calls_run_as_the_untyped_ones(
    typed: ModuleType, registry: Registry
) -> None:
    database: Any = AsyncMongoMockClient(tz_aware=True)["shop"]
    await database["c"].insert_many([{"x": 1}, {"x": 2}])
    dao = typed.AsyncPipelineDAO(database, registry)
    assert dao.database is database
    assert dao.registry is registry
    assert len(await dao.fetch_all("shop.count")) == 2
    assert (await dao.fetch_one("a_b.c", {"x": 2}))["x"] == 2
    cursor = await dao.aggregate("a_b.c", {"x": 1})
    assert len(await cursor.to_list(None)) == 1


def test_header_names_each_source_on_its_own_comment_line() -> None:
    pipelines = list(Registry.from_paths(REPO / "pipelines"))
    text = generate(pipelines, ["pipelines", "odd\nroot"])
    assert text.startswith(
        "# Typed calls for pipereg pipelines, generated by `pipereg stubs` from:\n"
        "#   pipelines\n"
        "#   odd\\nroot\n"  # a newline in a path cannot end the comment
    )


def test_the_typed_daos_pass_slow_ms_on(typed: ModuleType) -> None:
    import mongomock

    database = mongomock.MongoClient()["shop"]
    assert typed.PipelineDAO(database, slow_ms=250).dao.slow_ms == 250
    assert typed.PipelineDAO(database).dao.slow_ms is None


def test_generated_stubs_name_no_internal_module() -> None:
    # Users commit the generated module: it imports only from pipereg itself, so a later move of
    # an internal module never breaks it (before 0.2 it named pipereg.adapters and pipereg.cursor).
    registry = Registry.from_paths(REPO / "pipelines")
    text = generate(list(registry), ["pipelines"], models=True)
    imports = re.findall(r"^\s*(?:from|import) (pipereg\S*)", text, re.M)
    assert imports
    assert set(imports) == {"pipereg"}
    names = re.findall(r"^\s*from pipereg import (.+)$", text, re.M)
    for line in names:
        for name in line.split(", "):
            assert hasattr(pipereg, name), name
