"""pipereg: MongoDB aggregation pipelines as versioned, typed, validated JSON files.

>>> from pipereg import Registry, get_pipeline, PipelineDAO
>>> stages = get_pipeline("orders.daily_revenue", {"since": "2024-03-01"})

The public names are imported on first use (PEP 562), so a program or command that needs only
part of pipereg (``pipereg lint`` needs no DAO, cursor or driver code; nothing needs pydantic
until ``ParamsModel`` is asked for) does not pay to import the rest. ``from pipereg import X``
and ``pipereg.X`` work as ever.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipereg import _moved

if TYPE_CHECKING:
    from pipereg.adapters import AsyncDriver, SyncDriver
    from pipereg.cursor import AsyncPipelineCursor, PipelineCursor
    from pipereg.dao import AsyncPipelineDAO, PipelineDAO
    from pipereg.errors import (
        ParameterError,
        PipelineLoadError,
        PipeRegError,
        Problem,
        UnknownPipelineError,
    )
    from pipereg.params import Param
    from pipereg.params.model import ParamsModel
    from pipereg.pipeline import Pipeline
    from pipereg.registry import (
        Registry,
        ReloadReport,
        default_registry,
        get_pipeline,
        set_default_registry,
    )
    from pipereg.watch import Watch

_moved.install()

# Each public name and the module that defines it.
_HOMES = {
    "AsyncDriver": "pipereg.adapters",
    "SyncDriver": "pipereg.adapters",
    "AsyncPipelineCursor": "pipereg.cursor",
    "PipelineCursor": "pipereg.cursor",
    "AsyncPipelineDAO": "pipereg.dao",
    "PipelineDAO": "pipereg.dao",
    "ParameterError": "pipereg.errors",
    "PipelineLoadError": "pipereg.errors",
    "PipeRegError": "pipereg.errors",
    "Problem": "pipereg.errors",
    "UnknownPipelineError": "pipereg.errors",
    "Param": "pipereg.params",
    "ParamsModel": "pipereg.params.model",  # needs pydantic (the pydantic extra)
    "Pipeline": "pipereg.pipeline",
    "Registry": "pipereg.registry",
    "ReloadReport": "pipereg.registry",
    "default_registry": "pipereg.registry",
    "get_pipeline": "pipereg.registry",
    "set_default_registry": "pipereg.registry",
    "Watch": "pipereg.watch",
}

__all__ = [
    "AsyncDriver",
    "AsyncPipelineCursor",
    "AsyncPipelineDAO",
    "Param",
    "ParameterError",
    "ParamsModel",
    "PipeRegError",
    "Pipeline",
    "PipelineCursor",
    "PipelineDAO",
    "PipelineLoadError",
    "Problem",
    "Registry",
    "ReloadReport",
    "SyncDriver",
    "UnknownPipelineError",
    "Watch",
    "default_registry",
    "get_pipeline",
    "set_default_registry",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pipereg' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
