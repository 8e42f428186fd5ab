"""Server-verified lint: each pipeline sent to a server in a form that executes nothing.

``pipereg lint --uri URI`` renders every loaded pipeline with parameters synthesised from its
declarations (:func:`pipereg.params.examples.example_params`) and sends it as an
``explain`` at ``queryPlanner`` verbosity, which plans without running: a real MongoDB parses
every stage and operator there, and refuses what it does not accept. What the server refuses
becomes a PR092 finding with the server's message and code, located at the stage the message
names, else at the pipeline's stages.

Some servers plan an explain without parsing the stages (SecantusDB, the in-process wire
server the tests use, echoes them back). So a pipeline the explain accepts is also sent as an
``aggregate`` on a collection that does not exist, where there is nothing to read: the
server parses it and returns nothing. Only pipelines that read nothing but their input get
that run; never one that writes (``$out``, ``$merge``), runs on the database, reads other
collections or server state of its own (``$unionWith``, ``$documents``, ``$currentOp``...), or
needs an index of its collection (``$geoNear``, ``$search``, ``$text``...).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from pipereg import codes, language
from pipereg.dao import Call
from pipereg.errors import Finding, Problem
from pipereg.explain.server import explain_command
from pipereg.jsontext.parse import JsonPath, Positions, decode_text
from pipereg.language import Scope
from pipereg.load.file import LoadedFile, locate
from pipereg.params.examples import NoExample, example_params
from pipereg.pipeline import Pipeline

# Never run, only explained: stages that write, that read something other than the pipeline's
# input, or that need an index of the real collection (on the scratch one they would fail).
_NOT_RUN = frozenset(
    {
        "$out", "$merge", "$unionWith", "$documents", "$changeStream", "$geoNear", "$search",
        "$searchMeta", "$vectorSearch", "$text", "$near", "$nearSphere", "$listSearchIndexes",
        "$indexStats", "$collStats", "$planCacheStats",
    }
)  # fmt: skip
_NAMED = re.compile(r"\$[A-Za-z][A-Za-z0-9]*")


def verify(database: Any, loaded: Sequence[LoadedFile]) -> list[Problem]:
    """Return a PR092 problem for each loaded pipeline the server behind ``database`` refuses.

    Args:
        database: A synchronous PyMongo database.
        loaded: The files loaded by lint; pipelines of files with errors are not there.

    Raises:
        pymongo.errors.ConnectionFailure: no server answers (the caller says so in one line).
    """
    problems: list[Problem] = []
    for result in loaded:
        findings = [f for p in result.pipelines for f in _pipeline(database, p)]
        if findings:
            text = decode_text(result.source.read(), result.source.path)
            problems += locate(findings, result.source.path, Positions(text))
    return problems


def _pipeline(database: Any, pipeline: Pipeline) -> Iterator[Finding]:
    from pymongo.errors import ConnectionFailure, OperationFailure  # noqa: PLC0415

    base: JsonPath = ("pipelines", pipeline.name, "stages")
    try:
        params = example_params(pipeline.params)
        stages, options = pipeline.prepare(params)
    except (NoExample, ValueError) as exc:
        yield Finding(
            base,
            codes.SERVER_REFUSED,
            f"not sent to the server: no example parameters ({exc})",
            "warning",
        )
        return
    # What concerns the stages only: a server may refuse a read or write concern inside an
    # explain, which would say nothing about the pipeline.
    for option in ("comment", "readConcern", "writeConcern"):
        options.pop(option, None)
    call = Call(pipeline, pipeline.collection, stages, options)
    try:
        database.command(explain_command(call, "queryPlanner"))
        if _may_run(pipeline, stages):
            scratch = f"pipereg_lint_{uuid.uuid4().hex}"
            # Only let: the stages read it; a hint names an index the scratch collection lacks,
            # and a read or write concern says nothing about the stages.
            command: dict[str, Any] = {"aggregate": scratch, "pipeline": stages, "cursor": {}}
            if "let" in options:
                command["let"] = options["let"]
            database.command(command)
    except ConnectionFailure:
        raise
    except OperationFailure as error:
        details = error.details or {}
        message = str(details.get("errmsg") or error)
        code_name = details.get("codeName")
        code = f"code {error.code}" + (f", {code_name}" if code_name else "")
        yield Finding(
            _where(base, pipeline.definition["stages"], message),
            codes.SERVER_REFUSED,
            f"the server refuses {pipeline.key}: {message} ({code})",
        )


def _may_run(pipeline: Pipeline, stages: list[dict[str, Any]]) -> bool:
    if pipeline.collection is None or not stages:
        return False
    text = repr(stages)
    if any(f"'{name}'" in text for name in _NOT_RUN):
        return False
    for stage in stages:
        op = language.stage(next(iter(stage)))
        if (
            op is not None
            and op.placement is not None
            and op.placement.scope is not Scope.COLLECTION
        ):
            return False
    return True


def _where(base: JsonPath, stages: Any, message: str) -> JsonPath:
    # The stage the message names, when exactly one stage is or holds that name.
    if not isinstance(stages, list):
        return base
    for name in _NAMED.findall(message):
        holders = [i for i, stage in enumerate(stages) if f'"{name}"' in _text(stage)]
        if len(holders) == 1:
            stage = stages[holders[0]]
            if isinstance(stage, dict) and len(stage) == 1 and next(iter(stage)) == name:
                return (*base, holders[0], name)
            return (*base, holders[0])
    return base


def _text(stage: Any) -> str:
    import json  # noqa: PLC0415

    return json.dumps(stage, default=str)
