"""Parameter declarations, and the coercion of a caller's parameters against them.

A :class:`Param` is built once at load from its JSON declaration; per-type coercion lives in
:mod:`pipereg.params.coerce`, regex helpers in :mod:`pipereg.params.regex`. :func:`coerce_params`
turns the values a caller passes into the values rendering substitutes: an int stays an int, a date
becomes an aware UTC datetime, an ObjectId string becomes an ObjectId, and a value can never become
an operator (object values may not carry ``$`` keys; ``field`` values may not start with ``$``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bson import Decimal128

from pipereg import codes
from pipereg.errors import Finding, ParameterError
from pipereg.jsontext.extjson import ExtJsonError, is_wrapper, literal
from pipereg.jsontext.parse import JsonPath, compact
from pipereg.messages import clip, describe, did_you_mean, show
from pipereg.params.coerce import COERCE, MISSING, SCALAR_TYPES, Invalid, fresh
from pipereg.params.regex import compile_pattern, escape_regex

__all__ = ["MISSING", "Invalid", "Param", "coerce_params", "declare", "describe", "fresh"]

# Declarations built recently, by JSON text alone (see Param.from_json): nothing built depends on
# the name, so a body met again under another name is renamed, not rebuilt. The text tells 1 from
# 1.0 and true, which compare equal in Python. Invalid declarations are never kept.
_BUILT: dict[str, Param] = {}
# The same declarations under each name they were asked for, so that a name and body repeated in
# many pipelines stay one object (less memory; the load cache writes each object once).
_NAMED: dict[tuple[str, str], Param] = {}
_BUILT_KEPT = 4096  # for each of the two


@dataclass(frozen=True, eq=False)
class Param:
    """One declared parameter (or array item, or object property).

    Attributes:
        name: The parameter name (for items, ``"[]"``).
        type: One of ``string int long double decimal bool date objectId field array object``.
        default: The coerced default, or ``MISSING``.
        matcher: ``pattern`` compiled with JSON Schema meaning, or ``None``.
        regex: Declared ``"regex": true`` (strings only): the value is a regular expression,
            inserted unescaped where a placeholder stands in one (see :meth:`in_regex`).
    """

    name: str
    type: str
    description: str = ""
    optional: bool = False
    nullable: bool = False
    default: Any = MISSING
    enum: tuple[Any, ...] | None = None
    minimum: Any = None
    maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    matcher: re.Pattern[str] | None = field(default=None, repr=False)
    regex: bool = False
    min_items: int | None = None
    max_items: int | None = None
    items: Param | None = None
    properties: Mapping[str, Param] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def required(self) -> bool:
        """Whether a caller must pass a value (not optional and no default)."""
        return not self.optional and self.default is MISSING

    @property
    def always_present(self) -> bool:
        """Whether every render has a value for it (it is not optional, or it has a default)."""
        return not self.optional or self.default is not MISSING

    @property
    def scalar(self) -> bool:
        """Whether the value is a single BSON scalar (may be embedded in text)."""
        return self.type in SCALAR_TYPES

    @classmethod
    def from_json(cls, name: str, raw: Mapping[str, Any], text: str | None = None) -> Param:
        """Build a declaration from its (schema-valid) JSON form.

        Declarations are immutable, so one written alike in many pipelines (``limit``,
        ``since``) is built once and shared: a recent build is reused when the declaration's
        JSON text is the same, under another name a copy carrying that name (the same object
        for the same name). ``text`` is that text (``compact(raw)``, or orjson's spelling of it:
        see :mod:`pipereg.jsontext.compact`), if the caller has it
        already (:func:`~pipereg.parse.parse_document` does).

        Raises:
            Invalid: a constraint, enum value or default does not fit the declaration; ``where``
                names the offending key (``.default``, ``.enum[1]``, ``.properties.x.minimum``).
        """
        try:
            body = compact(raw) if text is None else text
        except (TypeError, ValueError, RecursionError):  # not JSON: built, never shared
            return cls._build(name, raw)
        key = (name, body)
        named = _NAMED.get(key)
        if named is not None:
            return named
        built = _BUILT.get(body)
        if built is None:
            built = cls._build(name, raw)
            if len(_BUILT) >= _BUILT_KEPT:
                _BUILT.clear()  # a bound, not a policy: reloads of changed files come and go
            _BUILT[body] = built
        named = built if built.name == name else _renamed(built, name)
        if len(_NAMED) >= _BUILT_KEPT:
            _NAMED.clear()
        _NAMED[key] = named
        return named

    @classmethod
    def _build(cls, name: str, raw: Mapping[str, Any]) -> Param:
        kind = raw["type"]
        items = None
        if "items" in raw:
            try:
                items = cls._build("[]", raw["items"])
            except Invalid as exc:
                raise exc.under(".items") from None
        properties: dict[str, Param] = {}
        for prop, decl in raw.get("properties", {}).items():
            try:
                properties[prop] = cls._build(prop, decl)
            except Invalid as exc:
                raise exc.under(f".properties.{prop}") from None
        matcher = None
        if "pattern" in raw:
            try:
                matcher = compile_pattern(raw["pattern"])
            except re.error as exc:
                raise Invalid(f"invalid regular expression: {exc}", where=".pattern") from None
        base = cls(
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

    def coerce(self, value: Any) -> Any:
        """Coerce a caller's value to this declaration's type and check its constraints.

        Raises:
            Invalid: the value does not fit.
        """
        if value is None:
            if self.nullable:
                return None
            raise Invalid("must not be null", expected=self.type_name, actual="None")
        result = COERCE[self.type](self, value)
        if self.enum is not None and not any(
            type(result) is type(allowed) and result == allowed for allowed in self.enum
        ):
            choices = ", ".join(show(v) for v in self.enum)
            raise Invalid(
                f"{show(result)} is not one of {choices}",
                expected=f"one of {choices}",
                actual=describe(value),
            )
        if self.minimum is not None and _ordered(result) < _ordered(self.minimum):
            raise Invalid(
                f"{show(result)} is less than the minimum {show(self.minimum)}",
                expected=self.type_name,
                actual=describe(value),
            )
        if self.maximum is not None and _ordered(result) > _ordered(self.maximum):
            raise Invalid(
                f"{show(result)} is greater than the maximum {show(self.maximum)}",
                expected=self.type_name,
                actual=describe(value),
            )
        return result

    @property
    def type_name(self) -> str:
        """The type as people read it: ``int``, ``array of objectId``, ``object``."""
        if self.type == "array" and self.items is not None:
            return f"array of {self.items.type_name}"
        return self.type

    @property
    def may_read_as_path(self) -> bool:
        """Whether a value may hold a string starting with ``$``.

        An aggregation expression reads such a string as a field path or a variable, so renderers
        wrap it in ``$literal`` there. ``field`` values never start with ``$``.
        """
        if self.type == "string":
            return True
        if self.type == "array":
            return self.items is not None and self.items.may_read_as_path
        if self.type == "object":
            return any(prop.may_read_as_path for prop in self.properties.values())
        return False

    def to_text(self, value: Any) -> str:
        """The text form of a coerced scalar value, for placeholders embedded in strings."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime.datetime):
            return value.isoformat().replace("+00:00", "Z")
        return str(value)

    def in_regex(self, value: Any) -> Any:
        """A coerced value as it stands where a regular expression is expected.

        A string is escaped to match itself literally, unless the parameter is declared
        ``"regex": true``; other values (and ``None``) are left as they are.
        """
        if type(value) is str and not self.regex:
            return escape_regex(value)
        return value

    def to_regex_text(self, value: Any) -> str:
        """The text form of a coerced scalar value embedded in a regular expression's text."""
        text = self.to_text(value)
        return text if self.regex else escape_regex(text)


