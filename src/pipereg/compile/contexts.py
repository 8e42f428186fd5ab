"""Where a value stands in a pipeline, and so how the server reads a string there.

The template builder (:mod:`pipereg.compile.template`) carries a context down the tree: a ``$match``
filter compares strings as written, an aggregation expression reads ``"$x"`` as a field path and
``"$$x"`` as a variable, names and sort orders are taken as written, and the value of ``$regex``
(or of ``regex`` in ``$regexMatch``, ``$regexFind``, ``$regexFindAll``) is a regular expression.
"""

from __future__ import annotations

STAGE = "stage"  # a stage document: its one key names the stage
QUERY = "query"  # a query filter ($match): strings are compared as written
EXPR = "expr"  # an aggregation expression: "$x" is a field path, "$$x" a variable
PLAIN = "plain"  # names, sort orders, counts, literal documents: taken as written
REGEX_ARGS = "regex-args"  # the arguments of $regexMatch, $regexFind, $regexFindAll
OPTIONS = "options"  # a pipeline's aggregate options
EXPRESSIONS = frozenset({EXPR, REGEX_ARGS})
_REGEX_OPERATORS = frozenset({"$regexMatch", "$regexFind", "$regexFindAll"})
# How a stage's body (or the options) reads: a context for its members, with exceptions by
# member name. Stages not listed hold names, numbers and literal documents ($sort, $limit,
# $unwind, $count, $out, $densify, $search...). Where a stage mixes both, members are read as
# expressions unless known otherwise: a needless $literal fails loudly on the server, a missing
# one silently reads another field.
_BODIES: dict[str, tuple[str, dict[str, str]]] = {
    "$match": (QUERY, {}),
    **dict.fromkeys(
        (
            "$addFields", "$set", "$project", "$group", "$replaceRoot", "$replaceWith",
            "$redact", "$sortByCount", "$documents",
        ),
        (EXPR, {}),
    ),
    "$bucket": (EXPR, {"boundaries": PLAIN, "default": PLAIN}),
    "$bucketAuto": (EXPR, {"buckets": PLAIN, "granularity": PLAIN}),
    "$setWindowFields": (EXPR, {"sortBy": PLAIN}),
    "$fill": (EXPR, {"sortBy": PLAIN, "partitionByFields": PLAIN}),
    "$lookup": (PLAIN, {"let": EXPR}),
    "$graphLookup": (PLAIN, {"startWith": EXPR, "restrictSearchWithMatch": QUERY}),
    "$geoNear": (PLAIN, {"query": QUERY}),
    "$merge": (PLAIN, {"let": EXPR, "whenMatched": EXPR}),
    OPTIONS: (PLAIN, {"let": EXPR}),
}  # fmt: skip


def member_context(context: str, key: str) -> str:
    """The context of the value of member ``key`` of an object read in ``context``."""
    if context == STAGE:
        default, members = _BODIES.get(key, (PLAIN, {}))
        return key if members else default
    if context in _BODIES:
        default, members = _BODIES[context]
        return members.get(key, default)
    if context == QUERY:
        return EXPR if key == "$expr" else QUERY
    if context in EXPRESSIONS:
        if key == "$literal":
            return PLAIN
        return REGEX_ARGS if key in _REGEX_OPERATORS else EXPR
    return PLAIN


def item_context(context: str) -> str:
    """The context of the items of an array read in ``context``."""
    if context in _BODIES:
        return _BODIES[context][0]
    if context == REGEX_ARGS:
        return EXPR
    return PLAIN if context == STAGE else context


def is_regex(context: str, key: str) -> bool:
    """Whether the value of member ``key`` of an object read in ``context`` is a regex."""
    return key == "$regex" or (key == "regex" and context == REGEX_ARGS)
