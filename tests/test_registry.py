"""The registry and the default registry behind get_pipeline (pipereg.registry)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import pipereg
from helpers import REPO, WriteTree, pipeline_file
from pipereg import PipelineLoadError, Registry, UnknownPipelineError

ORDERS = pipeline_file(
    {
        "by_status": {
            "collection": "orders",
            "description": "Orders with a status",
            "params": {"status": {"type": "string"}},
            "stages": [{"$match": {"status": "<<status>>"}}],
        },
        "count": {"collection": "orders", "version": 7, "stages": [{"$count": "n"}]},
    },
    version=3,
)


def test_keys_get_and_render(write_tree: WriteTree) -> None:
    registry = Registry.from_paths(write_tree({"orders.json": ORDERS}))
    assert registry.keys() == ["orders.by_status", "orders.count"]
    assert len(registry) == 2
    assert "orders.count" in registry
    pipeline = registry.get("orders.by_status")
    assert (pipeline.key, pipeline.module, pipeline.name) == (
        "orders.by_status",
        "orders",
        "by_status",
    )
    assert (pipeline.collection, pipeline.description, pipeline.version) == (
        "orders",
        "Orders with a status",
        3,
    )
    assert registry.get("orders.count").version == 7  # the pipeline's own version wins
    assert registry.render("orders.by_status", {"status": "paid"}) == [
        {"$match": {"status": "paid"}}
    ]


def test_unknown_key_suggests_close_keys(write_tree: WriteTree) -> None:
    registry = Registry.from_paths(write_tree({"orders.json": ORDERS}))
    with pytest.raises(UnknownPipelineError) as info:
        registry.get("orders.by_stats")
    assert info.value.suggestions == ("orders.by_status",)
    assert (
        str(info.value) == "unknown pipeline 'orders.by_stats' (did you mean 'orders.by_status'?)"
    )
    assert isinstance(info.value, KeyError)


def test_fingerprint_is_stable_and_ignores_key_version_and_description(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    first = Registry.from_paths(write_tree({"orders.json": ORDERS})).get("orders.by_status")
    renamed = pipeline_file({"renamed": {**ORDERS["pipelines"]["by_status"], "description": "x"}})
    other_root = tmp_path / "other"
    other_root.mkdir()
    (other_root / "shop.json").write_text(json.dumps({**renamed, "version": 9}))
    second = Registry.from_paths(other_root).get("shop.renamed")
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 64
    changed = pipeline_file({"p": {**ORDERS["pipelines"]["by_status"], "collection": "other"}})
    (other_root / "shop.json").write_text(json.dumps(changed))
    assert Registry.from_paths(other_root).get("shop.p").fingerprint != first.fingerprint
    assert first.tag == f"pipereg:orders.by_status@3 fp:{first.fingerprint[:12]}"


def test_from_paths_defaults_to_pipereg_path_then_pipelines_folder(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"orders.json": ORDERS})
    monkeypatch.chdir(tmp_path)  # ./pipelines is the tree's root
    assert Registry.from_paths().keys() == ["orders.by_status", "orders.count"]
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "inner").mkdir(parents=True)
    (elsewhere / "inner" / "x.json").write_text(json.dumps(ORDERS))
    monkeypatch.setenv("PIPEREG_PATH", str(elsewhere))
    assert Registry.from_paths().keys() == ["inner.x.by_status", "inner.x.count"]
    assert root.exists()


def test_missing_default_folder_is_a_clear_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineLoadError) as info:
        Registry.from_paths()
    assert str(info.value.problems[0]) == (
        "pipelines: PR003 pipeline root does not exist or is not readable"
    )


def test_from_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "svc" / "pipelines"
    package.mkdir(parents=True)
    (tmp_path / "svc" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "orders.json").write_text(json.dumps(ORDERS))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry.from_package("svc.pipelines")
    assert registry.keys() == ["orders.by_status", "orders.count"]
    assert registry.get("orders.count").path == "package:svc.pipelines/orders.json"


def test_get_pipeline_discovers_the_default_registry_once(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEREG_PATH", str(write_tree({"orders.json": ORDERS})))
    calls = []
    original = Registry.from_paths

    def counting(*paths: Any) -> Registry:
        calls.append(paths)
        return original(*paths)

    monkeypatch.setattr(Registry, "from_paths", staticmethod(counting))
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(pipereg.get_pipeline("orders.by_status", {"status": "paid"}))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert results == [[{"$match": {"status": "paid"}}]] * 8
    assert pipereg.default_registry() is pipereg.default_registry()


def test_set_default_registry(write_tree: WriteTree) -> None:
    registry = Registry.from_paths(write_tree({"orders.json": ORDERS}))
    pipereg.set_default_registry(registry)
    assert pipereg.default_registry() is registry
    assert pipereg.get_pipeline("orders.count") == [{"$count": "n"}]


def test_bundled_examples_load() -> None:
    registry = Registry.from_paths(REPO / "pipelines")
    assert len(registry) >= 10
    assert registry.warnings == ()
    assert {p.module for p in registry} >= {"orders", "customers", "inventory", "billing.invoices"}


def test_the_garbage_collector_is_back_on_after_a_load_even_a_failed_one(
    write_tree: WriteTree,
) -> None:
    import gc

    threshold = gc.get_threshold()
    Registry.from_paths(write_tree({"orders.json": ORDERS}))
    assert gc.isenabled()
    assert gc.get_threshold() == threshold
    with pytest.raises(PipelineLoadError):
        Registry.from_paths(write_tree({"bad.json": "{"}))
    assert gc.isenabled()
    assert gc.get_threshold() == threshold


def test_compile_generates_every_pipeline_ahead_and_reloads_keep_doing_so(
    write_tree: WriteTree,
) -> None:
    one = {"collection": "c", "params": {"n": {"type": "int"}}, "stages": [{"$limit": "<<n>>"}]}
    root = write_tree({"m.json": pipeline_file({"a": one, "b": one})})
    registry = Registry.from_paths(root)
    assert not any(pipeline.compiled for pipeline in registry)
    assert registry.compile() is registry
    assert all(pipeline.compiled for pipeline in registry)
    assert registry.render("m.a", {"n": 3}) == [{"$limit": 3}]
    (root / "m.json").write_text(json.dumps(pipeline_file({"a": one, "c": one})))
    registry.reload()
    assert sorted(registry.keys()) == ["m.a", "m.c"]
    assert all(pipeline.compiled for pipeline in registry)


def test_without_compile_a_pipeline_compiles_on_its_first_render(write_tree: WriteTree) -> None:
    one = {"collection": "c", "params": {"n": {"type": "int"}}, "stages": [{"$limit": "<<n>>"}]}
    registry = Registry.from_paths(write_tree({"m.json": pipeline_file({"a": one})}))
    pipeline = registry.get("m.a")
    assert not pipeline.compiled
    assert pipeline.render({"n": 1}) == [{"$limit": 1}]
    assert pipeline.render_options({"n": 1}) == {}
    assert pipeline.compiled
