"""Where placeholders stand (pipereg.compile.contexts), as the template builder marks them.

A slot or text in a regular expression is escaped; one in an aggregation expression has its
``$`` strings wrapped in ``$literal``. These tables pin down which positions are which.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipereg.compile.template import Slot, Text, build

BASE = ("pipelines", "p", "stages")


def regex_flags(node: Any) -> list[tuple[str, bool]]:
    """Each slot's name and whether it stands in a regular expression, depth first."""
    if isinstance(node, Slot):
        return [(node.name, node.regex)]
    if isinstance(node, Text):
        return [(part.name, node.regex) for part in node.parts if isinstance(part, Slot)]
    if isinstance(node, dict):
        return [flag for value in node.values() for flag in regex_flags(value)]
    if isinstance(node, list):
        return [flag for item in node for flag in regex_flags(item)]
    return []


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        pytest.param({"$match": {"a": {"$regex": "<<p>>"}}}, [("p", True)], id="regex-operator"),
        pytest.param(
            {"$match": {"a": {"$regex": "^<<p>>-<<q>>$"}}}, [("p", True), ("q", True)], id="text"
        ),
        pytest.param({"$match": {"a": {"$not": {"$regex": "<<p>>"}}}}, [("p", True)], id="not"),
        pytest.param(
            {
                "$set": {
                    "m": {"$regexMatch": {"input": "<<i>>", "regex": "<<p>>", "options": "<<o>>"}}
                }
            },
            [("i", False), ("p", True), ("o", False)],
            id="regex-match",
        ),
        pytest.param(
            {"$match": {"$expr": {"$regexFind": {"regex": "<<p>>"}}}}, [("p", True)], id="find"
        ),
        pytest.param(
            {"$project": {"m": {"$regexFindAll": {"regex": "x<<p>>"}}}}, [("p", True)], id="all"
        ),
        pytest.param(
            {"$match": {"a": {"regex": "<<p>>"}}}, [("p", False)], id="regex-key-elsewhere"
        ),
        pytest.param(
            {"$set": {"m": {"$regexMatch": {"regex": {"$concat": ["<<p>>"]}}}}},
            [("p", False)],
            id="built-regex",
        ),
        pytest.param({"$match": {"a": {"$regex": ["<<p>>"]}}}, [("p", False)], id="not-a-string"),
        pytest.param(
            {"$match": {"a": "<<p>>", "b": {"$eq": "^<<q>>"}}}, [("p", False), ("q", False)]
        ),
    ],
)
def test_placeholders_in_a_regex_are_marked(
    stage: dict[str, Any], expected: list[tuple[str, bool]]
) -> None:
    template = build([stage], BASE, stages=True)
    assert template.findings == []
    assert regex_flags(template.tree) == expected


