"""The cyclic garbage collector while pipelines load: off, and what the load built goes old.

Loading allocates many containers (the parsed files, the pipelines) and frees few: nearly
everything it builds lives as long as the registry. The collector would scan each of them in
its young generation and again in its middle one, only to find them alive (about a tenth of
the load's time: ``benchmarks/``), and then in every full collection, as it would anyway. So a
load runs with the collector off, and at its end moves what is tracked straight to the oldest
generation, unscanned (``gc.freeze()`` then ``gc.unfreeze()``, two list splices): the next
full collection scans it, as it scans all long-lived data. Cyclic garbage made during the load
waits for that collection too.

Where that cannot be done, a load keeps the young collections and defers the full ones: when
the program keeps objects frozen (``gc.freeze()``, before forking workers, say), which
unfreezing would undo. Where the collector is not generational (Python 3.14's incremental
collector, free-threaded builds), a load pauses it and lets it resume as it will.
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
def loading() -> Iterator[None]:
    """Keep the cyclic garbage collector out of the block (a load), as the module tells.

    Loads may overlap in several threads: the first to begin sets the collector up, and the
    last to end restores it as it was. Other settings the program changes meanwhile stay.
    """
    with _loads.lock:
        if _loads.count == 0:
            _loads.restore = _begin()
        _loads.count += 1
    try:
        yield
    finally:
        with _loads.lock:
            _loads.count -= 1
            if _loads.count == 0:
                _loads.restore()


def _begin() -> Callable[[], None]:
    enabled = gc.isenabled()
    if not _GENERATIONAL or gc.get_freeze_count() == 0:
        gc.disable()

        def resume() -> None:
            if _GENERATIONAL and gc.get_freeze_count() == 0:
                gc.freeze()  # every tracked object to the permanent generation...
                gc.unfreeze()  # ...and from there to the oldest, none of them scanned
            if enabled:
                gc.enable()

        return resume
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _DEFERRED)

    def restore() -> None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, full)

    return restore
