"""pipereg: MongoDB aggregation pipelines as versioned, typed, validated JSON files.

>>> from pipereg import Registry, get_pipeline, PipelineDAO
>>> stages = get_pipeline("orders.daily_revenue", {"since": "2024-03-01"})
"""

from pipereg import _moved
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

__all__ = [
    "AsyncPipelineCursor",
    "AsyncPipelineDAO",
    "Param",
    "ParameterError",
    "PipeRegError",
    "Pipeline",
    "PipelineCursor",
    "PipelineDAO",
    "PipelineLoadError",
    "Problem",
    "Registry",
    "ReloadReport",
    "UnknownPipelineError",
    "Watch",
    "default_registry",
    "get_pipeline",
    "set_default_registry",
]
