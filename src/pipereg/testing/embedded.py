"""The embedded engine: mongomock databases, seeded with documents, and what they cannot run.

``pipereg run`` without ``--uri``, ``pipereg test`` and the pytest plugin run pipelines on
mongomock, an emulation of MongoDB in Python. mongomock lacks some stages (``$unionWith``,
``$setWindowFields``, ``$unset``, ...), ``$lookup`` with ``let`` or a sub-pipeline, and many
expression operators (``$round``, ``$dateTrunc``, ``$toDouble``, ...). :func:`unsupported` finds
those in a pipeline before it runs, from mongomock's own tables where it has them, so a case says
"run this on a server" instead of failing with an obscure error. mongomock also lists some
operators it only partly implements (``$strLenCP``, ``$mergeObjects`` in ``$project``); running
them raises ``NotImplementedError``, which :func:`unsupported_error` recognises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipereg import codes, language
from pipereg.errors import EngineError, Finding, Problem
from pipereg.fragments.collect import Expander
from pipereg.fragments.fragment import Fragment
from pipereg.jsontext.parse import JsonPath, Positions, decode_text
from pipereg.language import Kind
from pipereg.load.file import LoadedFile, locate

HINT = "run with --uri, e.g. the in-process test server or a real MongoDB"

# MongoDB's expression, accumulator and window operators, from the catalog, to tell an
# operator mongomock lacks from a typo (which lint reports on its own).
EXPRESSION_OPERATORS = (
    language.names(Kind.EXPRESSION) | language.names(Kind.ACCUMULATOR) | language.names(Kind.WINDOW)
)
STAGES = language.names(Kind.STAGE)
# mongomock's operator tables (module-level lists in mongomock.aggregate, 4.x).
_MONGOMOCK_TABLES = (
    "group_operators", "arithmetic_operators", "project_operators", "control_flow_operators",
    "projection_operators", "date_operators", "conditional_operators", "array_operators",
    "object_operators", "string_operators", "comparison_operators", "boolean_operators",
    "set_operators", "type_convertion_operators", "type_operators",
)  # fmt: skip
# Listed in those tables, but raising "not supported by Mongomock yet" when used.
_LISTED_NOT_RUN = frozenset({"$meta", "$mergeObjects", "$strLenCP"})
_UNRECOGNIZED = re.compile(r"Unrecognized expression '(\$\w+)'")
_INVALID_STAGE = re.compile(r"(\$\w+) is not a valid (?:group )?operator")


@dataclass(frozen=True)
class Unsupported:
    """A feature of a pipeline the embedded engine cannot run, and where it stands.

    Attributes:
        at: JSON path from the stage list (``(2, "$unionWith")``).
        feature: What it is, e.g. ``$unionWith`` or ``$lookup with a sub-pipeline``.
    """

    at: JsonPath
    feature: str


def _mongomock() -> Any:
    try:
        import mongomock  # noqa: PLC0415 - an optional extra, imported on use
        import mongomock.aggregate  # noqa: PLC0415
    except ImportError as exc:
        raise EngineError(
            "the embedded engine needs mongomock: pip install 'pipereg[embedded]' (or pass --uri)"
        ) from exc
    return mongomock


def database(name: str = "pipereg") -> Any:
    """A fresh, empty mongomock database (dates come back timezone-aware, in UTC).

    Raises:
        EngineError: mongomock is not installed.
    """
    client = _mongomock().MongoClient(tz_aware=True)
    return client[name]


def seed(target: Any, collections: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Insert each collection's documents (copies) into a database, mongomock or a server's.

    A collection given with no documents is created empty.

    Raises:
        ValueError: a collection name is not valid, or a document cannot be inserted (a
            duplicate ``_id``, say); the message names the collection.
    """
    for collection, documents in collections.items():
        if not collection or collection.startswith("$") or "\x00" in collection:
            raise ValueError(f"{collection!r} is not a collection name")
        try:
            if documents:
                target[collection].insert_many([dict(document) for document in documents])
            elif collection not in target.list_collection_names():
                # Given with no documents: it exists, as the data says (run's hints rely on it).
                target.create_collection(collection)
        except Exception as exc:  # the drivers raise pymongo's errors (duplicate _id, ...)
            raise ValueError(f"cannot load collection {collection!r}: {exc}") from exc


@dataclass(frozen=True)
class _Limits:
    stages: frozenset[str]  # pipereg-known stages mongomock cannot run
    operators: frozenset[str]  # expression operators it cannot run


def _limits() -> _Limits:
    aggregate = _mongomock().aggregate
    handlers: Mapping[str, Any] = getattr(aggregate, "_PIPELINE_HANDLERS", {})
    stages = frozenset(name for name in STAGES if handlers.get(name) is None)
    known: set[str] = set()
    for table in _MONGOMOCK_TABLES:
        known.update(getattr(aggregate, table, ()))
    return _Limits(stages, EXPRESSION_OPERATORS - (known - _LISTED_NOT_RUN))


