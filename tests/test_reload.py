"""Reload and watch: atomic swaps under concurrent renders, failed reloads, polling.

Covers ``Registry.reload`` and ``Registry.watch`` (pipereg.registry), pipereg.watch, and
``pipereg lint --watch``.

Every wait is bounded: threads are joined with a timeout, queues read with a timeout, and the
command-line watch loop is ended by ``--watch-cycles`` or, failing that, by a simulated Ctrl-C.
"""

from __future__ import annotations

import _thread
import asyncio
import json
import logging
import os
import queue
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipereg
from helpers import WriteTree, pipeline_file
from pipereg import Pipeline, PipelineLoadError, Registry, UnknownPipelineError
from pipereg.cli import main
from pipereg.load.discovery import SourceFile, discover_paths
from pipereg.registry import ReloadReport
from pipereg.watch import Poller

WAIT = 10.0  # seconds: the bound on any single wait; a healthy run needs a fraction of it


def orders(version: int, limit: int) -> dict[str, Any]:
    """Version ``version`` of a two-pipeline file; ``limit`` is a parameter default."""
    return pipeline_file(
        {
            "recent": {
                "collection": "orders",
                "description": f"recent orders, version {version}",
                "params": {
                    "status": {"type": "string", "default": "paid"},
                    "limit": {"type": "int", "default": limit},
                },
                "stages": [{"$match": {"status": "<<status>>"}}, {"$limit": "<<limit>>"}],
            },
            "count": {
                "collection": "orders",
                "stages": [{"$match": {"v": version}}, {"$count": "n"}],
            },
        },
        version=version,
    )


# v1 and v2 differ in a parameter default and the version (and so in size: 7 vs 250).
FILES = {1: orders(1, 7), 2: orders(2, 250)}
OUTPUT = {
    1: [{"$match": {"status": "paid"}}, {"$limit": 7}],
    2: [{"$match": {"status": "paid"}}, {"$limit": 250}],
}


def write(root: Path, document: Any, name: str = "orders.json") -> None:
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    (root / name).write_text(text, encoding="utf-8")


def join_all(threads: list[threading.Thread]) -> None:
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"


@pytest.fixture
def root(write_tree: WriteTree) -> Path:
    return write_tree({"orders.json": FILES[1]})


# --- atomic swaps under concurrent readers ----------------------------------------------------


def test_threads_render_while_another_thread_reloads_between_two_versions(root: Path) -> None:
    registry = Registry.from_paths(root)
    readers, renders = 8, 2000
    errors: list[BaseException] = []
    seen: list[set[int]] = [set() for _ in range(readers)]
    start = threading.Barrier(readers + 1)
    reloads_done = threading.Event()

    def check(index: int) -> None:
        pipeline = registry.get("orders.recent")  # one object: its version and output agree
        assert pipeline.render() == OUTPUT[pipeline.version]
        assert registry.render("orders.recent") in (OUTPUT[1], OUTPUT[2])
        assert {p.version for p in registry} in ({1}, {2})  # iteration reads one snapshot
        seen[index].add(pipeline.version)

    def reader(index: int) -> None:
        try:
            check(index)  # before any reload: version 1
            start.wait(WAIT)
            done = 0
            while done < renders or not reloads_done.is_set():
                check(index)
                done += 1
            check(index)  # after the last reload: version 2
        except BaseException as exc:
            errors.append(exc)
            start.abort()

    def reloader() -> None:
        try:
            start.wait(WAIT)
            for version in (2, 1) * 5 + (2,):
                write(root, FILES[version])
                report = registry.reload()
                assert report.changed == ("orders.count", "orders.recent")
        except BaseException as exc:
            errors.append(exc)
            start.abort()
        finally:
            reloads_done.set()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    threads.append(threading.Thread(target=reloader))
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert seen == [{1, 2}] * readers


