"""The cyclic garbage collector during a load: off, and what the load built moved to the oldest
generation unscanned; or, where objects are frozen, full collections deferred."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import pipeline_file
from pipereg.load import gc_pause as collector
from pipereg.load.gc_pause import loading


@pytest.fixture(autouse=True)
def _collector_kept() -> Iterator[None]:
    before, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()
    if enabled:
        gc.enable()


class Node:
    """A tracked container, as loading builds."""


def _generation(obj: object) -> int | None:
    for generation in range(3):
        if any(o is obj for o in gc.get_objects(generation=generation)):
            return generation
    return None


def test_a_load_runs_with_the_collector_off_and_leaves_it_as_it_was() -> None:
    gc.set_threshold(700, 10, 10)
    with loading():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_what_a_load_built_goes_to_the_oldest_generation() -> None:
    with loading():
        built = Node()
    assert _generation(built) == 2
    assert gc.get_count()[0] < 700  # the young generation starts afresh: no pass is due


def test_the_collector_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), loading():
        raise RuntimeError
    assert gc.isenabled()


def test_a_collector_the_program_disabled_stays_disabled() -> None:
    gc.disable()
    with loading():
        built = Node()
    assert not gc.isenabled()
    # No collection runs for it either: its objects wait where the program's collections look.
    assert _generation(built) == 0


def test_objects_the_program_froze_stay_frozen() -> None:
    gc.set_threshold(700, 10, 10)
    kept = Node()
    gc.freeze()  # as a program does before forking workers
    assert _generation(kept) is None  # in the permanent generation
    with loading():
        assert gc.isenabled()  # young collections go on...
        assert gc.get_threshold()[2] > 10**9  # ...full ones wait for the load
    assert _generation(kept) is None  # still frozen
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_loads_restore_when_the_last_one_ends() -> None:
    first, second = loading(), loading()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second load still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_loads_in_many_threads_leave_the_collector_as_it_was() -> None:
    gc.set_threshold(700, 10, 10)
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        for _ in range(200):
            with loading():
                pass

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_a_collector_that_is_not_generational_is_paused(
    monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    monkeypatch.setattr(collector, "_GENERATIONAL", False)
    if not enabled:
        gc.disable()
    frozen = gc.get_freeze_count()
    with loading():
        built = Node()
        assert not gc.isenabled()
    assert gc.isenabled() is enabled
    assert _generation(built) == 0  # left young: the collector decides, as it resumes
    assert gc.get_freeze_count() == frozen


def test_which_collectors_are_generational(monkeypatch: pytest.MonkeyPatch) -> None:
    assert collector._generational()  # this interpreter's
    monkeypatch.setattr(collector.sys, "version_info", (3, 14, 0))
    assert not collector._generational()  # incremental
    monkeypatch.setattr(collector.sys, "version_info", (3, 13, 1))
    assert collector._generational()
    monkeypatch.setattr(collector.sysconfig, "get_config_var", lambda name: 1)
    assert not collector._generational()  # free-threaded, whether the GIL is on or not
    monkeypatch.setattr(collector.sysconfig, "get_config_var", lambda name: None)
    monkeypatch.delattr(collector.gc, "freeze")
    assert not collector._generational()  # no freeze: PyPy


def test_garbage_the_program_makes_between_loads_is_still_collected() -> None:
    # A program that loads often (a reload loop, a test suite) and does a little work between
    # loads: its cyclic garbage must not outlive the young collections it would have met.
    gc.set_threshold(700, 10, 10)
    gc.collect()
    refs: list[weakref.ref[Node]] = []
    for _ in range(100):
        with loading():
            pass
        for _ in range(100):  # fewer allocations between two loads than a young collection needs
            node = Node()
            node.me = node  # type: ignore[attr-defined]
            refs.append(weakref.ref(node))
            del node
    alive = sum(ref() is not None for ref in refs)
    assert alive < len(refs) // 2  # without loads in between, all but the last few are freed


def test_a_load_makes_no_cyclic_garbage(tmp_path: Path) -> None:
    # What a load builds goes old unscanned: it must leave no garbage only a full collection
    # finds. A load that succeeds, one that fails, and a reload. In a fresh interpreter: in the
    # suite's own, threads of earlier tests (driver monitors, the wire server) make garbage of
    # their own at any moment, which the count cannot tell apart.
    (tmp_path / "ok").mkdir()
    ok = {
        "p": {"collection": "c", "params": {"n": {"type": "int"}}, "stages": [{"$limit": "<<n>>"}]}
    }
    (tmp_path / "ok" / "m.json").write_text(json.dumps(pipeline_file(ok)))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "m.json").write_text('{"version": 1, "pipelines": {"p": {}}}')
    script = f"""
import gc
from pipereg import PipelineLoadError, Registry
Registry.from_paths({str(tmp_path / "ok")!r}).reload()  # first use: imports, caches
gc.collect()
registry = Registry.from_paths({str(tmp_path / "ok")!r})
try:
    Registry.from_paths({str(tmp_path / "bad")!r})
except PipelineLoadError:
    pass
else:
    raise SystemExit("the bad file loaded")
registry.reload()
print(gc.collect())
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0"
