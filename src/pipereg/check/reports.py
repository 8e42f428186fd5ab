"""Lint findings as text for people, JSON for scripts, and the formats CI systems read.

- ``text``: ``path:line:col: CODE json.path: message``, one line each (control characters in
  paths and messages spelled as escapes, so a file name cannot forge a line);
- ``json``: a list of records with every field of :class:`~pipereg.errors.Problem`;
- ``github``: GitHub Actions workflow commands (``::error file=...,line=...::...``), which the
  runner turns into annotations on the pull request's files;
- ``sarif``: a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.
"""

from __future__ import annotations

import json
import os
import pathlib
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from pipereg.codes import CODES
from pipereg.errors import Problem
from pipereg.messages import printable

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"


def text(problems: Sequence[Problem]) -> str:
    """One line per problem, as pipereg prints them everywhere."""
    return "".join(f"{problem}\n" for problem in problems)


def json_records(problems: Sequence[Problem]) -> str:
    """A JSON list of records: path, line, column, json_path, code, severity, message."""
    records = [
        {
            "path": p.path,
            "line": p.line,
            "column": p.column,
            "json_path": p.json_path,
            "code": p.code,
            "severity": p.severity,
            "message": p.message,
        }
        for p in problems
    ]
    return _line_safe(json.dumps(records, indent=2, ensure_ascii=False)) + "\n"


def _line_safe(text: str) -> str:
    # JSON escapes C0 controls itself; with ensure_ascii=False it leaves the Unicode line and
    # paragraph separators and NEL raw, which some log readers break lines at. Each can occur
    # only inside a JSON string, where its escape means the same.
    for char in "\u0085\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def github(problems: Sequence[Problem]) -> str:
    """GitHub Actions workflow commands, one per problem: ``::error`` or ``::warning``.

    Values are escaped as the runner expects (``%``, CR and LF everywhere; ``:`` and ``,`` in
    properties too), so a message can neither end its command early nor start another.
    """
    lines = []
    for problem in problems:
        properties = {"file": problem.path}
        if problem.line:
            properties["line"] = str(problem.line)
            if problem.column:
                properties["col"] = str(problem.column)
        properties["title"] = problem.code
        spelled = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        lines.append(f"::{problem.severity} {spelled}::{_escape_data(_message(problem))}\n")
    return "".join(lines)


def _escape_data(value: str) -> str:
    # The runner's escapes first (CR and LF end a command), then every other control character
    # spelled out, so an annotation shows what the file holds without acting on it.
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def sarif(problems: Sequence[Problem], base: str | None = None) -> str:
    """A SARIF 2.1.0 log of one run: pipereg's rules and a result per problem.

    File URIs are relative to ``base`` (default: the working directory) where the file is
    below it, as GitHub code scanning wants them relative to the repository; others are
    absolute ``file:`` URIs. Columns count Unicode code points, as pipereg's do.
    """
    codes = [code for code in CODES if code.startswith("PR")]  # lint's; PX codes are explain's
    rules = [
        {"id": code, "name": code, "shortDescription": {"text": CODES[code]}} for code in codes
    ]
    results = [_sarif_result(problem, codes, base) for problem in problems]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pipereg",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return _line_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def _sarif_result(problem: Problem, codes: list[str], base: str | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(problem.path, base)}}
    if problem.line:
        region = {"startLine": problem.line}
        if problem.column:
            region["startColumn"] = problem.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if problem.json_path:
        location["logicalLocations"] = [{"fullyQualifiedName": problem.json_path}]
    result: dict[str, Any] = {
        "ruleId": problem.code,
        "level": problem.severity,
        "message": {"text": _message(problem)},
        "locations": [location],
    }
    if problem.code in CODES:
        result["ruleIndex"] = codes.index(problem.code)
    if problem.json_path:
        result["properties"] = {"jsonPath": problem.json_path}
    return result


def _uri(path: str, base: str | None) -> str:
    absolute = pathlib.Path(os.path.abspath(path))
    root = pathlib.Path(os.path.abspath(base or os.curdir))
    if absolute.is_relative_to(root):
        return urllib.parse.quote(absolute.relative_to(root).as_posix())
    return absolute.as_uri()


def _message(problem: Problem) -> str:
    return f"{problem.json_path}: {problem.message}" if problem.json_path else problem.message


FORMATS: dict[str, Callable[[Sequence[Problem]], str]] = {
    "text": text,
    "json": json_records,
    "github": github,
    "sarif": sarif,
}


def _version() -> str:
    # importlib.metadata brings the email package along: imported for SARIF output only.
    from importlib import metadata  # noqa: PLC0415

    return metadata.version("pipereg")
