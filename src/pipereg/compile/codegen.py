"""Compiled: a template tree becomes a Python function that returns the literal pipeline.

For each pipeline, the source of one function is generated, once, on first render: every constant
written as the ``repr`` of a plain Python value (str, int, bool, None, finite float), every other
constant (datetime, ObjectId, Decimal128, ...) bound by a generated name, and every placeholder read
from the values into a local. Subtrees that an absent optional parameter can shrink are built by
statements that drop what disappears; the rest are single literal expressions. The result runs at
the speed of a hand-written function returning the literal.

Safety: nothing from a file reaches the source except through ``repr`` of str/int/bool/None/float;
names come only from the generator. If generation or compilation fails (nesting beyond the parser's
limit, say), :func:`compile_render` falls back to the reference walk in
:mod:`pipereg.compile.reference`, which the test suite also uses as the oracle for this module
(``tests/compile/test_codegen_properties.py``: generated templates and values, rendered both ways).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bson.regex import Regex

from pipereg.compile.reference import ABSENT, literal_strings, render_options, render_stages
from pipereg.compile.template import FieldKey, Slot, StageList, Text, can_vanish
from pipereg.errors import ParameterError
from pipereg.params.declaration import Param
from pipereg.params.values import fresh

StagesFunction = Callable[[dict[str, Any]], list[dict[str, Any]]]
OptionsFunction = Callable[[dict[str, Any]], dict[str, Any]]

_PLAIN = (str, int, bool, type(None))
# A constant subtree holding this many values or more is bound by name and copied per render,
# not written out: a stage of a million literal keys would otherwise cost seconds and gigabytes
# to generate and compile on first render (tests/security/test_positions.py).
_BIND_AT = 256


def compile_stages(stages: list[Any], params: Mapping[str, Param], key: str) -> StagesFunction:
    """A function ``values -> stages`` that renders exactly as :func:`render.render_stages`."""
    try:
        function: StagesFunction = _Generator(params, key).build(stages, top_list=True)
    except (RecursionError, MemoryError, SyntaxError):
        return lambda values: render_stages(stages, values, params, key)
    return function


def compile_options(
    options: Mapping[str, Any], params: Mapping[str, Param], key: str
) -> OptionsFunction:
    """A function ``values -> options`` that renders exactly as :func:`render.render_options`."""
    if not options:  # most pipelines: nothing to generate (a new dict per call, as rendered)
        return _no_options
    try:
        function: OptionsFunction = _Generator(params, key).build(options, top_list=False)
    except (RecursionError, MemoryError, SyntaxError):
        return lambda values: render_options(options, values, params, key)
    return function


def _no_options(values: dict[str, Any]) -> dict[str, Any]:
    return {}


def _duplicate_field(key: str, param: str, name: str) -> None:
    raise ParameterError(key, param, f"field {name!r} would appear twice in one document")


class _Generator:
    def __init__(self, params: Mapping[str, Param], key: str) -> None:
        self.params = params
        self.key = key
        self.namespace: dict[str, Any] = {
            "_A": ABSENT,
            "_fresh": fresh,
            "_dup": _duplicate_field,
            "_key": key,
            "_lit": literal_strings,
        }
        self.lines: list[str] = []
        self.counter = 0
        self.locals: dict[str, str] = {}  # param name -> local variable holding its value
        # (param name, in a regex) -> local variable holding its text form
        self.texts: dict[tuple[str, bool], str] = {}
        self.escapes: dict[str, str] = {}  # param name -> its bound Param.in_regex
        self.sizes: dict[int, int] = {}  # id of a container -> its values if constant, else -1

    def build(self, root: Any, *, top_list: bool) -> Any:
        body: list[str] = []
        self.lines = body
        if top_list:
            result = self._list(root, top=True, indent=1)
        else:
            result = self._dict(root, top=True, indent=1)
        prologue = [f"    {var} = v[{name!r}]" for name, var in self.locals.items()]
        prologue += [
            f"    {var} = _tx_{i}(v[{name!r}])"
            for i, ((name, _), var) in enumerate(self.texts.items())
        ]
        for i, (name, in_regex) in enumerate(self.texts):
            param = self.params[name]
            self.namespace[f"_tx_{i}"] = param.to_regex_text if in_regex else param.to_text
        source = "\n".join(["def render(v):", *prologue, *body, f"    return {result}"])
        code = compile(source, f"<pipereg:{self.key}>", "exec")
        # Safe: the source holds repr() of plain values and generated names only.
        exec(code, self.namespace)
        function = self.namespace["render"]
        function.__doc__ = source  # the generated source, for debugging
        return function

    # --- names and constants ----------------------------------------------------------------

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _constant(self, value: Any) -> str:
        if type(value) in _PLAIN:
            return repr(value)
        if type(value) is float and math.isfinite(value):
            return repr(value)
        name = self._name("_c")
        self.namespace[name] = value
        if type(value) is Regex:  # the one mutable BSON literal type: a copy per render
            self.namespace["_Regex"] = Regex
            return f"_Regex({name}.pattern, {name}.flags)"
        return name

    def _present(self, name: str) -> bool:
        return self.params[name].always_present

    def _value_local(self, name: str) -> str:
        var = self.locals.get(name)
        if var is None:
            var = self.locals[name] = f"p{len(self.locals)}"
        return var

    def _copy(self, name: str, expr: str) -> str:
        # Containers are copied at every use so no two places (or renders) share one.
        param = self.params[name]
        if param.type == "array" and param.items is not None and param.items.scalar:
            return f"list({expr})"
        return f"_fresh({expr})" if param.type in ("array", "object") else expr

    def _vanishes(self, node: Any) -> bool:
        return can_vanish(node, self._present)

    # --- expressions (nodes that never disappear) ----------------------------------------------

    def _size(self, node: Any) -> int:
        """How many values a constant of plain JSON types holds, -1 if it is not one."""
        kind = type(node)
        if kind is not dict and kind is not list:
            return 1 if kind in _PLAIN or (kind is float and math.isfinite(node)) else -1
        known = self.sizes.get(id(node))
        if known is None:
            known = self.sizes[id(node)] = self._container_size(node)
        return known

    def _container_size(self, node: dict[Any, Any] | list[Any]) -> int:
        if type(node) is dict and not all(type(key) is str for key in node):
            return -1  # a field parameter's key
        total = 1
        for item in node.values() if type(node) is dict else node:
            size = self._size(item)
            if size < 0:
                return -1
            total += size
        return total

    def _expr(self, node: Any, indent: int) -> str:
        kind = type(node)
        if (kind is dict or kind is list) and self._size(node) >= _BIND_AT:
            name = self._name("_c")
            self.namespace[name] = node
            return f"_fresh({name})"
        if kind is dict:
            return self._dict(node, top=False, indent=indent)
        if kind is StageList:
            return self._list(node, top=True, indent=indent)
        if kind is list:
            return self._list(node, top=False, indent=indent)
        if kind is Slot:
            return self._slot(node, self._value_local(node.name))
        if kind is Text:
            return self._text(node)
        return self._constant(node)

    def _slot(self, node: Slot, var: str) -> str:
        """The expression for a slot's rendered value, given the variable holding its value."""
        param = self.params[node.name]
        if node.regex and param.type in ("string", "field") and not param.regex:
            escape = self.escapes.get(node.name)
            if escape is None:
                escape = self.escapes[node.name] = self._name("_rx")
                self.namespace[escape] = param.in_regex
            var = f"{escape}({var})"
        if node.value:  # as the reference walk: the whole value in $literal
            return f"{{'$literal': {self._copy(node.name, var)}}}"
        if node.expr and param.may_read_as_path:
            return f"_lit({var})"  # copies containers, as _copy would
        return self._copy(node.name, var)

    def _text(self, node: Text) -> str:
        parts = []
        for part in node.parts:
            if isinstance(part, str):
                parts.append(repr(part))
            else:
                var = self.texts.get((part.name, node.regex))
                if var is None:
                    var = self.texts[part.name, node.regex] = f"t{len(self.texts)}"
                parts.append(var)
        joined = " + ".join(parts)
        return f"_lit({joined})" if node.expr else joined

    # --- containers -------------------------------------------------------------------------

    def _dict(self, node: Mapping[Any, Any], *, top: bool, indent: int) -> str:
        has_field_keys = any(type(k) is FieldKey for k in node)
        if not has_field_keys and not any(self._vanishes(v) for v in node.values()):
            items = ", ".join(
                f"{self._constant(k)}: {self._expr(v, indent)}" for k, v in node.items()
            )
            return "{" + items + "}"
        pad = "    " * indent
        target = self._name("_d")
        self.lines.append(f"{pad}{target} = {{}}")
        # A key can only repeat once a field parameter has rendered one: from then on, check.
        field_param = next((k.name for k in node if type(k) is FieldKey), "")
        checking = False
        for k, v in node.items():
            depth = indent
            if type(k) is FieldKey and not self._present(k.name):
                # The value is only rendered when its key is: its statements go in the block.
                self.lines.append(f"{pad}if {k.name!r} in v:")
                depth += 1
            inner = "    " * depth
            expr, maybe = self._member(v, depth)
            if type(k) is FieldKey:
                checking = True
                key_expr = self._name("_k")
                self.lines.append(f"{inner}{key_expr} = v[{k.name!r}]")
            else:
                key_expr = self._constant(k)
            if maybe:
                self.lines.append(f"{inner}if {expr} is not _A:")
                inner += "    "
            if checking:
                self.lines.append(
                    f"{inner}if {key_expr} in {target}: _dup(_key, {field_param!r}, {key_expr})"
                )
            self.lines.append(f"{inner}{target}[{key_expr}] = {expr}")
        if not top and self._vanishes(node):
            self.lines.append(f"{pad}if not {target}: {target} = _A")
        return target

    def _list(self, node: list[Any], *, top: bool, indent: int) -> str:
        if not any(self._vanishes(item) for item in node):
            return "[" + ", ".join(self._expr(item, indent) for item in node) + "]"
        pad = "    " * indent
        target = self._name("_l")
        self.lines.append(f"{pad}{target} = []")
        for item in node:
            self._assign(pad, f"{target}.append", self._member(item, indent), call=True)
        if not top and self._vanishes(node):
            self.lines.append(f"{pad}if not {target}: {target} = _A")
        return target

    def _member(self, node: Any, indent: int) -> tuple[str, bool]:
        """The expression for a member and whether it may be ABSENT."""
        kind = type(node)
        if kind is Slot and not self._present(node.name):
            pad = "    " * indent
            var = self._name("_s")
            self.lines.append(f"{pad}{var} = v.get({node.name!r}, _A)")
            copied = self._slot(node, var)
            if copied != var:
                self.lines.append(f"{pad}if {var} is not _A: {var} = {copied}")
            return var, True
        if kind in (dict, list) and self._vanishes(node):
            return self._expr(node, indent), True
        return self._expr(node, indent), False

    def _assign(
        self, pad: str, target: str, member: tuple[str, bool], *, call: bool = False
    ) -> None:
        expr, maybe = member
        statement = f"{target}({expr})" if call else f"{target} = {expr}"
        if maybe:
            self.lines.append(f"{pad}if {expr} is not _A: {statement}")
        else:
            self.lines.append(f"{pad}{statement}")
