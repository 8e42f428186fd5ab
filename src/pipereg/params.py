"""Parameter declarations and strict, lossless coercion of parameter values.

A :class:`Param` is built once at load from its JSON declaration. :func:`coerce_params` turns the
values a caller passes into the values rendering substitutes: an int stays an int, a date becomes an
aware UTC datetime, an ObjectId string becomes an ObjectId, and a value can never become an operator
(object values may not carry ``$`` keys; ``field`` values may not start with ``$``).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bson import Decimal128, Int64, ObjectId

from pipereg.errors import ParameterError, clip, did_you_mean
from pipereg.extjson import ExtJsonError, is_wrapper, literal

UTC = datetime.timezone.utc
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
FIELD_MAX_LENGTH = 512
# Limits for declarations that set none: generous enough never to bite real use, but a caller
# can never make one render hold an unbounded string or list.
DEFAULT_MAX_LENGTH = 1 << 20  # characters (1 MiB)
DEFAULT_MAX_ITEMS = 100_000
SCALAR_TYPES = frozenset(
    {"string", "int", "long", "double", "decimal", "bool", "date", "objectId", "field"}
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Invalid(Exception):
    """A value does not fit a declaration; ``where`` is the path below the parameter."""

    def __init__(self, problem: str, *, expected: str = "", actual: str = "", where: str = ""):
        super().__init__(problem)
        self.problem = problem
        self.expected = expected
        self.actual = actual
        self.where = where

    def under(self, step: str) -> Invalid:
        """Prefix ``step`` (``.name`` or ``[3]``) to the location."""
        self.where = step + self.where
        return self


def describe(value: Any) -> str:
    """A short description of a value for error messages: its type and a clipped repr."""
    return f"{type(value).__name__} {_show(value)}"


def _show(value: Any) -> str:
    # Values in messages are clipped: a caller's megabyte string must not become the message.
    # An integer past a few thousand digits has no repr at all (sys.get_int_max_str_digits).
    if _is_int(value) and value.bit_length() > 128:
        return f"<{'a negative' if value < 0 else 'an'} integer of {value.bit_length()} bits>"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    try:
        text = repr(value)
    except Exception:  # a caller's value must not replace the error it is in
        # Such as a huge integer inside a list, or nesting past the recursion limit.
        return f"<{type(value).__name__} without a repr>"
    return clip(text)


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
    def from_json(cls, name: str, raw: Mapping[str, Any]) -> Param:
        """Build a declaration from its (schema-valid) JSON form.

        Raises:
            Invalid: a constraint, enum value or default does not fit the declaration; ``where``
                names the offending key (``.default``, ``.enum[1]``, ``.properties.x.minimum``).
        """
        kind = raw["type"]
        items = None
        if "items" in raw:
            try:
                items = cls.from_json("[]", raw["items"])
            except Invalid as exc:
                raise exc.under(".items") from None
        properties: dict[str, Param] = {}
        for prop, decl in raw.get("properties", {}).items():
            try:
                properties[prop] = cls.from_json(prop, decl)
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
        result = _COERCE[self.type](self, value)
        if self.enum is not None and not any(
            type(result) is type(allowed) and result == allowed for allowed in self.enum
        ):
            choices = ", ".join(_show(v) for v in self.enum)
            raise Invalid(
                f"{_show(result)} is not one of {choices}",
                expected=f"one of {choices}",
                actual=describe(value),
            )
        if self.minimum is not None and _ordered(result) < _ordered(self.minimum):
            raise Invalid(
                f"{_show(result)} is less than the minimum {_show(self.minimum)}",
                expected=self.type_name,
                actual=describe(value),
            )
        if self.maximum is not None and _ordered(result) > _ordered(self.maximum):
            raise Invalid(
                f"{_show(result)} is greater than the maximum {_show(self.maximum)}",
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


# PCRE reads a backslash before any character that is not a letter or digit as that character.
# re.escape puts one before every character special in a pattern (and only those, since 3.7),
# whitespace and # included, for the x option. Beyond that: MongoDB refuses a pattern holding NUL,
# so NUL is spelled \x00; and in PCRE's extended mode these Unicode characters are white space,
# ignored unless escaped.
_PCRE_EXTRA = str.maketrans(
    {"\x00": "\\x00", **{char: "\\" + char for char in "\x85\u200e\u200f\u2028\u2029"}}
)


def escape_regex(text: str) -> str:
    """A regular expression matching ``text`` literally, in Python's ``re`` and MongoDB's PCRE."""
    return re.escape(text).translate(_PCRE_EXTRA)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    r"""Compile a JSON Schema ``pattern`` with ECMA-262 meaning in Python's ``re``.

    ``$`` means end of text (Python's also matches before a final newline), and ``\d``, ``\w``,
    ``\s`` are ASCII classes, as in JSON Schema.
    """
    out = []
    in_class = False
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "$":
            out.append(r"\Z")
        else:
            out.append(char)
    return re.compile("".join(out), re.ASCII)


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


def _wrong(param: Param, value: Any, hint: str = "") -> Invalid:
    expected = param.type_name
    return Invalid(
        f"expected {expected}, got {describe(value)}{hint}",
        expected=expected,
        actual=describe(value),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _coerce_string(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong(param, value)
    # The text itself: str() of a str subclass may say something else (a (str, Enum) member's
    # str() is its qualified name), and every check must see what renders.
    text = str.__str__(value)
    _check_text(param, text)
    return text


def _check_text(param: Param, value: str) -> None:
    if param.min_length is not None and len(value) < param.min_length:
        raise _unfit(param, value, f"is shorter than {param.min_length} characters")
    if param.max_length is not None and len(value) > param.max_length:
        raise _unfit(param, value, f"is longer than {param.max_length} characters")
    if param.max_length is None and len(value) > DEFAULT_MAX_LENGTH:
        raise _unfit(
            param,
            value,
            f"is longer than {DEFAULT_MAX_LENGTH} characters, the limit for a {param.type} "
            "parameter without maxLength",
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _unfit(
                param, value, f"holds a lone surrogate at index {exc.start}, not valid UTF-8"
            ) from None
    if param.matcher is not None and not param.matcher.search(value):
        raise _unfit(param, value, f"{_show(value)} does not match pattern {param.pattern!r}")


def _unfit(param: Param, value: Any, problem: str) -> Invalid:
    return Invalid(problem, expected=param.type_name, actual=describe(value))


def _coerce_int(param: Param, value: Any) -> int:
    if not _is_int(value):
        hint = "; declare it double" if isinstance(value, float) else ""
        raise _wrong(param, value, hint)
    number = int(value)
    if not INT32[0] <= number <= INT32[1]:
        raise Invalid(
            f"{_show(number)} is out of range for int (32-bit); declare the parameter long",
            expected="int",
            actual=describe(value),
        )
    return number


def _coerce_long(param: Param, value: Any) -> Int64:
    if not _is_int(value):
        raise _wrong(param, value)
    if not INT64[0] <= value <= INT64[1]:
        raise Invalid(f"{_show(value)} is out of range for long (64-bit)", actual=describe(value))
    return Int64(value)


def _coerce_double(param: Param, value: Any) -> float:
    if _is_int(value):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or int(number) != value:
            raise Invalid(
                f"{_show(value)} cannot be represented exactly as a double",
                expected="double",
                actual=describe(value),
            )
        return number
    if not isinstance(value, float):
        raise _wrong(param, value)
    if not math.isfinite(value):
        raise Invalid(
            f"{value} is not a finite number (NaN and Infinity are rejected)",
            expected="double",
            actual=describe(value),
        )
    return float(value)


def _coerce_decimal(param: Param, value: Any) -> Decimal128:
    if isinstance(value, Decimal128):
        number = value.to_decimal()
    elif _is_int(value) or isinstance(value, str):
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            raise _wrong(param, value) from None
    elif isinstance(value, decimal.Decimal):
        number = value
    elif isinstance(value, float):
        raise _wrong(param, value, "; a float is not exact, pass a Decimal or a string")
    else:
        raise _wrong(param, value)
    if not number.is_finite():
        raise Invalid(
            f"{_show(value)} is not a finite number (NaN and Infinity are rejected)",
            expected="decimal",
            actual=describe(value),
        )
    try:
        result = Decimal128(number)
    except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
        raise Invalid(
            f"{_show(value)} does not fit a decimal128 exactly", actual=describe(value)
        ) from None
    return result


def _coerce_bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _wrong(param, value)
    return value


def _coerce_date(param: Param, value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = _parse_date(param, value)
    else:
        raise _wrong(param, value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Invalid(
            f"{_show(value)} is out of range once converted to UTC",
            expected="date",
            actual=describe(value),
        ) from None


# RFC 3339 date-times and plain dates, on every Python version (fromisoformat's grammar grew in
# 3.11): YYYY-MM-DD, optionally THH:MM[:SS[.f{1,6}]] and Z or +HH:MM.
_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?([Zz]|[+-]\d{2}:\d{2})?)?\Z"
)

# Python's datetime, and so every date pipereg renders, has years 1 to 9999 (BSON could hold more).
_LONG_YEAR = re.compile(r"[+-]?\d{5,}-\d{2}-\d{2}")
_YEARS = "years run from 0001 to 9999"


def _parse_date(param: Param, value: str) -> datetime.datetime:
    match = _DATE.match(value)
    if not match:
        if _LONG_YEAR.match(value):
            raise _wrong(param, value, f"; {_YEARS}")
        raise _wrong(param, value, "; not an ISO-8601 date (such as 2024-03-01T10:00:00Z)")
    day, minutes, seconds, fraction, offset = match.groups()
    text = day
    if minutes:
        text += f"T{minutes}:{seconds or '00'}"
        if fraction:
            text += "." + fraction.ljust(6, "0")  # 3.10 reads exactly 3 or 6 digits
        if offset:
            text += "+00:00" if offset in ("Z", "z") else offset
    if day.startswith("0000"):
        raise _wrong(param, value, f"; {_YEARS}")
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _wrong(param, value, f"; not an ISO-8601 date: {exc}") from None


def _coerce_object_id(param: Param, value: Any) -> ObjectId:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and len(value) == 24:
        try:
            return ObjectId(value)
        except Exception:  # bson.errors.InvalidId
            pass
    raise _wrong(param, value, "; expected an ObjectId or 24 hex digits")


def _coerce_field(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong(param, value)
    text = str.__str__(value)  # see _coerce_string
    if not text:
        raise Invalid("a field path cannot be empty", actual=describe(value))
    if len(text) > FIELD_MAX_LENGTH:
        raise Invalid(
            f"a field path is at most {FIELD_MAX_LENGTH} characters, got {len(text)}",
            actual=describe(value),
        )
    if text.startswith("$"):
        raise Invalid(
            f"a field path cannot start with '$' (got {_show(text)})", actual=describe(value)
        )
    if "\x00" in text:
        raise Invalid("a field path cannot contain NUL", actual=describe(value))
    segments = text.split(".")
    if "" in segments:
        raise Invalid(f"field path {_show(text)} has an empty segment", actual=describe(value))
    if any(segment.startswith("$") for segment in segments):
        raise Invalid(
            f"field path {_show(text)} has a segment starting with '$'", actual=describe(value)
        )
    _check_text(param, text)
    return text


def _coerce_array(param: Param, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise _wrong(param, value)
    if param.min_items is not None and len(value) < param.min_items:
        raise _unfit(param, value, f"has {len(value)} items, fewer than {param.min_items}")
    if param.max_items is not None and len(value) > param.max_items:
        raise _unfit(param, value, f"has {len(value)} items, more than {param.max_items}")
    if param.max_items is None and len(value) > DEFAULT_MAX_ITEMS:
        raise _unfit(
            param,
            value,
            f"has {len(value)} items, more than {DEFAULT_MAX_ITEMS}, the limit for an array "
            "parameter without maxItems",
        )
    items = param.items
    assert items is not None  # the schema requires items for arrays
    result = []
    for i, item in enumerate(value):
        try:
            result.append(items.coerce(item))
        except Invalid as exc:
            raise exc.under(f"[{i}]") from None
    return result


def _coerce_object(param: Param, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _wrong(param, value)
    for key in value:
        if not isinstance(key, str):
            raise Invalid(f"object keys must be strings, got {describe(key)}")
        if key.startswith("$"):
            raise Invalid(f"key {_show(key)} starts with '$': operators cannot be passed as values")
        if key not in param.properties:
            raise Invalid(f"unknown key {_show(key)}{did_you_mean(key, param.properties)}")
    result: dict[str, Any] = {}
    # The caller's key order is kept (it matters in $sort and exact matches); defaults follow.
    order = [*value, *(name for name in param.properties if name not in value)]
    for name in order:
        prop = param.properties[name]
        given = value.get(name)
        try:
            if given is not None or (name in value and prop.nullable):
                result[name] = prop.coerce(given)
            elif prop.default is not MISSING:
                result[name] = fresh(prop.default)
            elif not prop.optional:
                raise Invalid(f"missing required {prop.type_name}")
        except Invalid as exc:
            raise exc.under(f".{name}") from None
    return result


_COERCE: dict[str, Callable[[Param, Any], Any]] = {
    "string": _coerce_string,
    "int": _coerce_int,
    "long": _coerce_long,
    "double": _coerce_double,
    "decimal": _coerce_decimal,
    "bool": _coerce_bool,
    "date": _coerce_date,
    "objectId": _coerce_object_id,
    "field": _coerce_field,
    "array": _coerce_array,
    "object": _coerce_object,
}


def fresh(value: Any) -> Any:
    """A copy of ``value`` that shares no list or dict with it (scalars are immutable)."""
    if type(value) is list:
        return [fresh(v) for v in value]
    if type(value) is dict:
        return {k: fresh(v) for k, v in value.items()}
    return value


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
