"""The registry: every pipeline of every discovered file, by key."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipereg.errors import PipelineLoadError, Problem, UnknownPipelineError
from pipereg.load import cache, sources
from pipereg.load.discovery import (
    SourceFile,
    default_roots,
    discover_package,
    discover_paths,
    size_limit,
)
from pipereg.pipeline import Pipeline
from pipereg.watch import Discover, Watch

logger = logging.getLogger("pipereg")


@dataclass(frozen=True)
class _Snapshot:
    # Everything a registry serves, swapped as one object by a reload. Never mutated once built,
    # so a reader that fetched it once sees one consistent load, whatever a reload does meanwhile.
    pipelines: Mapping[str, Pipeline]
    warnings: tuple[Problem, ...]


def _snapshot(pipelines: Mapping[str, Pipeline], warnings: Sequence[Problem]) -> _Snapshot:
    # Sorted by key without a (key, pipeline) tuple each.
    return _Snapshot({key: pipelines[key] for key in sorted(pipelines)}, tuple(warnings))


def _load(
    files: Sequence[SourceFile],
    problems: Sequence[Problem],
    max_file_bytes: int | None,
    cache_dir: Path | None = None,
) -> _Snapshot:
    built, found = sources.load_pipelines(files, problems, max_file_bytes, cache_dir)
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise PipelineLoadError(errors)
    pipelines = {p.key: p for p in built}
    warnings = [p for p in found if p.severity == "warning"]
    for warning in warnings:
        logger.warning("%s", warning)
    return _snapshot(pipelines, warnings)


@dataclass(frozen=True)
class ReloadReport:
    """What a successful :meth:`Registry.reload` changed.

    Attributes:
        added: Keys served now and not before, sorted.
        removed: Keys served before and not now, sorted.
        changed: Keys served before and now whose version, fingerprint, description or file
            changed, sorted.
        warnings: The warnings of the new load (also on ``registry.warnings``).
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    warnings: tuple[Problem, ...]

    def __str__(self) -> str:
        parts = [
            f"{label} {', '.join(keys)}"
            for label, keys in (
                ("added", self.added),
                ("removed", self.removed),
                ("changed", self.changed),
            )
            if keys
        ]
        return "; ".join(parts) or "no pipeline changed"


def _report(old: _Snapshot, new: _Snapshot) -> ReloadReport:
    def identity(pipeline: Pipeline) -> tuple[object, ...]:
        return (pipeline.version, pipeline.fingerprint, pipeline.description, pipeline.path)

    before, after = old.pipelines, new.pipelines
    return ReloadReport(
        added=tuple(key for key in after if key not in before),
        removed=tuple(key for key in before if key not in after),
        changed=tuple(
            key for key in after if key in before and identity(before[key]) != identity(after[key])
        ),
        warnings=new.warnings,
    )


