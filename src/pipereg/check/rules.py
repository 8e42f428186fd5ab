"""Semantic checks (lint rules) on one pipeline, after its file passed the JSON Schema.

Each rule yields :class:`~pipereg.errors.Finding` records with a stable code. Errors fail the load;
warnings are reported by ``pipereg lint`` and kept on the registry.

The reference path: :mod:`pipereg.check.prefilter` vouches for most pipelines from their text
instead of walking a template tree, and must find what these rules find
(``tests/check/test_prefilter_properties.py``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pipereg import codes, language
from pipereg.check import grammar
from pipereg.check.prefilter import JAVASCRIPT, Sketch
from pipereg.compile import positions
from pipereg.compile.template import (
    FieldKey,
    Site,
    Slot,
    StageList,
    can_vanish,
    placeholder_names,
    walk_keys,
)
from pipereg.errors import Finding
from pipereg.jsontext.parse import JsonPath, compact
from pipereg.language import Kind
from pipereg.messages import did_you_mean
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING

STAGES = language.names(Kind.STAGE)
"""Every stage name MongoDB knows (the catalog's); kept here for callers of the old list."""


def check_pipeline(
    params: Mapping[str, Param],
    sites: list[Site],
    stages: Any,
    options: Any,
    *,
    text: str,
    texts: list[str],
    base: JsonPath,
    database: bool = False,
) -> Iterator[Finding]:
    """Run every rule on one pipeline.

    Args:
        params: The declared parameters.
        sites: Every placeholder found in the stages and options.
        stages: The stages' template tree.
        options: The options' template tree.
        text: The stages as compact JSON text, and ``texts`` each stage's: rules walk only the
            stages that can concern them.
        base: The pipeline's JSON path in its file, e.g. ``("pipelines", "daily")``.
        database: The pipeline runs on the database (``"collection": null``), not a collection.
    """
    at = (*base, "stages")
    yield from _placeholders(params, sites, base)
    yield from positions.check(params, [s for s in sites if s.path[: len(at)] == at], stages, at)
    if any(param.regex for param in params.values()):
        yield from _patterns(params, sites, base)
    yield from grammar.check(stages, params, at, database=database)
    if any(f'"{key}"' in text for key in JAVASCRIPT):
        yield from _javascript(stages, at)
    if all(name in params for name in (site.name for site in sites)):
        # Only placeholders of parameters that may be absent can disappear, and only field keys
        # can collide: walk just the stages that hold them.
        absent = [f"<<{n}>>" for n, p in params.items() if not p.always_present]
        fields = [f'"<<{site.name}>>"' for site in sites if site.kind == "key"]
        for i, stage_text in enumerate(texts):
            if any(mark in stage_text for mark in absent):
                yield from _removals(stages[i], params, (*at, i))
            if any(mark in stage_text for mark in fields):
                yield from _field_defaults(stages[i], params, (*at, i))
        yield from _options(options, params, text, (*base, "options"))


def clean(
    params: Mapping[str, Param],
    sketch: Sketch,
    stages: Any,
    *,
    javascript_free: bool = False,
    database: bool = False,
) -> bool:
    """Whether :func:`check_pipeline` would find nothing, told from the text alone.

    A pipeline it cannot vouch for (false) gets its templates built and every rule run, so a
    finding is always found and located by :func:`check_pipeline` itself; this only spares the
    walks for pipelines that need none, which most do.

    Args:
        params: The declared parameters.
        sketch: The pipeline's placeholders and stages text (see
        :func:`pipereg.check.prefilter.sketch`). stages: The stages as parsed.
        javascript_free: Whether a text that holds the stages' text is known to name no
            JavaScript operator (see :func:`pipereg.check.prefilter.sketch_file`); else the stages'
            own text is tested.
        database: The pipeline runs on the database (``"collection": null``).
    """
    text = sketch.text
    if any(map(_REGEX, params.values())):
        return False  # PR033, PR034: rare, and they depend on where placeholders stand
    if sketch.marks.names != params.keys():  # PR020, PR021
        return False
    for mark in sketch.marks.others:  # whole values need no more than their declaration
        param = params[mark.name]
        if mark.kind == "text" and (not param.scalar or not _always_present(param)):  # PR023
            return False
        if (mark.dollar or mark.kind == "key") and param.type != "field":  # PR035, PR024
            return False
        # PR029 needs a field parameter's default written as a key in the stages (a key
        # holding "<<" may read otherwise in the tree: "a<<<<b" is the key "a<<b").
        default = param.default if mark.kind == "key" else None
        if default is not None and default is not MISSING and _may_be_key(default, text):
            return False
    if not javascript_free and any(f'"{key}"' in text for key in JAVASCRIPT):  # PR032
        return False
    absent = [f"<<{n}>>" for n, p in params.items() if not p.always_present]
    if not positions.plain_positions(sketch.texts, absent):  # PR042-PR045
        return False
    if grammar.check(
        stages, params, ("stages",), database=database
    ):  # PR030, PR031, PR036-PR039, PR090
        return False
    # PR027 needs a placeholder that may be absent in the argument list of a $ operator other
    # than the droppable ones, in one stage.
    for stage_text in sketch.texts:
        for placeholder in absent:
            if placeholder in stage_text:
                if _ARGUMENTS.search(stage_text):
                    return False
                break
    return True


_REGEX = operator.attrgetter("regex")


def _placeholders(
    params: Mapping[str, Param], sites: list[Site], base: JsonPath
) -> Iterator[Finding]:
    used = set()
    for site in sites:
        used.add(site.name)
        param = params.get(site.name)
        if param is None:
            hint = did_you_mean(site.name, params)
            yield Finding(
                site.path,
                codes.UNDECLARED_PARAMETER,
                f"<<{site.name}>> is not a declared parameter{hint}",
            )
        elif site.kind == "text" and (not param.scalar or not _always_present(param)):
            reason = "is not a scalar" if not param.scalar else "may be left out"
            yield Finding(
                site.path,
                codes.EMBEDDED_PLACEHOLDER,
                f"<<{site.name}>> is embedded in text but {reason}; only scalar parameters that "
                "are required or have a default can be embedded",
            )
        elif site.field_path and param.type != "field":
            yield Finding(
                site.path,
                codes.DOLLAR_PLACEHOLDER_NOT_FIELD,
                f"<<{site.name}>> follows '$', so its value names a field (or, starting with '$', "
                "a variable such as $$ROOT); declare it type field, which checks the path, "
                f"not {param.type}",
            )
        elif site.kind == "key" and param.type != "field":
            yield Finding(
                site.path,
                codes.KEY_PLACEHOLDER,
                f"<<{site.name}>> is used as an object key, so it must be declared with type "
                f"field, not {param.type}",
            )
    for name in params:
        if name not in used:
            yield Finding(
                (*base, "params", name),
                codes.UNUSED_PARAMETER,
                f"parameter {name!r} is declared but never used",
            )


def _patterns(params: Mapping[str, Param], sites: list[Site], base: JsonPath) -> Iterator[Finding]:
    # Parameters declared "regex": true put a caller's pattern in front of the server's regex
    # engine. Escaped values need no such care: they match as literal text.
    for name, param in params.items():
        if param.regex and param.max_length is None:
            yield Finding(
                (*base, "params", name, "regex"),
                codes.REGEX_WITHOUT_MAX_LENGTH,
                f"{name!r} takes a caller's regular expression but sets no maxLength; a long "
                "pattern with nested repetition can take the server seconds per document "
                "(ReDoS): set maxLength, and a pattern that admits only what you need",
                "warning",
            )
    for site in sites:
        declared = params.get(site.name)
        if declared is not None and declared.regex and not site.regex and site.kind != "key":
            yield Finding(
                site.path,
                codes.REGEX_OUTSIDE_REGEX,
                f"<<{site.name}>> is declared regex: true, but stands here outside a regular "
                "expression (the value of $regex, or regex in $regexMatch, $regexFind, "
                "$regexFindAll), where its value is taken as plain text",
                "warning",
            )


def _always_present(param: Param) -> bool:
    return not param.nullable and param.always_present


def _may_be_key(default: Any, text: str) -> bool:
    return not isinstance(default, str) or "<<" in default or compact(default) + ":" in text


def _javascript(stages: Any, path: JsonPath) -> Iterator[Finding]:
    for at, key, _ in walk_keys(stages, path):
        if key in JAVASCRIPT:
            yield Finding(
                at,
                codes.JAVASCRIPT,
                f"{key} runs server-side JavaScript: slow, often disabled on servers, and "
                "hard to review; prefer aggregation expressions",
                "warning",
            )


# Operators whose array holds independent conditions or values: dropping one narrows or widens a
# filter, as intended. In any other operator's argument list ($concat, $cond, $subtract...)
# dropping an element silently changes what the expression computes. Arrays that are plain values
# (not under a $ key) follow the removal rule as written.
_DROPPABLE = frozenset({"$and", "$or", "$nor", "$in", "$nin", "$all"})
# In compact JSON text: a key starting with $ whose value is an array (an argument list) and
# that is not droppable; or a string starting with $ that holds an escape, which it cannot read.
_ARGUMENTS = re.compile(
    r'"\$(?!(?:' + "|".join(sorted(k[1:] for k in _DROPPABLE)) + r')":)[^"\\]*(?:\\|":\[)'
)


def _removals(node: Any, params: Mapping[str, Param], path: JsonPath) -> Iterator[Finding]:
    present = _presence(params)
    for at, parent_key, items in _arrays(node, path, None):
        if not parent_key or not parent_key.startswith("$") or parent_key in _DROPPABLE:
            continue
        for i, item in enumerate(items):
            if can_vanish(item, present):
                yield Finding(
                    (*at, i),
                    codes.ABSENCE_CHANGES_MEANING,
                    f"this argument of {parent_key} disappears when "
                    f"{_absent_names(item, params)} is left out, which would change what "
                    f"{parent_key} computes; give the parameter a default",
                )


def check_removals(node: Any, params: Mapping[str, Param], path: JsonPath) -> Iterator[Finding]:
    """PR027 alone, on a template tree whose placeholders are all declared in ``params``.

    For fragments: an optional fragment parameter left out of an include is removed at load by
    the same rule, so its body must allow that wherever it is inlined.
    """
    return _removals(node, params, path)


def _arrays(
    node: Any, path: JsonPath, key: str | None
) -> Iterator[tuple[JsonPath, str | None, list[Any]]]:
    # Every plain array (stage lists may lose stages) with the key that holds it.
    if type(node) is list:
        yield path, key, node
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _arrays(item, (*path, i), key if type(node) is StageList else None)
    elif isinstance(node, dict):
        for name, value in node.items():
            step = name if isinstance(name, str) else f"<<{name.name}>>"
            yield from _arrays(value, (*path, step), step)


def _presence(params: Mapping[str, Param]) -> Callable[[str], bool]:
    return lambda name: params[name].always_present


def _absent_names(node: Any, params: Mapping[str, Param]) -> str:
    names = sorted({site for site in placeholder_names(node) if not params[site].always_present})
    return " or ".join(f"<<{name}>>" for name in names)


# What each aggregate option accepts from a placeholder.
_OPTION_TYPES = {
    "allowDiskUse": {"bool"},
    "maxTimeMS": {"int", "long"},
    "batchSize": {"int", "long"},
    "collation": {"object"},
    "hint": {"string", "object"},
    "readConcern": {"object"},
    "writeConcern": {"object"},
    "bypassDocumentValidation": {"bool"},
    "maxAwaitTimeMS": {"int", "long"},
}


def _options(
    options: Any, params: Mapping[str, Param], text: str, path: JsonPath
) -> Iterator[Finding]:
    if not isinstance(options, dict):
        return
    for name, value in options.items():
        allowed = _OPTION_TYPES.get(name)
        if allowed and type(value) is Slot and params[value.name].type not in allowed:
            yield Finding(
                (*path, name),
                codes.OPTION_TYPE,
                f"<<{value.name}>> is a {params[value.name].type} parameter, but {name} takes "
                + " or ".join(sorted(allowed)),
            )
    variables = options.get("let")
    if isinstance(variables, dict):
        present = _presence(params)
        used = set(_VARIABLE.findall(text))
        for name, value in variables.items():
            if name in used and can_vanish(value, present):
                yield Finding(
                    (*path, "let", name),
                    codes.ABSENCE_CHANGES_MEANING,
                    f"let variable {name!r} disappears when {_absent_names(value, params)} is "
                    f"left out, but the stages use $${name}; give the parameter a default or "
                    "make it nullable",
                )


_VARIABLE = re.compile(r"\$\$([A-Za-z_][A-Za-z0-9_]*)")


def _field_defaults(node: Any, params: Mapping[str, Param], path: JsonPath) -> Iterator[Finding]:
    for at, key, value in walk_keys(node, path):
        if not isinstance(value, dict):
            continue
        literal = {k for k in value if isinstance(k, str)}
        for k in value:
            if type(k) is FieldKey and params[k.name].default in literal:
                yield Finding(
                    (*at, f"<<{k.name}>>"),
                    codes.FIELD_DEFAULT_REPEATS_KEY,
                    f"the default of <<{k.name}>>, {params[k.name].default!r}, is also a key of "
                    "this object, so every render that uses the default fails",
                )
        del key
