"""Seed data: JSON arrays of documents for a collection, read strictly, with located problems.

One reader for ``pipereg run --data`` and for the ``data`` of test cases: a file is read within
the size limit and parsed as pipeline files are (duplicate keys, ``NaN``, nesting past MongoDB's
limit refused), must be an array of objects, and its Extended JSON literals (``{"$date": ...}``)
become BSON values; every problem is a :class:`~pipereg.errors.Problem` with a line and column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pipereg import codes
from pipereg.errors import Finding, Problem
from pipereg.jsontext import extjson
from pipereg.jsontext.parse import JsonPath, ParseFailure, Positions
from pipereg.jsontext.read import read_json
from pipereg.load.file import locate

Documents = tuple[dict[str, Any], ...]


def read_documents(file: Path, max_bytes: int) -> tuple[Documents, list[Problem]]:
    """The documents of one seed file, or its problems (then no documents)."""
    shown = os.fspath(file)
    try:
        document, text = read_json(file, max_bytes, shown)
    except ParseFailure as failure:
        return (), [_as_data(problem) for problem in failure.problems]
    findings: list[Finding] = []
    if not isinstance(document, list):
        findings.append(Finding((), codes.CASE_DATA, "expected a JSON array of documents"))
    else:
        findings += [
            Finding((index,), codes.CASE_DATA, "expected a document (a JSON object)")
            for index, item in enumerate(document)
            if not isinstance(item, dict)
        ]
    converted = convert(document, (), findings)
    if findings:
        return (), locate(findings, shown, Positions(text))
    return tuple(converted), []


def read_folder(folder: Path, max_bytes: int) -> tuple[dict[str, Documents], list[Problem]]:
    """Every ``*.json`` file of a folder as the collection its name says (``orders.json``)."""
    collections: dict[str, Documents] = {}
    problems: list[Problem] = []
    for file in sorted(folder.glob("*.json")):
        if file.name.startswith("."):
            continue
        documents, trouble = read_documents(file, max_bytes)
        collections[file.name.removesuffix(".json")] = documents
        problems += trouble
    return collections, problems


def convert(node: Any, at: JsonPath, findings: list[Finding]) -> Any:
    """Extended JSON wrappers (``{"$date": ...}``) to BSON values, everywhere in ``node``."""
    if isinstance(node, dict):
        if extjson.is_wrapper(node):
            try:
                return extjson.literal(node)
            except extjson.ExtJsonError as exc:
                findings.append(Finding(at, codes.INVALID_LITERAL, str(exc)))
                return node
        return {key: convert(value, (*at, key), findings) for key, value in node.items()}
    if isinstance(node, list):
        return [convert(item, (*at, index), findings) for index, item in enumerate(node)]
    return node


def _as_data(problem: Problem) -> Problem:
    # A seed file that cannot be read or parsed is a data problem of whatever uses it (PR082).
    return Problem(
        problem.path, problem.line, problem.column, problem.json_path, codes.CASE_DATA,
        problem.message,
    )  # fmt: skip
