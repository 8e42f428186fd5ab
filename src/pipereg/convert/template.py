"""A pipeline as the converters see it: literal parts, holes for values, members added under ``if``.

Both readers build these nodes; :func:`emit` turns them into the file's form, a JSON value with
``"<<name>>"`` placeholders, checking on the way that pipereg's absence rule does what each
``if`` did: a member added under ``if status:`` must disappear when ``status`` is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Where a placeholder's value goes into a regular expression, pipereg escapes it.
_REGEX_OPERATORS = frozenset({"$regexMatch", "$regexFind", "$regexFindAll"})


class Refused(Exception):
    """A pipeline cannot be converted faithfully; ``line`` and ``reason`` say where and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)  # both, so that copy.deepcopy can rebuild it
        self.line, self.reason = line, reason

    def __str__(self) -> str:
        return self.reason


@dataclass
class Hole:
    """A value the caller supplies: a ``<<name>>`` placeholder.

    Attributes:
        name: The parameter's name.
        line: Where the value appears in the source.
        type: The pipereg type the code shows (``ObjectId(x)`` is ``objectId``), or None.
        escaped: The source passed it through ``re.escape``, as pipereg does in a regex.
    """

    name: str
    line: int
    type: str | None = None
    escaped: bool = False


@dataclass
class Text:
    """A string built from literal text and holes (an f-string, ``"^" + prefix``)."""

    parts: list[str | Hole]


@dataclass
class Lit:
    """A literal, already in file form (Extended JSON wrappers, ``<<`` escaped as ``<<<<``)."""

    value: Any


@dataclass
class Member:
    """An object member or array item; ``cond`` names the parameter an ``if`` tested, if any."""

    key: str
    value: Node
    cond: str | None = None
    line: int = 0


@dataclass
class Obj:
    """An object; ``refused`` is set when code the converter cannot follow changed it."""

    members: list[Member] = field(default_factory=list)
    refused: Refused | None = None

    def set(self, member: Member) -> None:
        """Adds a member, or replaces one with the same key in place, as a dict assignment does."""
        for index, existing in enumerate(self.members):
            if existing.key == member.key:
                self.members[index] = member
                return
        self.members.append(member)


@dataclass
class Arr:
    """An array (of stages, or of values); ``refused`` as for :class:`Obj`."""

    items: list[Member] = field(default_factory=list)
    refused: Refused | None = None


Node = Hole | Text | Lit | Obj | Arr


@dataclass(frozen=True)
class Use:
    """Where a hole landed: whether in a regex, embedded in text, and under which ``if``."""

    hole: Hole
    in_regex: bool
    embedded: bool
    conds: frozenset[str]


def escape_text(text: str) -> str:
    """A literal string as a pipeline file writes it: ``<<`` doubled, so it is no placeholder."""
    return text.replace("<<", "<<<<")


def emit(node: Node) -> tuple[Any, list[Use]]:
    """The file form of ``node``, and every hole in it, in order.

    Raises:
        Refused: a container was changed by code the converter cannot follow, or a member
            added under ``if`` would not disappear when the tested parameter is left out.
    """
    uses: list[Use] = []
    return _emit(node, (), frozenset(), uses), uses


def _emit(node: Node, keys: tuple[str, ...], conds: frozenset[str], uses: list[Use]) -> Any:
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Hole):
        uses.append(Use(node, _in_regex(keys), False, conds))
        return f"<<{node.name}>>"
    if isinstance(node, Text):
        text = []
        for part in node.parts:
            if isinstance(part, Hole):
                uses.append(Use(part, _in_regex(keys), True, conds))
                text.append(f"<<{part.name}>>")
            else:
                text.append(escape_text(part))
        return "".join(text)
    if node.refused is not None:
        raise node.refused
    if isinstance(node, Obj):
        out: dict[str, Any] = {}
        for member in node.members:
            inner = _guarded(member, conds)
            out[escape_text(member.key)] = _emit(member.value, (*keys, member.key), inner, uses)
        return out
    return [_emit(item.value, keys, _guarded(item, conds), uses) for item in node.items]


def _guarded(member: Member, conds: frozenset[str]) -> frozenset[str]:
    if member.cond is None:
        return conds
    if not vanishes(member.value, member.cond):
        raise Refused(
            member.line,
            f"what `if {member.cond}:` adds would not disappear when {member.cond} is left "
            "out (pipereg removes only a value that is exactly the placeholder)",
        )
    return conds | {member.cond}


def vanishes(node: Node, name: str) -> bool:
    """Whether pipereg's absence rule removes ``node`` when parameter ``name`` is left out."""
    if isinstance(node, Hole):
        return node.name == name
    if isinstance(node, Obj):
        return bool(node.members) and all(vanishes(m.value, name) for m in node.members)
    if isinstance(node, Arr):
        return bool(node.items) and all(vanishes(i.value, name) for i in node.items)
    return False


def holes(node: Node) -> Iterator[Hole]:
    """Every hole in ``node``."""
    if isinstance(node, Hole):
        yield node
    elif isinstance(node, Text):
        yield from (part for part in node.parts if isinstance(part, Hole))
    elif isinstance(node, Obj):
        for member in node.members:
            yield from holes(member.value)
    elif isinstance(node, Arr):
        for item in node.items:
            yield from holes(item.value)


def _in_regex(keys: tuple[str, ...]) -> bool:
    if keys and keys[-1] == "$regex":
        return True
    return len(keys) >= 2 and keys[-1] == "regex" and keys[-2] in _REGEX_OPERATORS