def _with_bounds(param: Param, raw: Mapping[str, Any]) -> Param:
    for least, most in (("minLength", "maxLength"), ("minItems", "maxItems")):
        if raw.get(least, 0) > raw.get(most, raw.get(least, 0)):
            raise Invalid(f"{least} is greater than {most}", where=f".{least}")
    bounds = {}
    for key in ("minimum", "maximum"):
        if key in raw:
            try:
                bounds[key] = param.coerce(_from_extjson(raw[key]))
            except Invalid as exc:
                raise Invalid(f"{key}: {exc.problem}", where=f".{key}") from None
    if not bounds:
        return param
    low, high = bounds.get("minimum"), bounds.get("maximum")
    if low is not None and high is not None and _ordered(low) > _ordered(high):
        raise Invalid("minimum is greater than maximum", where=".minimum")
    return _with(param, **bounds)


def _with_enum(param: Param, raw: Mapping[str, Any]) -> Param:
    if "enum" not in raw:
        return param
    values = []
    for i, value in enumerate(raw["enum"]):
        try:
            values.append(param.coerce(_from_extjson(value)))
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
        value = None if default is None else param.coerce(default)
    except Invalid as exc:
        raise Invalid(f"default: {exc.problem}", where=".default" + exc.where) from None
    return _with(param, default=value)


