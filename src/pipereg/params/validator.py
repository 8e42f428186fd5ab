"""Compiled validation: one generated function per pipeline that checks and coerces its parameters.

The fast path beside the reference, :func:`pipereg.params.coerce.coerce_params`. For a pipeline's
declarations, :func:`compile_validator` generates the source of one function specialised for
each parameter's type and constraints: an exact-type test and the declared bounds written inline
(``type(x) is int and 0 <= x <= 1000``), an enum as a set lookup, an array of ObjectIds as one
list comprehension. A value the inline test does not vouch for (a subclass, a string standing
for a date, a value out of bounds) goes to :func:`pipereg.params.coerce.coerce` for its
declaration, which normalises it (:mod:`pipereg.params.plain`) and checks it in full.

Errors are the reference's own: at the first doubt (an unknown name, a missing parameter, a value
the reference refuses), the generated function hands the caller's whole mapping to
``coerce_params``, which raises the one located :class:`~pipereg.errors.ParameterError` it always
has. So the fast path only has to be right about what it accepts; ``tests/params/
test_validator.py`` checks it against the reference on generated declarations and values (same
result, types included, or the same error and message).

Safety: nothing from a declaration reaches the source except through ``repr`` of ``str`` and
``int`` values and generated names; every other constant is bound in the function's namespace.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from bson import Int64, ObjectId

from pipereg.bson_limits import INT32, INT64
from pipereg.params.coerce import coerce, coerce_params
from pipereg.params.declaration import Param
from pipereg.params.values import DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH, MISSING, Invalid, fresh

Validator = Callable[[Mapping[str, Any] | None], dict[str, Any]]

UTC = datetime.timezone.utc
_EMPTY: Mapping[str, Any] = {}
_OID_NEW = ObjectId.__new__
_FROMHEX = bytes.fromhex

# On 3.11+, fromisoformat reads RFC 3339 text ending in Z exactly as the reference's own parse.
_ZULU = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?Z\Z", re.ASCII)
_FAST_DATE_TEXT = sys.version_info >= (3, 11)


class _Doubt(Exception):
    """The fast path cannot vouch for a value: the reference decides."""


def compile_validator(key: str, declared: Mapping[str, Param]) -> Validator:
    """A function ``params -> values`` equal to ``coerce_params(key, declared, params)``.

    Same values (types and order included) for what the reference accepts, and the reference's
    own error for what it refuses. Falls back to the reference itself if generation fails.
    """
    try:
        return _Generator(key, declared).build()
    except (RecursionError, MemoryError, SyntaxError):
        return functools.partial(coerce_params, key, declared)


def _helper(param: Param) -> Callable[[Any], Any]:
    """The reference's check of one value for ``param``: raises Invalid (the caller doubts)."""
    return functools.partial(coerce, param)


def _date_helper(param: Param) -> Callable[[Any], Any]:
    """Dates: the common shapes quickly (naive, UTC, ``...Z`` text), the rest by the reference."""
    check = _helper(param)
    simple = param.enum is None and param.minimum is None and param.maximum is None
    if not simple:
        return check
    exact = datetime.datetime
    match = _ZULU.match
    parse = exact.fromisoformat

    def date(value: Any) -> Any:
        kind = type(value)
        if kind is exact:
            zone = value.tzinfo
            if zone is None:
                return value.replace(tzinfo=UTC)
            if zone is UTC:
                return value
        elif kind is str and _FAST_DATE_TEXT and match(value):
            try:
                moment = parse(value)
            except ValueError:  # a day or hour out of range: the reference words it
                return check(value)
            if moment.tzinfo is UTC:
                return moment
        return check(value)

    return date


def _object_id_helper(param: Param) -> Callable[[Any], Any]:
    """ObjectIds from 24 hex digits without ``ObjectId.__init__``'s checks of every other shape."""
    check = _helper(param)
    if param.enum is not None:
        return check
    new, fromhex, exact = _OID_NEW, _FROMHEX, ObjectId

    def object_id(value: Any) -> Any:
        if type(value) is str and len(value) == 24:
            try:
                binary = fromhex(value)
            except ValueError:
                return check(value)
            if len(binary) == 12:  # fromhex skips whitespace
                oid = new(exact)
                oid._ObjectId__id = binary  # type: ignore[attr-defined]
                return oid
        return check(value)

    return object_id


