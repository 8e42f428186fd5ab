"""Semantic checks (lint rules) on one pipeline, after its file passed the JSON Schema.

Each rule yields :class:`~pipereg.errors.Finding` records with a stable code. Errors fail the load;
warnings are reported by ``pipereg lint`` and kept on the registry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pipereg.errors import Finding, did_you_mean
from pipereg.params import MISSING, Param
from pipereg.parse import JsonPath
from pipereg.template import Site, walk_keys

CODES: dict[str, str] = {
    "PR001": "the file is not valid JSON (or not UTF-8)",
    "PR002": "duplicate key in one JSON object",
    "PR003": "the file could not be read",
    "PR010": "the file does not match the pipeline-file JSON Schema",
    "PR020": "placeholder names an undeclared parameter",
    "PR021": "declared parameter is never used",
    "PR022": "a default, enum value or bound does not fit its own declaration",
    "PR023": "placeholder embedded in text must be a scalar that is required or defaulted",
    "PR024": "placeholder used as an object key must be a field parameter",
    "PR025": "malformed placeholder",
    "PR026": "placeholder embedded in an object key",
    "PR030": "unknown aggregation stage",
    "PR031": "$out or $merge is not the last stage",
    "PR032": "server-side JavaScript ($where, $function, $accumulator)",
    "PR040": "two definitions of one pipeline key",
    "PR041": "invalid module name",
    "PR050": "invalid Extended JSON literal",
}

STAGES = frozenset(
    {
        "$addFields", "$bucket", "$bucketAuto", "$changeStream", "$changeStreamSplitLargeEvent",
        "$collStats", "$count", "$currentOp", "$densify", "$documents", "$facet", "$fill",
        "$geoNear", "$graphLookup", "$group", "$indexStats", "$limit", "$listLocalSessions",
        "$listSampledQueries", "$listSearchIndexes", "$listSessions", "$lookup", "$match",
        "$merge", "$out", "$planCacheStats", "$project", "$querySettings", "$queryStats",
        "$rankFusion", "$redact", "$replaceRoot", "$replaceWith", "$sample", "$scoreFusion",
        "$search", "$searchMeta", "$set", "$setWindowFields", "$shardedDataDistribution",
        "$skip", "$sort", "$sortByCount", "$unionWith", "$unset", "$unwind", "$vectorSearch",
    }
)  # fmt: skip
_WRITE_STAGES = ("$out", "$merge")
_JAVASCRIPT = frozenset({"$where", "$function", "$accumulator"})


def check_pipeline(
    params: Mapping[str, Param],
    sites: list[Site],
    stages: Any,
    *,
    base: JsonPath,
) -> Iterator[Finding]:
    """Run every rule on one pipeline.

    Args:
        params: The declared parameters.
        sites: Every placeholder found in the stages and options.
        stages: The stages' template tree.
        base: The pipeline's JSON path in its file, e.g. ``("pipelines", "daily")``.
    """
    yield from _placeholders(params, sites, base)
    yield from _stages(stages, (*base, "stages"), top_level=True)
    yield from _javascript(stages, (*base, "stages"))


def _placeholders(
    params: Mapping[str, Param], sites: list[Site], base: JsonPath
) -> Iterator[Finding]:
    used = set()
    for site in sites:
        used.add(site.name)
        param = params.get(site.name)
        if param is None:
            hint = did_you_mean(site.name, params)
            yield Finding(site.path, "PR020", f"<<{site.name}>> is not a declared parameter{hint}")
        elif site.kind == "text" and (not param.scalar or not _always_present(param)):
            reason = "is not a scalar" if not param.scalar else "may be left out"
            yield Finding(
                site.path,
                "PR023",
                f"<<{site.name}>> is embedded in text but {reason}; only scalar parameters that "
                "are required or have a default can be embedded",
            )
        elif site.kind == "key" and param.type != "field":
            yield Finding(
                site.path,
                "PR024",
                f"<<{site.name}>> is used as an object key, so it must be declared with type "
                f"field, not {param.type}",
            )
    for name in params:
        if name not in used:
            yield Finding(
                (*base, "params", name), "PR021", f"parameter {name!r} is declared but never used"
            )


def _always_present(param: Param) -> bool:
    return not param.nullable and (not param.optional or param.default is not MISSING)


def _stages(stages: Any, path: JsonPath, *, top_level: bool) -> Iterator[Finding]:
    if not isinstance(stages, list):
        return
    last = len(stages) - 1
    for i, stage in enumerate(stages):
        if not isinstance(stage, dict) or len(stage) != 1:
            continue  # the schema reports it
        ((name, body),) = stage.items()
        at = (*path, i, name)
        if not isinstance(name, str):
            continue
        if name not in STAGES:
            yield Finding(at, "PR030", f"unknown stage {name!r}{did_you_mean(name, STAGES)}")
        elif name in _WRITE_STAGES and (i != last or not top_level):
            where = "as the last stage" if top_level else "at the top level, as the last stage"
            yield Finding(at, "PR031", f"{name} is only allowed {where}")
        yield from _sub_pipelines(name, body, at)


def _sub_pipelines(name: str, body: Any, at: JsonPath) -> Iterator[Finding]:
    # Stages that hold pipelines of their own: check their stage names too.
    if not isinstance(body, dict):
        return
    if name == "$facet":
        for facet, sub in body.items():
            if isinstance(facet, str):
                yield from _stages(sub, (*at, facet), top_level=False)
    elif name in ("$lookup", "$unionWith") and "pipeline" in body:
        yield from _stages(body["pipeline"], (*at, "pipeline"), top_level=False)


def _javascript(stages: Any, path: JsonPath) -> Iterator[Finding]:
    for at, key, _ in walk_keys(stages, path):
        if key in _JAVASCRIPT:
            yield Finding(
                at,
                "PR032",
                f"{key} runs server-side JavaScript: slow, often disabled on servers, and "
                "hard to review; prefer aggregation expressions",
                "warning",
            )
