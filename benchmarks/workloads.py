"""Benchmark workloads: a realistic pipeline, its parameters, and synthetic pipeline trees."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from bson import ObjectId

UTC = datetime.timezone.utc

# 10 stages, ~110 JSON nodes, 6 placeholders: a list of 20 ObjectIds, a date, an embedded string.
PIPELINE: dict[str, Any] = {
    "description": "Benchmark: order report for a set of customers",
    "collection": "orders",
    "params": {
        "customer_ids": {"type": "array", "items": {"type": "objectId"}, "maxItems": 100},
        "since": {"type": "date"},
        "status": {"type": "string", "enum": ["paid", "shipped", "refunded"]},
        "region": {"type": "string", "maxLength": 20},
        "min_total": {"type": "int", "minimum": 0},
        "limit": {"type": "int", "minimum": 1, "maximum": 1000},
        "coupon": {"type": "string", "optional": True},
    },
    "stages": [
        {
            "$match": {
                "customer_id": {"$in": "<<customer_ids>>"},
                "created_at": {"$gte": "<<since>>"},
                "status": "<<status>>",
                "coupon": "<<coupon>>",
            }
        },
        {"$addFields": {"label": "region-<<region>>", "year": {"$year": "$created_at"}}},
        {"$match": {"total": {"$gte": "<<min_total>>"}}},
        {
            "$lookup": {
                "from": "customers",
                "localField": "customer_id",
                "foreignField": "_id",
                "as": "customer",
            }
        },
        {"$unwind": {"path": "$customer", "preserveNullAndEmptyArrays": True}},
        {
            "$group": {
                "_id": {"customer": "$customer_id", "year": "$year", "label": "$label"},
                "orders": {"$sum": 1},
                "revenue": {"$sum": "$total"},
                "avg": {"$avg": "$total"},
                "first": {"$min": "$created_at"},
                "last": {"$max": "$created_at"},
                "name": {"$first": "$customer.name"},
            }
        },
        {
            "$project": {
                "_id": 0,
                "customer": "$_id.customer",
                "year": "$_id.year",
                "label": "$_id.label",
                "orders": 1,
                "revenue": 1,
                "avg": {"$round": ["$avg", 2]},
                "span_days": {
                    "$dateDiff": {"startDate": "$first", "endDate": "$last", "unit": "day"}
                },
                "name": 1,
            }
        },
        {"$sort": {"revenue": -1, "customer": 1}},
        {
            "$set": {
                "tier": {
                    "$switch": {
                        "branches": [
                            {"case": {"$gte": ["$revenue", 10000]}, "then": "gold"},
                            {"case": {"$gte": ["$revenue", 1000]}, "then": "silver"},
                            {"case": {"$gte": ["$orders", 10]}, "then": "regular"},
                        ],
                        "default": "new",
                    }
                },
                "flags": {"big": {"$gt": ["$avg", 500]}, "recent": {"$gte": ["$last", "$first"]}},
            }
        },
        {"$limit": "<<limit>>"},
    ],
    "options": {"allowDiskUse": True, "maxTimeMS": 5000},
}

# The same pipeline written with fragments: a document bound to pipeline params, a stages fragment
# without params, and one whose parameter falls back to its default.
FRAGMENTS: dict[str, Any] = {
    "customer_orders": {
        "params": {
            "ids": {"type": "array", "items": {"type": "objectId"}, "maxItems": 100},
            "since": {"type": "date"},
            "status": {"type": "string", "enum": ["paid", "shipped", "refunded"]},
            "coupon": {"type": "string", "optional": True},
        },
        "document": {
            "customer_id": {"$in": "<<ids>>"},
            "created_at": {"$gte": "<<since>>"},
            "status": "<<status>>",
            "coupon": "<<coupon>>",
        },
    },
    "join_customer": {"stages": PIPELINE["stages"][3:5]},
    "top": {
        "params": {"by": {"type": "field", "default": "revenue"}},
        "stages": [{"$sort": {"<<by>>": -1, "customer": 1}}],
    },
}
FRAGMENTED: dict[str, Any] = {
    **PIPELINE,
    "stages": [
        {"$match": {"$include": "customer_orders", "with": {
            "ids": "<<customer_ids>>", "since": "<<since>>", "status": "<<status>>",
            "coupon": "<<coupon>>"}}},
        *PIPELINE["stages"][1:3],
        {"$include": "join_customer"},
        *PIPELINE["stages"][5:7],
        {"$include": "top"},
        *PIPELINE["stages"][8:],
    ],
}  # fmt: skip

IDS = [ObjectId(f"65f1c0000000000000000{i:03x}") for i in range(20)]
SINCE = datetime.datetime(2024, 3, 1, tzinfo=UTC)

# Already typed, as a service holding real values would pass them.
TYPED_PARAMS: dict[str, Any] = {
    "customer_ids": IDS,
    "since": SINCE,
    "status": "paid",
    "region": "EU",
    "min_total": 100,
    "limit": 50,
}
# As a web request would pass them: dates and ObjectIds as strings.
RAW_PARAMS: dict[str, Any] = {
    **TYPED_PARAMS,
    "customer_ids": [str(i) for i in IDS],
    "since": "2024-03-01T00:00:00Z",
}


def write_tree(root: Path, files: int, per_file: int, *, distinct: bool = False) -> Path:
    """A synthetic tree of ``files`` files with ``per_file`` copies of :data:`PIPELINE` each.

    With ``distinct``, every copy names its parameters apart (``limit_3_7``), so no two
    pipelines share a declaration, as in a tree of unrelated pipelines.
    """
    root.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        document = {
            "version": 1,
            "pipelines": {
                f"report_{i}": renamed(PIPELINE, f"{f}_{i}") if distinct else PIPELINE
                for i in range(per_file)
            },
        }
        (root / f"module_{f:04d}.json").write_text(json.dumps(document, indent=2))
    return root


def renamed(pipeline: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``pipeline`` with each parameter ``name`` declared and used as ``name_<suffix>``."""
    text = json.dumps(pipeline)
    for name in pipeline["params"]:
        text = text.replace(f'"{name}":', f'"{name}_{suffix}":')
        text = text.replace(f"<<{name}>>", f"<<{name}_{suffix}>>")
    renamed: dict[str, Any] = json.loads(text)
    return renamed


