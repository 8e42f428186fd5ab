"""Placeholders located: a pipeline's JSON becomes a template tree, built once at load.

In the tree, a string that is exactly ``<<name>>`` becomes a :class:`Slot`, a string with text
around placeholders a :class:`Text`, an object key ``<<name>>`` a :class:`FieldKey`, and Extended
JSON literals their BSON values. Everything else stays as parsed. Rendering walks this tree; it
never scans strings again, and it never scans parameter values for placeholders.

Slots and texts also record where they stand, so that both renderers treat a value alike:

- in a regular expression (the value of ``$regex``, or of ``regex`` in ``$regexMatch``,
  ``$regexFind`` and ``$regexFindAll``), a string value is escaped to match itself literally,
  unless its parameter is declared ``"regex": true``;
- in an aggregation expression (``$project``, ``$group``, ``$expr``, ``let``, ...), a string
  starting with ``$`` would be read as a field path or a variable, so each one in a value is
  wrapped in ``$literal``. Query filters, names and options take strings as written.

Placeholder syntax: ``<<name>>`` with ``name`` matching ``[A-Za-z_][A-Za-z0-9_]*``. A literal ``<<``
is written ``<<<<``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pipereg import codes
from pipereg.bson_limits import NESTING_LIMIT, fits_int64
from pipereg.compile import contexts
from pipereg.compile.contexts import STAGE
from pipereg.compile.placeholders import WHOLE, tokens
from pipereg.errors import Finding
from pipereg.jsontext.extjson import (
    WRAPPER_KEYS,
    ExtJsonError,
    document_problems,
    is_wrapper,
    literal,
)
from pipereg.jsontext.parse import JsonPath, compact

# Text that means stages need the full walk (see _special): an Extended JSON wrapper key, or an
# integer long enough to overflow 64 bits.
WRAPPER_KEY = re.compile(r"\"\$(?:" + "|".join(sorted(k[1:] for k in WRAPPER_KEYS)) + r")\"")
_LONG_INTEGER = re.compile(r"[0-9]{19}")


SiteKind = Literal["value", "text", "key"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A whole JSON value that is one placeholder: replaced by the typed parameter value.

    Attributes:
        name: The parameter.
        regex: It stands where a regular expression is expected: a string value is escaped.
        expr: It stands in an aggregation expression: strings starting with ``$`` in the value
            are wrapped in ``$literal``.
        value: It stands where a literal means something else than itself (a ``$project``
            specification, where ``true`` and ``1`` mean "include the stored field"): the
            whole value is wrapped in ``$literal``.
    """

    name: str
    regex: bool = False
    expr: bool = False
    value: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """A string with placeholders embedded in text: rendered by joining the parts.

    Attributes:
        parts: Literal text and placeholders (whose own flags are unused), in order.
        regex: The text is a regular expression: each placeholder's text is escaped.
        expr: The text stands in an aggregation expression and starts with a placeholder: if
            the rendered text starts with ``$``, it is wrapped in ``$literal``.
    """

    parts: tuple[str | Slot, ...]
    regex: bool = False
    expr: bool = False


@dataclass(frozen=True, slots=True)
class FieldKey:
    """An object key that is one placeholder: replaced by a ``field`` parameter's value."""

    name: str


@dataclass(frozen=True)
class Site:
    """Where a placeholder stands in the file.

    Attributes:
        name: The parameter.
        kind: A whole ``value``, embedded in ``text``, or an object ``key``.
        path: Its JSON path in the file.
        regex: It stands in a regular expression.
        field_path: It follows the ``$`` or ``$$`` that starts a text in an aggregation
            expression (``"$<<f>>"``), so its value names a field or a variable.
        position: The kind of position it stands in (see :mod:`pipereg.compile.contexts`);
            for a key, the kind of the object that holds it, ``"arguments"`` for an
            operator's named arguments.
        prefix: For text, the literal text before it (``"$profile."`` in
            ``"$profile.<<s>>"``).
    """

    name: str
    kind: SiteKind
    path: JsonPath
    regex: bool = False
    field_path: bool = False
    # Derived from the path and the text: left out of equality, so sites compare by place.
    position: str = field(default=contexts.PLAIN, compare=False)
    prefix: str = field(default="", compare=False)


