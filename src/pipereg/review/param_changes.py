"""Parameter changes classified for the services that call a pipeline: breaking or compatible.

A change is *breaking* when a call that worked before can fail after it (a parameter removed, its
type changed, a new required parameter, an enum narrowed, a bound tightened, an optional or
defaulted parameter that callers omit made required) or when the same value now means something
else (``regex`` switched). Everything else is *compatible*: calls that worked keep working, though
a changed default gives callers that omit the parameter another value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pipereg.jsontext import extjson
from pipereg.params.compatibility import BOUNDS, limit, tighter
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a pipeline.

    Attributes:
        where: What changed, as a path: ``params.limit``, ``params.filter.region``,
            ``params.ids[]``, ``collection``, ``options.maxTimeMS``, ``description``, ``key``.
        kind: A stable code, e.g. ``param-removed`` (see ``KINDS``).
        breaking: Whether a call that worked before may fail, or mean something else, after it.
        message: The change in one sentence, for people.
    """

    where: str
    kind: str
    breaking: bool
    message: str


# Every kind of change, with whether it is breaking; the table in docs/cli.md follows this one.
KINDS: dict[str, str] = {
    "pipeline-added": "compatible",
    "pipeline-removed": "breaking",
    "pipeline-renamed": "breaking",
    "collection": "breaking",
    "description": "compatible",
    "options": "compatible",
    "param-added": "breaking if required, else compatible",
    "param-removed": "breaking",
    "param-type": "breaking",
    "param-required": "breaking if callers may no longer omit it, else compatible",
    "param-default": "compatible",
    "param-nullable": "breaking if null is no longer accepted, else compatible",
    "param-enum": "breaking if narrowed or added, else compatible",
    "param-bound": "breaking if tightened or added, else compatible",
    "param-pattern": "breaking if changed or added, else compatible",
    "param-regex": "breaking",
    "param-description": "compatible",
}


def param_changes(old: Mapping[str, Param], new: Mapping[str, Param]) -> list[Change]:
    """Every difference between two parameter declarations, classified, in declaration order."""
    return list(_members("params.", old, new, "parameter"))


def _members(
    prefix: str, old: Mapping[str, Param], new: Mapping[str, Param], noun: str
) -> Iterator[Change]:
    for name, before in old.items():
        where = prefix + name
        after = new.get(name)
        if after is None:
            yield Change(
                where,
                "param-removed",
                True,
                f"{noun} removed: callers that pass it fail (unknown parameter)",
            )
        else:
            yield from _param(where, before, after)
    for name, after in new.items():
        if name in old:
            continue
        if after.required:
            message = f"new required {noun} ({after.type_name}): callers that omit it fail"
        else:
            message = f"new {_omittable(after)} {noun} ({after.type_name})"
        yield Change(prefix + name, "param-added", after.required, message)


def _omittable(param: Param) -> str:
    if param.default is not MISSING:
        return f"defaulted ({_show(param.default)})"
    return "optional"


def _param(where: str, old: Param, new: Param) -> Iterator[Change]:
    if old.type_name != new.type_name:
        # Every other comparison assumes one type; a type change says it all.
        yield Change(
            where, "param-type", True, f"type changed from {old.type_name} to {new.type_name}"
        )
        return
    yield from _presence(where, old, new)
    yield from _enum(where, old, new)
    yield from _bounds(where, old, new)
    if old.pattern != new.pattern:
        if new.pattern is None:
            yield Change(where, "param-pattern", False, f"pattern {old.pattern!r} removed")
        elif old.pattern is None:
            yield Change(where, "param-pattern", True, f"pattern {new.pattern!r} added")
        else:
            message = f"pattern changed from {old.pattern!r} to {new.pattern!r}"
            yield Change(where, "param-pattern", True, message)
    if old.regex != new.regex:
        message = (
            "now a regular expression (regex: true): values are no longer escaped"
            if new.regex
            else "no longer a regular expression: values are now escaped"
        )
        yield Change(where, "param-regex", True, message)
    if old.description != new.description:
        yield Change(where, "param-description", False, "description changed")
    if old.items is not None and new.items is not None:
        yield from _param(where + "[]", old.items, new.items)
    yield from _members(where + ".", old.properties, new.properties, "property")


def _presence(where: str, old: Param, new: Param) -> Iterator[Change]:
    if not old.required and new.required:
        was = "had a default" if old.default is not MISSING else "was optional"
        yield Change(
            where, "param-required", True, f"now required ({was}): callers that omit it fail"
        )
    elif old.required and not new.required:
        yield Change(where, "param-required", False, f"no longer required (now {_omittable(new)})")
    elif _shown(old.default) != _shown(new.default):
        if new.default is MISSING:
            message = f"default {_show(old.default)} removed (still optional: omitted means absent)"
        elif old.default is MISSING:
            message = f"default {_show(new.default)} added (omitted used to mean absent)"
        else:
            message = f"default changed from {_show(old.default)} to {_show(new.default)}"
        yield Change(where, "param-default", False, message + ": callers that omit it see it")
    if old.nullable and not new.nullable:
        yield Change(where, "param-nullable", True, "no longer nullable")
    elif new.nullable and not old.nullable:
        yield Change(where, "param-nullable", False, "now nullable")


def _enum(where: str, old: Param, new: Param) -> Iterator[Change]:
    if old.enum is None and new.enum is None:
        return
    if new.enum is None:
        yield Change(where, "param-enum", False, "enum removed: any value of the type is accepted")
        return
    if old.enum is None:
        values = ", ".join(_show(v) for v in new.enum)
        yield Change(where, "param-enum", True, f"enum added: only {values} accepted")
        return
    before = {_shown(v): v for v in old.enum}
    after = {_shown(v): v for v in new.enum}
    dropped = [_show(v) for k, v in before.items() if k not in after]
    added = [_show(v) for k, v in after.items() if k not in before]
    if dropped:
        message = f"enum narrowed: {', '.join(dropped)} no longer accepted"
        if added:
            message += f" ({', '.join(added)} added)"
        yield Change(where, "param-enum", True, message)
    elif added:
        yield Change(where, "param-enum", False, f"enum widened: {', '.join(added)} added")


def _bounds(where: str, old: Param, new: Param) -> Iterator[Change]:
    # The bounds in force, declared or not (see pipereg.params.compatibility, which fragment
    # binding reads too): declaring maxLength 5000 where none was declared tightens from 1 MiB.
    for label, attribute, larger_is_tighter in BOUNDS:
        before, after = limit(old, attribute), limit(new, attribute)
        if _shown(before) == _shown(after):
            continue
        if after is None:
            yield Change(where, "param-bound", False, f"{label} {_show(before)} removed")
            continue
        if before is None:
            yield Change(where, "param-bound", True, f"{label} {_show(after)} added")
            continue
        breaking = tighter(larger_is_tighter, before, after)
        verb = "tightened" if breaking else "loosened"
        shown = [
            f"the default {_show(value)}" if getattr(param, attribute) is None else _show(value)
            for param, value in ((old, before), (new, after))
        ]
        message = f"{label} {verb} from {shown[0]} to {shown[1]}"
        yield Change(where, "param-bound", breaking, message)


def _shown(value: Any) -> str:
    # A comparable form that tells int 1 from 1.0 and ObjectId from its hex string.
    if value is MISSING:
        return "MISSING"
    return extjson.dumps(value, canonical=True, indent=None)


def _show(value: Any) -> str:
    return extjson.dumps(value, indent=None)