def count_nodes(node: Any) -> int:
    """JSON nodes in a tree (containers and leaves)."""
    if isinstance(node, dict):
        return 1 + sum(count_nodes(v) for v in node.values())
    if isinstance(node, list):
        return 1 + sum(count_nodes(v) for v in node)
    return 1


# A varied tree, as a real service's pipelines are: nested folders, files of 1 to 25 pipelines,
# distinct parameter declarations, Extended JSON literals in many pipelines, and fragments from
# one shared file used by about a third of them. Deterministic for a given size.
COMMON_FRAGMENTS: dict[str, Any] = {
    "not_qa_account": {"document": {"$ne": {"$oid": "65f1c00000000000000000ff"}}},
    "join_customer": {
        "params": {"local_field": {"type": "field", "default": "customer_id"}},
        "stages": [
            {"$lookup": {"from": "customers", "localField": "<<local_field>>",
                         "foreignField": "_id", "as": "customer"}},
            {"$unwind": {"path": "$customer", "preserveNullAndEmptyArrays": True}},
        ],
    },
    "customer_name": {"document": {"$concat": ["$customer.first", " ", "$customer.last"]}},
    "page": {
        "params": {"page_size": {"type": "int", "minimum": 1, "maximum": 500},
                   "skip": {"type": "int", "minimum": 0, "default": 0}},
        "stages": [{"$skip": "<<skip>>"}, {"$limit": "<<page_size>>"}],
    },
}  # fmt: skip


