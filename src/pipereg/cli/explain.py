"""``pipereg explain``: the server's plan for a rendered pipeline, summarised, with warnings."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from pipereg.cli.app import InputError, compact_json, input_errors, load_registry, table
from pipereg.cli.arguments import param_options, parse_params
from pipereg.cli.completion import PipelineCommand, complete_keys
from pipereg.cli.database import connect
from pipereg.explain.plans import Explanation, PlanNode, QueryPlan, Stage
from pipereg.jsontext import extjson
from pipereg.messages import driver_error, plural


@click.command(cls=PipelineCommand)
@click.argument("key", shell_complete=complete_keys)
@param_options
@click.option(
    "--uri",
    envvar="PIPEREG_MONGODB_URI",
    help="MongoDB URI (required, else $PIPEREG_MONGODB_URI): the embedded engine cannot explain.",
)
@click.option("--db", "db_name", help="Database name (default: the URI's, else 'pipereg').")
@click.option(
    "--verbosity",
    type=click.Choice(["queryPlanner", "executionStats", "allPlansExecution"]),
    help="How much the server runs and reports. Default: executionStats (the pipeline runs), "
    "queryPlanner for a pipeline ending with $out or $merge.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--raw", is_flag=True, help="Print the server's explain output as it came.")
@click.pass_context
def explain(
    ctx: click.Context,
    key: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    canonical: bool,
    uri: str | None,
    db_name: str | None,
    verbosity: str | None,
    fmt: str,
    raw: bool,
) -> None:
    """Explain a pipeline on a server: plan per stage, index use, documents examined.

    Exit 1 when the plan has a warning (a collection scan for a $match, an in-memory $sort, far
    more examined than returned) or the server fails, as lint does for findings.
    """
    from pipereg.dao import prepare_call  # noqa: PLC0415 - keeps the other commands' start fast
    from pipereg.explain.server import default_verbosity, explain_call, explain_command  # noqa: PLC0415

    registry = load_registry(ctx)
    with input_errors():
        pipeline = registry.get(key)
        params = parse_params(pipeline, pairs, params_json)
        call = prepare_call(registry, key, params, {})
    verbosity = verbosity or default_verbosity(call)
    try:
        explain_command(call, verbosity)  # refuses a verbosity that would run $out or $merge
    except ValueError as exc:
        raise InputError(f"--verbosity: {exc}") from exc
    if not uri:
        raise InputError(
            "explain needs a MongoDB server: pass --uri URI or set PIPEREG_MONGODB_URI "
            "(the embedded engine has no query planner)"
        )
    database = connect(uri, db_name)
    try:
        explanation = explain_call(database, call, verbosity)
    except Exception as exc:  # a driver error: one line, with the note naming the pipeline
        click.echo(f"pipereg: {driver_error(exc)}", err=True)
        ctx.exit(1)
    finally:
        database.client.close()
    if raw:
        click.echo(extjson.dumps(explanation.raw, canonical=canonical))
    elif fmt == "json":
        document = _document(explanation, key, verbosity, call.options["comment"])
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print_summary(explanation, f"{call.pipeline.key}@{call.pipeline.version}", verbosity)
    ctx.exit(1 if explanation.warnings else 0)


def print_summary(explanation: Explanation, name: str, verbosity: str) -> None:
    """The text format: a heading, one row per stage, the warnings; their count on stderr."""
    server = f"MongoDB {explanation.server_version}" if explanation.server_version else "server"
    namespace = next((s.plan.namespace for s in explanation.stages if s.plan), None)
    click.echo(f"{name} on {namespace or '?'} ({server}, {verbosity})")
    rows = [_row(stage) for stage in explanation.stages]
    if rows:
        table(rows, indent="  ")
    for warning in explanation.warnings:
        click.echo(f"warning: {warning}")
    click.echo(plural(len(explanation.warnings), "warning"), err=True)


def _row(stage: Stage) -> list[str]:
    where = f"[{stage.shard}] " if stage.shard else ""
    if stage.plan is not None:
        return [where + "query", plan_text(stage.plan), _plan_counts(stage.plan)]
    detail = compact_json(stage.spec)
    if len(detail) > 60:
        detail = detail[:57] + "..."
    counts = []
    if stage.n_returned is not None:
        counts.append(f"returned {stage.n_returned}")
    if stage.used_disk:
        counts.append("spilled to disk")
    return [where + stage.name, detail, ", ".join(counts)]


def _plan_counts(plan: QueryPlan) -> str:
    if plan.n_returned is None:
        return f"{plan.engine} engine"
    return (
        f"returned {plan.n_returned}, examined {plan.docs_examined or 0} docs and "
        f"{plan.keys_examined or 0} keys, {plan.execution_ms or 0} ms"
    )


def plan_text(plan: QueryPlan) -> str:
    """The winning plan in the order data flows: ``IXSCAN status_1 {status: 1} -> FETCH``."""
    return _node_text(plan.root) if plan.root else "(no plan)"


def _node_text(node: PlanNode) -> str:
    label = node.stage
    if node.index_name:
        label += f" {node.index_name}"
    if node.sort_pattern:
        label += f" {compact_json(node.sort_pattern)}"
    if not node.children:
        return label
    if len(node.children) == 1:
        return f"{_node_text(node.children[0])} -> {label}"
    return f"[{' | '.join(_node_text(child) for child in node.children)}] -> {label}"


def _document(explanation: Explanation, key: str, verbosity: str, comment: str) -> dict[str, Any]:
    def plain(value: Any) -> Any:  # BSON values (dates, ObjectIds) as relaxed Extended JSON
        return json.loads(compact_json(value))

    stages = []
    for stage in explanation.stages:
        record = dataclasses.asdict(stage)
        record["spec"] = plain(stage.spec)
        if stage.plan is not None:
            record["plan"]["parsed_query"] = plain(stage.plan.parsed_query)
            record["plan"]["summary"] = plan_text(stage.plan)
        stages.append(plain(record))
    return {
        "pipeline": key,
        "comment": comment,
        "verbosity": verbosity,
        "server_version": explanation.server_version,
        "stages": stages,
        "warnings": [dataclasses.asdict(w) for w in explanation.warnings],
    }