@dataclass
class Template:
    """A compiled template: the tree, the placeholders found, and problems met while building it."""

    tree: Any
    sites: list[Site] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    """For a list of stages: each stage as compact JSON text, for quick checks by the rules."""
    text: str = ""
    """The same for the whole list."""


class StageList(list[Any]):
    """A list of stages, where stages may disappear but the list itself always stays.

    A pipeline's own, a ``$facet`` branch, or a ``$lookup`` or ``$unionWith`` sub-pipeline.
    """


def build(node: Any, path: JsonPath, *, stages: bool = False) -> Template:
    """Build the template tree for ``node`` (found at ``path`` in its file).

    Args:
        node: Parsed JSON: a pipeline's ``stages`` (with ``stages=True``) or its ``options``.
        path: Where ``node`` stands in its file.
        stages: Whether ``node`` is a list of stages.
    """
    template = Template(tree=None)
    if not stages or type(node) is not list:
        context = contexts.STAGES if stages else contexts.OPTIONS
        template.tree = _node(node, path, template, len(path), context)
        return template
    # The C encoder's text tells, at a fraction of a walk's cost, whether stages hold anything
    # to compile: stages without placeholders, Extended JSON literals, numbers BSON cannot hold
    # or deep nesting are their own template. Most stages, and many pipelines, are constants.
    tree = StageList()
    for i, stage in enumerate(node):
        text = compact(stage)
        template.texts.append(text)
        base = len(path)
        tree.append(_node(stage, (*path, i), template, base, STAGE) if _special(text) else stage)
    template.text = "[" + ",".join(template.texts) + "]"
    template.tree = tree
    return template


def _special(text: str) -> bool:
    return (
        "<<" in text
        or "Infinity" in text
        or text.count("{") + text.count("[") > NESTING_LIMIT
        or ('"$' in text and WRAPPER_KEY.search(text) is not None)
        or _LONG_INTEGER.search(text) is not None
        or "\\u0000" in text  # a NUL byte, which keys and regular expressions cannot hold
    )


def can_vanish(node: Any, present: Callable[[str], bool]) -> bool:
    """Whether ``node`` disappears when every parameter for which ``present`` is false is absent.

    This is the removal rule both renderers implement: a placeholder of an absent parameter
    vanishes, and so does a non-empty object or array all of whose members vanish. A list of
    stages never vanishes (its stages may).
    """
    kind = type(node)
    if kind is Slot:
        return not present(node.name)
    if kind is dict:
        return bool(node) and all(
            (type(k) is FieldKey and not present(k.name)) or can_vanish(v, present)
            for k, v in node.items()
        )
    if kind is list:
        return bool(node) and all(can_vanish(item, present) for item in node)
    return False


def _position(context: contexts.Context) -> str:
    return context if isinstance(context, str) else contexts.UNKNOWN


def _key_position(context: contexts.Context) -> str:
    if isinstance(context, str):
        return context
    if context.argument is not None:
        names = {field.name for field in context.argument.fields}
    else:
        names = {argument.name for argument in context.operator.arguments}
    return "fields" if "*" in names else "arguments"


def _node(node: Any, path: JsonPath, out: Template, base: int, context: contexts.Context) -> Any:
    # context: how the server reads node, before its own shape is seen (see contexts).
    context = contexts.value_context(context, node)
    if isinstance(node, str):
        if "<<" not in node:
            return node
        return _string(node, path, out, context=context)
    if len(path) - base > NESTING_LIMIT:
        out.findings.append(
            Finding(
                path,
                codes.TOO_DEEP,
                f"nested more than {NESTING_LIMIT} levels deep, as MongoDB forbids",
            )
        )
        return None
    if isinstance(node, list):
        items = [
            item if _plain(item) else _node(item, (*path, i), out, base, _item(context, i))
            for i, item in enumerate(node)
        ]
        return StageList(items) if context == contexts.STAGES else items
    if isinstance(node, dict):
        if is_wrapper(node):
            try:
                return literal(node)
            except ExtJsonError as exc:
                out.findings.append(Finding(path, codes.INVALID_LITERAL, str(exc)))
                return None
        _problems(node, path, out)
        result: dict[Any, Any] = {}
        for key, value in node.items():
            if "<<" not in key and _plain(value):
                result[key] = value  # the common case: no path built, no call made
                continue
            member = (*path, key)
            result[_key(key, member, out, context)] = _node(
                value, member, out, base, contexts.member_context(context, key)
            )
        return result
    if type(node) is int and not fits_int64(node):
        out.findings.append(
            Finding(path, codes.INVALID_LITERAL, f"{node} does not fit a 64-bit integer")
        )
    elif type(node) is float and not math.isfinite(node):
        out.findings.append(Finding(path, codes.INVALID_LITERAL, "a number too large for a double"))
    return node