def _with(param: Param, **changes: Any) -> Param:
    # Completes a declaration that Param.from_json has just built and not yet returned: bounds,
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


def _ordered(value: Any) -> Any:
    # Decimal128 has no ordering of its own.
    return value.to_decimal() if isinstance(value, Decimal128) else value


def coerce_params(
    pipeline: str, declared: Mapping[str, Param], given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Coerce a caller's parameters; absent optional parameters are left out of the result.

    Args:
        pipeline: The pipeline key, for error messages.
        declared: The pipeline's declarations.
        given: Values by name; ``None`` counts as left out unless the parameter is nullable.

    Raises:
        ParameterError: an unknown name, a missing required parameter, or a value that does not fit.
    """
    if given is None:
        given = {}
    elif not isinstance(given, Mapping):
        raise ParameterError(pipeline, "", f"params must be a mapping, got {describe(given)}")
    for name in given:
        if name not in declared:
            raise ParameterError(
                pipeline,
                clip(str(name), 100),  # a caller's name, of any length
                f"unknown parameter{did_you_mean(str(name), declared)}",
                actual=describe(given[name]),
            )
    values: dict[str, Any] = {}
    for name, param in declared.items():
        value = given.get(name)
        if value is not None or (param.nullable and name in given):
            try:
                values[name] = param.coerce(value)
            except Invalid as exc:
                raise ParameterError(
                    pipeline,
                    name + exc.where,
                    exc.problem,
                    expected=exc.expected or param.type_name,
                    actual=exc.actual or describe(value),
                ) from None
        elif param.default is not MISSING:
            values[name] = fresh(param.default)
        elif not param.optional:
            raise ParameterError(
                pipeline,
                name,
                f"missing required parameter of type {param.type_name}",
                expected=param.type_name,
                actual="nothing" if name not in given else "None",
            )
    return values


def declare(
    declarations: Mapping[str, Any], at: JsonPath, texts: Sequence[str] | None = None
) -> tuple[dict[str, Param], list[Finding]]:
    """The ``params`` object of a pipeline or fragment at ``at``, as :class:`Param` objects.

    A declaration that does not fit itself is a PR022 finding located inside it; the name then
    stands for a bare optional declaration of its type, so the rest of the pipeline or fragment
    is still checked against it. ``texts``, if given, is each declaration's compact JSON text,
    in order (see :meth:`Param.from_json`).
    """
    params: dict[str, Param] = {}
    findings: list[Finding] = []
    for i, (name, declaration) in enumerate(declarations.items()):
        try:
            text = None if texts is None else texts[i]
            params[name] = Param.from_json(name, declaration, text)
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
