"""A fragment as declared in its file: the record collection makes and expansion reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pipereg.jsontext.parse import JsonPath
from pipereg.params.declaration import Param

Kind = Literal["stages", "document"]
"""``stages`` (spliced into a list of stages) or ``document`` (one object)."""

INCLUDE = "$include"
"""The key of an include: ``{"$include": "common.paginate", "with": {...}}``."""


@dataclass(frozen=True, eq=False)
class Fragment:
    """One fragment as declared in its file.

    Attributes:
        key: ``<module>.<name>``, e.g. ``common.paginate``.
        module: The module of the file that defines it.
        name: Its name in that file.
        path: The file.
        kind: ``stages`` (spliced into a list of stages) or ``document`` (one object).
        body: The stages or the document as written.
        params: Its parameter declarations.
        description: Free text from the file.
    """

    key: str
    module: str
    name: str
    path: str
    kind: Kind
    body: Any = field(repr=False)
    params: Mapping[str, Param] = field(repr=False)
    description: str = ""

    @property
    def at(self) -> JsonPath:
        """Where its body stands in its file: ``("fragments", name, kind)``."""
        return ("fragments", self.name, self.kind)
