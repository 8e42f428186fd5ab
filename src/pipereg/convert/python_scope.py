"""What a name holds where a pipeline reads it, followed statement by statement.

Dicts and lists are followed as they are built: ``match["status"] = status`` adds a member,
``stages.append(...)`` a stage, and under ``if status:`` (or ``if status is not None:``) the
addition is tied to ``status``, so pipereg's absence rule can replace the ``if``. A container
changed by code the tool cannot follow (a loop, an ``else``, ``update`` of a computed dict) is
marked refused, which refuses every pipeline that uses it, and only those.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from pipereg.convert.python_values import callee, value
from pipereg.convert.template import Arr, Hole, Member, Node, Obj, Refused

_MAX_DEPTH = 20


@dataclass
class Origin:
    """Where a parameter comes from: a function argument or a module constant."""

    annotation: ast.expr | None
    default: ast.expr | None
    line: int
    truthy: bool = False  # tested with ``if name:`` rather than ``if name is not None:``


@dataclass
class Scope:
    """The names of a function (or of the module, with ``parent`` None) as statements bind them.

    Attributes:
        function: The function's name, or None for the module.
        parent: The module's scope, for names a function does not bind.
        on_aggregate: Called with each ``aggregate(...)`` call found, and this scope.
        on_return: Called with each ``return`` of a value, and this scope.
    """

    function: str | None
    parent: Scope | None
    on_aggregate: Callable[[ast.Call, Scope], None]
    on_return: Callable[[ast.Return, Scope], None]
    containers: dict[str, Obj | Arr] = field(default_factory=dict)
    values: dict[str, ast.expr] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    ambiguous: dict[str, Refused] = field(default_factory=dict)
    _depth: int = 0

    def lookup(self, name: str, line: int) -> Node:
        """The node ``name`` holds now (see :class:`~pipereg.convert.python_values.Names`)."""
        if name in self.ambiguous:
            raise self.ambiguous[name]
        if name in self.containers:
            return self.containers[name]
        if name in self.values:
            if self._depth > _MAX_DEPTH:
                raise Refused(line, f"{name} is defined in terms of itself")
            self._depth += 1
            try:
                return value(self.values[name], self)
            finally:
                self._depth -= 1
        if name in self.origins:
            return Hole(name, line)
        if self.parent is not None:
            return self.parent.lookup(name, line)
        return Hole(name, line)  # a global the module does not bind: typed later, or noted

    def origin(self, name: str) -> Origin | None:
        """Where parameter ``name`` comes from, if the code shows it."""
        found = self.origins.get(name)
        if found is None and self.parent is not None:
            return self.parent.origin(name)
        return found

    def arguments(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Binds a function's arguments, with their annotations and defaults."""
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        pairs = list(zip(positional, [*defaults, *args.defaults], strict=True))
        pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        for arg, default in pairs:
            self.origins[arg.arg] = Origin(arg.annotation, default, arg.lineno)

    def run(self, body: list[ast.stmt]) -> None:
        """Follows ``body`` statement by statement."""
        for statement in body:
            self._statement(statement)

    def _statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # the reader walks definitions itself
        if isinstance(stmt, ast.If):
            self._if(stmt)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self._unknown(stmt.target, stmt.lineno, "a loop variable")
            self._skip(stmt.body + stmt.orelse, stmt.lineno, "changed in a loop")
            self._find_calls(stmt.iter if not isinstance(stmt, ast.While) else stmt.test)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            self.run(stmt.body)
            return
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                self._skip(handler.body, handler.lineno, "changed in an `except` branch")
            self.run(stmt.body + stmt.orelse + stmt.finalbody)
            return
        self._find_calls(stmt)
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            self.on_return(stmt, self)
        self._change(stmt, None)

    def _find_calls(self, node: ast.AST) -> None:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and callee(inner.func) == "aggregate":
                self.on_aggregate(inner, self)

    def _change(self, stmt: ast.stmt, cond: str | None) -> bool:
        # Applies one statement to the names it binds or the containers it changes; returns
        # whether it was one the tool follows.
        line = stmt.lineno
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self._assign(target, stmt.value, cond, line)
            return True
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if name in self.containers and isinstance(stmt.op, ast.Add):
                self._extend(name, stmt.value, cond, line)
            else:
                self._unknown(stmt.target, line, "changed in place")
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            return self._method(stmt.value, cond, line)
        return False

    def _assign(self, target: ast.expr, expr: ast.expr, cond: str | None, line: int) -> None:
        if isinstance(target, ast.Name):
            if cond is not None:
                self._unknown(target, line, "assigned under `if`")
            elif isinstance(expr, ast.Dict | ast.List):
                try:
                    node = value(expr, self)
                except Refused as exc:
                    node = Obj(refused=exc) if isinstance(expr, ast.Dict) else Arr(refused=exc)
                assert isinstance(node, Obj | Arr)
                self._bind(target.id, node)
            else:
                self.containers.pop(target.id, None)
                self.ambiguous.pop(target.id, None)
                self.values[target.id] = expr
            return
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name, key = target.value.id, target.slice
            container = self.containers.get(name)
            if isinstance(container, Obj) and container.refused is None:
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    container.refused = Refused(line, f"computed key `{ast.unparse(key)}`")
                    return
                try:
                    container.set(Member(key.value, value(expr, self), cond, line))
                except Refused as exc:
                    container.refused = exc
                return
        self._unknown(target, line, "changed in a way the tool cannot follow")

    def _bind(self, name: str, node: Obj | Arr) -> None:
        self.values.pop(name, None)
        self.ambiguous.pop(name, None)
        self.containers[name] = node

    def _method(self, call: ast.Call, cond: str | None, line: int) -> bool:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return False
        name, method = func.value.id, func.attr
        container = self.containers.get(name)
        if container is None or container.refused is not None:
            return False
        try:
            if isinstance(container, Arr) and method == "append" and len(call.args) == 1:
                container.items.append(Member("", value(call.args[0], self), cond, line))
                return True
            if isinstance(container, Arr) and method == "extend" and len(call.args) == 1:
                self._extend(name, call.args[0], cond, line)
                return True
            if isinstance(container, Obj) and method == "update" and len(call.args) == 1:
                update = value(call.args[0], self)
                if not isinstance(update, Obj):
                    raise Refused(line, f"`{name}.update` with a value the tool cannot see")
                for member in update.members:
                    container.set(Member(member.key, member.value, cond, member.line))
                return True
        except Refused as exc:
            container.refused = exc
            return True
        container.refused = Refused(line, f"`{name}.{method}(...)` changes it")
        return True

    def _extend(self, name: str, expr: ast.expr, cond: str | None, line: int) -> None:
        container = self.containers[name]
        try:
            more = value(expr, self)
            if not isinstance(container, Arr) or not isinstance(more, Arr):
                raise Refused(line, f"`{name}` extended with a value the tool cannot see")
            container.items.extend(Member("", m.value, cond, line) for m in more.items)
        except Refused as exc:
            container.refused = exc

    def _if(self, stmt: ast.If) -> None:
        self._find_calls(stmt.test)
        cond = self._condition(stmt.test)
        if cond is None or stmt.orelse:
            reason = (
                "`if`/`else` choose between values: pipereg has no `else`"
                if stmt.orelse
                else f"a condition the absence rule cannot express: `{ast.unparse(stmt.test)}`"
            )
            self._skip(stmt.body + stmt.orelse, stmt.lineno, reason)
            return
        for inner in stmt.body:
            if isinstance(inner, ast.If | ast.For | ast.While | ast.With | ast.Try):
                self._skip([inner], inner.lineno, "nested blocks under `if`")
                continue
            self._find_calls(inner)
            if isinstance(inner, ast.Return) and inner.value is not None:
                self.on_return(inner, self)
            elif not self._change(inner, cond):
                continue

    def _condition(self, test: ast.expr) -> str | None:
        # ``if x:`` or ``if x is not None:`` on a plain value: the name pipereg can test.
        truthy = True
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.IsNot)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None
        ):
            test, truthy = test.left, False
        try:
            node = value(test, self)
        except Refused:
            return None
        if not isinstance(node, Hole):
            return None
        origin = self.origin(node.name)
        if truthy and origin is not None:
            origin.truthy = True
        elif truthy:
            self.origins[node.name] = Origin(None, None, test.lineno, truthy=True)
        return node.name

    def _skip(self, body: list[ast.stmt], line: int, reason: str) -> None:
        # Code the tool does not follow: what it changes is refused, and the aggregate calls
        # in it are still found (their pipelines refuse themselves if they use such a name).
        self._taint(body, line, reason)
        for stmt in body:
            self._find_calls(stmt)

    def _taint(self, body: list[ast.stmt], line: int, reason: str) -> None:
        # Marks every container the statements change (or rebind) as refused, with ``reason``.
        for stmt in body:
            for node in ast.walk(stmt):
                name = None
                if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
                    node.value, ast.Name
                ):
                    if isinstance(node.ctx, ast.Store) or isinstance(node, ast.Attribute):
                        name = node.value.id
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    name = node.id
                    self.ambiguous[name] = Refused(line, f"{name}: {reason}")
                if name is not None and name in self.containers:
                    self.containers[name].refused = Refused(line, f"{name}: {reason}")

    def _unknown(self, target: ast.expr, line: int, what: str) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.ambiguous[node.id] = Refused(line, f"{node.id}: {what}")
                container = self.containers.get(node.id)
                if container is not None:
                    container.refused = Refused(line, f"{node.id}: {what}")
