"""Parsed and checked: one pipeline file's bytes to :class:`~pipereg.pipeline.Pipeline` objects.

The steps, in order: read (refusing a file over the size limit unread), decode and parse strictly
(:mod:`pipereg.parse`), validate against the JSON Schema (:mod:`pipereg.schema`), build parameter
declarations (:mod:`pipereg.params`), then run the semantic rules (:mod:`pipereg.checks`): from
each pipeline's text where it can vouch for the pipeline, else over templates built for the
purpose (:mod:`pipereg.template`). Every problem is collected and located by line, column and JSON
path; a file with any error yields no pipelines. Pipelines build their templates on first render.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pipereg import checks, schema, template
from pipereg.discovery import SIZE_VAR, FileTooLarge, SourceFile, size_limit
from pipereg.errors import Finding, Problem
from pipereg.params import Invalid, Param
from pipereg.parse import (
    NESTING_LIMIT,
    Parsed,
    ParseFailure,
    Positions,
    decode_text,
    format_json_path,
    parse_document,
)
from pipereg.pipeline import Pipeline

_MODULE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*\Z")
# Longest message kept whole, and what is kept of a longer one: its start and its end.
_MESSAGE_SHOWN = 1000
_MESSAGE_HEAD = 600
_MESSAGE_TAIL = 200


@dataclass
class LoadedFile:
    """The outcome of loading one file: its pipelines (none if it has errors) and its problems."""

    source: SourceFile
    module: str
    pipelines: list[Pipeline] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file has no errors (warnings allowed)."""
        return not any(p.severity == "error" for p in self.problems)


def load_file(source: SourceFile, max_file_bytes: int | None = None) -> LoadedFile:
    """Load, validate and compile every pipeline in one file.

    A file larger than ``max_file_bytes`` (default: ``PIPEREG_MAX_FILE_BYTES``, else 10 MiB) is a
    PR004 problem, told from its size before any byte is read.

    Raises:
        ValueError: ``max_file_bytes`` is not a positive integer.
        PipelineLoadError: ``PIPEREG_MAX_FILE_BYTES`` is set, but not to a positive integer.
    """
    result = LoadedFile(source, source.module)
    try:
        data = source.read(size_limit(max_file_bytes))
    except (FileTooLarge, OSError) as exc:
        result.problems.append(read_failure(source.path, exc))
        return result
    try:
        text = decode_text(data, source.path)
        parsed = parse_document(text, source.path)
    except ParseFailure as failure:
        result.problems.extend(failure.problems)
        return result
    positions = Positions(text)
    try:
        findings = _check(result, parsed)
    except RecursionError:
        # The checks walk the document recursively (the schema validator among them), so a file
        # nested deeply enough exhausts the stack: declarations 200 levels deep, say. Refuse it,
        # pointing at where it gets too deep, instead of crashing the whole load.
        result.pipelines.clear()
        deep = positions.first("deep")
        at, (line, column) = deep if deep is not None else ((), (1, 1))
        message = f"nested too deeply to check (more than {NESTING_LIMIT} levels here)"
        result.problems.append(
            Problem(source.path, line, column, format_json_path(at), "PR051", message)
        )
        return result
    # One placeholder written a thousand times in a string gives a thousand identical findings;
    # one says it all (and locating a million of them would take a while).
    located = dict.fromkeys(locate(dict.fromkeys(findings), source.path, positions))
    result.problems.extend(sorted(located, key=lambda p: (p.line, p.column)))
    if not result.ok:
        result.pipelines.clear()
    return result


def read_failure(path: str, exc: FileTooLarge | OSError) -> Problem:
    """The problem for a file that could not be read: PR004 if too large, else PR003."""
    if isinstance(exc, FileTooLarge):
        size = f" {exc.size:,} bytes," if exc.size is not None else ""
        message = (
            f"file is{size} over the limit of {exc.limit:,} bytes "
            f"(set by max_file_bytes, {SIZE_VAR} or pipereg --max-file-bytes)"
        )
        return Problem(path, 0, 0, "", "PR004", message)
    return Problem(path, 0, 0, "", "PR003", f"cannot read: {exc.strerror or exc}")