def expr_flags(node: Any) -> list[tuple[str, bool]]:
    """Each slot's name and whether it stands in an aggregation expression, depth first."""
    if isinstance(node, Slot):
        return [(node.name, node.expr)]
    if isinstance(node, Text):
        return [(part.name, node.expr) for part in node.parts if isinstance(part, Slot)]
    if isinstance(node, dict):
        return [flag for value in node.values() for flag in expr_flags(value)]
    if isinstance(node, list):
        return [flag for item in node for flag in expr_flags(item)]
    return []


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        pytest.param({"$match": {"a": "<<s>>", "b": {"$in": ["<<t>>"]}}}, [("s", 0), ("t", 0)]),
        pytest.param({"$match": {"$expr": {"$eq": ["$a", "<<s>>"]}}}, [("s", 1)], id="expr"),
        pytest.param({"$match": {"$and": [{"$expr": "<<s>>"}]}}, [("s", 1)], id="expr-in-and"),
        pytest.param({"$addFields": {"a": "<<s>>"}}, [("s", 1)], id="addFields"),
        pytest.param({"$set": {"a": {"$concat": ["<<s>>", "x"]}}}, [("s", 1)], id="set"),
        pytest.param({"$project": {"a": "<<s>>"}}, [("s", 1)], id="project"),
        pytest.param({"$group": {"_id": "<<s>>", "n": {"$sum": "<<t>>"}}}, [("s", 1), ("t", 1)]),
        pytest.param({"$replaceWith": "<<s>>"}, [("s", 1)], id="replaceWith"),
        pytest.param({"$sortByCount": "<<s>>"}, [("s", 1)], id="sortByCount"),
        pytest.param({"$set": {"a": {"$literal": "<<s>>"}}}, [("s", 0)], id="already-literal"),
        pytest.param({"$set": {"a": "<<s>>-x"}}, [("s", 1)], id="text-starting-with-a-value"),
        pytest.param({"$set": {"a": "$<<f>>"}}, [("f", 0)], id="text-starting-with-dollar"),
        pytest.param({"$set": {"a": "x-<<s>>"}}, [("s", 0)], id="text-starting-with-text"),
        pytest.param(
            {"$bucket": {"groupBy": "<<s>>", "boundaries": ["<<t>>"], "default": "<<u>>"}},
            [("s", 1), ("t", 0), ("u", 0)],
            id="bucket",
        ),
        pytest.param(
            {"$setWindowFields": {"partitionBy": "<<s>>", "sortBy": {"a": "<<t>>"}}},
            [("s", 1), ("t", 0)],
            id="setWindowFields",
        ),
        pytest.param(
            {
                "$lookup": {
                    "from": "<<s>>",
                    "let": {"v": "<<t>>"},
                    "pipeline": [{"$set": {"a": "<<u>>"}}],
                }
            },
            [("s", 0), ("t", 1), ("u", 1)],
            id="lookup",
        ),
        pytest.param(
            {"$graphLookup": {"startWith": "<<s>>", "restrictSearchWithMatch": {"a": "<<t>>"}}},
            [("s", 1), ("t", 0)],
            id="graphLookup",
        ),
        pytest.param(
            {"$facet": {"x": [{"$match": {"a": "<<s>>"}}, {"$set": {"b": "<<t>>"}}]}},
            [("s", 0), ("t", 1)],
            id="facet",
        ),
        pytest.param({"$unionWith": {"coll": "<<s>>"}}, [("s", 0)], id="unionWith"),
        pytest.param({"$merge": {"into": "<<s>>", "let": {"v": "<<t>>"}}}, [("s", 0), ("t", 1)]),
        pytest.param({"$geoNear": {"key": "<<s>>", "query": {"a": "<<t>>"}}}, [("s", 0), ("t", 0)]),
        pytest.param({"$unwind": "<<s>>"}, [("s", 0)], id="unwind"),
        pytest.param({"$sort": {"<<f>>": "<<n>>"}}, [("n", 0)], id="sort"),
        pytest.param({"$limit": "<<n>>"}, [("n", 0)], id="limit"),
        pytest.param({"$search": {"text": {"query": "<<s>>"}}}, [("s", 0)], id="search"),
    ],
)
def test_placeholders_in_an_expression_are_marked(
    stage: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    template = build([stage], BASE, stages=True)
    assert template.findings == []
    assert expr_flags(template.tree) == [(name, bool(flag)) for name, flag in expected]


def test_let_options_are_expressions() -> None:
    template = build({"let": {"v": "<<s>>"}, "comment": "<<t>>", "hint": "<<u>>"}, BASE)
    assert expr_flags(template.tree) == [("s", True), ("t", False), ("u", False)]


@pytest.mark.parametrize(
    ("stage", "position"),
    [
        pytest.param({"$project": {"a": "<<s>>"}}, "projection", id="project"),
        pytest.param({"$project": {"a": {"$add": ["<<s>>", 1]}}}, "expr", id="project-expr"),
        pytest.param({"$match": {"a": "<<s>>"}}, "query", id="match"),
        pytest.param({"$match": {"$where": "<<s>>"}}, "javascript", id="where"),
        pytest.param({"$set": {"a": {"$function": {"body": "<<s>>"}}}}, "javascript", id="fn"),
        pytest.param({"$lookup": {"localField": "<<s>>"}}, "name", id="localField"),
        pytest.param({"$lookup": {"from": "<<s>>"}}, "namespace", id="from"),
        pytest.param({"$out": "<<s>>"}, "namespace", id="out"),
        pytest.param({"$unwind": "<<s>>"}, "name", id="unwind-shorthand"),
        pytest.param({"$sort": {"a": "<<s>>"}}, "sort", id="sort"),
        pytest.param({"$search": {"text": {"query": "<<s>>"}}}, "search", id="search"),
        pytest.param({"$search": {"text": {"path": "<<s>>"}}}, "name", id="search-path"),
        pytest.param(
            {"$rankFusion": {"input": {"pipelines": {"p": [{"$set": {"a": "<<s>>"}}]}}}},
            "expr",
            id="rankFusion",
        ),
        pytest.param(
            {"$merge": {"into": "t", "whenMatched": [{"$project": {"a": "<<s>>"}}]}},
            "projection",
            id="whenMatched",
        ),
        pytest.param({"$merge": {"into": "t", "whenMatched": "<<s>>"}}, "stages", id="mode"),
        pytest.param({"$group": {"_id": 1, "n": {"$madeUp": "<<s>>"}}}, "unknown", id="unknown"),
        pytest.param({"$mtach": {"a": "<<s>>"}}, "unknown-stage", id="unknown-stage"),
        pytest.param({"$bucketAuto": {"granularity": "<<s>>"}}, "plain", id="stage-option"),
        pytest.param({"$set": {"a": {"$dateToString": {"format": "<<s>>"}}}}, "expr", id="arg"),
        pytest.param({"$set": {"a": {"$literal": "<<s>>"}}}, "plain", id="literal"),
    ],
)
def test_each_site_knows_its_position(stage: dict[str, Any], position: str) -> None:
    (site,) = build([stage], BASE, stages=True).sites
    assert site.position == position
