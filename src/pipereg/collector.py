"""The cyclic garbage collector while pipelines load: young collections only.

Loading allocates many containers (the parsed files, the pipelines) and frees few. A full
collection rescans the whole heap, which grows with the load: left alone, full collections
took 35-40% of a load of 10,000 pipelines and made its time grow faster than the count
(``benchmarks/``). Pausing the collector altogether costs more than it saves at the end, when
the first collection after the pause walks every container at once, long out of the CPU's
caches. So a load keeps the young collections, which see each container while it is fresh, and
defers the full ones, as the collector defers them anyway for a heap that grows.

Where the collector is not generational (Python 3.14's incremental collector, free-threaded
builds), thresholds mean something else, and a load pauses the collector instead.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator

# A full collection waits for this many collections of the middle generation.
_DEFERRED = 2**31 - 1


def _generational() -> bool:
    gil = getattr(sys, "_is_gil_enabled", None)
    free_threaded = gil is not None and not gil()
    return sys.version_info[:2] != (3, 14) and not free_threaded


_GENERATIONAL = _generational()


class _Loads:
    """The loads under way, in every thread, and how to undo what the first of them changed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.restore: Callable[[], None] = lambda: None


_loads = _Loads()


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """Defer full collections of the cyclic garbage collector until the block (a load) ends.

    Loads may overlap in several threads: the first to begin defers, and the last to end
    restores the collector as it was. Other settings the program changes meanwhile stay.
    """
    with _loads.lock:
        if _loads.count == 0:
            _loads.restore = _defer()
        _loads.count += 1
    try:
        yield
    finally:
        with _loads.lock:
            _loads.count -= 1
            if _loads.count == 0:
                _loads.restore()


def _defer() -> Callable[[], None]:
    if not _GENERATIONAL:
        enabled = gc.isenabled()
        gc.disable()
        return gc.enable if enabled else lambda: None
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _DEFERRED)

    def restore() -> None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, full)

    return restore
