"""The rendered aggregate options of a pipeline file, checked before they reach a driver.

Lint checks the type of every aggregate option (PR028), but a rendered option can still be of a
type the driver refuses where lint cannot tell: a ``maxTimeMS`` of ``-1`` from an ``int``
parameter, say. (A ``comment`` may be any BSON value: the DAO wraps one that is not a string.)
The driver would raise a ``TypeError`` or ``ValueError`` naming no pipeline and no parameter,
on every call. :func:`check_options` turns that into a :class:`~pipereg.errors.ParameterError`
naming the pipeline, the option and the parameters it holds, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipereg.compile.template import placeholder_names
from pipereg.errors import ParameterError
from pipereg.messages import describe
from pipereg.pipeline import Pipeline


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


# What the drivers accept for each option they check, and how a message names it.
_ACCEPTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "maxTimeMS": (_count, "a non-negative integer"),
    "batchSize": (_count, "a non-negative integer"),
    "allowDiskUse": (lambda value: type(value) is bool, "true or false"),
    "bypassDocumentValidation": (lambda value: type(value) is bool, "true or false"),
    "collation": (lambda value: isinstance(value, Mapping), "a document"),
    "let": (lambda value: isinstance(value, Mapping), "a document"),
    "hint": (lambda value: isinstance(value, (str, Mapping)), "an index name or a key document"),
}


def check_options(pipeline: Pipeline, options: Mapping[str, Any]) -> None:
    """Raise if an option rendered from ``pipeline``'s file is of a type the drivers refuse.

    Raises:
        ParameterError: names the pipeline, the option's placeholders as the parameter, the
            type the option takes and the value rendered.
    """
    for name, value in options.items():
        accepts = _ACCEPTS.get(name)
        if accepts is None or accepts[0](value):
            continue
        holders = sorted(set(placeholder_names(pipeline.option_tree.get(name))))
        parameter = ", ".join(holders) or f"options.{name}"
        raise ParameterError(
            pipeline.key,
            parameter,
            f"options.{name} rendered to {describe(value)}, but {name} takes {accepts[1]}",
            expected=accepts[1],
            actual=describe(value),
        )
