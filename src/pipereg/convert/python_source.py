"""Pipelines in Python source, found with :mod:`ast` and converted; the code is never run.

A pipeline is a list passed to ``aggregate(...)`` on a collection (``db.orders``,
``db["orders"]``, ``db.get_collection("orders")``), a list returned by a function, or a module
constant that is a list of stages. It is named after its function (or, at module level, its
variable) and takes its collection from the ``aggregate`` call, also when that call is in
another function of the module (``db.orders.aggregate(build(...))``).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from typing import Any

from pipereg.convert.model import Converted, Note, Refusal, SourceError, SourceResult
from pipereg.convert.python_params import declare
from pipereg.convert.python_scope import Origin, Scope
from pipereg.convert.python_values import callee, value
from pipereg.convert.template import Arr, Node, Refused, emit

_COLLECTION_CALLS = frozenset({"get_collection", "getCollection"})
_OPTIONS = frozenset(
    {"allowDiskUse", "maxTimeMS", "batchSize", "collation", "hint", "let", "comment"}
)


@dataclass
class _Found:
    function: str | None
    variable: str | None
    node: Node | Refused
    line: int
    scope: Scope
    collection: str | None = None
    options: dict[str, ast.expr] = field(default_factory=dict)


def read_python(text: str, path: str) -> SourceResult:
    """Every pipeline in a Python module's source.

    Raises:
        SourceError: the text is not valid Python.
    """
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise SourceError(path, exc.lineno or 1, exc.offset or 1, exc.msg) from exc
    return _Reader(path).read(tree)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[_Found] = []
        self.refusals: list[Refusal] = []
        self.notes: list[Note] = []
        self.functions: dict[str, str] = {}  # called function -> collection it is run on
        self.variables: dict[str, str] = {}  # module constant -> collection it is run on
        self.module: Scope | None = None

    def read(self, tree: ast.Module) -> SourceResult:
        module = Scope(None, None, self._aggregate, self._return)
        self.module = module
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                if isinstance(target, ast.Name) and _constant(stmt.value):
                    module.origins[target.id] = Origin(None, stmt.value, stmt.lineno)
                    continue
            module.run([stmt])
            if isinstance(stmt, ast.Assign) and _stage_list(stmt.value):
                name = stmt.targets[0]
                if isinstance(name, ast.Name) and name.id in module.containers:
                    node = module.containers[name.id]
                    self.found.append(_Found(None, name.id, node, stmt.lineno, module))
        for function in _functions(tree):
            scope = Scope(function.name, module, self._aggregate, self._return)
            scope.arguments(function)
            scope.run(function.body)
        return self._result()

    def _aggregate(self, call: ast.Call, scope: Scope) -> None:
        line = call.lineno
        collection = _collection(call.func, scope)
        options = {k.arg: k.value for k in call.keywords if k.arg in _OPTIONS}
        for keyword in call.keywords:
            if keyword.arg not in _OPTIONS and keyword.arg != "session":
                self.notes.append(Note(self.path, line, f"aggregate option {keyword.arg} left out"))
        if not call.args:
            return
        argument = call.args[0]
        if isinstance(argument, ast.Call) and isinstance(argument.func, ast.Name):
            if collection is not None:
                self.functions[argument.func.id] = collection
            return
        if (
            isinstance(argument, ast.Name)
            and scope.parent is not None
            and argument.id not in scope.containers
            and self.module is not None
            and argument.id in self.module.containers
        ):
            if collection is not None:
                self.variables[argument.id] = collection
            return
        variable = argument.id if isinstance(argument, ast.Name) else None
        self._add(scope, variable, argument, line, collection, options)

    def _return(self, stmt: ast.Return, scope: Scope) -> None:
        expr = stmt.value
        if scope.function is None or expr is None:
            return
        if isinstance(expr, ast.List) or (
            isinstance(expr, ast.Name) and isinstance(scope.containers.get(expr.id), Arr)
        ):
            variable = expr.id if isinstance(expr, ast.Name) else None
            self._add(scope, variable, expr, stmt.lineno, None, {})

    def _add(
        self,
        scope: Scope,
        variable: str | None,
        expr: ast.expr,
        line: int,
        collection: str | None,
        options: dict[str, ast.expr],
    ) -> None:
        try:
            node: Node | Refused = copy.deepcopy(value(expr, scope))  # as it is at this call
        except Refused as exc:
            node = exc
        if variable is not None:  # one list, returned and run: one pipeline
            for found in self.found:
                if found.scope is scope and found.variable == variable:
                    found.collection = found.collection or collection
                    found.options = found.options or options
                    return
        self.found.append(_Found(scope.function, variable, node, line, scope, collection, options))

    def _result(self) -> SourceResult:
        pipelines: list[Converted] = []
        names = _names(self.found)
        for found, name in zip(self.found, names, strict=True):
            collection = found.collection
            if collection is None and found.function is not None:
                collection = self.functions.get(found.function)
            if collection is None and found.variable is not None and found.function is None:
                collection = self.variables.get(found.variable)
            try:
                pipelines.append(self._convert(found, name, collection))
            except Refused as exc:
                self.refusals.append(Refusal(self.path, exc.line, f"{name}: {exc.reason}"))
        return SourceResult(self.path, pipelines, self.refusals, self.notes)

    def _convert(self, found: _Found, name: str, collection: str | None) -> Converted:
        if isinstance(found.node, Refused):
            raise found.node
        if collection is None:
            raise Refused(found.line, "no collection: the list is never run by aggregate() here")
        stages, uses = emit(found.node)
        if not isinstance(stages, list) or not stages:
            raise Refused(found.line, "not a non-empty list of stages")
        params: dict[str, dict[str, Any]] = {}
        options: dict[str, Any] = {}
        for key, expr in found.options.items():
            option, more = emit(value(expr, found.scope))
            options[key] = option
            uses.extend(more)
        notes: list[Note] = []
        for param in dict.fromkeys(use.hole.name for use in uses):
            mine = [use for use in uses if use.hole.name == param]
            declaration, note = declare(param, mine, found.scope.origin(param))
            params[param] = declaration
            if note:
                notes.append(Note(self.path, mine[0].hole.line, f"{name}: {note}"))
        self.notes.extend(notes)
        return Converted(name, collection, stages, params, options, found.line)


def _names(found: list[_Found]) -> list[str]:
    per_function: dict[str | None, int] = {}
    for item in found:
        per_function[item.function] = per_function.get(item.function, 0) + 1
    names: list[str] = []
    counts: dict[str, int] = {}
    for item in found:
        if item.function is None:
            base = (item.variable or "pipeline").lower()
        elif per_function[item.function] == 1:
            base = item.function
        else:
            counts[item.function] = counts.get(item.function, 0) + 1
            base = f"{item.function}_{item.variable or counts[item.function]}"
        name = base
        suffix = 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    return names


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            functions.extend(
                s for s in stmt.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return functions


def _collection(func: ast.expr, scope: Scope, depth: int = 0) -> str | None:
    # The collection an ``aggregate`` is called on: db.orders, db["orders"], get_collection.
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value
    if isinstance(receiver, ast.Attribute):
        return receiver.attr
    if isinstance(receiver, ast.Subscript):
        key = receiver.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(receiver, ast.Call) and callee(receiver.func) in _COLLECTION_CALLS:
        args = receiver.args
        if len(args) == 1 and isinstance(args[0], ast.Constant):
            return args[0].value if isinstance(args[0].value, str) else None
    if isinstance(receiver, ast.Name) and depth < 5:
        bound = scope.values.get(receiver.id)
        if bound is not None:  # orders = db.orders; orders.aggregate(...)
            return _collection(ast.Attribute(bound, "aggregate"), scope, depth + 1)
    return None


def _constant(expr: ast.expr) -> bool:
    # A module constant that becomes a parameter's default: a scalar literal.
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str | int | float) and expr.value is not None
    return (
        isinstance(expr, ast.Call)
        and callee(expr.func) in ("datetime", "ObjectId", "Decimal", "Int64")
        and all(isinstance(a, ast.Constant) for a in expr.args)
    )


def _stage_list(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.List)
        and bool(expr.elts)
        and all(
            isinstance(e, ast.Dict)
            and len(e.keys) == 1
            and isinstance(e.keys[0], ast.Constant)
            and str(e.keys[0].value).startswith("$")
            for e in expr.elts
        )
    )
