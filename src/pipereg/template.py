"""Placeholders located: a pipeline's JSON becomes a template tree, built once at load.

In the tree, a string that is exactly ``<<name>>`` becomes a :class:`Slot`, a string with text
around placeholders a :class:`Text`, an object key ``<<name>>`` a :class:`FieldKey`, and Extended
JSON literals their BSON values. Everything else stays as parsed. Rendering walks this tree; it
never scans strings again, and it never scans parameter values at all.

Placeholder syntax: ``<<name>>`` with ``name`` matching ``[A-Za-z_][A-Za-z0-9_]*``. A literal ``<<``
is written ``<<<<``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pipereg.errors import Finding
from pipereg.extjson import ExtJsonError, is_wrapper, literal
from pipereg.parse import JsonPath

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WHOLE = re.compile(r"<<([A-Za-z_][A-Za-z0-9_]*)>>\Z")

SiteKind = Literal["value", "text", "key"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A whole JSON value that is one placeholder: replaced by the typed parameter value."""

    name: str


@dataclass(frozen=True, slots=True)
class Text:
    """A string with placeholders embedded in text: rendered by joining the parts."""

    parts: tuple[str | Slot, ...]


@dataclass(frozen=True, slots=True)
class FieldKey:
    """An object key that is one placeholder: replaced by a ``field`` parameter's value."""

    name: str


@dataclass(frozen=True)
class Site:
    """Where a placeholder stands in the file."""

    name: str
    kind: SiteKind
    path: JsonPath


@dataclass
class Template:
    """A compiled template: the tree, the placeholders found, and problems met while building it."""

    tree: Any
    sites: list[Site] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def build(node: Any, path: JsonPath) -> Template:
    """Build the template tree for ``node`` (found at ``path`` in its file)."""
    template = Template(tree=None)
    template.tree = _node(node, path, template)
    return template


def _node(node: Any, path: JsonPath, out: Template) -> Any:
    if isinstance(node, str):
        return _string(node, path, out) if "<<" in node else node
    if isinstance(node, list):
        return [_node(item, (*path, i), out) for i, item in enumerate(node)]
    if isinstance(node, dict):
        if is_wrapper(node):
            try:
                return literal(node)
            except ExtJsonError as exc:
                out.findings.append(Finding(path, "PR050", str(exc)))
                return None
        result: dict[Any, Any] = {}
        for key, value in node.items():
            member = (*path, key)
            new_key: Any = key
            if "<<" in key:
                whole = _WHOLE.match(key)
                if whole:
                    new_key = FieldKey(whole.group(1))
                    out.sites.append(Site(new_key.name, "key", member))
                else:
                    parsed = _string(key, member, out, in_key=True)
                    new_key = parsed if isinstance(parsed, str) else key
            result[new_key] = _node(value, member, out)
        return result
    return node


def _string(text: str, path: JsonPath, out: Template, *, in_key: bool = False) -> Any:
    whole = _WHOLE.match(text)
    if whole:
        out.sites.append(Site(whole.group(1), "value", path))
        return Slot(whole.group(1))
    parts: list[str | Slot] = []
    literal_text: list[str] = []
    pos = 0
    while True:
        start = text.find("<<", pos)
        if start < 0:
            literal_text.append(text[pos:])
            break
        literal_text.append(text[pos:start])
        if text.startswith("<<<<", start):
            literal_text.append("<<")
            pos = start + 4
            continue
        end = text.find(">>", start + 2)
        if end < 0:
            out.findings.append(
                Finding(
                    path, "PR025", f"unclosed placeholder in {text!r} (write <<<< for a literal <<)"
                )
            )
            return text
        name = text[start + 2 : end]
        if not NAME.match(name):
            out.findings.append(
                Finding(
                    path,
                    "PR025",
                    f"invalid placeholder <<{name}>>: a name is letters, digits and _, "
                    "not starting with a digit (write <<<< for a literal <<)",
                )
            )
            return text
        if in_key:
            out.findings.append(
                Finding(path, "PR026", f"a key may only be a whole placeholder, not {text!r}")
            )
            return text
        text_before = "".join(literal_text)
        literal_text = []
        if text_before:
            parts.append(text_before)
        parts.append(Slot(name))
        out.sites.append(Site(name, "text", path))
        pos = end + 2
    rest = "".join(literal_text)
    if not parts:
        return rest
    if rest:
        parts.append(rest)
    return Text(tuple(parts))


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
