"""What BSON and MongoDB can hold: integer ranges and how deep a document may nest.

Every check of a number's range or a document's depth reads these, so that the reader of JSON
text, the parameter coercion, the template compiler and fmt agree on one limit each.
"""

from __future__ import annotations

from typing import Any, Final

INT32: Final = (-(2**31), 2**31 - 1)
"""The smallest and largest int32 (BSON ``int``, Extended JSON ``$numberInt``)."""

INT64: Final = (-(2**63), 2**63 - 1)
"""The smallest and largest int64 (BSON ``long``, Extended JSON ``$numberLong``)."""

NESTING_LIMIT: Final = 100
"""MongoDB refuses documents nested more than 100 levels deep (the BSON depth limit)."""


def fits_int32(value: Any) -> bool:
    """Whether ``value``, an ``int``, fits a BSON int32."""
    return bool(INT32[0] <= value <= INT32[1])


def fits_int64(value: Any) -> bool:
    """Whether ``value``, an ``int``, fits a BSON int64."""
    return bool(INT64[0] <= value <= INT64[1])
