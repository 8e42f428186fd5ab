"""Pipeline tests as data: ``<module>.test.json`` files next to the pipeline files they test.

A case file holds named cases, each a pipeline, its parameters, the input documents per
collection and the expected results::

    {
      "$schema": "../schemas/pipeline-tests.schema.json",
      "data": {"orders": [{"_id": 1, "total": 5}]},
      "cases": {
        "daily_revenue: two days": {
          "pipeline": "daily_revenue",
          "params": {"since": {"$date": "2024-03-01T00:00:00Z"}},
          "data": {"orders": "../tests/data/orders.json"},
          "expect": [{"day": "2024-03-01", "orders": 1}],
          "order": "unordered"
        }
      }
    }

Files are read and checked as strictly as pipeline files (:mod:`pipereg.jsontext.parse`, the
``pipeline-tests`` JSON Schema), Extended JSON wrappers become BSON values, bare pipeline names
are looked up in the module of the pipeline file next to the case file, parameters are checked
against their declarations, and data files are read (relative to the case file; keep them out of
the pipeline roots, where they would be taken for pipeline files); every problem is located by
file, line, column and JSON path. Running cases is :mod:`pipereg.testing.runner`'s job.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipereg import codes
from pipereg.check import schema
from pipereg.errors import Finding, ParameterError, Problem
from pipereg.jsontext.parse import JsonPath, ParseFailure, Positions
from pipereg.jsontext.read import FileTooLarge, parse_bytes, read_problem
from pipereg.load.discovery import TEST_SUFFIX, SourceFile, size_limit
from pipereg.load.file import locate
from pipereg.messages import did_you_mean
from pipereg.registry import Registry
from pipereg.testing import results as compare
from pipereg.testing import seed_data

Documents = tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Case:
    """One test case, loaded and checked.

    Attributes:
        name: The case's name in its file.
        path: The case file, as discovered.
        line: Line of the case's name in the file (1-based).
        key: The full key of the pipeline it runs.
        params: The parameters, Extended JSON converted to BSON values.
        data: Input documents per collection (the file's, overridden by the case's).
        expect: The expected result documents.
        order: ``"exact"`` or ``"unordered"``.
        skip: Why the case is skipped, or ``None``.
        description: Free text.
    """

    name: str
    path: str
    line: int
    key: str
    params: Mapping[str, Any] = field(repr=False)
    data: Mapping[str, Documents] = field(repr=False)
    expect: Documents = field(repr=False)
    order: str = compare.EXACT
    skip: str | None = None
    description: str = ""

    @property
    def id(self) -> str:
        """``path::name``, what reports and ``-k`` show and match."""
        return f"{self.path}::{self.name}"


def load_cases(
    files: Sequence[SourceFile], registry: Registry, *, max_file_bytes: int | None = None
) -> tuple[list[Case], list[Problem]]:
    """Every case in ``files``, and every problem found in them (cases of a bad file are left out).

    ``registry`` resolves pipeline names and checks parameters. Data files are read relative
    to the case file; one read by several case files is read once.
    """
    reader = _DataReader(size_limit(max_file_bytes))
    cases: list[Case] = []
    problems: list[Problem] = []
    for source in files:
        found, trouble = _load_file(source, registry, reader)
        problems += trouble
        if not any(p.severity == "error" for p in trouble):
            cases += found
    return cases, problems


def _read_json(source: SourceFile, limit: int) -> tuple[Any, str] | list[Problem]:
    try:
        return parse_bytes(source.read(limit), source.path)
    except (FileTooLarge, OSError) as exc:
        return [read_problem(source.path, exc)]
    except ParseFailure as failure:
        return list(failure.problems)


def _load_file(
    source: SourceFile, registry: Registry, reader: _DataReader
) -> tuple[list[Case], list[Problem]]:
    parsed = _read_json(source, reader.limit)
    if isinstance(parsed, list):
        return [], parsed
    document, text = parsed
    positions = Positions(text)
    # Every problem of the file at once: schema errors do not hide bad literals, unknown
    # pipelines or bad parameters in the parts that are well formed.
    findings = schema.validate(document, schema.CASES_SCHEMA_FILE)
    document = seed_data.convert(document, (), findings)
    if not isinstance(document, dict):
        return [], locate(findings, source.path, positions)
    # Relative to the file itself, whatever the working directory (the pytest plugin's case).
    place = source.resource if isinstance(source.resource, Path) else Path(source.path)
    module = document.get("module")
    if not isinstance(module, str) or not module:
        module = _sibling_module(place, source.module, registry)
    here = place.parent
    shared = reader.read(document.get("data", {}), here, ("data",), findings)
    cases = []
    specs = document.get("cases")
    for name, spec in specs.items() if isinstance(specs, dict) else ():
        if not isinstance(spec, dict):
            continue  # the schema said so
        at = ("cases", name)
        key = None
        if isinstance(spec.get("pipeline"), str):
            key = _resolve(spec["pipeline"], module, registry, (*at, "pipeline"), findings)
        params = spec.get("params", {})
        if key is not None and isinstance(params, dict):
            try:
                registry.get(key).prepare(params)
            except ParameterError as exc:
                findings.append(Finding((*at, "params"), codes.CASE_PARAMETERS, str(exc)))
        data = {**shared, **reader.read(spec.get("data", {}), here, (*at, "data"), findings)}
        if key is not None and isinstance(spec.get("expect"), list):
            cases.append(
                Case(
                    name=name,
                    path=source.path,
                    line=0,
                    key=key,
                    params=MappingProxyType(params),
                    data=MappingProxyType(data),
                    expect=tuple(spec["expect"]),
                    order=spec.get("order", compare.EXACT),
                    skip=spec.get("skip"),
                    description=spec.get("description", ""),
                )
            )
    names = [case.name for case in cases]
    lines = positions.locate_all(("cases", name) for name in names)
    cases = [
        dataclasses.replace(case, line=line) for case, (line, _) in zip(cases, lines, strict=True)
    ]
    located = sorted(locate(findings, source.path, positions), key=lambda p: (p.line, p.column))
    return cases, located + reader.new_problems()


def _sibling_module(place: Path, module: str, registry: Registry) -> str:
    # The module of the pipeline file next to the case file (orders.test.json -> orders.json),
    # whatever root it was loaded from or "module" it declares.
    sibling = os.path.realpath(place.with_name(place.name.removesuffix(TEST_SUFFIX) + ".json"))
    for pipeline in registry:
        if not pipeline.path.startswith("package:") and os.path.realpath(pipeline.path) == sibling:
            return pipeline.module
    return module


def _resolve(
    name: str, module: str, registry: Registry, at: JsonPath, findings: list[Finding]
) -> str | None:
    for key in (f"{module}.{name}", name):
        if key in registry:
            return key
    known = registry.keys()
    hint = did_you_mean(f"{module}.{name}", known) or did_you_mean(name, known)
    message = f"unknown pipeline {name!r}: not a pipeline of module {module!r} nor a full key"
    findings.append(Finding(at, codes.CASE_UNKNOWN_PIPELINE, message + hint))
    return None


class _DataReader:
    """Reads data files and folders named by case files, once each, with located problems."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._files: dict[str, Documents | None] = {}
        self._problems: dict[str, list[Problem]] = {}

    def read(
        self, spec: Any, here: Path, at: JsonPath, findings: list[Finding]
    ) -> dict[str, Documents]:
        """The collections a ``data`` value names: a folder, or collection -> documents or file."""
        if not isinstance(spec, (str, dict)):
            return {}  # the schema said so
        if isinstance(spec, str):
            folder = here / spec
            if not folder.is_dir():
                findings.append(
                    Finding(at, codes.CASE_DATA, f"{os.fspath(folder)!r} is not a folder")
                )
                return {}
            return {
                file.name.removesuffix(".json"): self._file(file, at, findings)
                for file in sorted(folder.glob("*.json"))
                if not file.name.startswith(".")
            }
        collections: dict[str, Documents] = {}
        for collection, value in spec.items():
            if isinstance(value, str):
                collections[collection] = self._file(here / value, (*at, collection), findings)
            elif isinstance(value, list):
                collections[collection] = tuple(value)
        return collections

    def _file(self, file: Path, at: JsonPath, findings: list[Finding]) -> Documents:
        shown = os.fspath(file)
        if shown not in self._files:
            self._files[shown] = self._load(file)
        documents = self._files[shown]
        if documents is None:
            findings.append(
                Finding(
                    at, codes.CASE_DATA, f"data file {shown!r} cannot be loaded (see its problems)"
                )
            )
            return ()
        return documents

    def _load(self, file: Path) -> Documents | None:
        shown = os.fspath(file)
        documents, problems = seed_data.read_documents(file, self.limit)
        if problems:
            self._problems[shown] = problems
            return None
        return documents

    def new_problems(self) -> list[Problem]:
        """Problems of data files not reported yet (each is reported once, with its first user)."""
        problems = [p for trouble in self._problems.values() for p in trouble]
        self._problems.clear()
        return problems
