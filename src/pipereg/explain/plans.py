"""Explained: a server's ``explain`` output for an aggregation, read into a small typed summary.

Pure functions over the decoded reply, so they are tested on recorded outputs. MongoDB answers an
aggregate explain in one of these shapes, all read here:

- ``stages: [{"$cursor": {queryPlanner, executionStats}}, {"$group": ..., nReturned}, ...]``: the
  query layer (``$cursor``, or ``$geoNearCursor``) feeds the remaining pipeline stages;
- top-level ``queryPlanner``/``executionStats``: the whole pipeline was pushed into the query layer;
- ``shards: {name: <either shape above>}`` from ``mongos``, with ``splitPipeline`` (whose
  ``mergerPart`` runs after the shards) or ``null`` when one shard was targeted.

Winning plans come from the classic engine (``winningPlan: {stage, inputStage...}``) or the
slot-based engine (``winningPlan.queryPlan``, the same vocabulary; its ``executionStages`` are SBE
stages, so per-node counts are kept only for classic plans).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipereg import codes
from pipereg.jsontext import extjson

# PX003 fires when max(docs, keys) examined is at least MIN_EXAMINED and more than RATIO times
# the documents returned: a small collection scanned whole is not worth a warning.
EXAMINED_RATIO = 10
MIN_EXAMINED = 100

QUERY_STAGES = ("$cursor", "$geoNearCursor")
# Plan stages that read through an index; COLLSCAN reads every document.
_INDEX_STAGES = frozenset(
    {"IXSCAN", "EXPRESS_IXSCAN", "IDHACK", "COUNT_SCAN", "DISTINCT_SCAN", "CLUSTERED_IXSCAN"}
)
# Stages that pass on (some of) what they read without filtering it: a limit returning 10 of
# 640 matches is not a wasteful scan, so PX003 looks below them.
_PASSING = frozenset(
    {"LIMIT", "SKIP", "SORT", "PROJECTION_SIMPLE", "PROJECTION_DEFAULT", "PROJECTION_COVERED"}
)
# Below one of these the documents are no longer the collection's, so no index can order them.
_RESHAPING = frozenset({"GROUP", "EQ_LOOKUP", "UNWIND", "REPLACE_ROOT", "SEARCH"})


@dataclass(frozen=True)
class PlanNode:
    """One stage of a winning plan: ``COLLSCAN``, ``IXSCAN``, ``FETCH``, ``SORT``, ...

    Attributes:
        stage: The plan stage's name as the server reports it.
        index_name: For index scans, the index used.
        key_pattern: For index scans, the index's keys.
        sort_pattern: For ``SORT``, the order it sorts by.
        n_returned, docs_examined, keys_examined: This node's counts (classic plans with
            execution statistics only; else None).
        children: The input stages (``inputStage``, or ``inputStages`` for ``OR`` and the like).
    """

    stage: str
    index_name: str | None = None
    key_pattern: Mapping[str, Any] | None = None
    sort_pattern: Mapping[str, Any] | None = None
    n_returned: int | None = None
    docs_examined: int | None = None
    keys_examined: int | None = None
    children: tuple[PlanNode, ...] = ()

    def walk(self) -> Iterator[PlanNode]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class QueryPlan:
    """The query layer: the winning plan that reads the collection, and its totals.

    Attributes:
        namespace: ``db.collection``.
        engine: ``"classic"`` or ``"sbe"`` (slot-based execution).
        root: The winning plan's top stage (None if the reply had no plan).
        parsed_query: The filter the query layer applies (the pushed-down ``$match``).
        n_returned: Documents it passed on (None at ``queryPlanner`` verbosity).
        docs_examined, keys_examined: ``totalDocsExamined``, ``totalKeysExamined``.
        execution_ms: ``executionTimeMillis``.
    """

    namespace: str | None
    engine: str
    root: PlanNode | None
    parsed_query: Mapping[str, Any]
    n_returned: int | None = None
    docs_examined: int | None = None
    keys_examined: int | None = None
    execution_ms: int | None = None

    def nodes(self) -> Iterator[PlanNode]:
        """Every node of the winning plan, depth first."""
        if self.root is not None:
            yield from self.root.walk()

    @property
    def uses_index(self) -> bool:
        """Whether any stage of the plan reads an index."""
        return any(node.stage in _INDEX_STAGES for node in self.nodes())


@dataclass(frozen=True)
class Stage:
    """One entry of the server's explained pipeline.

    Attributes:
        name: ``query`` for the query layer (``$cursor``, or the whole pipeline pushed down),
            else the stage's operator (``$group``, ``$sort``...).
        shard: The shard that ran it, ``merger`` for the part run after the shards, None when
            not sharded.
        plan: The query layer's plan, for ``query`` only.
        spec: The stage's document as the server reports it (``$sort`` shows ``sortKey``).
        n_returned: Documents it returned (executionStats and above).
        execution_ms_estimate: The server's estimate, cumulative over the stages before it.
        used_disk: ``$sort`` and ``$group`` say whether they spilled to disk.
    """

    name: str
    shard: str | None = None
    plan: QueryPlan | None = None
    spec: Any = None
    n_returned: int | None = None
    execution_ms_estimate: int | None = None
    used_disk: bool | None = None


@dataclass(frozen=True)
class ExplainWarning:
    """A finding about a plan: a code (:mod:`pipereg.codes`), where it was found, what it means."""

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.where}: {self.message}"


@dataclass(frozen=True)
class Explanation:
    """A summary of an aggregate explain: the stages as the server ran them, and warnings.

    Attributes:
        stages: Query layer first, per shard when sharded, then the pipeline stages.
        warnings: Collection scans, in-memory sorts, and scans far larger than their result.
        server_version: ``serverInfo.version``, when given.
        raw: The server's reply, untouched.
    """

    stages: tuple[Stage, ...]
    warnings: tuple[ExplainWarning, ...]
    server_version: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def summarize(reply: Mapping[str, Any]) -> Explanation:
    """Read an aggregate explain reply (any shape above) into an :class:`Explanation`."""
    stages = list(_sections(reply, None))
    info = reply.get("serverInfo")
    if not isinstance(info, Mapping) and isinstance(reply.get("shards"), Mapping):
        shard = next(iter(reply["shards"].values()), None)  # mongos reports each shard's
        info = shard.get("serverInfo") if isinstance(shard, Mapping) else None
    version = info.get("version") if isinstance(info, Mapping) else None
    return Explanation(
        stages=tuple(stages),
        warnings=tuple(_warnings(stages)),
        server_version=version if isinstance(version, str) else None,
        raw=reply,
    )


def _sections(doc: Mapping[str, Any], shard: str | None) -> Iterator[Stage]:
    shards = doc.get("shards")
    if isinstance(shards, Mapping):
        for name, part in shards.items():
            if isinstance(part, Mapping):
                yield from _sections(part, str(name))
        split = doc.get("splitPipeline")
        merger = split.get("mergerPart") if isinstance(split, Mapping) else None
        for entry in merger if isinstance(merger, list) else []:
            if isinstance(entry, Mapping) and entry:
                name = next(iter(entry))
                if name != "$mergeCursors":  # the plumbing that gathers the shards' cursors
                    yield Stage(name=name, shard="merger", spec=entry[name])
        return
    entries = doc.get("stages")
    if isinstance(entries, list):
        # SecantusDB also sends a top-level queryPlanner that repeats $cursor's: stages win.
        for entry in entries:
            if isinstance(entry, Mapping) and entry:
                yield _stage(entry, shard)
        return
    if isinstance(doc.get("queryPlanner"), Mapping):
        plan = query_plan(doc)
        yield Stage(name="query", shard=shard, plan=plan, n_returned=plan.n_returned)


def _stage(entry: Mapping[str, Any], shard: str | None) -> Stage:
    name = next(iter(entry))
    spec = entry[name]
    n_returned = _int(entry.get("nReturned"))
    estimate = _int(entry.get("executionTimeMillisEstimate"))
    if name in QUERY_STAGES and isinstance(spec, Mapping):
        plan = query_plan(spec)
        returned = n_returned if n_returned is not None else plan.n_returned
        return Stage("query", shard, plan, None, returned, estimate)
    disk = entry.get("usedDisk")
    used_disk = disk if isinstance(disk, bool) else None
    return Stage(name, shard, None, spec, n_returned, estimate, used_disk)


def query_plan(doc: Mapping[str, Any]) -> QueryPlan:
    """The query layer's plan from a document holding ``queryPlanner`` (and ``executionStats``)."""
    planner = _mapping(doc.get("queryPlanner"))
    stats = _mapping(doc.get("executionStats"))
    winning = _mapping(planner.get("winningPlan"))
    engine = "classic"
    if isinstance(winning.get("queryPlan"), Mapping):
        winning, engine = winning["queryPlan"], "sbe"
    executed = _mapping(stats.get("executionStages")) if engine == "classic" else {}
    namespace = planner.get("namespace")
    return QueryPlan(
        namespace=namespace if isinstance(namespace, str) else None,
        engine=engine,
        root=_node(winning, executed) if winning.get("stage") else None,
        parsed_query=_mapping(planner.get("parsedQuery")),
        n_returned=_int(stats.get("nReturned")),
        docs_examined=_int(stats.get("totalDocsExamined")),
        keys_examined=_int(stats.get("totalKeysExamined")),
        execution_ms=_int(stats.get("executionTimeMillis")),
    )


