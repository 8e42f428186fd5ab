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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pipereg import contexts
from pipereg.errors import Finding
from pipereg.extjson import WRAPPER_KEYS, ExtJsonError, is_wrapper, literal
from pipereg.parse import JsonPath, compact

# MongoDB refuses documents nested deeper than 100 levels (BSON depth limit); a pipeline stage is
# a document, so deeper templates could never run.
MAX_DEPTH = 100
INT64 = (-(2**63), 2**63 - 1)
_SUB_PIPELINES = frozenset({"$facet", "$lookup", "$unionWith"})
# Text that means stages need the full walk (see _special): an Extended JSON wrapper key, or an
# integer long enough to overflow 64 bits.
_WRAPPER_KEY = re.compile(r"\"\$(?:" + "|".join(sorted(k[1:] for k in WRAPPER_KEYS)) + r")\"")
_LONG_INTEGER = re.compile(r"[0-9]{19}")
# Every digit as 0, for finding long runs of digits faster than a regular expression can.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
# Text without its strings and then all but its brackets, for measuring how deep it nests.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"[\[{][\]}]")

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WHOLE = re.compile(r"<<([A-Za-z_][A-Za-z0-9_]*)>>\Z")
# In compact JSON text, from its opening quote: a string that is one placeholder, and the colon
# after it if it is a key.
_WHOLE_STRING = re.compile(r'"<<([A-Za-z_][A-Za-z0-9_]*)>>"(:?)')

