"""Pipelines checked against MongoDB's aggregation language, as the catalog describes it.

One walk over a pipeline's stages follows what each value is read as (an expression, a
filter, an accumulator, a window operator, a sub-pipeline, a sort...; the catalog's
:class:`~pipereg.language.Position`) and reports, each at its JSON path:

- a name the server does not know where it stands (PR030 for stages, PR036 for operators at
  any depth), with a did-you-mean from the names of that kind;
- wrong arguments: arity, a missing required or an unknown named argument (PR037);
- a stage where it may not stand (PR031 for ``$out``/``$merge``, PR038 for the rest);
- literal values the server refuses (PR039, in :mod:`pipereg.check.stage_values`);
- a placeholder whose declared type cannot fit its position (PR042).

The walk reads both trees a pipeline comes in: the parsed JSON (``"<<name>>"`` strings, Extended
JSON wrappers as objects), which the prefilter sees, and the template tree (``Slot``,
``FieldKey``, BSON values), which :func:`pipereg.check.rules.check_pipeline` sees; both give
the same findings. :func:`operators` yields every operator it meets, for ``--target-version``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pipereg import codes, language
from pipereg.check import stage_values
from pipereg.check.stage_values import placeholder, step
from pipereg.errors import Finding, Severity
from pipereg.jsontext.extjson import is_wrapper
from pipereg.jsontext.parse import JsonPath
from pipereg.language import Argument, Form, Kind, Operator, Position, Scope
from pipereg.messages import did_you_mean
from pipereg.params.declaration import Param

Where = Literal["top", "facet", "lookup"]
_WRITE_STAGES = frozenset({"$out", "$merge"})
_NUMBERS = frozenset({"int", "long", "double", "decimal"})
# What a placeholder's declared type must be to fit a literal position.
_FITS: dict[Position, frozenset[str]] = {
    Position.NUMBER: _NUMBERS,
    Position.BOOL: frozenset({"bool"}),
    Position.STRING: frozenset({"string", "field"}),
    # $merge's on and $unset take a list of names too; $count's one is special-cased below.
    Position.FIELD_NAME: frozenset({"string", "field", "array"}),
    Position.FIELD_PATH: frozenset({"string", "field"}),
    Position.NAMESPACE: frozenset({"string", "object"}),
}
# The positions where a scalar value (not an object or a list) can be wrong.
_SCALAR_CHECKED = frozenset(
    {Position.NUMBER, Position.SORT, Position.ACCUMULATOR, Position.WINDOW, Position.PROJECTION}
)
_INTEGER_TYPES = frozenset({"int", "long"})
_NAME_TYPES = frozenset({"string", "field"})
_WANTED = {
    frozenset({"array"}): "an array",
    _NUMBERS: "a number (int, long, double or decimal)",
    _INTEGER_TYPES: "an integer (int or long)",
    _NAME_TYPES: "a string (a string or field parameter)",
}
# Query operators whose whole value, when a placeholder, must be of these types.
_QUERY_FITS: dict[str, frozenset[str]] = {
    "$in": frozenset({"array"}),
    "$nin": frozenset({"array"}),
    "$all": frozenset({"array"}),
    "$and": frozenset({"array"}),
    "$or": frozenset({"array"}),
    "$nor": frozenset({"array"}),
    "$size": _INTEGER_TYPES,
    "$elemMatch": frozenset({"object"}),
}
# Stage arguments whose placeholder must be an integer, not any number.
_INTEGERS = {("$limit", "limit"), ("$skip", "skip"), ("$sample", "size")}


def _operator_key(key: Any) -> bool:
    # A key naming an operator: "$name". A "<<field>>" key, a FieldKey or "$<<f>>" is not.
    return type(key) is str and key.startswith("$") and "<<" not in key


class Walk:
    """One walk over a pipeline, collecting findings (and the operators met, if asked).

    Args:
        params: The declared parameters, to check placeholders against their positions;
            an undeclared one is PR020's, and is skipped here.
        database: The pipeline runs as ``db.aggregate`` (no collection).
        collect: Record every operator met in :attr:`met`, with its path.
    """

    def __init__(
        self, params: Mapping[str, Param], *, database: bool = False, collect: bool = False
    ) -> None:
        self.params = params
        self.database = database
        self.collect = collect
        self.findings: list[Finding] = []
        self.met: list[tuple[JsonPath, Operator]] = []

    def _add(self, at: JsonPath, code: str, message: str, severity: Severity = "error") -> None:
        self.findings.append(Finding(at, code, message, severity))

    def _meet(self, at: JsonPath, op: Operator) -> None:
        if self.collect:
            self.met.append((at, op))

    # Pipelines and stages.

    def pipeline(self, stages: Any, path: JsonPath, where: Where = "top") -> None:
        """Check a list of stages standing at ``path``: top level or in a facet or lookup."""
        if not isinstance(stages, list):
            return
        last = len(stages) - 1
        for i, stage in enumerate(stages):
            if not isinstance(stage, dict) or len(stage) != 1:
                continue  # the schema reports it
            ((name, body),) = stage.items()
            if not isinstance(name, str) or not name.startswith("$") or "<<" in name:
                continue
            at = (*path, i, name)
            op = language.stage(name)
            if op is None:
                hint = did_you_mean(name, language.STAGES)
                self._add(at, codes.UNKNOWN_STAGE, f"unknown stage {name!r}{hint}")
                continue
            self._meet(at, op)
            self._placement(op, at, i, last, where)
            self._arguments(op, body, at)
            stage_values.check(op.name, body, at, self)

    def _placement(self, op: Operator, at: JsonPath, i: int, last: int, where: Where) -> None:
        place = op.placement
        if place is None:
            return
        name = op.name
        if name in _WRITE_STAGES:
            if i != last or where != "top":
                at_top = "as the last stage" if where == "top" else "at the top level, last"
                self._add(at, codes.WRITE_STAGE_NOT_LAST, f"{name} is only allowed {at_top}")
            return
        inside = {"facet": "a $facet", "lookup": "a $lookup or $unionWith pipeline"}
        if where != "top" and place.top_level:
            self._add(at, codes.STAGE_PLACEMENT, f"{name} is only allowed in the top-level "
                      f"pipeline, not inside {inside[where]}")  # fmt: skip
        elif where == "facet" and not place.in_facet:
            self._add(at, codes.STAGE_PLACEMENT, f"{name} is not allowed inside $facet")
        elif where == "lookup" and not place.in_lookup:
            self._add(at, codes.STAGE_PLACEMENT, f"{name} is not allowed inside {inside[where]}")
        elif place.first and i != 0:
            self._add(at, codes.STAGE_PLACEMENT, f"{name} is only allowed as the first stage")
        elif place.last and i != last:
            self._add(at, codes.STAGE_PLACEMENT, f"{name} is only allowed as the last stage")
        if where == "top" and place.scope is Scope.DATABASE and not self.database:
            self._add(
                at,
                codes.DATABASE_STAGE_ON_COLLECTION,
                f"{name} runs on a whole database (db.aggregate, the command's aggregate: 1), "
                'not on a collection; declare the pipeline "collection": null',
                "warning",
            )
        elif where == "top" and place.scope is Scope.COLLECTION and self.database and i == 0:
            self._add(
                at,
                codes.STAGE_PLACEMENT,
                f"a database-level pipeline (collection null) must start with a stage that "
                f"reads no collection, such as $documents, not {name}",
            )

    # Operators and their arguments.

    def _arguments(self, op: Operator, body: Any, at: JsonPath) -> None:
        if placeholder(body) is not None:
            whole = op.shorthand or (op.arguments[0] if len(op.arguments) == 1 else None)
            self._slot(body, at, op, whole)
            return
        if (
            op.shorthand is not None
            and isinstance(body, dict)
            and body
            and _operator_key(next(iter(body)))
        ):
            # {"$year": {"$toDate": "$x"}}: an expression standing for the short form's value.
            self.value(op.shorthand, body, at, op)
            return
        error = op.arity_error(body)
        if error is not None:
            self._add(at, codes.OPERATOR_ARGUMENTS, error)
            return
        if op.name == "$literal":
            return
        if isinstance(body, dict) and Form.OBJECT in op.forms:
            for key, value in body.items():
                argument = op.argument(key) if isinstance(key, str) else None
                if argument is not None:
                    self.value(argument, value, (*at, step(key)), op)
        elif isinstance(body, list) and Form.LIST in op.forms and op.arguments:
            for i, item in enumerate(body):
                argument = op.arguments[min(i, len(op.arguments) - 1)]
                self.value(argument, item, (*at, i), op)
        elif op.shorthand is not None and not isinstance(body, dict):
            self.value(op.shorthand, body, at, op)
        elif op.arguments:
            argument = op.arguments[0]
            if isinstance(body, list) and Form.VALUE in op.forms and Kind.EXPRESSION in op.kinds:
                for i, item in enumerate(body):
                    self.value(argument, item, (*at, i), op)
            else:
                self.value(argument, body, at, op)

    def value(self, argument: Argument, value: Any, at: JsonPath, op: Operator) -> None:
        """Check ``value`` as what ``argument`` of ``op`` reads it as."""
        kind = type(value)
        if kind is not dict and kind is not list:
            # Most values are scalars ("$field", 1): only a few positions say anything of them.
            if placeholder(value) is not None:
                self._slot(value, at, op, argument)
                return
            if argument.position not in _SCALAR_CHECKED:
                return
        position = argument.position
        if position is Position.EXPRESSION:
            self.expression(value, at)
        elif position is Position.FILTER:
            self.filter(value, at)
        elif position is Position.PIPELINE:
            self.pipeline(value, at, "facet" if op.name == "$facet" else "lookup")
        elif position is Position.ACCUMULATOR:
            self._operator_object(value, at, Kind.ACCUMULATOR, field_name=at[-1])
        elif position is Position.WINDOW:
            self._operator_object(value, at, Kind.WINDOW, field_name=at[-1])
        elif position is Position.VARIABLES and isinstance(value, dict):
            for name, item in value.items():
                self.expression(item, (*at, step(name)))
        elif position is Position.PROJECTION:
            stage_values.projection(value, at, self)
        elif position is Position.SORT:
            stage_values.sort(value, at, self, scalar=op.name == "$sortArray")
        elif op.name == "$switch" and argument.name == "branches" and isinstance(value, list):
            # A list of {case, then}: the catalog's fields describe objects, not lists of them.
            for i, branch in enumerate(value):
                if isinstance(branch, dict):
                    for key, item in branch.items():
                        self.expression(item, (*at, i, step(key)))
        elif argument.fields and isinstance(value, dict):
            inner = {field.name: field for field in argument.fields}
            for key, item in value.items():
                field = inner.get(key) or inner.get("*") if isinstance(key, str) else None
                if field is not None:
                    self.value(field, item, (*at, step(key)), op)
        elif position is Position.NUMBER and not _number(value) and _literal(value):
            what = f"{op.name}'s {argument.name}" if Kind.STAGE in op.kinds else op.name
            self._add(at, codes.INVALID_STAGE_VALUE, f"{what} takes a number, not {value!r}")

    def _slot(self, value: Any, at: JsonPath, op: Operator, argument: Argument | None) -> None:
        name = placeholder(value)
        param = self.params.get(name or "")
        if param is None or argument is None:
            return
        fits = _FITS.get(argument.position)
        if (op.name, argument.name) in _INTEGERS:
            fits = _INTEGER_TYPES
        elif op.name == "$count" and Kind.STAGE in op.kinds:
            fits = _NAME_TYPES
        if fits is not None and param.type not in fits:
            self._add(
                at,
                codes.PLACEHOLDER_MISFIT,
                f"<<{name}>> is {_article(param.type_name)} parameter, but {op.name}'s "
                f"{argument.name} takes {_WANTED.get(fits) or _article(' or '.join(sorted(fits)))}",
            )

    def expression(self, value: Any, at: JsonPath) -> None:
        """Check an aggregation expression: operators by name and arguments, at any depth."""
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.expression(item, (*at, i))
            return
        if not isinstance(value, dict) or not value or is_wrapper(value):
            return
        operators = [key for key in value if _operator_key(key)]
        if not operators:
            for key, item in value.items():  # an object literal: each field an expression
                self.expression(item, (*at, step(key)))
            return
        if len(value) > 1:
            self._add(
                at,
                codes.OPERATOR_ARGUMENTS,
                f"an expression object holds exactly one operator, not {_keys(value)}",
            )
        for name in operators:
            op = language.operator(name, Kind.EXPRESSION)
            if op is None:
                self._unknown(name, (*at, step(name)), Kind.EXPRESSION)
            elif len(value) == 1:
                self._meet((*at, step(name)), op)
                self._arguments(op, value[name], (*at, step(name)))

    def filter(self, value: Any, at: JsonPath) -> None:
        """Check a query filter: its top-level operators and each field's condition."""
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            if _operator_key(key):
                self._query_operator(key, item, (*at, step(key)))
            else:
                self._condition(item, (*at, step(key)))

    def _condition(self, value: Any, at: JsonPath) -> None:
        # A field's condition: a value to equal, or {"$op": ...} when its first key is one.
        if not isinstance(value, dict) or not value or is_wrapper(value):
            return
        if not _operator_key(next(iter(value))):
            return  # equality with an embedded document
        for key, item in value.items():
            if _operator_key(key):
                self._query_operator(key, item, (*at, step(key)))

    def _query_operator(self, name: str, value: Any, at: JsonPath) -> None:
        op = language.operator(name, Kind.QUERY)
        if op is None:
            self._unknown(name, at, Kind.QUERY)
            return
        self._meet(at, op)
        name_of = placeholder(value)
        if name_of is not None:
            param, fits = self.params.get(name_of), _QUERY_FITS.get(name)
            if param is not None and fits is not None and param.type not in fits:
                self._add(
                    at,
                    codes.PLACEHOLDER_MISFIT,
                    f"<<{name_of}>> is {_article(param.type_name)} parameter, but {name} takes "
                    f"{_WANTED.get(fits) or _article(' or '.join(sorted(fits)))}",
                )
            return
        if name in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not value:
                self._add(at, codes.OPERATOR_ARGUMENTS, f"{name} takes a non-empty list")
            else:
                for i, item in enumerate(value):
                    self.filter(item, (*at, i))
        elif name == "$expr":
            self.expression(value, at)
        elif name == "$elemMatch" and isinstance(value, dict) and value:
            first = next(iter(value))
            if _operator_key(first) and language.operator(first, Kind.QUERY) not in (
                None,
                language.operator("$and", Kind.QUERY),
                language.operator("$or", Kind.QUERY),
                language.operator("$nor", Kind.QUERY),
                language.operator("$expr", Kind.QUERY),
            ):
                self._condition(value, at)
            else:
                self.filter(value, at)
        elif name == "$not":
            self._condition(value, at)

    def _operator_object(self, value: Any, at: JsonPath, kind: Kind, field_name: Any) -> None:
        # An accumulator ({"$sum": ...}) or a window operator ({"$rank": {}, "window": ...}).
        noun = "accumulator" if kind is Kind.ACCUMULATOR else "window operator"
        if not isinstance(value, dict):
            if placeholder(value) is None:
                self._add(
                    at,
                    codes.OPERATOR_ARGUMENTS,
                    f"the field {field_name!r} must be an {noun} object, such as "
                    f'{{"$sum": 1}}, not {value!r}',
                )
            return
        names = [key for key in value if not (kind is Kind.WINDOW and key == "window")]
        if len(names) != 1 or not _operator_key(names[0]):
            self._add(
                at,
                codes.OPERATOR_ARGUMENTS,
                f"the field {field_name!r} must hold exactly one {noun}, not {_keys(value)}",
            )
            return
        name = names[0]
        op = language.operator(name, kind)
        if op is None:
            self._unknown(name, (*at, step(name)), kind)
            return
        self._meet((*at, step(name)), op)
        self._arguments(op, value[name], (*at, step(name)))

    def _unknown(self, name: str, at: JsonPath, kind: Kind) -> None:
        words = {
            Kind.EXPRESSION: "expression operator",
            Kind.QUERY: "query operator",
            Kind.ACCUMULATOR: "accumulator",
            Kind.WINDOW: "window operator",
        }
        elsewhere = sorted(k.value for k in language.kinds(name))
        hint = did_you_mean(name, language.names(kind))
        if elsewhere and not hint:
            hint = f" ({name} is a {' and '.join(elsewhere)} operator, not usable here)"
        self._add(at, codes.UNKNOWN_OPERATOR, f"unknown {words[kind]} {name!r}{hint}")

    def add(self, at: JsonPath, code: str, message: str) -> None:
        """Record a finding (for :mod:`pipereg.check.stage_values`)."""
        self._add(at, code, message)


def check(
    stages: Any, params: Mapping[str, Param], path: JsonPath, *, database: bool = False
) -> list[Finding]:
    """Return every finding of the catalog's checks on one pipeline's stages at ``path``."""
    walk = Walk(params, database=database)
    walk.pipeline(stages, path)
    return walk.findings


def operators(stages: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Operator]]:
    """Yield every stage and operator a pipeline uses, with its path, as the walk meets them."""
    walk = Walk({}, collect=True)
    walk.pipeline(stages, path)
    yield from walk.met


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or type(
        value
    ).__name__ in ("Int64", "Decimal128")


def _literal(value: Any) -> bool:
    return isinstance(value, (str, bool, list)) or value is None


def _keys(value: Mapping[Any, Any]) -> str:
    return ", ".join(repr(key) if isinstance(key, str) else "<<placeholder>>" for key in value)


def _article(words: str) -> str:
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"