def _node(plan: Mapping[str, Any], executed: Mapping[str, Any]) -> PlanNode:
    # executionStages mirrors the winning plan in classic plans: take its counts where it does.
    if executed.get("stage") != plan.get("stage"):
        executed = {}
    inputs = _inputs(plan)
    executed_inputs = _inputs(executed)
    if len(executed_inputs) != len(inputs):
        executed_inputs = [{}] * len(inputs)
    index_name = plan.get("indexName")
    return PlanNode(
        stage=str(plan.get("stage")),
        index_name=index_name if isinstance(index_name, str) else None,
        key_pattern=_mapping(plan.get("keyPattern")) or None,
        sort_pattern=_mapping(plan.get("sortPattern")) or None,
        n_returned=_int(executed.get("nReturned")),
        docs_examined=_int(executed.get("docsExamined")),
        keys_examined=_int(executed.get("keysExamined")),
        children=tuple(
            _node(child, sub)
            for child, sub in zip(inputs, executed_inputs, strict=True)
            if child.get("stage")
        ),
    )


def _inputs(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if isinstance(plan.get("inputStage"), Mapping):
        return [plan["inputStage"]]
    many = plan.get("inputStages")
    return [p for p in many if isinstance(p, Mapping)] if isinstance(many, list) else []


def _warnings(stages: Sequence[Stage]) -> Iterator[ExplainWarning]:
    for position, stage in enumerate(stages):
        # Positions count within one list: a shard's stages, or the merger's.
        where = _where(stage, sum(1 for s in stages[:position] if s.shard == stage.shard))
        if stage.plan is not None:
            yield from _plan_warnings(stage.plan, where)
        elif stage.name == "$sort" and _sorts_source_documents(stages, position):
            order = _sort_order(stage.spec)
            yield ExplainWarning(
                codes.SORT_IN_MEMORY,
                where,
                f"sorts by {_compact(order)} in memory, in the pipeline; "
                f"an index on {_fields(order)} could give this order",
            )


def _plan_warnings(plan: QueryPlan, where: str) -> Iterator[ExplainWarning]:
    nodes = list(plan.nodes())
    if plan.parsed_query and any(node.stage == "COLLSCAN" for node in nodes):
        yield ExplainWarning(
            codes.COLLECTION_SCAN,
            where,
            f"the $match on {_fields(plan.parsed_query)} reads every document (COLLSCAN); "
            "an index on these fields (or a prefix of them) would serve it",
        )
    for node in nodes:
        if node.stage == "SORT" and not any(n.stage in _RESHAPING for n in node.walk()):
            order = node.sort_pattern or {}
            yield ExplainWarning(
                codes.SORT_IN_MEMORY,
                where,
                f"sorts by {_compact(order)} in memory (SORT stage); an index on "
                f"{_fields(order)} could give this order",
            )
    examined = max(plan.docs_examined or 0, plan.keys_examined or 0)
    returned = _matched(plan)
    grouped = any(node.stage == "GROUP" for node in nodes)  # returns groups, not documents
    if (
        returned is not None
        and not grouped
        and examined >= MIN_EXAMINED
        and examined > EXAMINED_RATIO * returned
    ):
        yield ExplainWarning(
            codes.EXAMINED_FAR_MORE,
            where,
            f"examined {plan.docs_examined or 0} documents and {plan.keys_examined or 0} "
            f"keys to return {returned}",
        )


def _matched(plan: QueryPlan) -> int | None:
    """How many documents matched, before a limit cut them: what PX003 compares with."""
    node = plan.root
    if node is None or node.stage not in _PASSING:
        return plan.n_returned
    while node.stage in _PASSING and len(node.children) == 1:
        node = node.children[0]
    return node.n_returned  # None for SBE plans, whose nodes have no counts: no PX003


def _sorts_source_documents(stages: Sequence[Stage], position: int) -> bool:
    # A $sort that only $match stages separate from the query layer orders the collection's own
    # documents, which an index could have done. (MongoDB pushes such a sort into the query
    # layer, where it is a SORT stage; SecantusDB leaves it in the pipeline.)
    for earlier in reversed(stages[:position]):
        if earlier.shard != stages[position].shard:
            return False
        if earlier.name == "query":
            return True
        if earlier.name != "$match":
            return False
    return False


def _sort_order(spec: Any) -> Mapping[str, Any]:
    if isinstance(spec, Mapping) and isinstance(spec.get("sortKey"), Mapping):
        return dict(spec["sortKey"])
    return dict(spec) if isinstance(spec, Mapping) else {}


def _where(stage: Stage, position: int) -> str:
    prefix = ""
    if stage.shard:
        prefix = "merger: " if stage.shard == "merger" else f"shard {stage.shard}: "
    if stage.name == "query":
        return f"{prefix}query"
    return f"{prefix}stage {position} {stage.name}"


def _fields(query: Mapping[str, Any]) -> str:
    names = _field_names(query)
    return f"({', '.join(names)})" if names else "its fields"


def _field_names(query: Mapping[str, Any]) -> list[str]:
    """The fields a filter or sort order names, top-level and in ``$and``/``$or``, in order."""
    names: dict[str, None] = {}
    for key, value in query.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            for clause in value:
                if isinstance(clause, Mapping):
                    names.update(dict.fromkeys(_field_names(clause)))
        elif not key.startswith("$"):
            names[key] = None
    return list(names)


def _compact(value: Any, limit: int = 120) -> str:
    text = extjson.dumps(value, indent=None)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)