class _Generator:
    def __init__(self, key: str, declared: Mapping[str, Param]) -> None:
        self.key = key
        self.declared = declared
        self.namespace: dict[str, Any] = {
            "_Doubt": _Doubt,
            "_Invalid": Invalid,
            "_names": frozenset(declared),
            "_EMPTY": _EMPTY,
            "_fresh": fresh,
            "_fin": math.isfinite,
            "_Int64": Int64,
            "_OID": ObjectId,
            "_dt": datetime.datetime,
            "_UTC": UTC,
            "_slow": functools.partial(coerce_params, key, declared),
        }
        self.counter = 0

    def bind(self, value: Any, prefix: str = "_c") -> str:
        self.counter += 1
        name = f"{prefix}{self.counter}"
        self.namespace[name] = value
        return name

    def build(self) -> Validator:
        lines = [
            "def validate(g):",
            "    if g is None: g = _EMPTY",
            "    elif type(g) is not dict or not _names.issuperset(g): return _slow(g)",
            "    out = {}",
            "    try:",
        ]
        for name, param in self.declared.items():
            lines += self.parameter(name, param)
        lines += [
            "    except (_Doubt, _Invalid):",
            "        return _slow(g)",
            "    return out",
        ]
        source = "\n".join(lines)
        # Safe: the source holds repr() of str and int values and generated names only.
        exec(compile(source, f"<pipereg validate:{self.key}>", "exec"), self.namespace)
        function: Validator = self.namespace["validate"]
        function.__doc__ = source  # the generated source, for debugging
        return function

    def parameter(self, name: str, param: Param) -> list[str]:
        pad = "        "
        lines = [f"{pad}x = g.get({name!r})", f"{pad}if x is not None:"]
        lines += [f"{pad}    {line}" for line in self.value("x", param)]
        lines.append(f"{pad}    out[{name!r}] = x")
        if param.nullable:
            lines.append(f"{pad}elif {name!r} in g: out[{name!r}] = None")
        if param.default is not MISSING:
            default = self.bind(param.default, "_d")
            copy = f"_fresh({default})" if type(param.default) in (list, dict) else default
            lines.append(f"{pad}else: out[{name!r}] = {copy}")
        elif not param.optional:
            lines.append(f"{pad}else: raise _Doubt")
        return lines

    def value(self, var: str, param: Param) -> list[str]:
        """Statements that replace ``var`` (not None) with its coerced value."""
        if param.type == "array" and self.plain_container(param):
            items = param.items
            assert items is not None
            most = param.max_items if param.max_items is not None else DEFAULT_MAX_ITEMS
            least = param.min_items or 0
            item = self.expression("i", items)
            return [
                f"if type({var}) is list and {least} <= len({var}) <= {most}:",
                f"    {var} = [{item} for i in {var}]",
                f"else: {var} = {self.bind(_helper(param))}({var})",
            ]
        return [f"{var} = {self.expression(var, param)}"]

    @staticmethod
    def plain_container(param: Param) -> bool:
        return param.enum is None and param.minimum is None and param.maximum is None

    def expression(self, var: str, param: Param) -> str:
        """An expression for a scalar's coerced value (``var`` may be None, for array items)."""
        test = self.exact_test(var, param)
        if param.type == "date":
            helper = self.bind(_date_helper(param))
        elif param.type == "objectId":
            helper = self.bind(_object_id_helper(param))
        else:
            helper = self.bind(_helper(param))
        if test is None:
            return f"{helper}({var})"
        value = f"_Int64({var})" if param.type == "long" else var
        return f"({value} if {test} else {helper}({var}))"

    def exact_test(self, var: str, param: Param) -> str | None:
        """A test that ``var`` needs no conversion and meets every constraint, or None."""
        kind = param.type
        if param.enum is not None and kind not in ("string", "int"):
            return None
        enum = ""
        if param.enum is not None:
            exact = str if kind == "string" else int
            if not all(type(choice) is exact for choice in param.enum):
                return None
            enum = f" and {var} in {self.bind(frozenset(param.enum), '_e')}"
        if kind == "string":
            if param.minimum is not None or param.maximum is not None:
                return None
            most = param.max_length if param.max_length is not None else DEFAULT_MAX_LENGTH
            least = param.min_length or 0
            test = f"type({var}) is str and {least} <= len({var}) <= {most} and {var}.isascii()"
            if param.matcher is not None:
                test += f" and {self.bind(param.matcher.search, '_m')}({var}) is not None"
            return test + enum
        if kind in ("int", "long"):
            low, high = INT32 if kind == "int" else INT64
            if any(
                b is not None and (not isinstance(b, int) or isinstance(b, bool))
                for b in (param.minimum, param.maximum)
            ):
                return None
            if param.minimum is not None:
                low = max(low, int(param.minimum))
            if param.maximum is not None:
                high = min(high, int(param.maximum))
            return f"type({var}) is int and {low} <= {var} <= {high}{enum}"
        if kind == "double":
            limits = self.bounds(var, param, (int, float))
            return None if limits is None else f"type({var}) is float and _fin({var}){limits}"
        if kind == "bool":
            if param.minimum is not None or param.maximum is not None:
                return None
            return f"type({var}) is bool"
        if kind == "date":
            limits = self.bounds(var, param, (datetime.datetime,))
            if limits is None:
                return None
            return f"type({var}) is _dt and {var}.tzinfo is _UTC{limits}"
        if kind == "objectId":
            if param.minimum is not None or param.maximum is not None:
                return None
            return f"type({var}) is _OID"
        return None  # decimal, field, array of containers, object: the reference

    def bounds(self, var: str, param: Param, kinds: tuple[type, ...]) -> str | None:
        """The tests of declared bounds, or None if a bound is not of ``kinds``."""
        if any(b is not None and type(b) not in kinds for b in (param.minimum, param.maximum)):
            return None
        test = ""
        if param.minimum is not None:
            test += f" and {var} >= {self.bind(param.minimum, '_lo')}"
        if param.maximum is not None:
            test += f" and {var} <= {self.bind(param.maximum, '_hi')}"
        return test
