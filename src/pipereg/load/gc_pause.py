"""The cyclic garbage collector while pipelines load: off, and what the load built goes old.

Loading allocates many containers (the parsed files, the pipelines) and frees few: nearly
everything it builds lives as long as the registry. The collector would scan each of them in
its young generation and again in its middle one, only to find them alive, and full
collections would come due during the load. So:

- as a load begins, the young and middle generations are collected (``gc.collect(1)``, a few
  thousand objects at most), so that the program's own garbage there is freed as it would
  have been, and the collector is turned off;
- as it ends, what the load built goes to the oldest generation, and the collector is turned on
  again. How depends on whether other threads ran:

  - if this thread was the only one, at the start and at the end (a service starting up), every
    tracked object, nearly all of them the load's, goes to the oldest generation unscanned
    (``gc.freeze()`` then ``gc.unfreeze()``, two list splices); loading makes no cyclic garbage
    of its own (``tests/load/test_gc_pause.py`` checks a load);
  - otherwise (reloads in a running service), the young and middle generations are collected
    (``gc.collect(1)``): what the load built is scanned once and promoted, counted as the
    collector counts everything it promotes, and another thread's garbage made meanwhile is
    freed. Promoting that garbage unscanned and uncounted, as an earlier version did for every
    load, kept full collections from ever coming due: 1,000 reloads beside a thread making
    cyclic garbage left 1.6 million dead objects (``tests/security/test_reload_memory.py``).

The collector is off for the whole process during a load, so garbage other threads make during
one load waits until it ends. Where the program keeps objects frozen (``gc.freeze()``, before
forking workers, say), a load keeps the young collections and defers the full ones. Where the
collector is not generational (Python 3.14's incremental collector, free-threaded builds) or
has no ``freeze`` (PyPy), a load pauses it and lets it resume as it will.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator

# A full collection waits for this many collections of the middle generation.
_DEFERRED = 2**31 - 1  # the largest GC threshold, not a BSON limit


def _generational() -> bool:
    # Whether the collector has young, middle and old generations and can freeze objects. A
    # free-threaded build is told by how it was built, not by whether the GIL is on right now.
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return (
        sys.version_info[:2] != (3, 14)
        and not free_threaded
        and all(hasattr(gc, name) for name in ("freeze", "unfreeze", "get_freeze_count"))
    )


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
    last to end restores it as the first found it (turned on or off, the threshold of full
    collections), whatever the program set meanwhile.
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
    if not _GENERATIONAL:
        gc.disable()
        return gc.enable if enabled else lambda: None
    if gc.get_freeze_count() == 0:
        if enabled:
            gc.collect(1)  # the program's young garbage, before its survivors go old with ours
        alone = threading.active_count() == 1
        gc.disable()

        def resume() -> None:
            if not enabled:
                return
            try:
                if alone and threading.active_count() == 1 and gc.get_freeze_count() == 0:
                    # Nothing but this load allocated meanwhile: its objects go old unscanned.
                    try:
                        gc.freeze()
                    finally:
                        gc.unfreeze()
                else:
                    # Other threads ran: their garbage is freed here, not promoted, and what the
                    # load built is scanned once and promoted, counted (see the module).
                    gc.collect(1)
            finally:
                gc.enable()

        return resume
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _DEFERRED)

    def restore() -> None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, full)

    return restore
