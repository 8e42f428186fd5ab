"""The ways a service might build the benchmark pipeline, each returning the same typed stages."""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Callable
from typing import Any

from bson import json_util

from benchmarks.workloads import PIPELINE

Approach = Callable[[dict[str, Any]], list[dict[str, Any]]]


def hand_written(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The floor: the literal pipeline with values plugged in, as a person would write it."""
    return [
        {
            "$match": {
                "customer_id": {"$in": p["customer_ids"]},
                "created_at": {"$gte": p["since"]},
                "status": p["status"],
            }
        },
        {"$addFields": {"label": "region-" + p["region"], "year": {"$year": "$created_at"}}},
        {"$match": {"total": {"$gte": p["min_total"]}}},
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
        {"$limit": p["limit"]},
    ]


_ABSENT = object()


def _walk(node: Any, p: dict[str, Any]) -> Any:
    if isinstance(node, str):
        if node.startswith("<<") and node.endswith(">>"):
            return p.get(node[2:-2], _ABSENT)
        if "<<" in node:
            for name, value in p.items():
                node = node.replace(f"<<{name}>>", str(value))
        return node
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            rendered = _walk(value, p)
            if rendered is not _ABSENT:
                out[key] = rendered
        return out
    if isinstance(node, list):
        return [item for item in (_walk(v, p) for v in node) if item is not _ABSENT]
    return node


def deepcopy_walk(p: dict[str, Any]) -> list[dict[str, Any]]:
    """copy.deepcopy of the template, then a substitution walk over the copy."""
    stages = copy.deepcopy(PIPELINE["stages"])
    result: list[dict[str, Any]] = _walk(stages, p)
    return result


def plain_walk(p: dict[str, Any]) -> list[dict[str, Any]]:
    """A plain recursive walk that builds the output (no copy first)."""
    result: list[dict[str, Any]] = _walk(PIPELINE["stages"], p)
    return result


_TEXT = json.dumps(PIPELINE["stages"])
# string.Template wants $name; swap the placeholder syntax once, outside the timed call.
_STRING_TEMPLATE = string.Template(
    _TEXT.replace("$", "$$")
    .replace('"<<customer_ids>>"', "${customer_ids}")
    .replace('"<<since>>"', "${since}")
    .replace('"<<status>>"', "${status}")
    .replace(', "coupon": "<<coupon>>"', "")
    .replace('"<<min_total>>"', "${min_total}")
    .replace('"<<limit>>"', "${limit}")
    .replace("<<region>>", "${region}")
)


def _encoded(p: dict[str, Any]) -> dict[str, str]:
    # Values as JSON text for the text-templating approaches (the region is embedded in a string).
    return {
        "customer_ids": json_util.dumps(p["customer_ids"]),
        "since": json_util.dumps(p["since"]),
        "status": json.dumps(p["status"]),
        "min_total": json.dumps(p["min_total"]),
        "limit": json.dumps(p["limit"]),
        "region": p["region"],
    }


def string_template(p: dict[str, Any]) -> list[dict[str, Any]]:
    """string.Template over the JSON text with JSON-encoded values, then Extended JSON loads."""
    text = _STRING_TEMPLATE.substitute(_encoded(p))
    result: list[dict[str, Any]] = json_util.loads(text, json_options=_TZ)
    return result


_TZ = json_util.JSONOptions(tz_aware=True)


def make_jinja() -> Approach | None:
    """Jinja2 over the JSON text, then Extended JSON loads (None if Jinja2 is not installed)."""
    try:
        import jinja2  # noqa: PLC0415 - only with the benchmark extra
    except ImportError:
        return None
    source = (
        _TEXT.replace('"<<customer_ids>>"', "{{ customer_ids }}")
        .replace('"<<since>>"', "{{ since }}")
        .replace('"<<status>>"', "{{ status }}")
        .replace(', "coupon": "<<coupon>>"', '{% if coupon %}, "coupon": {{ coupon }}{% endif %}')
        .replace('"<<min_total>>"', "{{ min_total }}")
        .replace('"<<limit>>"', "{{ limit }}")
        .replace("<<region>>", "{{ region }}")
    )
    template = jinja2.Environment(autoescape=False).from_string(source)

    def jinja(p: dict[str, Any]) -> list[dict[str, Any]]:
        text = template.render(coupon=None, **_encoded(p))
        result: list[dict[str, Any]] = json_util.loads(text, json_options=_TZ)
        return result

    return jinja
