"""``pipereg diff --textconv FILE``: one pipeline file as canonical text, for ``git diff``.

Git runs a textconv command on both sides of a diff and compares the text it prints, so the
rendering puts one thing on each line in a stable order: the file's version and description, then
per pipeline its key, version, collection, one line per parameter and option, and each stage as a
block of pretty-printed JSON headed by its index and operator; fragments the same way, a
document fragment's document as one block. It never fails on a file it can read: a file that is
not a pipeline file is printed as it is, so ``git diff`` still shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipereg.errors import RevisionError
from pipereg.jsontext.parse import ParseFailure, decode_text, parse_json
from pipereg.load.discovery import SourceFile, size_limit


def textconv(path: str) -> bytes:
    """The canonical text of the pipeline file at ``path`` in UTF-8 (or its bytes as they are).

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
        # The bytes as they are, not decoded: git shows a change in a binary or mis-encoded
        # file as the bytes that changed, never as replacement characters.
        problems = "".join(f"# {problem}\n" for problem in failure.problems)
        ending = b"" if data.endswith(b"\n") else b"\n"
        header = f"# not a valid pipeline file\n{problems}"
        return header.encode("utf-8", "backslashreplace") + data + ending
    if not isinstance(document, dict) or not any(
        isinstance(document.get(section), dict) for section in _SECTIONS
    ):
        text = '# not a pipeline file (no "pipelines" or "fragments" object)\n' + (
            _pretty(document) + "\n"
        )
        return text.encode("utf-8", "backslashreplace")
    return render(document).encode("utf-8", "backslashreplace")


# Top-level members whose entries are rendered one section each, by the singular of the name.
_SECTIONS = {"pipelines": "pipeline", "fragments": "fragment"}


def render(document: dict[str, Any]) -> str:
    """A parsed pipeline file as canonical text: its header, then pipelines, then fragments."""
    lines = []
    for key, value in document.items():
        if key != "$schema" and not (key in _SECTIONS and isinstance(value, dict)):
            lines.append(f"{key}: {_compact(value)}")
    for section, kind in _SECTIONS.items():
        entries = document.get(section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            lines += ["", f"== {kind} {name}"]
            if isinstance(entry, dict):
                lines += _entry(entry, document.get("version") if kind == "pipeline" else None)
            else:
                lines.append(_pretty(entry))
    return "\n".join(lines) + "\n"


def _entry(entry: dict[str, Any], file_version: Any) -> list[str]:
    # A pipeline shows its effective version (its own, else the file's); a fragment has none.
    lines = []
    if file_version is not None or "version" in entry:
        lines.append(f"version: {_compact(entry.get('version', file_version))}")
    for key, value in entry.items():
        if key not in ("version", "params", "options", "stages", "document"):
            lines.append(f"{key}: {_compact(value)}")
    for section in ("params", "options"):
        members = entry.get(section)
        if isinstance(members, dict):
            lines.append(f"{section}:")
            lines += [f"  {member}: {_compact(value)}" for member, value in members.items()]
        elif section in entry:
            lines.append(f"{section}: {_compact(members)}")
    stages = entry.get("stages")
    if isinstance(stages, list):
        for index, stage in enumerate(stages):
            operator = next(iter(stage), "") if isinstance(stage, dict) else ""
            lines += ["", f"-- stage {index} {operator}".rstrip(), _pretty(stage)]
    elif "stages" in entry:
        lines.append(f"stages: {_compact(stages)}")
    if "document" in entry:
        lines += ["", "-- document", _pretty(entry["document"])]
    return lines


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
