"""``pipereg diff --textconv FILE``: one pipeline file as canonical text, for ``git diff``.

Git runs a textconv command on both sides of a diff and compares the text it prints, so the
rendering puts one thing on each line in a stable order: the file's version and description, then
per pipeline its key, version, collection, one line per parameter and option, and each stage as a
block of pretty-printed JSON headed by its index and operator. It never fails on a file it can
read: a file that is not a pipeline file is printed as it is, so ``git diff`` still shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipereg.discovery import SourceFile, size_limit
from pipereg.errors import RevisionError
from pipereg.parse import ParseFailure, decode_text, parse_json


def textconv(path: str) -> str:
    """The canonical text of the pipeline file at ``path`` (or its text as is, if not one).

    Raises:
        RevisionError: the file cannot be read (git then reports the textconv as failed).
    """
    source = SourceFile(path, Path(path).stem, Path(path))
    try:
        data = source.read(size_limit())
    except Exception as exc:  # an OSError, or FileTooLarge
        raise RevisionError(f"{path}: cannot read for --textconv: {exc}") from exc
    try:
        text = decode_text(data, path)
        document = parse_json(text, path)
    except ParseFailure as failure:
        problems = "".join(f"# {problem}\n" for problem in failure.problems)
        raw = data.decode("utf-8", "replace")
        ending = "" if raw.endswith("\n") else "\n"
        return f"# not a valid pipeline file\n{problems}{raw}{ending}"
    if not isinstance(document, dict) or not isinstance(document.get("pipelines"), dict):
        return '# not a pipeline file (no "pipelines" object)\n' + _pretty(document) + "\n"
    return render(document)


def render(document: dict[str, Any]) -> str:
    """A parsed pipeline file as canonical text."""
    lines = []
    header = {k: v for k, v in document.items() if k not in ("pipelines", "$schema")}
    for key, value in header.items():
        lines.append(f"{key}: {_compact(value)}")
    for name, pipeline in document["pipelines"].items():
        lines += ["", f"== pipeline {name}"]
        if not isinstance(pipeline, dict):
            lines.append(_pretty(pipeline))
            continue
        version = pipeline.get("version", document.get("version"))
        lines.append(f"version: {_compact(version)}")
        for key, value in pipeline.items():
            if key in ("version", "params", "options", "stages"):
                continue
            lines.append(f"{key}: {_compact(value)}")
        for section in ("params", "options"):
            members = pipeline.get(section)
            if isinstance(members, dict):
                lines.append(f"{section}:")
                lines += [f"  {member}: {_compact(value)}" for member, value in members.items()]
            elif section in pipeline:
                lines.append(f"{section}: {_compact(members)}")
        stages = pipeline.get("stages")
        if isinstance(stages, list):
            for index, stage in enumerate(stages):
                operator = next(iter(stage), "") if isinstance(stage, dict) else ""
                lines += ["", f"-- stage {index} {operator}".rstrip(), _pretty(stage)]
        elif "stages" in pipeline:
            lines.append(f"stages: {_compact(stages)}")
    return "\n".join(lines) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