SiteKind = Literal["value", "text", "key"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A whole JSON value that is one placeholder: replaced by the typed parameter value.

    Attributes:
        name: The parameter.
        regex: It stands where a regular expression is expected: a string value is escaped.
        expr: It stands in an aggregation expression: strings starting with ``$`` in the value
            are wrapped in ``$literal``.
    """

    name: str
    regex: bool = False
    expr: bool = False


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
    """

    name: str
    kind: SiteKind
    path: JsonPath
    regex: bool = False
    field_path: bool = False


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
    """A list of stages: a pipeline's own, a ``$facet`` branch, or a ``$lookup`` or
    ``$unionWith`` sub-pipeline. Stages in it may disappear; the list itself always stays."""


def build(node: Any, path: JsonPath, *, stages: bool = False) -> Template:
    """Build the template tree for ``node`` (found at ``path`` in its file).

    Args:
        node: Parsed JSON: a pipeline's ``stages`` (with ``stages=True``) or its ``options``.
        path: Where ``node`` stands in its file.
        stages: Whether ``node`` is a list of stages.
    """
    template = Template(tree=None)
    if not stages or type(node) is not list:
        context = contexts.STAGE if stages else contexts.OPTIONS
        template.tree = _node(node, path, template, len(path), context, stages=stages)
        return template
    # The C encoder's text tells, at a fraction of a walk's cost, whether stages hold anything
    # to compile: stages without placeholders, Extended JSON literals, numbers BSON cannot hold
    # or deep nesting are their own template. Most stages, and many pipelines, are constants.
    tree = StageList()
    for i, stage in enumerate(node):
        text = compact(stage)
        template.texts.append(text)
        tree.append(_stage(stage, (*path, i), template, len(path)) if _special(text) else stage)
    template.text = "[" + ",".join(template.texts) + "]"
    template.tree = tree
    return template


def _special(text: str) -> bool:
    return (
        "<<" in text
        or "Infinity" in text
        or text.count("{") + text.count("[") > MAX_DEPTH
        or ('"$' in text and _WRAPPER_KEY.search(text) is not None)
        or _LONG_INTEGER.search(text) is not None
    )


class Mark(NamedTuple):
    """A placeholder found in a pipeline's text: what the rules need, without its path.

    Attributes:
        name: The parameter.
        kind: A whole ``value``, embedded in ``text``, or an object ``key``.
        dollar: The text starts with ``$<<`` or ``$$<<``: the placeholder may name a field
            (a :class:`Site` with ``field_path``), depending on where the text stands.
    """

    name: str
    kind: SiteKind
    dollar: bool = False


def marks(text: str) -> list[Mark] | None:
    """Every placeholder in compact JSON text (:func:`~pipereg.parse.compact`), read from it alone.

    This is the cheap half of :func:`build`: it tells which placeholders a pipeline has without
    walking it or building a tree. It answers ``None`` wherever the text is not plain enough to
    be sure (escapes in a string holding ``<<``, a malformed placeholder, one embedded in a key,
    or anything else :func:`build` reports), and the caller then builds the template instead.
    """
    found: list[Mark] = []
    at = text.find("<<")
    while at >= 0:
        # The common case first: a string that is one placeholder (its opening quote is not an
        # escaped one: that would put a backslash before it).
        whole_string = _WHOLE_STRING.match(text, at - 1) if text[at - 2] != "\\" else None
        if whole_string is not None:
            name, key_colon = whole_string.groups()
            found.append(Mark(name, "key" if key_colon else "value"))
            at = text.find("<<", whole_string.end())
            continue
        # "<<" only occurs inside strings, and the encoder escapes no "<": the string holding it
        # runs from the quote before to the quote after, unless an escape is in the way.
        start = text.rfind('"', 0, at)
        end = text.find('"', at)
        if start <= 0 or end < 0 or text[start - 1] == "\\" or text.find("\\", start, end) >= 0:
            return None
        token = text[start + 1 : end]
        key = text.startswith(":", end + 1)
        names = _embedded(token)
        if names is None or (key and names) or _WHOLE.match(token):
            return None  # PR025, or PR026 (build() says where); a whole one is read above
        dollar = token.startswith(("$<<", "$$<<"))
        found.extend(Mark(name, "text", dollar) for name in names)
        at = text.find("<<", end + 1)
    return found


def _embedded(text: str) -> list[str] | None:
    # The placeholders embedded in a string as _string() reads it; None where it reports one.
    names: list[str] = []
    pos = 0
    while True:
        start = text.find("<<", pos)
        if start < 0:
            return names
        if text.startswith("<<<<", start):
            pos = start + 4
            continue
        end = text.find(">>", start + 2)
        if end < 0 or not NAME.match(text[start + 2 : end]):
            return None
        names.append(text[start + 2 : end])
        pos = end + 2


@dataclass(frozen=True, slots=True)
class Sketch:
    """What the rules need to know about a pipeline that :func:`build` would find nothing in.

    Attributes:
        marks: Its placeholders, all in its stages (see :func:`marks`).
        texts: Each stage as compact JSON text (see :func:`~pipereg.parse.compact`).
        text: The same for the whole list.
    """

    marks: list[Mark]
    texts: list[str]
    text: str


def sketch(stages: Any, options: Any, texts: list[str] | None = None) -> Sketch | None:
    """Read a pipeline's stages and options from their text, without building templates.

    ``None`` unless the text shows that building the templates would report nothing: options
    with placeholders, Extended JSON literals, numbers BSON cannot hold, deep nesting and
    placeholders :func:`marks` is not sure of all mean "build the templates to know".

    Args:
        stages: The stages as parsed.
        options: The options as parsed.
        texts: Each stage as compact JSON text, if already encoded (see
            :func:`~pipereg.parse.parse_document`); else the stages are encoded here.
    """
    try:
        if texts is None:
            texts = [compact(stage) for stage in stages]
        options_text = compact(options) if options else ""
    except RecursionError:  # let build() meet it, as it always has
        return None
    text = "[" + ",".join(texts) + "]"
    if "<<" in options_text or not literal_free(text) or not literal_free(options_text):
        return None
    # A stage is one level below its list, which is where build() counts depth from; no stage
    # has more brackets than the list.
    if nests_deeper(options_text, MAX_DEPTH) or (
        text.count("{") + text.count("[") > MAX_DEPTH
        and any(nests_deeper(stage_text, MAX_DEPTH - 1) for stage_text in texts)
    ):
        return None
    found = marks(text)
    return None if found is None else Sketch(found, texts, text)


def literal_free(text: str) -> bool:
    """Whether compact JSON text holds no Extended JSON literal and no number BSON cannot hold.

    Those are what :func:`build` converts or reports besides placeholders. False when unsure.
    """
    return not (
        "Infinity" in text
        or ('"$' in text and _WRAPPER_KEY.search(text) is not None)
        or _NINETEEN_DIGITS in text.encode().translate(_DIGITS_AS_ZERO)
    )


def nests_deeper(text: str, depth: int) -> bool:
    """Whether brackets nest more than ``depth`` deep in compact JSON text; true when unsure.

    Values inside ``n`` nested brackets stand ``n`` levels below the encoded one (containers
    ``n - 1``), so :func:`build` reports no value nested too deep in a text for which this is
    false with ``depth`` :data:`MAX_DEPTH`.
    """
    if text.count("{") + text.count("[") <= depth:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(depth):
        inner = _INNERMOST.sub("", brackets)  # one level per pass
        if not inner:
            return False
        if inner == brackets:
            return True  # not balanced: not the encoder's text; unsure
        brackets = inner
    return True


def can_vanish(node: Any, present: Callable[[str], bool]) -> bool:
    """Whether ``node`` disappears when every parameter for which ``present`` is false is absent.

    This is the removal rule both renderers implement: a placeholder of an absent parameter
    vanishes, and so does a non-empty object or array all of whose members vanish.
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


def _node(
    node: Any,
    path: JsonPath,
    out: Template,
    base: int,
    context: str,
    *,
    stages: bool = False,
    regex: bool = False,
) -> Any:
    # context: how the server reads node (see pipereg.contexts); regex: node is a regex.
    if isinstance(node, str):
        if "<<" not in node:
            return node
        return _string(node, path, out, regex=regex, expr=context in contexts.EXPRESSIONS)
    if len(path) - base > MAX_DEPTH:
        out.findings.append(
            Finding(path, "PR051", f"nested more than {MAX_DEPTH} levels deep, as MongoDB forbids")
        )
        return None
    if isinstance(node, list):
        if stages:
            return StageList(_stage(item, (*path, i), out, base) for i, item in enumerate(node))
        inner = contexts.item_context(context)
        return [
            item if _plain(item) else _node(item, (*path, i), out, base, inner)
            for i, item in enumerate(node)
        ]
    if isinstance(node, dict):
        if is_wrapper(node):
            try:
                return literal(node)
            except ExtJsonError as exc:
                out.findings.append(Finding(path, "PR050", str(exc)))
                return None
        if not WRAPPER_KEYS.isdisjoint(node):
            keys = ", ".join(sorted(WRAPPER_KEYS.intersection(node)))
            out.findings.append(
                Finding(path, "PR050", f"Extended JSON {keys} must be the only key of its object")
            )
        result: dict[Any, Any] = {}
        for key, value in node.items():
            if "<<" not in key and _plain(value):
                result[key] = value  # the common case: no path built, no call made
                continue
            member = (*path, key)
            result[_key(key, member, out)] = _node(
                value,
                member,
                out,
                base,
                contexts.member_context(context, key),
                regex=contexts.is_regex(context, key),
            )
        return result
    if type(node) is int and not INT64[0] <= node <= INT64[1]:
        out.findings.append(Finding(path, "PR050", f"{node} does not fit a 64-bit integer"))
    elif type(node) is float and not math.isfinite(node):
        out.findings.append(Finding(path, "PR050", "a number too large for a double"))
    return node


def _plain(value: Any) -> bool:
    """Whether a value is its own template: a string without ``<<`` or a number BSON holds."""
    kind = type(value)
    if kind is str:
        return "<<" not in value
    if kind is int:
        return bool(INT64[0] <= value <= INT64[1])
    if kind is float:
        return math.isfinite(value)
    return kind is bool or value is None


def _stage(stage: Any, path: JsonPath, out: Template, base: int) -> Any:
    # A stage document: the pipelines inside $facet, $lookup and $unionWith are stage lists too.
    if type(stage) is dict and len(stage) == 1:
        ((name, body),) = stage.items()
        if name in _SUB_PIPELINES and type(body) is dict:
            at = (*path, name)
            context = contexts.member_context(contexts.STAGE, name)
            built: dict[Any, Any] = {}
            for key, value in body.items():
                nested = type(value) is list and (name == "$facet" or key == "pipeline")
                inner = contexts.member_context(context, key)
                built[_key(key, (*at, key), out)] = _node(
                    value, (*at, key), out, base, inner, stages=nested
                )
            return {name: built}
    return _node(stage, path, out, base, contexts.STAGE)


def _key(key: str, member: JsonPath, out: Template) -> Any:
    if "<<" not in key:
        return key
    whole = _WHOLE.match(key)
    if whole:
        out.sites.append(Site(whole.group(1), "key", member))
        return FieldKey(whole.group(1))
    parsed = _string(key, member, out, in_key=True)
    return parsed if isinstance(parsed, str) else key


def _string(
    text: str,
    path: JsonPath,
    out: Template,
    *,
    in_key: bool = False,
    regex: bool = False,
    expr: bool = False,
) -> Any:
    whole = _WHOLE.match(text)
    if whole:
        out.sites.append(Site(whole.group(1), "value", path, regex))
        return Slot(whole.group(1), regex=regex, expr=expr)
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
        # "$<<f>>" and "$$<<v>>" name a field or a variable with the value.
        field_path = expr and not parts and text_before in ("$", "$$")
        if text_before:
            parts.append(text_before)
        parts.append(Slot(name))
        out.sites.append(Site(name, "text", path, regex, field_path))
        pos = end + 2
    rest = "".join(literal_text)
    if not parts:
        return rest
    if rest:
        parts.append(rest)
    # Text that starts with literal "$" is a field path the file wrote on purpose ("$<<f>>").
    return Text(tuple(parts), regex=regex, expr=expr and type(parts[0]) is Slot)


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
