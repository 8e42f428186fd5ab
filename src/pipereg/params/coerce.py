"""Coercion of parameter values: one strict, lossless function per declared type.

Each function takes a declaration (:class:`~pipereg.params.Param`, data) and a caller's value, and
returns the value rendering substitutes or raises :class:`~pipereg.params.values.Invalid`.
:func:`coerce` checks one value against a declaration (type, enum, bounds); :func:`coerce_params`
a caller's whole mapping. Declarations are built by :mod:`pipereg.params.declare`.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Callable, Mapping
from typing import Any

from bson import Decimal128, Int64, ObjectId

from pipereg.bson_limits import INT32, INT64
from pipereg.errors import ParameterError
from pipereg.jsontext.dates import DateTextError, parse_date_text
from pipereg.jsontext.literals import DECIMAL_TEXT
from pipereg.messages import clip, describe, did_you_mean, show
from pipereg.params.declaration import Param
from pipereg.params.plain import (
    plain_date,
    plain_float,
    plain_int,
    plain_key,
    plain_list,
    plain_str,
)
from pipereg.params.values import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_LENGTH,
    FIELD_MAX_LENGTH,
    MISSING,
    Invalid,
    fresh,
)

UTC = datetime.timezone.utc
_OID_BYTES = ObjectId.binary.fget  # type: ignore[attr-defined]


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
    text = plain_str(value)
    _check_text(param, text)
    return text


def _check_text(param: Param, value: str) -> None:
    if param.min_length is not None and len(value) < param.min_length:
        raise _unfit(param, value, f"is shorter than {param.min_length} characters")
    most = param.max_length if param.max_length is not None else DEFAULT_MAX_LENGTH
    if len(value) > most:
        why = "" if param.max_length is not None else _default_limit(param, "maxLength")
        raise _unfit(param, value, f"is longer than {most} characters{why}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _unfit(
                param, value, f"holds a lone surrogate at index {exc.start}, not valid UTF-8"
            ) from None
    if param.matcher is not None and not param.matcher.search(value):
        raise _unfit(param, value, f"{show(value)} does not match pattern {param.pattern!r}")


def _unfit(param: Param, value: Any, problem: str) -> Invalid:
    return Invalid(problem, expected=param.type_name, actual=describe(value))


def _coerce_int(param: Param, value: Any) -> int:
    if not _is_int(value):
        hint = "; declare it double" if isinstance(value, float) else ""
        raise _wrong(param, value, hint)
    number = plain_int(value)
    if not INT32[0] <= number <= INT32[1]:
        raise Invalid(
            f"{show(number)} is out of range for int (32-bit); declare the parameter long",
            expected="int",
            actual=describe(value),
        )
    return number


def _coerce_long(param: Param, value: Any) -> Int64:
    if not _is_int(value):
        raise _wrong(param, value)
    value = plain_int(value)
    if not INT64[0] <= value <= INT64[1]:
        raise Invalid(f"{show(value)} is out of range for long (64-bit)", actual=describe(value))
    return Int64(value)


def _coerce_double(param: Param, value: Any) -> float:
    if _is_int(value):
        value = plain_int(value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or int(number) != value:
            raise Invalid(
                f"{show(value)} cannot be represented exactly as a double",
                expected="double",
                actual=describe(value),
            )
        return number
    if not isinstance(value, float):
        raise _wrong(param, value)
    value = plain_float(value)
    if not math.isfinite(value):
        raise Invalid(
            f"{value} is not a finite number (NaN and Infinity are rejected)",
            expected="double",
            actual=describe(value),
        )
    return float(value)  # exact already: float() of a float is itself


def _coerce_decimal(param: Param, value: Any) -> Decimal128:
    if isinstance(value, Decimal128):
        number = value.to_decimal()
    elif _is_int(value):
        number = decimal.Decimal(plain_int(value))
    elif isinstance(value, str):
        text = plain_str(value)
        if not DECIMAL_TEXT.match(text):
            raise _wrong(param, value)
        number = decimal.Decimal(text)
    elif isinstance(value, decimal.Decimal):
        number = value if type(value) is decimal.Decimal else decimal.Decimal(value)
    elif isinstance(value, float):
        raise _wrong(param, value, "; a float is not exact, pass a Decimal or a string")
    else:
        raise _wrong(param, value)
    if not number.is_finite():
        raise Invalid(
            f"{show(value)} is not a finite number (NaN and Infinity are rejected)",
            expected="decimal",
            actual=describe(value),
        )
    try:
        result = Decimal128(number)
    except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
        raise Invalid(
            f"{show(value)} does not fit a decimal128 exactly", actual=describe(value)
        ) from None
    return result


def _coerce_bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _wrong(param, value)
    return value


def _coerce_date(param: Param, value: Any) -> datetime.datetime:
    if isinstance(value, datetime.date):
        return plain_date(value)
    if isinstance(value, str):
        moment = _parse_date(param, plain_str(value))
    else:
        raise _wrong(param, value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Invalid(
            f"{show(value)} is out of range once converted to UTC",
            expected="date",
            actual=describe(value),
        ) from None


def _parse_date(param: Param, value: str) -> datetime.datetime:
    try:
        return parse_date_text(value)
    except DateTextError as exc:
        raise _wrong(param, value, f"; {exc}") from None


def _coerce_object_id(param: Param, value: Any) -> ObjectId:
    if isinstance(value, ObjectId):
        # A subclass's methods are Python too: an exact copy of the twelve bytes it holds.
        return value if type(value) is ObjectId else ObjectId(_OID_BYTES(value))
    if isinstance(value, str) and len(plain_str(value)) == 24:
        try:
            return ObjectId(plain_str(value))
        except Exception:  # bson.errors.InvalidId
            pass
    raise _wrong(param, value, "; expected an ObjectId or 24 hex digits")


def _coerce_field(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong(param, value)
    text = plain_str(value)  # see _coerce_string
    if not text:
        raise Invalid("a field path cannot be empty", actual=describe(value))
    if len(text) > FIELD_MAX_LENGTH:
        raise Invalid(
            f"a field path is at most {FIELD_MAX_LENGTH} characters, got {len(text)}",
            actual=describe(value),
        )
    if text.startswith("$"):
        raise Invalid(
            f"a field path cannot start with '$' (got {show(text)})", actual=describe(value)
        )
    if "\x00" in text:
        raise Invalid("a field path cannot contain NUL", actual=describe(value))
    segments = text.split(".")
    if "" in segments:
        raise Invalid(f"field path {show(text)} has an empty segment", actual=describe(value))
    if any(segment.startswith("$") for segment in segments):
        raise Invalid(
            f"field path {show(text)} has a segment starting with '$'", actual=describe(value)
        )
    _check_text(param, text)
    return text


def _default_limit(param: Param, keyword: str) -> str:
    article = "an" if param.type[0] in "aeiou" else "a"
    return f", the limit for {article} {param.type} parameter without {keyword}"


def _coerce_array(param: Param, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise _wrong(param, value)
    value = plain_list(value)
    if param.min_items is not None and len(value) < param.min_items:
        raise _unfit(param, value, f"has {len(value)} items, fewer than {param.min_items}")
    most = param.max_items if param.max_items is not None else DEFAULT_MAX_ITEMS
    if len(value) > most:
        why = "" if param.max_items is not None else _default_limit(param, "maxItems")
        raise _unfit(param, value, f"has {len(value)} items, more than {most}{why}")
    items = param.items
    assert items is not None  # the schema requires items for arrays
    result = []
    for i, item in enumerate(value):
        try:
            result.append(coerce(items, item))
        except Invalid as exc:
            raise exc.under(f"[{i}]") from None
    return result


def _coerce_object(param: Param, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _wrong(param, value)
    # One read of the caller's mapping; every check below reads this exact dict.
    pairs = dict.items(value) if isinstance(value, dict) else [(k, value[k]) for k in value]
    value = {plain_key(key): item for key, item in pairs}
    for key in value:
        if not isinstance(key, str):
            raise Invalid(f"object keys must be strings, got {describe(key)}")
        if key.startswith("$"):
            raise Invalid(f"key {show(key)} starts with '$': operators cannot be passed as values")
        if key not in param.properties:
            raise Invalid(f"unknown key {show(key)}{did_you_mean(key, param.properties)}")
    result: dict[str, Any] = {}
    # The caller's key order is kept (it matters in $sort and exact matches); defaults follow.
    order = [*value, *(name for name in param.properties if name not in value)]
    for name in order:
        prop = param.properties[name]
        given = value.get(name)
        try:
            if given is not None or (name in value and prop.nullable):
                result[name] = coerce(prop, given)
            elif prop.default is not MISSING:
                result[name] = fresh(prop.default)
            elif not prop.optional:
                raise Invalid(f"missing required {prop.type_name}")
        except Invalid as exc:
            raise exc.under(f".{name}") from None
    return result


COERCE: dict[str, Callable[[Param, Any], Any]] = {
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


def coerce(param: Param, value: Any) -> Any:
    """Coerce a caller's value to ``param``'s type and check its constraints.

    Raises:
        Invalid: the value does not fit.
    """
    if value is None:
        if param.nullable:
            return None
        raise Invalid("must not be null", expected=param.type_name, actual="None")
    result = COERCE[param.type](param, value)
    if param.enum is not None and not any(
        type(result) is type(allowed) and result == allowed for allowed in param.enum
    ):
        choices = ", ".join(show(v) for v in param.enum)
        raise Invalid(
            f"{show(result)} is not one of {choices}",
            expected=f"one of {choices}",
            actual=describe(value),
        )
    if param.minimum is not None and ordered(result) < ordered(param.minimum):
        raise Invalid(
            f"{show(result)} is less than the minimum {show(param.minimum)}",
            expected=param.type_name,
            actual=describe(value),
        )
    if param.maximum is not None and ordered(result) > ordered(param.maximum):
        raise Invalid(
            f"{show(result)} is greater than the maximum {show(param.maximum)}",
            expected=param.type_name,
            actual=describe(value),
        )
    return result


def ordered(value: Any) -> Any:
    """``value`` in a form that orders (Decimal128 has no ordering of its own)."""
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
                values[name] = coerce(param, value)
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