async def test_asyncio_tasks_render_while_a_worker_thread_reloads(root: Path) -> None:
    registry = Registry.from_paths(root)
    seen: set[int] = set()
    reloads_done = asyncio.Event()

    async def reader() -> None:
        done = 0
        while done < 2000 or not reloads_done.is_set():
            pipeline = registry.get("orders.recent")
            assert pipeline.render() == OUTPUT[pipeline.version]
            assert registry.render("orders.recent") in (OUTPUT[1], OUTPUT[2])
            assert {p.version for p in registry} in ({1}, {2})
            seen.add(pipeline.version)
            done += 1
            await asyncio.sleep(0)

    def swap(version: int) -> ReloadReport:
        write(root, FILES[version])
        return registry.reload()

    async def reloader() -> None:
        try:
            # Each round trip waits for the worker to win the GIL from eight busy readers, which
            # under coverage on a loaded machine takes a while: seven swaps show the same thing.
            for version in (2, 1) * 3 + (2,):
                report = await asyncio.to_thread(swap, version)  # runs beside the event loop
                assert "orders.recent" in report.changed
        finally:
            reloads_done.set()

    # Four readers, not more: each round trip waits for the worker to win the GIL from all of
    # them, and under coverage on a loaded machine eight made seven swaps take close to the hang
    # guard (47-60 s), which is not what this test is about.
    await asyncio.wait_for(asyncio.gather(reloader(), *(reader() for _ in range(4))), 60)
    assert seen == {1, 2}
    assert registry.get("orders.recent").version == 2


def test_concurrent_first_renders_of_a_fresh_pipeline_agree(root: Path) -> None:
    # Pipelines compile on first render (functools.cached_property). Racing threads may each
    # compile; every result renders the same, and no render sees a half-built function.
    def first_render(pipeline: Pipeline, start: threading.Barrier, results: list[Any]) -> None:
        start.wait(WAIT)
        results.append(pipeline.render({"limit": 3}))

    for _ in range(20):
        pipeline = Registry.from_paths(root).get("orders.recent")
        results: list[Any] = []
        start = threading.Barrier(8)
        threads = [
            threading.Thread(target=first_render, args=(pipeline, start, results)) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        join_all(threads)
        assert results == [[{"$match": {"status": "paid"}}, {"$limit": 3}]] * 8


# --- what a reload does -----------------------------------------------------------------------


def test_a_failed_reload_keeps_serving_the_last_good_pipelines_and_locates_the_problem(
    root: Path,
) -> None:
    registry = Registry.from_paths(root)
    before = registry.get("orders.recent")
    broken = json.dumps(FILES[2], indent=2).replace('"$limit"', '"$limitt"')
    write(root, broken)
    with pytest.raises(PipelineLoadError) as info:
        registry.reload()
    [problem] = info.value.problems
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "$limitt" in text)
    assert (problem.path, problem.line, problem.code) == (str(root / "orders.json"), line, "PR030")
    assert problem.json_path == "$.pipelines.recent.stages[1].$limitt"
    assert "did you mean '$limit'" in problem.message
    assert registry.get("orders.recent") is before  # the very same objects are still served
    assert registry.render("orders.recent") == OUTPUT[1]
    assert registry.keys() == ["orders.count", "orders.recent"]

    write(root, FILES[2])  # fixed: the next reload goes through
    assert registry.reload().changed == ("orders.count", "orders.recent")
    assert registry.render("orders.recent") == OUTPUT[2]


def test_a_reload_that_fails_on_a_missing_root_keeps_the_old_state(root: Path) -> None:
    registry = Registry.from_paths(root)
    (root / "orders.json").unlink()
    with pytest.raises(PipelineLoadError) as info:
        registry.reload()
    assert [p.code for p in info.value.problems] == ["PR003"]
    assert registry.render("orders.recent") == OUTPUT[1]


