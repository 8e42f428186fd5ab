"""The cyclic garbage collector during a load: full collections deferred, then restored."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from pipereg import collector
from pipereg.collector import young_collections_only


@pytest.fixture(autouse=True)
def _thresholds_kept() -> Iterator[None]:
    before, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*before)
    if enabled:
        gc.enable()


def test_full_collections_wait_for_the_load_and_young_ones_go_on() -> None:
    gc.set_threshold(700, 10, 10)
    with young_collections_only():
        assert gc.isenabled()
        young, middle, full = gc.get_threshold()
        assert (young, middle) == (700, 10)
        assert full > 10**9
    assert gc.get_threshold() == (700, 10, 10)


def test_the_threshold_comes_back_after_an_error() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), young_collections_only():
        raise RuntimeError
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_loads_restore_when_the_last_one_ends() -> None:
    gc.set_threshold(700, 10, 10)
    first, second = young_collections_only(), young_collections_only()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] > 10**9  # the second load still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_loads_in_many_threads_leave_the_collector_as_it_was() -> None:
    gc.set_threshold(700, 10, 10)
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        for _ in range(200):
            with young_collections_only():
                pass

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == (700, 10, 10)


def test_what_the_program_sets_meanwhile_stays() -> None:
    gc.set_threshold(700, 10, 10)
    with young_collections_only():
        gc.set_threshold(5000, 20, 10**9)
    assert gc.get_threshold() == (5000, 20, 10)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_collector_that_is_not_generational_is_paused(
    monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    monkeypatch.setattr(collector, "_GENERATIONAL", False)
    if not enabled:
        gc.disable()
    with young_collections_only():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


def test_which_collectors_are_generational(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector.sys, "version_info", (3, 14, 0))
    assert not collector._generational()
    monkeypatch.setattr(collector.sys, "version_info", (3, 13, 1))
    monkeypatch.setattr(collector.sys, "_is_gil_enabled", lambda: False, raising=False)
    assert not collector._generational()
    monkeypatch.setattr(collector.sys, "_is_gil_enabled", lambda: True, raising=False)
    assert collector._generational()
