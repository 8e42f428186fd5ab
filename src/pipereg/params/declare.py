"""Declarations built from their JSON form: bounds, enum values and defaults checked by coercion.

:func:`declare` reads the ``params`` object of a pipeline or fragment, :func:`from_json` one
declaration. Building a declaration coerces its own bounds, enum values and default, so this
module sits above :mod:`~pipereg.params.coerce`; the built :class:`~pipereg.params.Param` is data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from pipereg import codes
from pipereg.errors import Finding
from pipereg.jsontext.extjson import ExtJsonError, is_wrapper, literal
from pipereg.jsontext.parse import JsonPath, compact
from pipereg.params.coerce import coerce, ordered
from pipereg.params.declaration import Param
from pipereg.params.regex import compile_pattern
from pipereg.params.values import Invalid

# Declarations built recently, by JSON text alone (see from_json): nothing built depends on
# the name, so a body met again under another name is renamed, not rebuilt. The text tells 1 from
# 1.0 and true, which compare equal in Python. Invalid declarations are never kept.
_BUILT: dict[str, Param] = {}
# The same declarations under each name they were asked for, so that a name and body repeated in
# many pipelines stay one object (less memory; the load cache writes each object once).
_NAMED: dict[tuple[str, str], Param] = {}
_BUILT_KEPT = 4096  # for each of the two


def from_json(name: str, raw: Mapping[str, Any], text: str | None = None) -> Param:
    """Build a declaration from its (schema-valid) JSON form.

    Declarations are immutable, so one written alike in many pipelines (``limit``,
    ``since``) is built once and shared: a recent build is reused when the declaration's
    JSON text is the same, under another name a copy carrying that name (the same object
    for the same name). ``text`` is that text (``compact(raw)``, or orjson's spelling of it:
    see :mod:`pipereg.jsontext.compact`), if the caller has it
    already (:func:`~pipereg.jsontext.parse.parse_document` does).

    Raises:
        Invalid: a constraint, enum value or default does not fit the declaration; ``where``
            names the offending key (``.default``, ``.enum[1]``, ``.properties.x.minimum``).
    """
    try:
        body = compact(raw) if text is None else text
    except (TypeError, ValueError, RecursionError):  # not JSON: built, never shared
        return _build(name, raw)
    key = (name, body)
    named = _NAMED.get(key)
    if named is not None:
        return named
    built = _BUILT.get(body)
    if built is None:
        built = _build(name, raw)
        if len(_BUILT) >= _BUILT_KEPT:
            _BUILT.clear()  # a bound, not a policy: reloads of changed files come and go
        _BUILT[body] = built
    named = built if built.name == name else _renamed(built, name)
    if len(_NAMED) >= _BUILT_KEPT:
        _NAMED.clear()
    _NAMED[key] = named
    return named


def _build(name: str, raw: Mapping[str, Any]) -> Param:
    kind = raw["type"]
    items = None
    if "items" in raw:
        try:
            items = _build("[]", raw["items"])
        except Invalid as exc:
            raise exc.under(".items") from None
    properties: dict[str, Param] = {}
    for prop, decl in raw.get("properties", {}).items():
        try:
            properties[prop] = _build(prop, decl)
        except Invalid as exc:
            raise exc.under(f".properties.{prop}") from None
    matcher = None
    if "pattern" in raw:
        try:
            matcher = compile_pattern(raw["pattern"])
        except re.error as exc:
            raise Invalid(f"invalid regular expression: {exc}", where=".pattern") from None
    base = Param(
        name=name,
        type=kind,
        description=raw.get("description", ""),
        optional=raw.get("optional", False),
        nullable=raw.get("nullable", False),
        min_length=raw.get("minLength"),
        max_length=raw.get("maxLength"),
        pattern=raw.get("pattern"),
        matcher=matcher,
        regex=raw.get("regex", False),
        min_items=raw.get("minItems"),
        max_items=raw.get("maxItems"),
        items=items,
        properties=MappingProxyType(properties),
    )
    # Bounds, enum values and the default are written in the parameter's own type, so each is
    # coerced by the declaration as built so far.
    return _with_default(_with_enum(_with_bounds(base, raw), raw), raw)


def _with_bounds(param: Param, raw: Mapping[str, Any]) -> Param:
    for least, most in (("minLength", "maxLength"), ("minItems", "maxItems")):
        if raw.get(least, 0) > raw.get(most, raw.get(least, 0)):
            raise Invalid(f"{least} is greater than {most}", where=f".{least}")
    bounds = {}
    for key in ("minimum", "maximum"):
        if key in raw:
            try:
                bounds[key] = coerce(param, _from_extjson(raw[key]))
            except Invalid as exc:
                raise Invalid(f"{key}: {exc.problem}", where=f".{key}") from None
    if not bounds:
        return param
    low, high = bounds.get("minimum"), bounds.get("maximum")
    if low is not None and high is not None and ordered(low) > ordered(high):
        raise Invalid("minimum is greater than maximum", where=".minimum")
    return _with(param, **bounds)


def _with_enum(param: Param, raw: Mapping[str, Any]) -> Param:
    if "enum" not in raw:
        return param
    values = []
    for i, value in enumerate(raw["enum"]):
        try:
            values.append(coerce(param, _from_extjson(value)))
        except Invalid as exc:
            raise Invalid(f"enum value: {exc.problem}", where=f".enum[{i}]") from None
    return _with(param, enum=tuple(values))


def _with_default(param: Param, raw: Mapping[str, Any]) -> Param:
    if "default" not in raw:
        return param
    default = _from_extjson(raw["default"])
    if default is None and not param.nullable:
        raise Invalid("default is null but the parameter is not nullable", where=".default")
    try:
        value = None if default is None else coerce(param, default)
    except Invalid as exc:
        raise Invalid(f"default: {exc.problem}", where=".default" + exc.where) from None
    return _with(param, default=value)


def _with(param: Param, **changes: Any) -> Param:
    # Completes a declaration that from_json has just built and not yet returned: bounds,
    # then enum values, then the default are each coerced by the declaration as completed so far.
    # Setting them in place spares a full copy of a frozen instance per step (startup cost).
    for name, value in changes.items():
        object.__setattr__(param, name, value)
    return param


def _renamed(param: Param, name: str) -> Param:
    # A built declaration under another name. _build uses the name for the name field alone:
    # messages, bounds, enum values, the default, the matcher and the errors it raises (located
    # by a `where` relative to the declaration) are the body's, and nested items ("[]") and
    # properties are named by the body. So every other field is shared as it is: the instance
    # dict is copied, without __init__ (dataclasses.replace costs about 8x; startup cost).
    twin = object.__new__(type(param))
    fields = param.__dict__.copy()
    fields["name"] = name
    object.__setattr__(twin, "__dict__", fields)
    return twin


def _from_extjson(value: Any) -> Any:
    # Declarations may write bounds, enum values and defaults as Extended JSON literals.
    if isinstance(value, dict) and is_wrapper(value):
        try:
            return literal(value)
        except ExtJsonError as exc:
            raise Invalid(str(exc)) from None
    if isinstance(value, list):
        return [_from_extjson(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_extjson(v) for k, v in value.items()}
    return value


def declare(
    declarations: Mapping[str, Any], at: JsonPath, texts: Sequence[str] | None = None
) -> tuple[dict[str, Param], list[Finding]]:
    """The ``params`` object of a pipeline or fragment at ``at``, as :class:`Param` objects.

    A declaration that does not fit itself is a PR022 finding located inside it; the name then
    stands for a bare optional declaration of its type, so the rest of the pipeline or fragment
    is still checked against it. ``texts``, if given, is each declaration's compact JSON text,
    in order (see :func:`from_json`).
    """
    params: dict[str, Param] = {}
    findings: list[Finding] = []
    for i, (name, declaration) in enumerate(declarations.items()):
        try:
            text = None if texts is None else texts[i]
            params[name] = from_json(name, declaration, text)
        except Invalid as exc:
            findings.append(
                Finding((*at, name, *_steps(exc.where)), codes.DECLARATION_MISFIT, exc.problem)
            )
            params[name] = Param(name, declaration["type"], optional=True)
    return params, findings


def _steps(where: str) -> JsonPath:
    # ".properties.x[2].default" -> ("properties", "x", 2, "default")
    return tuple(
        int(index) if index else dotted
        for dotted, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", where)
    )
