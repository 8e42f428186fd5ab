"""Stages rewritten so that mongomock answers as MongoDB does, or refuses to answer.

mongomock, the embedded engine, differs from MongoDB where pipereg's users notice, and
:mod:`pipereg.adapters.mongomock` runs every pipeline through :func:`for_mongomock` first:

- **the aggregate ``let`` option** is ignored by mongomock. Each ``"$$name"`` that stands where the
  server reads an expression (:mod:`pipereg.compile.contexts`; never a ``$match`` filter value,
  never inside ``$literal``, never where ``$let``, ``$map``, ``$filter`` or ``$reduce`` binds the
  name again) becomes the variable's value: a number, boolean, null or date as written, any other
  constant wrapped in ``$literal`` so it stays a value (a parameter's ``"$x"`` string is never
  read as a field path), and an operator expression over constants as written, since it gives
  the same value on every document. ``"$$name.field"`` on a constant document takes the field.
  What cannot be substituted faithfully (a variable defined by a field path or a system variable,
  a sub-path through an array or to a missing field) raises :class:`NotImplementedError`, which
  ``pipereg test`` reports as UNSUPPORTED with the message.
- **``$group`` and ``$count`` over no documents** return nothing on MongoDB; mongomock returns one
  document (``[{"n": 0}]``). A group now also counts its input in a hidden field and groups that
  saw none are dropped; ``$count`` becomes the ``$group`` the server documents it as.
- **``$limit``, ``$skip`` and ``$sort`` values** the server refuses (``$limit: 0``, ``$sort: {"a":
  2}``) and **``$out``/``$merge`` not last** (or inside ``$facet``) raise ``OperationFailure``
  with the server's message and code, where mongomock returned results or a Python error.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pipereg.compile import contexts

Stages = list[dict[str, Any]]
_SEEN = "__pipereg_group_input"  # hidden count of a $group's input documents
_BINDERS = {"$map": ("as", "this"), "$filter": ("as", "this")}


class ServerRefusal(Exception):
    """A stage MongoDB refuses: the message and code the server gives."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def for_mongomock(stages: Stages, options: Mapping[str, Any]) -> tuple[Stages, dict[str, Any]]:
    """The stages and options to give mongomock for MongoDB's results (see the module).

    Raises:
        ServerRefusal: a stage MongoDB refuses to run.
        NotImplementedError: a ``let`` variable that cannot be substituted faithfully.
    """
    rest = {key: value for key, value in options.items() if key != "let"}
    variables = options.get("let") or {}
    bound = {name: _Variable(name, value) for name, value in variables.items()}
    substituted = [_walk(stage, contexts.STAGE, bound) for stage in stages] if bound else stages
    return _stages(substituted, nested=False), rest


class _Variable:
    """A ``let`` variable: its value evaluated ahead of the pipeline where that is faithful."""

    def __init__(self, name: str, expression: Any) -> None:
        self.name = name
        self.expression = expression
        self.constant, self.value = _constant(expression)

    def reference(self, path: list[str]) -> Any:
        """What stands for ``$$name`` (``path``: the sub-path after it, ``$$name.a.b``).

        Raises:
            NotImplementedError: the value cannot be given faithfully.
        """
        if not self.constant:
            if _mentions_fields(self.expression):
                raise NotImplementedError(
                    f"let variable {self.name!r} defined by an expression that reads fields or "
                    "variables, which the embedded engine cannot evaluate ahead of the pipeline"
                )
            if path:
                raise NotImplementedError(
                    f"$${self.name}.{'.'.join(path)}: a sub-path of a let variable defined by "
                    "an expression, which the embedded engine cannot evaluate"
                )
            return self.expression  # operators over constants: the same value on every document
        value = self.value
        for step in path:
            if not isinstance(value, dict) or step not in value:
                raise NotImplementedError(
                    f"$${self.name}.{'.'.join(path)}: a let sub-path through an array or to a "
                    "missing field, which the embedded engine cannot evaluate"
                )
            value = value[step]
        return _as_expression(value)


def _as_expression(value: Any) -> Any:
    # Numbers, booleans, null and dates read as themselves; strings only without a "$".
    if isinstance(value, (dict, list)) or (isinstance(value, str) and value.startswith("$")):
        return {"$literal": value}
    return value


def _constant(expression: Any) -> tuple[bool, Any]:
    """Whether an expression is a constant, and its value if so."""
    if isinstance(expression, str):
        return (False, None) if expression.startswith("$") else (True, expression)
    if isinstance(expression, list):
        items = [_constant(item) for item in expression]
        return all(ok for ok, _ in items), [value for _, value in items]
    if isinstance(expression, dict):
        if len(expression) == 1 and "$literal" in expression:
            return True, expression["$literal"]
        if any(isinstance(key, str) and key.startswith("$") for key in expression):
            return False, None
        members = {key: _constant(value) for key, value in expression.items()}
        return all(ok for ok, _ in members.values()), {k: v for k, (_, v) in members.items()}
    return True, expression  # numbers, booleans, null, dates, ObjectIds...


def _mentions_fields(expression: Any) -> bool:
    """Whether an expression reads a field path or a variable (outside ``$literal``)."""
    if isinstance(expression, str):
        return expression.startswith("$")
    if isinstance(expression, list):
        return any(_mentions_fields(item) for item in expression)
    if isinstance(expression, dict):
        return any(
            key != "$literal" and _mentions_fields(value) for key, value in expression.items()
        )
    return False


