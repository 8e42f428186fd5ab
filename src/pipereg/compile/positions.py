"""What a placeholder may stand for where it stands, and what leaving it out may delete.

The template builder marks each placeholder with the kind of position it stands in (see
:mod:`pipereg.compile.contexts`, the position table built from the catalog). This module holds
the rules that need the declarations too:

- **Values stay values.** A placeholder in JavaScript (``PLACEHOLDER_IN_JAVASCRIPT``) or where
  the table knows nothing (``PLACEHOLDER_IN_UNKNOWN_POSITION``) is refused. Where a value names
  something (a field, a variable, a collection), the declaration must restrict it
  (``PLACEHOLDER_NAMES_THING``): names need a ``field`` parameter, collections and
  variables an ``enum``, sub-field paths (``"$profile.<<s>>"``) a ``field`` with ``enum`` or
  ``pattern``.
- **Absence never deletes structure** (``ABSENCE_DELETES_STRUCTURE``). Leaving out an optional
  parameter may remove only what :data:`ABSENCE_TABLE` lists; anywhere else the load fails,
  naming the parameter and the argument it would delete.

``tests/security/test_positions.py`` attacks each rule; ``docs/file-format.md`` holds the table
in prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pipereg import codes, language
from pipereg.compile import contexts
from pipereg.compile.contexts import Body, Context
from pipereg.compile.template import FieldKey, Site, Slot, StageList, can_vanish, placeholder_names
from pipereg.errors import Finding
from pipereg.jsontext.parse import JsonPath
from pipereg.language import Kind
from pipereg.params.declaration import Param

# Stages that may disappear when their body empties: an empty filter, no field to set or
# unset, no sort key, no limit or skip mean "do nothing", which is what leaving the values
# out asks for. Any other stage carries meaning when empty ($project would stop projecting).
VANISHING_STAGES = frozenset({"$match", "$set", "$addFields", "$unset", "$sort", "$limit", "$skip"})
# Sub-pipelines that may become empty: an empty $lookup or $unionWith pipeline (or $facet
# branch) reads every document, as the $match stages it lost would have when left out.
_EMPTY_PIPELINES = frozenset({("$lookup", "pipeline"), ("$unionWith", "pipeline")})
# Lists whose items are independent conditions or values: dropping one is what leaving it out
# means. Lists under other "$" keys are an operator's arguments (ABSENCE_CHANGES_MEANING).
_VALUE_LISTS = frozenset({"$and", "$or", "$nor", "$in", "$nin", "$all"})
# Objects whose members may each disappear: filters (a condition left out), sort keys, the
# fields of a projection, a computed document or a stage that sets fields.
_DROPPABLE_MEMBERS = frozenset(
    {contexts.QUERY, contexts.SORT, contexts.PROJECTION, contexts.EXPR, contexts.REGEX_EXPR}
)

ABSENCE_TABLE: tuple[tuple[str, str], ...] = (
    ("a member of a filter (`$match`, `filter`, `query`, `restrictSearchWithMatch`)", "removed"),
    ("an item of `$in`, `$nin`, `$all`, `$and`, `$or`, `$nor`", "removed"),
    ("a field of `$set`/`$addFields`/`$project`/`$group` or of a computed document", "removed"),
    ("a sort key", "removed"),
    ("an optional argument written as the placeholder itself", "removed (server default)"),
    ("a `$match`, `$set`, `$addFields`, `$unset`, `$sort`, `$limit`, `$skip` stage", "removed"),
    ("every stage of a `$lookup`, `$unionWith` or `$facet` pipeline", "the list stays, empty"),
    ("anything else (`whenMatched`, `$project`, a required argument, an array item)", "error"),
)
"""What leaving out an optional parameter may delete, by position (the docs' table)."""


_FILTER_STAGE = re.compile(r'\{"\$(?:match|limit|skip)":')
_FIELDS_STAGE = re.compile(r'\{"\$(?:set|addFields)":\{')
_OPERATOR_KEY = re.compile(r'"(\$[A-Za-z]+)":')
_VALUE_LIST_OPEN = re.compile(r'"\$(?:' + "|".join(k[1:] for k in sorted(_VALUE_LISTS)) + r')":\[')
_NAMING_TEXT = re.compile(r'"\$[^"]*<<|<<[A-Za-z0-9_]*>>":')
_CODE = frozenset({"$function", "$accumulator", "$where", "$expr"})


def plain_positions(texts: list[str], absent: list[str]) -> bool:
    """Whether :func:`check` finds nothing in stages, told from their compact JSON text.

    True when every stage holding a placeholder is a ``$limit``, a ``$skip`` or a ``$match``
    whose operators are all known query operators other than ``$expr`` and ``$where``, and
    whose arrays are all value lists (there every position is a filter's, and every removal a
    filter member's or a value list item's); or a ``$set`` or ``$addFields`` whose operators
    are known expression operators running no JavaScript, with no placeholder that may be
    absent, none as a key and none after a ``$``. Anything else gets the full walk.

    Args:
        texts: Each stage's compact JSON text.
        absent: ``<<name>>`` for each parameter that may be left out.
    """
    for text in texts:
        if "<<" not in text:
            continue
        operators = set(_OPERATOR_KEY.findall(text, text.find(":")))
        if operators & _CODE:
            return False
        if _FILTER_STAGE.match(text):
            kind = Kind.QUERY
            if text.count("[") != len(_VALUE_LIST_OPEN.findall(text)):
                return False
        elif _FIELDS_STAGE.match(text):
            kind = Kind.EXPRESSION
            if _NAMING_TEXT.search(text) or any(mark in text for mark in absent):
                return False
        else:
            return False
        if not all(language.is_known(name, kind) for name in operators):
            return False
    return True


def check(
    params: Mapping[str, Param], sites: list[Site], stages: Any, path: JsonPath
) -> Iterator[Finding]:
    """Every finding of this module for one pipeline's stages.

    Args:
        params: The declarations; placeholders not declared are skipped (the rules report them).
        sites: The placeholders the template builder found in the stages.
        stages: The stages' template tree.
        path: The stages' JSON path in the file.
    """
    for site in sites:
        param = params.get(site.name)
        if param is not None:
            yield from _site(site, param)
    present: Callable[[str], bool] = lambda name: name not in params or params[name].always_present  # noqa: E731
    if not all(present(site.name) for site in sites):
        yield from _absence(stages, contexts.STAGES, path, present, params, None)


def _site(site: Site, param: Param) -> Iterator[Finding]:
    position, name = site.position, site.name
    if position == contexts.UNKNOWN_STAGE:
        return  # the stage's name is an error of its own
    if position == contexts.JAVASCRIPT:
        yield Finding(
            site.path,
            codes.PLACEHOLDER_IN_JAVASCRIPT,
            f"<<{name}>> stands inside JavaScript code, where its value would run as code; pass "
            "values to $function through args (and to $accumulator through initArgs or "
            "accumulateArgs), never into the code text",
        )
    elif position in (contexts.UNKNOWN, contexts.STAGE, contexts.STAGES) or (
        site.kind == "key" and position == "arguments"
    ):
        if position == contexts.STAGES and param.enum is not None and param.type == "string":
            return  # whenMatched: "<<mode>>" from a declared list of modes
        what = {
            contexts.STAGE: "for a stage",
            contexts.STAGES: "for a pipeline",
            "arguments": "as a key choosing an operator's argument",
        }.get(position, "where the catalog of MongoDB's language does not say how a value reads")
        yield Finding(
            site.path,
            codes.PLACEHOLDER_IN_UNKNOWN_POSITION,
            f"<<{name}>> stands {what}, so nothing can vouch that its value stays a value; "
            "write the structure in the file and put placeholders in its value positions",
        )
    elif site.kind == "key" and position == contexts.VARIABLES:
        yield _names(site, "a variable name", "declare the variables in the file")
    elif position == contexts.NAMESPACE and param.enum is None:
        yield _names(site, "a collection", "declare an enum of the collections it may name")
    elif position == contexts.NAME and site.kind != "key":
        if not _names_fields(param):
            yield _names(site, "a field", _FIELD_HINT)
        elif site.prefix not in ("", "$") and not _restricted(param):
            yield _subfield(site)
    elif site.kind == "text" and site.prefix.startswith("$") and position in _READS_PATHS:
        # "$<<s>>" with s not a field: the rules' DOLLAR_PLACEHOLDER_NOT_FIELD, an error.
        if site.prefix.startswith("$$") and param.enum is None:
            yield _names(
                site,
                "a variable (such as $$ROOT or $$CURRENT)",
                "declare it type field with an enum of the variable names it may take, or write "
                "the variable",
            )
        elif site.prefix not in ("$", "$$") and not (param.type == "field" and _restricted(param)):
            yield _subfield(site)


_READS_PATHS = frozenset({*contexts.EXPRESSIONS, contexts.PROJECTION})
_FIELD_HINT = "declare it type field, which checks the path"


def _names_fields(param: Param) -> bool:
    # A field parameter, or an array of them where a list of names stands (partitionByFields).
    items = param.items
    return param.type == "field" or (items is not None and items.type == "field")


def _restricted(param: Param) -> bool:
    return param.enum is not None or param.pattern is not None


def _names(site: Site, what: str, hint: str) -> Finding:
    return Finding(
        site.path,
        codes.PLACEHOLDER_NAMES_THING,
        f"<<{site.name}>> names {what} here, so a caller would choose which one; {hint}",
    )


def _subfield(site: Site) -> Finding:
    return Finding(
        site.path,
        codes.PLACEHOLDER_NAMES_THING,
        f"<<{site.name}>> completes the path {site.prefix!r}, so a caller could reach any "
        "sub-field (or a deeper one); declare it type field with an enum or a pattern of the "
        "sub-fields it may name",
    )


def _absence(
    node: Any,
    context: Context,
    path: JsonPath,
    present: Callable[[str], bool],
    params: Mapping[str, Param],
    key: str | None,
) -> Iterator[Finding]:
    # key: the member name that holds node (None in a list).
    context = contexts.value_context(context, node)
    if type(node) is StageList:
        yield from _stage_list(node, path, present, params, key)
    elif type(node) is list:
        for i, item in enumerate(node):
            at = (*path, i)
            # A lone item vanishes only with its list: the list's holder decides.
            if can_vanish(item, present) and len(node) > 1:
                if key is not None and key.startswith("$"):
                    continue  # a value list, or an operator's arguments (the rules' check)
                yield _deletes(item, at, params, "this item of a literal array")
                continue
            yield from _absence(item, contexts.item_context(context, i), at, present, params, None)
    elif type(node) is dict:
        for name, value in node.items():
            step = name if isinstance(name, str) else f"<<{name.name}>>"
            at = (*path, step)
            inner = contexts.member_context(context, name) if isinstance(name, str) else context
            gone = (type(name) is FieldKey and not present(name.name)) or can_vanish(value, present)
            # A lone member vanishes only with its object: the object's holder decides.
            if gone and len(node) > 1 and not _member_may_vanish(context, name, value, inner):
                yield _deletes(value, at, params, f"the argument {step}", name)
                continue
            yield from _absence(value, inner, at, present, params, step)


def _stage_list(
    stages: list[Any],
    path: JsonPath,
    present: Callable[[str], bool],
    params: Mapping[str, Param],
    key: str | None,
) -> Iterator[Finding]:
    for i, stage in enumerate(stages):
        at = (*path, i)
        name = next(iter(stage), None) if type(stage) is dict and len(stage) == 1 else None
        known = name is not None and language.stage(name) is not None  # else the rules say so
        if known and can_vanish(stage, present) and name not in VANISHING_STAGES:
            yield _deletes(stage, at, params, f"the stage {name or ''}".rstrip())
            continue
        yield from _absence(stage, contexts.STAGE, at, present, params, None)
    if key is not None and stages and all(can_vanish(stage, present) for stage in stages):
        owner = _owner(path)
        if owner != "$facet" and (owner, key) not in _EMPTY_PIPELINES:
            yield _deletes(stages, path, params, f"every stage of {key}")


def _owner(path: JsonPath) -> str:
    return str(path[-2]) if len(path) >= 2 else ""


def _member_may_vanish(context: Context, name: Any, value: Any, inner: Context) -> bool:
    if type(context) is Body:
        if type(name) is FieldKey:
            return True  # only where the body takes any field (the sites check refuses others)
        argument = context.operator.argument(name) if context.argument is None else None
        if context.argument is not None:
            fields = {field.name: field for field in context.argument.fields}
            argument = fields.get(name) or fields.get("*")
        if argument is None or argument.required:
            return False
        return type(value) is Slot or inner == contexts.QUERY or argument.name == "*"
    if context not in _DROPPABLE_MEMBERS:
        return False
    # In an expression, a "$" member is an operator's whole argument.
    return not (isinstance(name, str) and name.startswith("$") and context != contexts.QUERY)


def _deletes(
    node: Any, at: JsonPath, params: Mapping[str, Param], what: str, name: Any = None
) -> Finding:
    absent = sorted(
        {n for n in placeholder_names(node) if n in params and not params[n].always_present}
        | (
            {name.name}
            if type(name) is FieldKey
            and name.name in params  # an undeclared one is PR020's to report
            and not params[name.name].always_present
            else set()
        )
    )
    placeholders = " or ".join(f"<<{n}>>" for n in absent)
    return Finding(
        at,
        codes.ABSENCE_DELETES_STRUCTURE,
        f"when {placeholders} is left out, {what} disappears, which changes what the pipeline "
        "does rather than leaving a value out; give the parameter a default, make it "
        "required, or write a separate pipeline without it",
    )
