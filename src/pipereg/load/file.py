"""Parsed and checked: one pipeline file's bytes to :class:`~pipereg.pipeline.Pipeline` objects.

The steps, in order: read (refusing a file over the size limit unread), decode and parse strictly
(:mod:`pipereg.jsontext.parse`), validate against the JSON Schema (:mod:`pipereg.check.schema`),
build parameter declarations (:mod:`pipereg.params.declaration`), then run the semantic rules
(:mod:`pipereg.check.rules`): from each pipeline's text where it can vouch for the pipeline, else
over templates built for the purpose (:mod:`pipereg.compile.template`). Every problem is collected
and located by line, column and JSON path; a file with any error yields no pipelines.
Pipelines build their templates on first render.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pipereg import codes
from pipereg.bson_limits import NESTING_LIMIT
from pipereg.check import prefilter as sketch
from pipereg.check import rules as checks
from pipereg.check import schema
from pipereg.compile import template
from pipereg.errors import Finding, Problem
from pipereg.fragments import collect as fragments
from pipereg.fragments.fragment import Fragment
from pipereg.jsontext.parse import (
    Parsed,
    ParseFailure,
    Positions,
    decode_text,
    format_json_path,
    parse_document,
)
from pipereg.jsontext.read import FileTooLarge, read_problem
from pipereg.load.discovery import SourceFile, size_limit
from pipereg.params.declare import declare
from pipereg.pipeline import Pipeline

_MODULE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*\Z")
# Longest message kept whole, and what is kept of a longer one: its start and its end.
_MESSAGE_SHOWN = 1000
_MESSAGE_HEAD = 600
_MESSAGE_TAIL = 200


@dataclass
class LoadedFile:
    """The outcome of loading one file: its pipelines (none if it has errors) and its problems.

    Loading is two steps (:func:`read_file`, then :func:`build_file` once every file's fragments
    are known); the fields after ``problems`` carry the first step's work to the second.
    ``schema_failed`` names the pipelines and fragments (``pipelines.daily``) whose own part of
    the file failed the JSON Schema: they are not built, and includes of such a fragment are
    skipped quietly (the schema problem says it all).
    """

    source: SourceFile
    module: str
    pipelines: list[Pipeline] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    document: Any = field(default=None, repr=False)
    positions: Positions | None = field(default=None, repr=False)
    findings: list[Finding] = field(default_factory=list, repr=False)
    schema_failed: set[str] = field(default_factory=set, repr=False)
    includes: bool = False
    parsed: Parsed | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the file has no errors (warnings allowed)."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def readable(self) -> bool:
        """Whether the file parsed and its top level passed the schema (read_file's verdict)."""
        return self.document is not None


def load_file(source: SourceFile, max_file_bytes: int | None = None) -> LoadedFile:
    """Load, validate and compile every pipeline in one file, on its own.

    Includes resolve among the file's own fragments only; :func:`pipereg.load.sources.load_sources`
    loads several files whose includes cross modules. A file larger than ``max_file_bytes``
    (default: ``PIPEREG_MAX_FILE_BYTES``, else 10 MiB) is a PR004 problem, told from its size
    before any byte is read.

    Raises:
        ValueError: ``max_file_bytes`` is not a positive integer.
        PipelineLoadError: ``PIPEREG_MAX_FILE_BYTES`` is set, but not to a positive integer.
    """
    result = read_file(source, max_file_bytes)
    expander = fragments.Expander(result.fragments, () if result.readable else [result.module])
    build_file(result, expander)
    return finish_file(result)


def read_file(
    source: SourceFile, max_file_bytes: int | None = None, data: bytes | None = None
) -> LoadedFile:
    """The first step: read, parse and schema-check one file, and collect its fragments.

    A file without includes has its pipelines built here too; :func:`build_file` builds those
    of a file with includes. ``data``, if given, is the file's bytes, already read (by the load
    cache, which must keep the result of the very bytes it hashed).

    Raises:
        ValueError: ``max_file_bytes`` is not a positive integer.
        PipelineLoadError: ``PIPEREG_MAX_FILE_BYTES`` is set, but not to a positive integer.
    """
    result = LoadedFile(source, source.module)
    try:
        if data is None:
            data = source.read(size_limit(max_file_bytes))
    except (FileTooLarge, OSError) as exc:
        result.problems.append(read_problem(source.path, exc))
        return result
    try:
        text = decode_text(data, source.path)
        result.parsed = parse_document(text, source.path)
        document = result.parsed.document
    except ParseFailure as failure:
        result.problems.extend(failure.problems)
        return result
    result.positions = Positions(text)
    # Escapes could spell the key differently ("\u0024include"): then look closely.
    result.includes = '"$include"' in text or result.parsed.escapes
    _guarded(result, lambda: _read(result, document))
    if result.readable and not result.includes:
        # Nothing here needs another file's fragments: build now, while the document is fresh
        # in the caches (building every file after reading them all costs a few percent).
        _guarded(result, lambda: _build_pipelines(result, None))
    return result


def build_file(result: LoadedFile, expander: fragments.Expander) -> None:
    """The second step: check the file's fragments and build its pipelines, includes inlined.

    Only a file with includes still has pipelines to build (see :func:`read_file`).
    """
    if result.readable:
        _guarded(result, lambda: _build(result, expander))


def finish_file(result: LoadedFile) -> LoadedFile:
    """Locate every finding by line and column; a file with any error keeps no pipelines."""
    if result.positions is not None:
        # One placeholder written a thousand times in a string gives a thousand identical
        # findings; one says it all (and locating a million of them would take a while).
        found = dict.fromkeys(result.findings)
        located = dict.fromkeys(locate(found, result.source.path, result.positions))
        result.problems.extend(sorted(located, key=lambda p: (p.line, p.column)))
        result.findings = []
    result.parsed = None  # its texts served the build
    if not result.ok:
        result.pipelines.clear()
    return result


def _guarded(result: LoadedFile, step: Callable[[], None]) -> None:
    try:
        step()
    except RecursionError:
        # The checks walk the document recursively (the schema validator among them), so a file
        # nested deeply enough exhausts the stack: declarations 200 levels deep, say. Refuse it,
        # pointing at where it gets too deep, instead of crashing the whole load.
        assert result.positions is not None
        result.pipelines.clear()
        result.fragments.clear()
        result.document = None
        deep = result.positions.first("deep")
        at, (line, column) = deep if deep is not None else ((), (1, 1))
        message = f"nested too deeply to check (more than {NESTING_LIMIT} levels here)"
        result.problems.append(
            Problem(result.source.path, line, column, format_json_path(at), codes.TOO_DEEP, message)
        )


def _read(result: LoadedFile, document: Any) -> None:
    # Validate a parsed document and collect its fragments, as far as it is valid.
    findings = schema.validate(document)
    result.findings += findings
    # A schema error inside one pipeline or fragment blocks only its own semantic checks, so one
    # run reports as much as it can; an error elsewhere in the file blocks them all.
    sections = ("pipelines", "fragments")
    if any(len(f.at) < 2 or f.at[0] not in sections for f in findings):
        return
    result.schema_failed = {f"{f.at[0]}.{f.at[1]}" for f in findings}
    source = result.source
    result.module = document.get("module", source.module)
    if not _MODULE.match(result.module):
        result.findings.append(
            Finding(
                (),
                codes.INVALID_MODULE_NAME,
                f"the file's path gives module name {result.module!r}, which is not "
                'dot-separated letters, digits, _ and -; rename the file or set "module"',
            )
        )
    for at, version in _versions(document):
        if type(version) is not int:  # JSON Schema counts 1.0 as an integer
            result.findings.append(
                Finding(at, codes.SCHEMA, f"version must be an integer, not {version}")
            )
    failed = {key.partition(".")[2] for key in result.schema_failed if key.startswith("fragments.")}
    result.fragments, found = fragments.collect(result.module, source.path, document, failed)
    result.findings += found
    result.document = document
    for fragment in result.fragments:
        if any(f.at[:2] == ("fragments", fragment.name) and f.severity == "error" for f in found):
            result.schema_failed.add(f"fragments.{fragment.name}")


def _build(result: LoadedFile, expander: fragments.Expander) -> None:
    for fragment in result.fragments:
        if f"fragments.{fragment.name}" in result.schema_failed:
            expander.mark_failed(fragment.key)
    for fragment in result.fragments:
        if f"fragments.{fragment.name}" not in result.schema_failed:
            result.findings += expander.check_fragment(fragment)
    if result.includes:
        _build_pipelines(result, expander)


def _build_pipelines(result: LoadedFile, expander: fragments.Expander | None) -> None:
    document = result.document
    parsed = result.parsed
    # What the file's text tells of all its pipelines at once: each spares a test per pipeline.
    told = (
        sketch.sketch_file(parsed.items, parsed.outline, numbers_fit=parsed.numbers_fit)
        if parsed is not None
        else None
    )
    for name, definition in document.get("pipelines", {}).items():
        if f"pipelines.{name}" in result.schema_failed:
            continue
        pipeline, found = _pipeline(
            result.module,
            name,
            definition,
            document,
            result.source.path,
            expander,
            parsed,
            told,
        )
        result.findings += found
        if pipeline is not None:
            result.pipelines.append(pipeline)


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


# An include's key in compact JSON text (the encoder never escapes "$"; a key written escaped in
# the file is "$include" once parsed, and so in the encoding).
_INCLUDE_KEY = '"$include"'


def _pipeline(
    module: str,
    name: str,
    definition: dict[str, Any],
    document: dict[str, Any],
    path: str,
    expander: fragments.Expander | None,
    parsed: Parsed | None,
    told: sketch.FileSketch | None = None,
) -> tuple[Pipeline | None, list[Finding]]:
    # parsed: the file as parse_document read it, whose texts spare encoding stages and
    # declarations again (given only for the very objects it parsed); told: what
    # sketch.sketch_file said of its texts.
    base = ("pipelines", name)
    declared = definition.get("params", {})
    texts = None if parsed is None else parsed.texts(name, "params", declared)
    params, findings = declare(declared, (*base, "params"), texts)
    written = definition["stages"]
    expansion = None
    if expander is not None:
        # Most pipelines include nothing, and their text says so: no walk for them.
        written_texts = None if parsed is None else parsed.texts(name, "stages", written)
        if written_texts is None or any(_INCLUDE_KEY in text for text in written_texts):
            expansion = expander.expand(module, written, (*base, "stages"), params)
            findings += expansion.findings
        findings += expander.misplaced(definition.get("options", {}), (*base, "options"))
        if expansion is not None and expansion.stages is None:
            return None, findings
        if expansion is not None and expansion.includes:
            definition = {**definition, "stages": expansion.stages}
    # Most pipelines can be vouched for from their text; the rest get templates built and every
    # rule run, which finds and locates each problem. Pipelines build templates on first render.
    stage_texts = None if parsed is None else parsed.texts(name, "stages", definition["stages"])
    file_plain, javascript_free = (
        told if told is not None and stage_texts is not None else (False, False)
    )
    sketched = (
        None
        if findings
        else sketch.sketch(
            definition["stages"], definition.get("options"), stage_texts, file_plain=file_plain
        )
    )
    database = definition["collection"] is None  # a database-level pipeline: db.aggregate
    if sketched is None or not checks.clean(
        params, sketched, definition["stages"], javascript_free=javascript_free, database=database
    ):
        stages = template.build(definition["stages"], (*base, "stages"), stages=True)
        options = template.build(definition.get("options", {}), (*base, "options"))
        found = stages.findings + options.findings
        sites = stages.sites + options.sites
        found += checks.check_pipeline(
            params,
            sites,
            stages.tree,
            options.tree,
            text=stages.text,
            texts=stages.texts,
            base=base,
            database=database,
        )
        if expansion is not None and expansion.includes:
            # Rules saw the expanded stages: say where each finding was written.
            found = [expansion.locate(f, (*base, "stages")) for f in found]
        findings += found
        if any(f.severity == "error" for f in findings):
            return None, findings
    pipeline = Pipeline.loaded(
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
        includes=expansion.includes if expansion is not None else (),
        module_description=document.get("description", ""),
    )
    return pipeline, findings


def _versions(document: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = [(("version",), document["version"])]
    for name, definition in document.get("pipelines", {}).items():
        if "version" in definition:
            found.append((("pipelines", name, "version"), definition["version"]))
    return found