def _walk(node: Any, context: contexts.Context, bound: Mapping[str, _Variable]) -> Any:
    context = contexts.value_context(context, node)  # as the template compiler reads it
    if isinstance(node, str):
        if context in contexts.READ_AS_EXPRESSIONS and node.startswith("$$"):
            name, *path = node[2:].split(".")
            if name in bound:
                return bound[name].reference(path)
        return node
    if isinstance(node, list):
        return [
            _walk(item, contexts.item_context(context, index), bound)
            for index, item in enumerate(node)
        ]
    if not isinstance(node, dict):
        return node
    if context in contexts.READ_AS_EXPRESSIONS and len(node) == 1:
        ((operator, body),) = node.items()
        scoped = _scoped(operator, body, bound)
        if scoped is not None:
            return {operator: scoped}
    if context == contexts.STAGE and "$facet" in node and isinstance(node["$facet"], dict):
        branches = node["$facet"].items()
        return {"$facet": {name: _walk(sub, contexts.STAGE, bound) for name, sub in branches}}
    return {
        key: _walk(value, contexts.member_context(context, key), bound)
        for key, value in node.items()
    }


def _scoped(operator: str, body: Any, bound: Mapping[str, _Variable]) -> dict[str, Any] | None:
    """The body of an operator that binds variables, each part walked in its own scope."""
    if not isinstance(body, dict):
        return None
    expr = contexts.EXPR
    if operator == "$let":
        found = body.get("vars")
        names: dict[str, Any] = found if isinstance(found, dict) else {}
        inner = {name: var for name, var in bound.items() if name not in names}
        return {
            key: (
                {n: _walk(v, expr, bound) for n, v in value.items()}
                if key == "vars" and isinstance(value, dict)
                else _walk(value, expr, inner if key == "in" else bound)
            )
            for key, value in body.items()
        }
    if operator in _BINDERS:
        field, default = _BINDERS[operator]
        shadowed = {body.get(field, default)}
    elif operator == "$reduce":
        shadowed = {"this", "value"}
    else:
        return None
    inner = {name: var for name, var in bound.items() if name not in shadowed}
    return {
        key: (
            value if key == "as" else _walk(value, expr, inner if key in ("in", "cond") else bound)
        )
        for key, value in body.items()
    }


def _stages(stages: Stages, *, nested: bool) -> Stages:
    """Refuse what the server refuses; rewrite $group and $count for empty input."""
    rewritten: Stages = []
    last = len(stages) - 1
    for index, stage in enumerate(stages):
        if not isinstance(stage, dict) or len(stage) != 1:
            rewritten.append(stage)
            continue
        ((name, body),) = stage.items()
        if name in ("$out", "$merge"):
            if nested:
                message = f"{name} is not allowed to be used within a $facet stage"
                raise ServerRefusal(message, 40600)
            if index != last:
                raise ServerRefusal(f"{name} can only be the final stage in the pipeline", 40601)
        if name == "$limit":
            _check_limit(body)
        elif name == "$skip":
            _check_skip(body)
        elif name == "$sort":
            _check_sort(body)
        if name == "$group" and isinstance(body, dict):
            rewritten += _group(body)
        elif name == "$count":
            rewritten += _count(body)
        elif name == "$facet" and isinstance(body, dict):
            branches = {
                key: _stages(sub, nested=True) if isinstance(sub, list) else sub
                for key, sub in body.items()
            }
            rewritten.append({"$facet": branches})
        else:
            rewritten.append(stage)
    return rewritten


def _group(body: dict[str, Any]) -> Stages:
    # MongoDB makes no group from no input; mongomock makes one for a constant _id.
    return [
        {"$group": {**body, _SEEN: {"$sum": 1}}},
        {"$match": {_SEEN: {"$gt": 0}}},
        {"$project": {_SEEN: 0}},
    ]


def _count(field: Any) -> Stages:
    if not isinstance(field, str) or not field:
        raise ServerRefusal("the count field must be a non-empty string", 40156)
    if field.startswith("$"):
        raise ServerRefusal("the count field cannot be a $-prefixed path", 40158)
    if "." in field:
        raise ServerRefusal("the count field cannot contain '.'", 40160)
    # As the server documents $count: a $group on null, then _id projected away.
    return [*_group({"_id": None, field: {"$sum": 1}}), {"$project": {"_id": 0}}]


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _check_limit(value: Any) -> None:
    number = _integer(value)
    if number is None:
        message = f"invalid argument to $limit stage: Expected an integer: $limit: {value!r}"
        raise ServerRefusal(message, 5107201)
    if number <= 0:
        raise ServerRefusal("the limit must be positive", 15958)


def _check_skip(value: Any) -> None:
    number = _integer(value)
    if number is None or number < 0:
        raise ServerRefusal(
            f"invalid argument to $skip stage: Expected a non-negative number in: $skip: {value!r}",
            5107200,
        )


def _check_sort(body: Any) -> None:
    if not isinstance(body, dict):
        raise ServerRefusal("the $sort key specification must be an object", 15973)
    if not body:
        raise ServerRefusal("$sort stage must have at least one sort key", 15976)
    for key, order in body.items():
        if isinstance(order, dict):
            if order not in ({"$meta": "textScore"}, {"$meta": "searchScore"}):
                raise ServerRefusal(f"Illegal $sort specification: {key}: {order!r}", 17312)
            continue
        number = _integer(order)
        if isinstance(order, (bool, str, datetime.datetime)) or number not in (1, -1):
            raise ServerRefusal(
                "$sort key ordering must be 1 (for ascending) or -1 (for descending)", 15975
            )
