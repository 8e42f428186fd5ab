"""A parameter declaration as data: :class:`Param`, with what can be read off it alone.

Built from JSON by :mod:`pipereg.params.declare`; values are checked against it by
:mod:`pipereg.params.coerce`. Its methods only read its fields (the text of a value in a
string, a value where a regular expression stands): nothing here coerces.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pipereg.params.regex import escape_regex
from pipereg.params.values import MISSING, SCALAR_TYPES


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
