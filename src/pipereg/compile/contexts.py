"""Where a value stands in a pipeline, and so how the server reads a string there.

The position table: the template builder (:mod:`pipereg.compile.template`) carries a context
down the tree, and every context comes from the catalog of MongoDB's aggregation language
(:mod:`pipereg.language`): a stage's or operator's name selects its record, and each argument's
:class:`~pipereg.language.Position` says how its value reads. A ``$match`` filter compares
strings as written, an aggregation expression reads ``"$x"`` as a field path and ``"$$x"`` as a
variable, a ``$project`` specification reads ``true`` and ``1`` as "include the stored field",
names and collection names name things, JavaScript is code, and the value of ``$regex`` (or of
``regex`` in ``$regexMatch``...) is a regular expression.

Fail-closed: a name the catalog does not know (a stage, an operator, an argument) gives
:data:`UNKNOWN`, and a placeholder there is a load error (:mod:`pipereg.compile.positions`), never
plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipereg import language
from pipereg.language import Argument, Form, Kind, Operator, Position

STAGE = "stage"  # a stage document: its one key names the stage
STAGES = "stages"  # a list of stages: a pipeline or a sub-pipeline
QUERY = "query"  # a query filter ($match): strings are compared as written
EXPR = "expr"  # an aggregation expression: "$x" is a field path, "$$x" a variable
PROJECTION = "projection"  # a $project specification: true, 1 mean "include the stored field"
SORT = "sort"  # a sort specification: field names and directions
NAME = "name"  # a field name or a "$field" path: names what is read or written
NAMESPACE = "namespace"  # a collection (or {db, coll}): where data is read or written
VARIABLES = "variables"  # variable name -> expression (let, vars)
ACCUMULATOR = "accumulator"  # an accumulator object: {"$sum": ...}
WINDOW = "window"  # a window operator object: {"$sum": ..., "window": {...}}
JAVASCRIPT = "javascript"  # JavaScript source run by the server
REGEX = "regex"  # a regular expression, taken as written ($regex in a filter)
REGEX_EXPR = "regex-expr"  # a regular expression an expression evaluates ($regexMatch's regex)
SEARCH = "search"  # an Atlas Search specification: text as written, "path" names fields
PLAIN = "plain"  # numbers, strings, literal documents: taken as written
OPTIONS = "options"  # a pipeline's aggregate options
UNKNOWN = "unknown"  # not in the catalog: nothing can be said of a value here
UNKNOWN_STAGE = "unknown-stage"  # under a stage name the catalog lacks (the rules report it)
REGEXES = frozenset({REGEX, REGEX_EXPR})
EXPRESSIONS = frozenset({EXPR, REGEX_EXPR})
READ_AS_EXPRESSIONS = EXPRESSIONS | {PROJECTION}
"""Where a string starting with ``$`` is a field path or a variable: expressions, and $project
values other than 0, 1 and booleans."""
"""Kinds where a string starting with ``$`` would be read as a path or a variable."""


@dataclass(frozen=True)
class Body:
    """The arguments of one operator (or of one argument's known fields), written as an object.

    Attributes:
        operator: The operator whose arguments these are.
        argument: The argument whose ``fields`` are the members, or ``None`` for the
            operator's own arguments.
        kind: The kind the operator stands in, which decides how its literal arguments read.
    """

    operator: Operator
    argument: Argument | None = None
    kind: Kind = Kind.STAGE


Context = str | Body
"""A kind above, or an operator's arguments."""

_KINDS = {
    Position.EXPRESSION: EXPR,
    Position.FILTER: QUERY,
    Position.FIELD_PATH: NAME,
    Position.FIELD_NAME: NAME,
    Position.NAMESPACE: NAMESPACE,
    Position.PIPELINE: STAGES,
    Position.PROJECTION: PROJECTION,
    Position.SORT: SORT,
    Position.VARIABLES: VARIABLES,
    Position.ACCUMULATOR: ACCUMULATOR,
    Position.WINDOW: WINDOW,
    Position.JAVASCRIPT: JAVASCRIPT,
    Position.REGEX: REGEX,
    Position.SEARCH: SEARCH,
}
# Literal positions: at a stage's level the server takes them as written; inside an expression
# operator it evaluates them, so "$x" there must not come from a value.
_LITERAL = frozenset(
    {
        Position.GEOMETRY,
        Position.NUMBER,
        Position.STRING,
        Position.BOOL,
        Position.ANY,
        Position.OPTIONS,
    }
)
_EVALUATED = frozenset({Kind.EXPRESSION, Kind.ACCUMULATOR, Kind.WINDOW})
_OPTIONS_MEMBERS = {"let": VARIABLES}


def of_argument(argument: Argument | None, body: Body) -> Context:
    """The context a value takes at ``argument`` of ``body``'s operator (``None``: unknown)."""
    if argument is None:
        return UNKNOWN
    if argument.fields:
        return Body(body.operator, argument, body.kind)
    position = argument.position
    if position in _LITERAL:
        if body.operator.name == "$literal":
            return PLAIN
        return EXPR if body.kind in _EVALUATED else PLAIN
    if position is Position.REGEX and body.kind in _EVALUATED:
        return REGEX_EXPR
    return _KINDS[position]


def _operator_body(name: str, kind: Kind) -> Context:
    op = language.operator(name, kind)
    if op is None:
        return UNKNOWN_STAGE if kind is Kind.STAGE else UNKNOWN
    return Body(op, None, kind)


def member_context(context: Context, key: str) -> Context:
    """The context of the value of member ``key`` of an object read in ``context``."""
    if type(context) is Body:
        return _member_of_body(context, key)
    if context == STAGE:
        return _operator_body(key, Kind.STAGE)
    if context == QUERY:
        return _operator_body(key, Kind.QUERY) if key.startswith("$") else QUERY
    if context in READ_AS_EXPRESSIONS:
        if key.startswith("$"):
            return _operator_body(key, Kind.EXPRESSION)
        return PROJECTION if context == PROJECTION else EXPR
    if context == ACCUMULATOR:
        return _operator_body(key, Kind.ACCUMULATOR) if key.startswith("$") else UNKNOWN
    if context == WINDOW:
        if key == "window":
            return PLAIN
        return _operator_body(key, Kind.WINDOW) if key.startswith("$") else UNKNOWN
    if context == VARIABLES:
        return EXPR
    if context == SEARCH:
        return NAME if key == "path" else SEARCH
    if context == OPTIONS:
        return _OPTIONS_MEMBERS.get(key, PLAIN)
    if context == STAGES:
        return UNKNOWN
    return context  # NAME, NAMESPACE, SORT, JAVASCRIPT, PLAIN, UNKNOWN(_STAGE) hold their own


def _member_of_body(body: Body, key: str) -> Context:
    op = body.operator
    if body.argument is not None:
        by_name = {field.name: field for field in body.argument.fields}
        return of_argument(by_name.get(key) or by_name.get("*"), body)
    if Form.OBJECT in op.forms:
        return of_argument(op.argument(key), body)
    # A one-argument operator written with an object: the object is that argument.
    return member_context(value_context(body, {}), key)


def value_context(context: Context, node: Any) -> Context:
    """The context ``node`` itself takes where ``context`` holds it.

    An operator's arguments read differently by how they are written: ``{"$unwind": "$x"}``
    is the path, ``{"$unwind": {"path": ...}}`` names them, ``{"$cond": [a, b, c]}`` lists them.
    """
    if type(context) is not Body:
        return context
    if context.argument is not None:
        return context if isinstance(node, dict) else UNKNOWN
    op = context.operator
    if isinstance(node, dict) and Form.OBJECT in op.forms:
        return context
    if isinstance(node, list) and Form.LIST in op.forms:
        return context
    if not isinstance(node, (dict, list)) and op.shorthand is not None:
        return of_argument(op.shorthand, context)
    if Form.VALUE in op.forms and op.arguments:
        return of_argument(op.arguments[0], context)
    if Form.LIST in op.forms and op.arguments:
        # An expression's lone value is a list of one; a placeholder there an array parameter
        # standing for the whole list ({"$or": "<<conditions>>"}): its items' position.
        return of_argument(op.arguments[0], context)
    return UNKNOWN


def item_context(context: Context, index: int) -> Context:
    """The context of item ``index`` of an array read in ``context``."""
    if type(context) is Body:
        op = context.operator
        if context.argument is not None or Form.LIST not in op.forms or not op.arguments:
            return UNKNOWN
        arguments = op.arguments
        last = arguments[-1]
        argument = arguments[index] if index < len(arguments) else None
        if argument is None and last.variadic:
            argument = last
        return of_argument(argument, context)
    if context == STAGES:
        return STAGE
    if context in (REGEX_EXPR, PROJECTION):
        return EXPR
    if context == REGEX:
        return PLAIN  # a list where a pattern belongs is no pattern; the server refuses it
    if context in (STAGE, ACCUMULATOR, WINDOW):
        return UNKNOWN
    return context
