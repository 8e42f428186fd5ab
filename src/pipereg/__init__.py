"""pipereg: MongoDB aggregation pipelines as versioned, typed, validated JSON files.

>>> from pipereg import Registry, get_pipeline, PipelineDAO
>>> stages = get_pipeline("orders.daily_revenue", {"since": "2024-03-01"})
"""

from typing import TYPE_CHECKING, Any

from pipereg import _moved
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

if TYPE_CHECKING:
    from pipereg.params.model import ParamsModel


def __getattr__(name: str) -> Any:
    # ParamsModel needs pydantic (the pydantic extra): imported when first asked for, so that
    # generated stubs name it from pipereg itself and `import pipereg` never imports pydantic.
    if name == "ParamsModel":
        from pipereg.params.model import ParamsModel  # noqa: PLC0415

        return ParamsModel
    raise AttributeError(f"module 'pipereg' has no attribute {name!r}")


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
