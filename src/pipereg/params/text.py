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

from pipereg.jsontext import extjson
from pipereg.params.declaration import Param
from pipereg.params.values import Invalid

_INTEGER = re.compile(r"-?[0-9]+\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


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
    except ValueError as exc:
        raise Invalid(
            f"cannot read {text!r} as {param.type_name}: {exc}",
            expected=param.type_name,
            actual=f"text {text!r}",
        ) from exc
    return text