def varied_pipeline(n: int) -> dict[str, Any]:
    """Pipeline number ``n`` of a varied tree: its own parameter names, shapes chosen by ``n``."""
    s = f"_{n}"
    params: dict[str, Any] = {
        f"since{s}": {"type": "date", "description": "First day"},
        f"status{s}": {"type": "string", "enum": ["paid", "shipped", "refunded"][: 2 + n % 2]},
    }
    match: dict[str, Any] = {"created_at": {"$gte": f"<<since{s}>>"}, "status": f"<<status{s}>>"}
    if n % 3 == 0:
        params[f"ids{s}"] = {"type": "array", "items": {"type": "objectId"}, "maxItems": 50}
        match["customer_id"] = {"$in": f"<<ids{s}>>"}
    if n % 4 == 1:
        params[f"region{s}"] = {"type": "string", "maxLength": 20, "optional": True}
        match["region"] = f"<<region{s}>>"
    if n % 2 == 0:  # Extended JSON literals
        match["updated_at"] = {"$lt": {"$date": f"2030-01-{1 + n % 28:02d}T00:00:00Z"}}
        match["warehouse"] = {"$ne": {"$oid": f"65f1c0000000000000{n % 65536:06x}"}}
    shared = n % 3 == 1  # about a third use the shared fragments
    if shared:
        match["customer_id"] = {"$include": "common.not_qa_account"}
    stages: list[Any] = [{"$match": match}]
    if shared:
        stages.append({"$include": "common.join_customer"})
    group: dict[str, Any] = {
        "_id": "$customer_id" if n % 5 else {"c": "$customer_id", "y": {"$year": "$created_at"}},
        "orders": {"$sum": 1},
        f"total_{n % 7}": {"$sum": "$total"},
        "last": {"$max": "$created_at"},
    }
    stages.append({"$group": group})
    project: dict[str, Any] = {"_id": 0, "customer": "$_id", "orders": 1, "last": 1}
    if shared:
        project["name"] = {"$include": "common.customer_name"}
    if n % 6 == 5:
        project["band"] = {"$switch": {"branches": [
            {"case": {"$gte": ["$orders", 10 + n % 10]}, "then": "high"},
            {"case": {"$gte": ["$orders", 2]}, "then": "mid"}], "default": "low"}}  # fmt: skip
    stages.append({"$project": project})
    stages.append({"$sort": {"orders": -1, "customer": 1}})
    if shared and n % 2:
        params[f"size{s}"] = {"type": "int", "minimum": 1, "maximum": 500}
        stages.append({"$include": "common.page", "with": {"page_size": f"<<size{s}>>"}})
    else:
        params[f"limit{s}"] = {"type": "int", "minimum": 1, "maximum": 100 + n % 900, "default": 10}
        stages.append({"$limit": f"<<limit{s}>>"})
    pipeline: dict[str, Any] = {
        "description": f"Varied pipeline {n}",
        "collection": ["orders", "invoices", "shipments"][n % 3],
        "params": params,
        "stages": stages,
    }
    if n % 5 == 0:
        pipeline["options"] = {"allowDiskUse": True, "maxTimeMS": 1000 + n % 5000}
    return pipeline


def write_varied_tree(root: Path, pipelines: int) -> Path:
    """A varied tree of ``pipelines`` pipelines (see :func:`varied_pipeline`) below ``root``.

    Files hold 1 to 25 pipelines (a fixed cycle of sizes), in folders two levels deep, and a
    shared ``common.json`` holds the fragments. Returns ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    common = {"version": 1, "fragments": COMMON_FRAGMENTS}
    (root / "common.json").write_text(json.dumps(common, indent=2))
    sizes = [1, 3, 7, 12, 25, 5, 18, 2, 9, 15]
    n = f = 0
    while n < pipelines:
        size = min(sizes[f % len(sizes)], pipelines - n)
        folder = root / f"team_{f % 7}" / f"area_{f % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        document = {
            "version": 1 + f % 3,
            "pipelines": {f"p{n + i}": varied_pipeline(n + i) for i in range(size)},
        }
        (folder / f"module_{f:05d}.json").write_text(json.dumps(document, indent=2))
        n += size
        f += 1
    return root