def test_a_reload_adds_and_removes_keys(root: Path) -> None:
    registry = Registry.from_paths(root)
    write(root, pipeline_file({"all": {"collection": "customers", "stages": [{"$match": {}}]}}),
          "customers.json")  # fmt: skip
    write(root, pipeline_file({"recent": FILES[1]["pipelines"]["recent"]}))  # count removed
    report = registry.reload()
    assert (report.added, report.removed, report.changed) == (
        ("customers.all",),
        ("orders.count",),
        (),
    )
    assert str(report) == "added customers.all; removed orders.count"
    assert registry.keys() == ["customers.all", "orders.recent"]
    assert "orders.count" not in registry
    assert len(registry) == 2
    with pytest.raises(UnknownPipelineError):
        registry.get("orders.count")
    assert str(registry.reload()) == "no pipeline changed"


def test_a_reload_replaces_the_warnings(root: Path) -> None:
    registry = Registry.from_paths(root)
    assert registry.warnings == ()
    javascript = {"collection": "orders", "stages": [{"$match": {"$where": "true"}}]}
    write(root, pipeline_file({"js": javascript}), "js.json")
    report = registry.reload()
    assert [w.code for w in report.warnings] == ["PR032"]
    assert registry.warnings == report.warnings
    (root / "js.json").unlink()
    assert registry.reload().warnings == registry.warnings == ()


