"""Executed, explained: the server's ``explain`` for a registered pipeline, summarised.

The command explains exactly the ``aggregate`` the DAO would send (:func:`pipereg.dao.prepare_call`:
the file's options merged with the call's, the ``comment`` tagged ``pipereg:<key>@<version>``), so
the plan is the one the service gets. Reading the reply is :mod:`pipereg.explain.plans`, pure.

Example:
    >>> explanation = explain(MongoClient()["shop"], "orders.recent", {"since": "2024-03-01"})
    >>> for warning in explanation.warnings:
    ...     print(warning)
    PX001 query: the $match {"status": "paid"} reads every document (COLLSCAN); ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipereg.cursor import annotate
from pipereg.dao import Call, prepare_call
from pipereg.explain.plans import Explanation, summarize
from pipereg.registry import Registry, default_registry

VERBOSITIES = ("queryPlanner", "executionStats", "allPlansExecution")
WRITE_STAGES = ("$out", "$merge")


def writes(call: Call) -> bool:
    """Whether the pipeline ends with ``$out`` or ``$merge``: explaining it must not execute it."""
    return bool(call.stages) and next(iter(call.stages[-1])) in WRITE_STAGES


def default_verbosity(call: Call) -> str:
    """``executionStats``, or ``queryPlanner`` for a pipeline that writes (it must not run)."""
    return "queryPlanner" if writes(call) else "executionStats"


def explain_command(call: Call, verbosity: str) -> dict[str, Any]:
    """The ``explain`` command for ``call``: its ``aggregate``, built as PyMongo builds it.

    ``batchSize`` goes into ``cursor``, as the driver puts it. The server ignores a ``maxTimeMS``
    inside the explained command, so the pipeline's ``maxTimeMS`` is repeated on ``explain`` to
    bound the explain as it bounds the run.

    Raises:
        ValueError: an unknown verbosity, or a verbosity that executes a pipeline that writes
            (MongoDB refuses it; before 4.2 it performed the writes).
    """
    if verbosity not in VERBOSITIES:
        raise ValueError(f"verbosity must be one of {', '.join(VERBOSITIES)}, not {verbosity!r}")
    if writes(call) and verbosity != "queryPlanner":
        stage = next(iter(call.stages[-1]))
        raise ValueError(
            f"{call.pipeline.key} ends with {stage}: explain at {verbosity} would execute it; "
            "use verbosity queryPlanner"
        )
    options = dict(call.options)
    batch_size = options.pop("batchSize", None)
    # A database-level pipeline is the command's {aggregate: 1}.
    target = 1 if call.collection is None else call.collection
    aggregate: dict[str, Any] = {"aggregate": target, "pipeline": call.stages, **options}
    aggregate["cursor"] = {} if batch_size is None else {"batchSize": batch_size}
    command: dict[str, Any] = {"explain": aggregate, "verbosity": verbosity}
    if options.get("maxTimeMS") is not None:
        command["maxTimeMS"] = options["maxTimeMS"]
    return command


def explain(
    database: Any,
    key: str,
    params: Mapping[str, Any] | None = None,
    *,
    registry: Registry | None = None,
    verbosity: str | None = None,
    **options: Any,
) -> Explanation:
    """Explain a registered pipeline on a synchronous PyMongo database and summarise the plan.

    ``options`` merge over the file's as in :meth:`pipereg.PipelineDAO.aggregate`. ``verbosity``
    defaults to :func:`default_verbosity`. A driver error keeps its type and gains the note the
    DAO adds, naming the pipeline.

    Raises:
        UnknownPipelineError, ParameterError: as :meth:`Registry.get` and rendering.
        ValueError: a verbosity :func:`explain_command` refuses.
    """
    call = prepare_call(registry or default_registry(), key, params, options)
    return explain_call(database, call, verbosity or default_verbosity(call))


def explain_call(database: Any, call: Call, verbosity: str) -> Explanation:
    """Send :func:`explain_command` for a prepared call and summarise the reply."""
    command = explain_command(call, verbosity)
    try:
        reply = database.command(command)
    except Exception as error:
        annotate(error, call.pipeline)
        raise
    return summarize(reply)


async def explain_async(
    database: Any,
    key: str,
    params: Mapping[str, Any] | None = None,
    *,
    registry: Registry | None = None,
    verbosity: str | None = None,
    **options: Any,
) -> Explanation:
    """:func:`explain` on an asyncio database (PyMongo Async or Motor)."""
    call = prepare_call(registry or default_registry(), key, params, options)
    command = explain_command(call, verbosity or default_verbosity(call))
    try:
        reply = await database.command(command)
    except Exception as error:
        annotate(error, call.pipeline)
        raise
    return summarize(reply)
