"""Rendering: coerced parameter values substituted into a template tree.

Pure: no I/O, no globals, no driver imports. Every call builds a fresh tree, sharing no list or dict
with the template, the parameter values, or another render.

Absence: a parameter missing from ``values`` (an optional one left out) removes the object member or
array element that is exactly its placeholder; an object or array that becomes empty because of such
removals disappears from its parent in turn. Containers written empty in the file stay.

Where a value stands (see :mod:`pipereg.compile.template`): in a regular expression, a string value
is escaped (:meth:`Param.in_regex`); in an aggregation expression, every string starting with ``$``
in a value becomes ``{"$literal": ...}`` (:func:`literal_strings`).

The reference path: :mod:`pipereg.compile.codegen` generates a function per pipeline that must
render exactly what this walk renders (``tests/compile/test_codegen_properties.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson.regex import Regex

from pipereg.compile.template import FieldKey, Slot, StageList, Text
from pipereg.errors import ParameterError
from pipereg.params.declaration import Param
from pipereg.params.values import fresh


class _Absent:
    __slots__ = ()


ABSENT: Any = _Absent()


def render_tree(node: Any, values: dict[str, Any], params: Mapping[str, Param], key: str) -> Any:
    """Render one template node; returns ``ABSENT`` where the node disappears.

    Args:
        node: A template tree (see :mod:`pipereg.compile.template`).
        values: Coerced parameter values; absent optional parameters are not in it.
        params: The declarations, to format embedded values as text.
        key: The pipeline key, for error messages.
    """
    kind = type(node)
    if kind is dict:
        result: dict[str, Any] = {}
        for written, child in node.items():
            name = written
            if type(written) is FieldKey:
                if written.name not in values:
                    continue
                name = values[written.name]
            value = render_tree(child, values, params, key)
            if value is ABSENT:
                continue
            if name in result:  # only a field parameter can make a key repeat
                raise ParameterError(
                    key, _field_param(node), f"field {name!r} would appear twice in one document"
                )
            result[name] = value
        return ABSENT if node and not result else result
    if kind is StageList:
        rendered = (render_tree(child, values, params, key) for child in node)
        return [stage for stage in rendered if stage is not ABSENT]
    if kind is list:
        items = [render_tree(child, values, params, key) for child in node]
        kept = [item for item in items if item is not ABSENT]
        return ABSENT if items and not kept else kept
    if kind is Slot:
        if node.name not in values:
            return ABSENT
        value = values[node.name]
        if node.regex:
            value = params[node.name].in_regex(value)
        return literal_strings(value) if node.expr else fresh(value)
    if kind is Text:
        text_of = Param.to_regex_text if node.regex else Param.to_text
        text = "".join(
            part if type(part) is str else text_of(params[part.name], values[part.name])
            for part in node.parts
        )
        return literal_strings(text) if node.expr else text
    if kind is Regex:  # the one mutable BSON literal type
        return Regex(node.pattern, node.flags)
    return node


def literal_strings(value: Any) -> Any:
    """A fresh copy of ``value`` in which every string starting with ``$`` is ``$literal``.

    An aggregation expression reads ``"$x"`` as a field path and ``"$$x"`` as a variable; a
    parameter's string must stay the string it is. Each string is wrapped where it stands, so
    this works in an array literal and in an operator's argument list alike.
    """
    kind = type(value)
    if kind is str:
        return {"$literal": value} if value.startswith("$") else value
    if kind is list:
        return [literal_strings(item) for item in value]
    if kind is dict:
        return {key: literal_strings(item) for key, item in value.items()}
    return value


def _field_param(node: dict[Any, Any]) -> str:
    return next(k.name for k in node if type(k) is FieldKey)


def render_stages(
    stages: list[Any], values: dict[str, Any], params: Mapping[str, Param], key: str
) -> list[dict[str, Any]]:
    """Render a pipeline's stages; a stage that becomes empty is left out of the result."""
    rendered: list[dict[str, Any]] = render_tree(StageList(stages), values, params, key)
    return rendered


def render_options(
    options: Mapping[str, Any], values: dict[str, Any], params: Mapping[str, Param], key: str
) -> dict[str, Any]:
    """Render a pipeline's options; an option whose value disappears is left out."""
    result = render_tree(options, values, params, key)
    return {} if result is ABSENT else dict(result)