def test_a_reload_reads_the_roots_the_registry_was_built_from(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEREG_PATH", str(root))
    registry = Registry.from_paths()
    other = tmp_path / "other"
    other.mkdir()
    write(other, FILES[1], "elsewhere.json")
    monkeypatch.setenv("PIPEREG_PATH", str(other))  # not consulted again
    write(root, FILES[2])
    registry.reload()
    assert registry.keys() == ["orders.count", "orders.recent"]
    assert registry.get("orders.recent").version == 2


def test_a_package_registry_reloads_from_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "svc_reload" / "pipelines"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    write(package, FILES[1])
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry.from_package("svc_reload.pipelines")
    write(package, FILES[2])
    assert registry.reload().changed == ("orders.count", "orders.recent")
    assert registry.render("orders.recent") == OUTPUT[2]


def test_the_default_registry_reloads(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEREG_PATH", str(root))
    assert pipereg.get_pipeline("orders.recent") == OUTPUT[1]
    write(root, FILES[2])
    pipereg.default_registry().reload()
    assert pipereg.get_pipeline("orders.recent") == OUTPUT[2]


def test_a_registry_built_from_a_mapping_cannot_reload_or_watch(root: Path) -> None:
    registry = Registry({p.key: p for p in Registry.from_paths(root)})
    with pytest.raises(RuntimeError, match="cannot reload: this registry was built from a mapping"):
        registry.reload()
    with pytest.raises(RuntimeError, match="cannot watch"):
        registry.watch()


# --- watch mode -------------------------------------------------------------------------------


@pytest.fixture
def watched(root: Path) -> Iterator[tuple[Registry, queue.Queue[Any], queue.Queue[Exception]]]:
    registry = Registry.from_paths(root)
    reloads: queue.Queue[Any] = queue.Queue()
    errors: queue.Queue[Exception] = queue.Queue()
    with registry.watch(0.05, on_reload=reloads.put, on_error=errors.put):
        yield registry, reloads, errors


def test_watch_reloads_after_a_change_and_keeps_the_old_state_after_a_bad_one(
    root: Path, watched: tuple[Registry, queue.Queue[Any], queue.Queue[Exception]]
) -> None:
    registry, reloads, errors = watched
    write(root, FILES[2])
    report = reloads.get(timeout=WAIT)
    assert report.changed == ("orders.count", "orders.recent")
    assert registry.render("orders.recent") == OUTPUT[2]

    write(root, "{")
    error = errors.get(timeout=WAIT)
    assert isinstance(error, PipelineLoadError)
    assert [p.code for p in error.problems] == ["PR001"]
    assert registry.render("orders.recent") == OUTPUT[2]

    write(root, pipeline_file({"all": {"collection": "c", "stages": [{"$count": "n"}]}}), "c.json")
    write(root, FILES[1])
    report = reloads.get(timeout=WAIT)
    while "c.all" not in report.added:  # the two writes may land in one poll or in two
        report = reloads.get(timeout=WAIT)
    assert registry.render("orders.recent") == OUTPUT[1]
    assert registry.keys() == ["c.all", "orders.count", "orders.recent"]


def test_watch_does_not_reload_when_nothing_changed(
    watched: tuple[Registry, queue.Queue[Any], queue.Queue[Exception]],
) -> None:
    _, reloads, errors = watched
    time.sleep(0.3)  # six polls
    assert reloads.empty()
    assert errors.empty()


def test_watch_stops_and_is_a_context_manager(root: Path) -> None:
    registry = Registry.from_paths(root)
    reloads: queue.Queue[Any] = queue.Queue()
    with registry.watch(0.05, on_reload=reloads.put) as watch:
        assert watch.running
        assert repr(watch) == "<Watch every 0.05s, running>"
    assert not watch.running
    assert repr(watch) == "<Watch every 0.05s, stopped>"
    write(root, FILES[2])
    time.sleep(0.2)
    assert reloads.empty()
    assert registry.get("orders.recent").version == 1
    watch.stop()  # stopping twice is fine


def test_watch_survives_a_failing_callback_and_logs_by_default(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry.from_paths(root)
    calls: queue.Queue[ReloadReport] = queue.Queue()

    def explode(report: ReloadReport) -> None:
        calls.put(report)
        raise RuntimeError("callback bug")

    with caplog.at_level(logging.INFO, logger="pipereg"), registry.watch(0.05, on_reload=explode):
        write(root, FILES[2])
        calls.get(timeout=WAIT)
        write(root, FILES[1])
        calls.get(timeout=WAIT)  # the thread went on after the first failure
    assert any("callback" in r.message and r.exc_info for r in caplog.records)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pipereg"), registry.watch(0.05) as watch:
        write(root, FILES[2])
        wait_for(lambda: "pipelines reloaded" in caplog.text)
        write(root, "{")
        wait_for(lambda: "not reloaded, the previous ones are still served" in caplog.text)
        assert watch.running
    assert "PR001" in caplog.text
    assert registry.get("orders.recent").version == 2


def test_watch_can_be_stopped_from_its_own_callback(root: Path) -> None:
    registry = Registry.from_paths(root)
    stopped = threading.Event()
    handle: list[Any] = []

    def stop_here(report: ReloadReport) -> None:
        handle[0].stop()  # must not wait for its own thread
        stopped.set()

    handle.append(registry.watch(0.05, on_reload=stop_here))
    write(root, FILES[2])
    assert stopped.wait(WAIT)
    handle[0].stop(timeout=WAIT)
    assert not handle[0].running


def test_watch_rejects_a_non_positive_interval(root: Path) -> None:
    with pytest.raises(ValueError, match="interval must be a positive number"):
        Registry.from_paths(root).watch(0)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- what counts as a change ------------------------------------------------------------------


def poller(root: Path) -> Poller:
    return Poller(lambda: discover_paths([root]))


def test_a_same_size_rewrite_within_one_mtime_step_is_a_change(root: Path) -> None:
    path = root / "orders.json"
    write(root, orders(1, 1))
    status = path.stat()
    watcher = poller(root)
    write(root, orders(1, 2))  # same size, same inode
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))  # same mtime, as within one step
    assert path.stat().st_size == status.st_size
    assert watcher.changed()
    assert not watcher.changed()


def test_an_old_file_is_trusted_by_its_stamp_without_reading_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(root / "orders.json", ns=(hour_ago, hour_ago))
    watcher = poller(root)
    reads: list[Path] = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or b"")
    assert not watcher.changed()
    assert reads == []