def unsupported(stages: Sequence[Any]) -> list[Unsupported]:
    """Every stage and operator in ``stages`` the embedded engine cannot run, in order.

    ``stages`` may be a definition as written (placeholders and all) or rendered stages.

    Raises:
        EngineError: mongomock is not installed.
    """
    return list(_stages(stages, (), _limits()))


def _stages(stages: Any, at: JsonPath, limits: _Limits) -> Iterator[Unsupported]:
    if not isinstance(stages, list):
        return
    for index, stage in enumerate(stages):
        if not isinstance(stage, dict) or len(stage) != 1:
            continue
        ((name, body),) = stage.items()
        here = (*at, index, name)
        if name in limits.stages:
            yield Unsupported(here, name)
        elif name == "$match":
            yield from _query(body, here, limits)
        elif name == "$facet" and isinstance(body, dict):
            for facet, sub in body.items():
                yield from _stages(sub, (*here, facet), limits)
        elif name == "$lookup" and isinstance(body, dict):
            if "pipeline" in body:
                yield Unsupported((*here, "pipeline"), "$lookup with a sub-pipeline")
            elif "let" in body:
                yield Unsupported((*here, "let"), "$lookup with let")
        else:
            yield from _expression(body, here, limits)


def _query(node: Any, at: JsonPath, limits: _Limits) -> Iterator[Unsupported]:
    # A query filter: operators here are query operators ($type, $in...), except under $expr.
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$expr":
                yield from _expression(value, (*at, key), limits)
            else:
                yield from _query(value, (*at, key), limits)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _query(item, (*at, index), limits)


def _expression(node: Any, at: JsonPath, limits: _Limits) -> Iterator[Unsupported]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in limits.operators:
                yield Unsupported((*at, key), key)
            yield from _expression(value, (*at, key), limits)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _expression(item, (*at, index), limits)


def unsupported_error(exc: BaseException) -> str | None:
    """The feature an error from mongomock says it lacks, or ``None`` for any other error.

    mongomock raises ``NotImplementedError`` for what it knows it lacks, and ``OperationFailure``
    ("Unrecognized expression '$round'") for operators it has never heard of; the latter counts
    only for a real MongoDB operator, so a typo stays an error.
    """
    message = str(exc)
    if isinstance(exc, NotImplementedError):
        found = _INVALID_STAGE.search(message)
        return found.group(1) if found else message
    found = _UNRECOGNIZED.search(message)
    if found and found.group(1) in EXPRESSION_OPERATORS:
        return found.group(1)
    return None


def describe(features: Sequence[str], hint: str = HINT) -> str:
    """``unsupported on the embedded engine: $unionWith (run with --uri, ...)``.

    Args:
        features: The stages and operators the embedded engine lacks.
        hint: What to run instead, in the words of the front end (``--uri`` for the CLI).
    """
    named = ", ".join(dict.fromkeys(features))
    return f"unsupported on the embedded engine: {named} ({hint})"


def lint(
    loaded: Sequence[LoadedFile], fragments: Iterable[Fragment] | None = None
) -> list[Problem]:
    """PR070 warnings: one per loaded pipeline the embedded engine cannot run, listing why.

    Each is located at the first stage or operator it cannot run; in inlined content, at the
    include, naming the fragment and the place in it. ``fragments`` are every fragment of the
    load, when ``loaded`` holds only some of its files (default: those of ``loaded``).

    Raises:
        EngineError: mongomock is not installed.
    """
    problems: list[Problem] = []
    expander = None
    for result in loaded:
        findings = []
        for pipeline in result.pipelines:
            missing = unsupported(pipeline.definition["stages"])
            if missing:
                features = ", ".join(dict.fromkeys(item.feature for item in missing))
                base = ("pipelines", pipeline.name, "stages")
                message = (
                    f"the embedded engine cannot run {pipeline.key}: {features}; "
                    "pipereg test reports its cases as unsupported unless run with --uri"
                )
                finding = Finding(
                    (*base, *missing[0].at), codes.ENGINE_UNSUPPORTED, message, "warning"
                )
                if pipeline.includes:
                    # The definition holds the stages expanded: expanding the written ones
                    # again gives where each part was written.
                    if expander is None:
                        every = fragments or (f for each in loaded for f in each.fragments)
                        expander = Expander(every)
                    written = result.document["pipelines"][pipeline.name]["stages"]
                    expansion = expander.expand(result.module, written, base, pipeline.params)
                    finding = expansion.locate(finding, base)
                findings.append(finding)
        if findings:
            text = decode_text(result.source.read(), result.source.path)
            problems += locate(findings, result.source.path, Positions(text))
    return problems
