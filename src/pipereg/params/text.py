"""Values written as text (command line, query strings, form fields, environment), by declared type.

One definition, shared by the command line's ``-p NAME=VALUE`` and :meth:`Pipeline.parse_text`:
``"50"`` reads as 50 only where the parameter is declared ``int`` or ``long``, ``"true"`` as True
only where it is ``bool``, and so on. Text for a string-like type (``string``, ``date``,
``objectId``, ``field``, ``decimal``) stays text, which coercion then reads strictly; arrays and
objects are written as (Extended) JSON. Nothing here checks constraints: coercion does, after.
"""

from __future__ import annotations

import re
from typing import Any

from bson.errors import BSONError

from pipereg.jsontext import extjson
from pipereg.messages import clip, show
from pipereg.params.declaration import Param
from pipereg.params.values import Invalid

_INTEGER = re.compile(r"-?[0-9]+\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


# What reading a value can raise besides ValueError: bson's Extended JSON reader raises InvalidId
# for {"$oid": "zz"}, decimal's InvalidOperation (an ArithmeticError) for
# {"$numberDecimal": "abc"}, TypeError for {"$code": 5}, RecursionError for nesting deeper than
# the interpreter's stack. Each is the value's problem, not pipereg's.
READ_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, BSONError)


def parse_text(param: Param, text: str) -> Any:
    """One value written as text, read by its declared type; coercion then checks it fully.

    ``null`` reads as None where the parameter is nullable.

    Raises:
        Invalid: the text does not read as the declared type, e.g. ``cannot read 'ten' as int:
            expected an integer such as 42``.
    """
    if param.nullable and text == "null":
        return None
    try:
        if param.type in ("int", "long"):
            if not _INTEGER.match(text):
                raise ValueError("expected an integer such as 42")
            return int(text)
        if param.type == "double":
            if not _NUMBER.match(text):
                raise ValueError("expected a number such as 4.5")
            return float(text)
        if param.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError("expected true or false")
        if param.type in ("array", "object"):
            return extjson.loads(text)
    except READ_ERRORS as exc:
        reason = clip(str(exc) or type(exc).__name__, 200)
        raise Invalid(
            f"cannot read {show(text)} as {param.type_name}: {reason}",
            expected=param.type_name,
            actual=f"text {show(text)}",
        ) from exc
    return text