def test_files_and_roots_appearing_or_vanishing_are_changes(root: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    watcher = Poller(lambda: discover_paths([root, later]))
    later.mkdir()  # an empty root is a different discovery problem
    assert watcher.changed()
    write(later, FILES[1], "x.json")
    assert watcher.changed()
    (later / "x.json").unlink()
    assert watcher.changed()
    assert not watcher.changed()


def test_a_file_gone_between_discovery_and_stat_settles_on_the_next_look(tmp_path: Path) -> None:
    path = tmp_path / "gone.json"
    watcher = Poller(lambda: ([SourceFile(str(path), "gone", path)], []))
    assert not watcher.changed()  # still unreadable: no change
    write(tmp_path, FILES[1], "gone.json")
    assert watcher.changed()


def test_files_inside_a_zip_are_watched_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "bundle.zip"

    def build(version: int) -> None:
        with zipfile.ZipFile(archive, "w") as bundle:
            bundle.writestr("zipsvc/__init__.py", "")
            bundle.writestr("zipsvc/orders.json", json.dumps(FILES[version]))

    build(1)
    monkeypatch.syspath_prepend(str(archive))
    registry = Registry.from_package("zipsvc")
    assert registry._discover is not None
    watcher = Poller(registry._discover)
    assert not watcher.changed()
    build(2)
    assert watcher.changed()
    assert registry.reload().changed == ("orders.count", "orders.recent")


# --- pipereg lint --watch ---------------------------------------------------------------------


class LintWatch:
    """Runs ``pipereg lint --watch`` in this thread; ``after_first`` runs, from another thread,
    once the first lint is printed and the loop polls; a simulated Ctrl-C ends the command if it
    outlives ``WAIT``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pipereg.cli import lint as cli

        self.first_done = first_done = threading.Event()

        class SignallingPoller(Poller):
            def changed(self) -> bool:
                first_done.set()  # called only inside the watch loop, after the first lint
                return super().changed()

        monkeypatch.setattr(cli, "Poller", SignallingPoller)

    def run(self, args: list[str], after_first: Callable[[], None]) -> Any:
        finished = threading.Event()

        def helper() -> None:
            if self.first_done.wait(WAIT):
                after_first()
            if not finished.wait(WAIT):
                _thread.interrupt_main()  # the bound: end the loop as Ctrl-C would

        thread = threading.Thread(target=helper, daemon=True)
        thread.start()
        try:
            return CliRunner().invoke(main, ["lint", "--watch", "--interval", "0.02", *args])
        finally:
            finished.set()
            join_all([thread])


def test_lint_watch_lints_again_after_a_change(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = json.dumps(FILES[1]).replace('"$limit"', '"$limitt"')
    result = LintWatch(monkeypatch).run(
        [str(root), "--watch-cycles", "2"], lambda: write(root, broken)
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "1 file, 2 pipelines, 0 findings",
        "pipereg: files changed, linting again",
        "1 file, 0 pipelines, 1 finding",  # a file with errors serves nothing
    ]
    assert "PR030" in result.stdout


def test_lint_watch_ends_on_ctrl_c_with_the_last_status(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = LintWatch(monkeypatch).run([str(root)], _thread.interrupt_main)
    assert result.exit_code == 0, result.output
    assert result.stderr == "1 file, 2 pipelines, 0 findings\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_watch_options_need_watch_and_the_test_option_is_hidden(root: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(root), "--interval", "1"])
    assert result.exit_code == 2
    assert "--interval needs --watch" in result.output
    result = CliRunner().invoke(main, ["lint", str(root), "--watch-cycles", "1"])
    assert result.exit_code == 2
    assert "--watch-cycles needs --watch" in result.output
    help_text = CliRunner().invoke(main, ["lint", "--help"]).output
    assert "--watch " in help_text
    assert "--watch-cycles" not in help_text


def test_reload_keeps_the_size_limit_the_registry_was_built_with(tmp_path: Path) -> None:
    root = tmp_path / "limited"
    root.mkdir()
    small = {"version": 1, "pipelines": {"p": {"collection": "c", "stages": [{"$count": "n"}]}}}
    (root / "m.json").write_text(json.dumps(small))
    registry = Registry.from_paths(root, max_file_bytes=200)
    padded = {**small, "description": "x" * 500}
    (root / "m.json").write_text(json.dumps(padded))
    with pytest.raises(PipelineLoadError) as info:
        registry.reload()
    assert [p.code for p in info.value.problems] == ["PR004"]
    assert registry.keys() == ["m.p"]  # the last good load is still served
