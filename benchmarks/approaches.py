"""The ways a service might build the benchmark pipeline, each returning the same typed stages."""

from __future__ import annotations

import copy
import datetime
import json
import string
from collections.abc import Callable, Mapping
from typing import Any

from bson import ObjectId

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
    # Values as JSON text for the text-templating approaches (the region is embedded in a string):
    # ObjectIds and dates in Extended JSON's shape, which _typed turns back while parsing.
    return {
        "customer_ids": "[" + ", ".join(f'{{"$oid": "{i}"}}' for i in p["customer_ids"]) + "]",
        "since": f'{{"$date": "{p["since"].isoformat()}"}}',
        "status": json.dumps(p["status"]),
        "min_total": json.dumps(p["min_total"]),
        "limit": json.dumps(p["limit"]),
        "region": p["region"],
    }


def _typed(document: dict[str, Any]) -> Any:
    # The template engines' best: plain json.loads, with a hook for the two Extended JSON shapes
    # this pipeline's values take (bson.json_util.loads, which knows every shape, is far slower).
    if len(document) == 1:
        if "$oid" in document:
            return ObjectId(document["$oid"])
        if "$date" in document:
            return datetime.datetime.fromisoformat(document["$date"])
    return document


def string_template(p: dict[str, Any]) -> list[dict[str, Any]]:
    """string.Template over the JSON text with JSON-encoded values, then json.loads."""
    text = _STRING_TEMPLATE.substitute(_encoded(p))
    result: list[dict[str, Any]] = json.loads(text, object_hook=_typed)
    return result


def make_jinja() -> Approach | None:
    """Jinja2 over the JSON text, then json.loads (None if Jinja2 is not installed)."""
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
        result: list[dict[str, Any]] = json.loads(text, object_hook=_typed)
        return result

    return jinja


# What careful hand-written code checks before it builds the same pipeline: what the benchmark
# pipeline's declarations say (see workloads.PIPELINE), with the same conversions (ObjectIds and
# RFC 3339 dates from text, naive dates as UTC), each refusal a ValueError.
_STATUSES = frozenset({"paid", "shipped", "refunded"})
_UTC = datetime.timezone.utc
_NAMES = frozenset(PIPELINE["params"])


def _object_id(value: Any) -> ObjectId:
    if type(value) is ObjectId:
        return value
    if type(value) is str and len(value) == 24:
        return ObjectId(value)
    raise ValueError(f"customer_ids: not an ObjectId: {value!r}")


def _date(value: Any) -> datetime.datetime:
    if type(value) is str:
        value = datetime.datetime.fromisoformat(value)
    if type(value) is not datetime.datetime:
        raise ValueError(f"since: not a date: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


def _int(name: str, value: Any, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{name}: not an int from {low} to {high}: {value!r}")
    return value


def hand_validated(p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Careful hand-written code: checks and converts the parameters, then builds the stages."""
    if not _NAMES.issuperset(p):
        raise ValueError(f"unknown parameters: {sorted(set(p) - _NAMES)}")
    ids = p["customer_ids"]
    if type(ids) is not list or len(ids) > 100:
        raise ValueError("customer_ids: not a list of at most 100 ObjectIds")
    status, region = p["status"], p["region"]
    if status not in _STATUSES:
        raise ValueError(f"status: not one of {sorted(_STATUSES)}: {status!r}")
    if type(region) is not str or len(region) > 20:
        raise ValueError(f"region: not a string of at most 20 characters: {region!r}")
    coupon = p.get("coupon")
    if coupon is not None and type(coupon) is not str:
        raise ValueError(f"coupon: not a string: {coupon!r}")
    values = {
        "customer_ids": [_object_id(i) for i in ids],
        "since": _date(p["since"]),
        "status": status,
        "region": region,
        "min_total": _int("min_total", p["min_total"], 0, 2**31 - 1),
        "limit": _int("limit", p["limit"], 1, 1000),
    }
    return hand_written(values)
