"""What a fixture's Python code sends, found by interpreting its AST: the test's oracle.

The fixtures are never imported or run (``exec`` and ``eval`` are not used): this walks the same
small language the fixtures are written in (assignments, ``if``, ``append``, ``+=``, f-strings,
calls of a few known constructors) with concrete values, and stops at ``aggregate(...)`` with
the pipeline as the code built it. It shares no code with :mod:`pipereg.convert`.
"""

from __future__ import annotations

import ast
import copy
import datetime
import decimal
import re
from pathlib import Path
from typing import Any

import bson

_MODULES = {"re": re, "datetime": datetime, "decimal": decimal, "bson": bson}
_BUILTINS: dict[str, Any] = {"list": list, "int": int, "str": str, "float": float, "bool": bool}
_CALLABLE = (
    bson.ObjectId,
    bson.Decimal128,
    bson.Int64,
    datetime.datetime,
    decimal.Decimal,
    re.escape,
    list,
    int,
    str,
    float,
    bool,
)


class Captured(Exception):
    """Raised by a fake collection's aggregate(): the pipeline and options the code sent."""

    def __init__(self, collection: str, pipeline: list[Any], options: dict[str, Any]) -> None:
        super().__init__(collection)
        self.collection, self.pipeline, self.options = collection, pipeline, options


class _Returned(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


class _Collection:
    def __init__(self, name: str) -> None:
        self.name = name

    def aggregate(self, pipeline: list[Any], **options: Any) -> None:
        raise Captured(self.name, copy.deepcopy(pipeline), options)


class _Database:
    db: _Database

    def __getattr__(self, name: str) -> Any:
        return self if name == "db" else _Collection(name)

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(name)

    def get_collection(self, name: str) -> _Collection:
        return _Collection(name)


def original(path: Path, name: str, args: dict[str, Any]) -> tuple[str | None, list[Any]]:
    """The collection and pipeline that function (or module constant) ``name`` sends."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return _call(node, module, args)
    return None, module[name.upper()]


def _module_names(tree: ast.Module) -> dict[str, Any]:
    names: dict[str, Any] = dict(_BUILTINS)
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                names[alias.asname or alias.name] = _MODULES[alias.name]
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                names[alias.asname or alias.name] = getattr(_MODULES[stmt.module or ""], alias.name)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            names[stmt.targets[0].id] = _Interpreter(names).value(stmt.value)
    return names


def _call(
    function: ast.FunctionDef, module: dict[str, Any], args: dict[str, Any]
) -> tuple[str | None, list[Any]]:
    local = dict(module)
    positional = function.args.args
    defaults = [None] * (len(positional) - len(function.args.defaults)) + function.args.defaults
    for arg, default in zip(positional, defaults, strict=True):
        if arg.arg in ("self", "db"):
            local[arg.arg] = _Database()
        elif arg.arg in args:
            local[arg.arg] = args[arg.arg]
        else:
            local[arg.arg] = None if default is None else _Interpreter(module).value(default)
    interpreter = _Interpreter(local)
    try:
        interpreter.run(function.body)
    except Captured as sent:
        return sent.collection, sent.pipeline
    except _Returned as returned:
        return None, returned.value
    raise AssertionError(f"{function.name} sends no pipeline")


class _Interpreter:
    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names

    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                target = stmt.targets[0]
                item = self.value(stmt.value)
                if isinstance(target, ast.Name):
                    self.names[target.id] = item
                else:
                    assert isinstance(target, ast.Subscript)
                    self.value(target.value)[self.value(target.slice)] = item
            elif isinstance(stmt, ast.AugAssign):
                assert isinstance(stmt.target, ast.Name)
                self.names[stmt.target.id] += self.value(stmt.value)
            elif isinstance(stmt, ast.If):
                self.run(stmt.body if self.value(stmt.test) else stmt.orelse)
            elif isinstance(stmt, ast.Expr):
                self.value(stmt.value)
            elif isinstance(stmt, ast.Return):
                raise _Returned(None if stmt.value is None else self.value(stmt.value))
            else:
                raise AssertionError(f"the oracle does not run {type(stmt).__name__}")

    def value(self, expr: ast.expr) -> Any:
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.Dict):
            return {self.value(k): self.value(v) for k, v in zip(expr.keys, expr.values)}  # type: ignore[arg-type]  # noqa: B905
        if isinstance(expr, ast.List):
            return [self.value(e) for e in expr.elts]
        if isinstance(expr, ast.Name):
            return self.names[expr.id]
        if isinstance(expr, ast.Attribute):
            return getattr(self.value(expr.value), expr.attr)
        if isinstance(expr, ast.Subscript):
            return self.value(expr.value)[self.value(expr.slice)]
        if isinstance(expr, ast.JoinedStr):
            return "".join(
                str(self.value(p.value)) if isinstance(p, ast.FormattedValue) else p.value
                for p in expr.values
                if isinstance(p, ast.FormattedValue | ast.Constant)
            )
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.value(expr.left) + self.value(expr.right)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            return -self.value(expr.operand)
        if isinstance(expr, ast.Compare) and isinstance(expr.ops[0], ast.IsNot):
            return self.value(expr.left) is not self.value(expr.comparators[0])
        if isinstance(expr, ast.Call):
            function = self.value(expr.func)
            allowed = function in _CALLABLE or getattr(function, "__self__", None) is not None
            assert allowed, f"the oracle does not call {ast.unparse(expr.func)}"
            args = [self.value(a) for a in expr.args]
            return function(*args, **{k.arg: self.value(k.value) for k in expr.keywords})
        raise AssertionError(f"the oracle does not evaluate {ast.unparse(expr)}")