def _check(result: LoadedFile, parsed: Parsed) -> list[Finding]:
    # Validate a parsed document, and build its pipelines into ``result`` as far as it is valid.
    document = parsed.document
    findings = schema.validate(document)
    # A schema error inside one pipeline blocks only that pipeline's semantic checks, so one run
    # reports as much as it can; an error elsewhere in the file blocks them all.
    broken = {f.at[1] for f in findings if len(f.at) > 1 and f.at[0] == "pipelines"}
    file_level = any(len(f.at) < 2 or f.at[0] != "pipelines" for f in findings)
    if file_level:
        return findings
    source = result.source
    result.module = document.get("module", source.module)
    if not _MODULE.match(result.module):
        findings.append(
            Finding(
                (),
                "PR041",
                f"the file's path gives module name {result.module!r}, which is not "
                'dot-separated letters, digits, _ and -; rename the file or set "module"',
            )
        )
    for at, version in _versions(document):
        if type(version) is not int:  # JSON Schema counts 1.0 as an integer
            findings.append(Finding(at, "PR010", f"version must be an integer, not {version}"))
    for name, definition in document["pipelines"].items():
        if name in broken:
            continue
        pipeline, found = _pipeline(result.module, name, definition, parsed, source.path)
        findings.extend(found)
        if pipeline is not None:
            result.pipelines.append(pipeline)
    return findings


def locate(findings: Iterable[Finding], path: str, positions: Positions) -> list[Problem]:
    """Turn findings into problems with line and column from the file's text."""
    found = list(findings)
    places = positions.locate_all(finding.at for finding in found)
    return [
        Problem(
            path,
            line,
            column,
            format_json_path(finding.at),
            finding.code,
            _bounded(finding.message),
            finding.severity,
        )
        for finding, (line, column) in zip(found, places, strict=True)
    ]


def _bounded(message: str) -> str:
    # Rules quote what they found, and a hostile file can make that a key or a string of
    # megabytes; a problem stays one readable line.
    if len(message) <= _MESSAGE_SHOWN:
        return message
    cut = len(message) - _MESSAGE_HEAD - _MESSAGE_TAIL
    return f"{message[:_MESSAGE_HEAD]}...[{cut:,} characters cut]...{message[-_MESSAGE_TAIL:]}"


def _pipeline(
    module: str,
    name: str,
    definition: dict[str, Any],
    parsed: Parsed,
    path: str,
) -> tuple[Pipeline | None, list[Finding]]:
    base = ("pipelines", name)
    document = parsed.document
    findings: list[Finding] = []
    params: dict[str, Param] = {}
    declared = definition.get("params", {})
    texts = parsed.texts(name, "params", declared)  # each declaration's, from parsing
    for i, (param_name, declaration) in enumerate(declared.items()):
        try:
            text = None if texts is None else texts[i]
            params[param_name] = Param.from_json(param_name, declaration, text)
        except Invalid as exc:
            at = (*base, "params", param_name, *_steps(exc.where))
            findings.append(Finding(at, "PR022", exc.problem))
            # Keep checking the rest of the pipeline against the bare declaration.
            params[param_name] = Param(param_name, declaration["type"], optional=True)
    # Most pipelines can be vouched for from their text; the rest get templates built and every
    # rule run, which finds and locates each problem. Pipelines build templates on first render.
    sketch = (
        None
        if findings
        else template.sketch(
            definition["stages"],
            definition.get("options"),
            parsed.texts(name, "stages", definition["stages"]),
        )
    )
    if sketch is None or not checks.clean(params, sketch, definition["stages"]):
        stages = template.build(definition["stages"], (*base, "stages"), stages=True)
        options = template.build(definition.get("options", {}), (*base, "options"))
        findings += stages.findings + options.findings
        sites = stages.sites + options.sites
        findings += checks.check_pipeline(
            params,
            sites,
            stages.tree,
            options.tree,
            text=stages.text,
            texts=stages.texts,
            base=base,
        )
        if any(f.severity == "error" for f in findings):
            return None, findings
    pipeline = Pipeline(
        key=f"{module}.{name}",
        module=module,
        name=name,
        version=definition.get("version", document["version"]),
        collection=definition["collection"],
        description=definition.get("description", ""),
        params=MappingProxyType(params),
        options=MappingProxyType(definition.get("options", {})),
        path=path,
        definition=MappingProxyType(definition),
        module_description=document.get("description", ""),
    )
    return pipeline, findings


def _versions(document: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = [(("version",), document["version"])]
    for name, definition in document["pipelines"].items():
        if "version" in definition:
            found.append((("pipelines", name, "version"), definition["version"]))
    return found


def _steps(where: str) -> tuple[str | int, ...]:
    # ".properties.x[2].default" -> ("properties", "x", 2, "default")
    steps: list[str | int] = []
    for dotted, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", where):
        steps.append(int(index) if index else dotted)
    return tuple(steps)