def _item(context: contexts.Context, index: int) -> contexts.Context:
    return contexts.item_context(context, index)


def _plain(value: Any) -> bool:
    """Whether a value is its own template: a string without ``<<`` or a number BSON holds."""
    kind = type(value)
    if kind is str:
        return "<<" not in value
    if kind is int:
        return fits_int64(value)
    if kind is float:
        return math.isfinite(value)
    return kind is bool or value is None


def _problems(node: dict[str, Any], path: JsonPath, out: Template) -> None:
    # What BSON cannot carry in a plain document: NUL bytes, wrapper keys beside others.
    for where, problem in document_problems(node):
        out.findings.append(Finding((*path, *where), codes.INVALID_LITERAL, problem))


def _key(key: str, member: JsonPath, out: Template, context: contexts.Context) -> Any:
    if "<<" not in key:
        return key
    whole = WHOLE.match(key)
    if whole:
        out.sites.append(Site(whole.group(1), "key", member, position=_key_position(context)))
        return FieldKey(whole.group(1))
    parsed = _string(key, member, out, in_key=True, context=context)
    return parsed if isinstance(parsed, str) else key


def _string(
    text: str,
    path: JsonPath,
    out: Template,
    *,
    in_key: bool = False,
    context: contexts.Context = contexts.PLAIN,
) -> Any:
    position = _position(context)
    regex = position in contexts.REGEXES
    expr = position in contexts.READ_AS_EXPRESSIONS
    whole = WHOLE.match(text)
    if whole:
        out.sites.append(Site(whole.group(1), "value", path, regex, position=position))
        return Slot(whole.group(1), regex=regex, expr=expr, value=position == contexts.PROJECTION)
    parts: list[str | Slot] = []
    literal_text: list[str] = []
    for token in tokens(text):
        if token.error is not None:
            out.findings.append(Finding(path, codes.MALFORMED_PLACEHOLDER, token.error))
            return text
        if token.name is None:
            literal_text.append(token.text)
            continue
        if in_key:
            out.findings.append(
                Finding(
                    path,
                    codes.PLACEHOLDER_IN_KEY,
                    f"a key may only be a whole placeholder, not {text!r}",
                )
            )
            return text
        text_before = "".join(literal_text)
        literal_text = []
        # "$<<f>>" and "$$<<v>>" name a field or a variable with the value.
        field_path = expr and not parts and text_before in ("$", "$$")
        prefix = "".join(p if isinstance(p, str) else f"<<{p.name}>>" for p in parts) + text_before
        if text_before:
            parts.append(text_before)
        parts.append(Slot(token.name))
        out.sites.append(
            Site(token.name, "text", path, regex, field_path, position=position, prefix=prefix)
        )
    rest = "".join(literal_text)
    if not parts:
        return rest
    if rest:
        parts.append(rest)
    # Text that starts with literal "$" is a field path the file wrote on purpose ("$<<f>>").
    return Text(tuple(parts), regex=regex, expr=expr and type(parts[0]) is Slot)


def placeholder_names(node: Any) -> Iterator[str]:
    """Yield the parameter named by every placeholder in a template tree (values, text, keys)."""
    if type(node) is Slot:
        yield node.name
    elif type(node) is Text:
        for part in node.parts:
            if type(part) is Slot:
                yield part.name
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if type(key) is FieldKey:
                yield key.name
            yield from placeholder_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from placeholder_names(item)


def walk_keys(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any, Any]]:
    """Yield ``(path, key, value)`` for every object member in a template tree, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            member = (*path, key if isinstance(key, str) else f"<<{key.name}>>")
            yield member, key, value
            yield from walk_keys(value, member)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk_keys(item, (*path, i))
