"""Reload: atomic swaps under concurrent renders, failed reloads (``Registry.reload``).

Every wait is bounded: threads are joined with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import pipereg
from helpers import WriteTree, pipeline_file
from pipereg import Pipeline, PipelineLoadError, Registry, UnknownPipelineError
from pipereg.registry import ReloadReport

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
            for version in (2, 1) * 10 + (2,):
                report = await asyncio.to_thread(swap, version)  # runs beside the event loop
                assert "orders.recent" in report.changed
        finally:
            reloads_done.set()

    await asyncio.wait_for(asyncio.gather(reloader(), *(reader() for _ in range(8))), 60)
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


def test_a_registry_built_from_a_mapping_cannot_reload(root: Path) -> None:
    registry = Registry({p.key: p for p in Registry.from_paths(root)})
    with pytest.raises(RuntimeError, match="cannot reload: this registry was built from a mapping"):
        registry.reload()