class Registry:
    """Every loaded pipeline, by key; safe to share between threads and asyncio tasks.

    Build one with :meth:`from_paths` or :meth:`from_package`; both raise
    :class:`~pipereg.errors.PipelineLoadError` listing every problem in every file, and never
    return a half-loaded registry.

    What a registry serves is one immutable snapshot (the pipelines by key and the load's
    warnings). :meth:`reload` builds a new snapshot from the same sources and swaps it in with a
    single assignment, so readers take no lock and never see a half-updated registry: each call
    (``get``, ``render``, ``keys``, iteration) reads one snapshot, and each :class:`Pipeline` is
    whole. Two calls may see two snapshots.
    """

    def __init__(self, pipelines: Mapping[str, Pipeline], warnings: Sequence[Problem] = ()) -> None:
        self._snapshot = _snapshot(pipelines, warnings)
        # How to find the files again, for reload(); None for a registry built from a mapping.
        self._discover: Discover | None = None
        self._max_file_bytes: int | None = None
        self._cache_dir: Path | None = None
        self._reload_lock = threading.Lock()
        self._compile_ahead = False  # set by compile(): reloads then compile before they swap

    @classmethod
    def from_paths(
        cls,
        *paths: str | os.PathLike[str],
        max_file_bytes: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Registry:
        """Load every ``*.json`` below ``paths`` (default: ``PIPEREG_PATH``, else ./pipelines).

        A file over ``max_file_bytes`` (default: ``PIPEREG_MAX_FILE_BYTES``, else 10 MiB) is a
        problem, refused from its size without being read. ``cache_dir`` (default:
        ``PIPEREG_CACHE_DIR``, else no cache) keeps the result of a successful load, so that a
        start with byte-identical files skips checking them again (see :mod:`pipereg.load.cache`).
        """
        # The roots, the limit and the cache are fixed now: a reload reads the same roots with
        # the same limit even if PIPEREG_PATH or PIPEREG_MAX_FILE_BYTES change.
        discover = functools.partial(discover_paths, list(paths or default_roots()))
        return cls._from_source(discover, size_limit(max_file_bytes), cache.cache_dir(cache_dir))

    @classmethod
    def from_package(
        cls,
        package: str,
        *,
        max_file_bytes: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Registry:
        """Load every ``*.json`` shipped inside a package, e.g. ``myservice.pipelines``.

        ``max_file_bytes`` and ``cache_dir`` are as in :meth:`from_paths`.
        """
        discover = functools.partial(discover_package, package)
        return cls._from_source(discover, size_limit(max_file_bytes), cache.cache_dir(cache_dir))

    @classmethod
    def _from_source(
        cls, discover: Discover, max_file_bytes: int, cache_dir: Path | None
    ) -> Registry:
        snapshot = _load(*discover(), max_file_bytes, cache_dir)
        registry = cls(snapshot.pipelines, snapshot.warnings)
        registry._discover = discover
        registry._max_file_bytes = max_file_bytes
        registry._cache_dir = cache_dir
        return registry

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Warnings of the load being served (they never fail a load)."""
        return self._snapshot.warnings

    def reload(self) -> ReloadReport:
        """Discover and load the files again, from the roots or package the registry was built from.

        The new pipelines replace the old ones all at once, and only if every file loads: on any
        error the registry keeps serving what it served before, untouched, and the error is
        raised. Renders running meanwhile finish on the pipeline they started with. Reloads are
        serialized; readers never wait. Loading blocks, so in asyncio code call it with
        ``await asyncio.to_thread(registry.reload)``. A registry with a load cache uses it
        here too: changed bytes are a miss, so a reload sees every change.

        Returns:
            What changed: added, removed and changed keys.

        Raises:
            PipelineLoadError: a file does not load; every problem is listed, located, and the
                previous pipelines are still served.
            RuntimeError: the registry was built from a mapping, so there is nothing to reload.
        """
        discover = self._require_source("reload")
        with self._reload_lock:
            old = self._snapshot
            # Raises before anything is swapped.
            new = _load(*discover(), self._max_file_bytes, self._cache_dir)
            if self._compile_ahead:
                for pipeline in new.pipelines.values():
                    pipeline.compile()
            self._snapshot = new
        return _report(old, new)

    def watch(
        self,
        interval: float = 1.0,
        *,
        on_reload: Callable[[ReloadReport], object] | None = None,
        on_error: Callable[[Exception], object] | None = None,
    ) -> Watch[ReloadReport]:
        """Reload whenever a file changes, from a daemon thread polling every ``interval`` seconds.

        For development: the thread looks at the modification time, size and inode of every file
        the registry's sources hold (and notices files added or removed) and calls :meth:`reload`
        after a change. ``on_reload`` receives the :class:`ReloadReport`; ``on_error`` receives
        the exception of a failed reload (a :class:`~pipereg.errors.PipelineLoadError` listing
        the problems), and the previous pipelines stay served. Either defaults to a log record on
        the ``pipereg`` logger. Changes made after ``watch`` returns are seen.

        Returns:
            A handle: ``stop()`` ends the thread; ``with registry.watch(): ...`` stops on exit.

        Raises:
            ValueError: ``interval`` is not positive.
            RuntimeError: the registry was built from a mapping, so there is nothing to watch.
        """
        discover = self._require_source("watch")
        return Watch(
            discover,
            self.reload,
            interval,
            on_reload=on_reload or _log_reload,
            on_error=on_error or _log_failed_reload,
            max_bytes=self._max_file_bytes,
        )

    def compile(self) -> Registry:
        """Generate every pipeline's validator and render functions now, so no request pays.

        Loading only parses and checks; each pipeline otherwise compiles on its first render
        (0.3-0.7 ms of code generation, paid by that render). Call this once at start-up, before
        serving. From then on, :meth:`reload` (and so :meth:`watch`) compiles the new pipelines
        before it swaps them in. It runs on the calling thread: a background thread would
        compete with requests for the interpreter and leave a window in which one still pays.

        Returns:
            The registry itself, so ``Registry.from_paths(...).compile()`` reads as one step.
        """
        self._compile_ahead = True
        for pipeline in self._snapshot.pipelines.values():
            pipeline.compile()
        return self

    def _require_source(self, action: str) -> Discover:
        if self._discover is None:
            raise RuntimeError(
                f"cannot {action}: this registry was built from a mapping, not from files; "
                "use Registry.from_paths or Registry.from_package"
            )
        return self._discover

    def get(self, key: str) -> Pipeline:
        """The pipeline registered under ``key``.

        Raises:
            UnknownPipelineError: no such key (the error suggests close matches).
        """
        pipelines = self._snapshot.pipelines
        try:
            return pipelines[key]
        except KeyError:
            raise UnknownPipelineError(key, pipelines) from None

    def keys(self) -> list[str]:
        """Every pipeline key, sorted."""
        return list(self._snapshot.pipelines)

    def render(self, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Render the stages of the pipeline ``key`` (see :meth:`Pipeline.render`)."""
        return self.get(key).render(params)

    def __contains__(self, key: object) -> bool:
        return key in self._snapshot.pipelines

    def __iter__(self) -> Iterator[Pipeline]:
        return iter(self._snapshot.pipelines.values())

    def __len__(self) -> int:
        return len(self._snapshot.pipelines)

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} pipelines>"


def _log_reload(report: ReloadReport) -> None:
    logger.info("pipereg: pipelines reloaded: %s", report)


def _log_failed_reload(error: Exception) -> None:
    logger.error("pipereg: pipelines not reloaded, the previous ones are still served: %s", error)


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, discovered from the default roots on first use (thread-safe).

    It reloads like any other: ``pipereg.default_registry().reload()``.
    """
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
