"""The registry: every pipeline of every discovered file, by key."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pipereg.discovery import SourceFile, default_roots, discover_package, discover_paths
from pipereg.errors import PipelineLoadError, Problem, UnknownPipelineError
from pipereg.loader import LoadedFile, load_file
from pipereg.pipeline import Pipeline

logger = logging.getLogger("pipereg")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Loading allocates many containers and frees few, which makes the cyclic collector rescan a
    # growing heap: 35-40% of the load time, and growth worse than linear (benchmarks/). Loading
    # creates no reference cycles worth collecting, so the collector waits until it is done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_sources(
    files: Sequence[SourceFile],
    problems: Sequence[Problem] = (),
    *,
    max_file_bytes: int | None = None,
) -> tuple[list[LoadedFile], list[Problem]]:
    """Load every file and check keys across files; returns the files and all problems found.

    ``max_file_bytes`` bounds each file (see :func:`~pipereg.loader.load_file`).
    """
    with _collector_paused():
        loaded = [load_file(source, max_file_bytes) for source in files]
    found = list(problems)
    owners: dict[str, LoadedFile] = {}
    for result in loaded:
        found.extend(result.problems)
        for pipeline in result.pipelines:
            first = owners.setdefault(pipeline.key, result)
            if first is not result:
                found.append(
                    Problem(
                        result.source.path,
                        0,
                        0,
                        f"$.pipelines.{pipeline.name}",
                        "PR040",
                        f"pipeline {pipeline.key!r} is also defined in {first.source.path}",
                    )
                )
    return loaded, found


class Registry:
    """Every loaded pipeline, by key. Immutable once built, so it is safe to share between threads.

    Build one with :meth:`from_paths` or :meth:`from_package`; both raise
    :class:`~pipereg.errors.PipelineLoadError` listing every problem in every file, and never
    return a half-loaded registry.
    """

    def __init__(self, pipelines: Mapping[str, Pipeline], warnings: Sequence[Problem] = ()) -> None:
        self._pipelines = dict(sorted(pipelines.items()))
        self.warnings: tuple[Problem, ...] = tuple(warnings)

    @classmethod
    def from_paths(
        cls, *paths: str | os.PathLike[str], max_file_bytes: int | None = None
    ) -> Registry:
        """Load every ``*.json`` below ``paths`` (default: ``PIPEREG_PATH``, else ./pipelines).

        A file over ``max_file_bytes`` (default: ``PIPEREG_MAX_FILE_BYTES``, else 10 MiB) is a
        problem, refused from its size without being read.
        """
        files, problems = discover_paths(paths or default_roots())
        return cls._build(files, problems, max_file_bytes)

    @classmethod
    def from_package(cls, package: str, *, max_file_bytes: int | None = None) -> Registry:
        """Load every ``*.json`` shipped inside a package, e.g. ``myservice.pipelines``.

        ``max_file_bytes`` is as for :meth:`from_paths`.
        """
        files, problems = discover_package(package)
        return cls._build(files, problems, max_file_bytes)

    @classmethod
    def _build(
        cls,
        files: Sequence[SourceFile],
        problems: Sequence[Problem],
        max_file_bytes: int | None = None,
    ) -> Registry:
        loaded, found = load_sources(files, problems, max_file_bytes=max_file_bytes)
        errors = [p for p in found if p.severity == "error"]
        if errors:
            raise PipelineLoadError(errors)
        pipelines = {p.key: p for result in loaded for p in result.pipelines}
        warnings = [p for p in found if p.severity == "warning"]
        for warning in warnings:
            logger.warning("%s", warning)
        return cls(pipelines, warnings)

    def get(self, key: str) -> Pipeline:
        """The pipeline registered under ``key``.

        Raises:
            UnknownPipelineError: no such key (the error suggests close matches).
        """
        try:
            return self._pipelines[key]
        except KeyError:
            raise UnknownPipelineError(key, self._pipelines) from None

    def keys(self) -> list[str]:
        """Every pipeline key, sorted."""
        return list(self._pipelines)

    def render(self, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Render the stages of the pipeline ``key`` (see :meth:`Pipeline.render`)."""
        return self.get(key).render(params)

    def __contains__(self, key: object) -> bool:
        return key in self._pipelines

    def __iter__(self) -> Iterator[Pipeline]:
        return iter(self._pipelines.values())

    def __len__(self) -> int:
        return len(self._pipelines)

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} pipelines>"


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, discovered from the default roots on first use (thread-safe)."""
    global _default  # noqa: PLW0603 - one lazily built registry per process is the point
    registry = _default
    if registry is None:
        with _default_lock:
            if _default is None:
                _default = Registry.from_paths()
            registry = _default
    return registry


def set_default_registry(registry: Registry | None) -> None:
    """Replace the process-wide registry; ``None`` discovers it again on next use."""
    global _default  # noqa: PLW0603
    with _default_lock:
        _default = registry


def get_pipeline(key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Render the pipeline ``key`` from the default registry (see :func:`default_registry`)."""
    return default_registry().render(key, params)
