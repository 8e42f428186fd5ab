"""pipereg benchmarks: rendering against hand-written code, cold start, memory, DAO overhead.

Every figure is a ratio measured side by side in this one process, over interleaved rounds, so
machine noise hits every approach alike. Nothing here is a timed test: ``--quick`` (run by CI)
only checks that every approach produces the same output, types and key order included.

    .venv/bin/python -m benchmarks.run            # full run, prints the tables
    .venv/bin/python -m benchmarks.run --quick    # equality checks only
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

from benchmarks import approaches, instrumentation
from benchmarks.workloads import (
    FRAGMENTED,
    FRAGMENTS,
    PIPELINE,
    RAW_PARAMS,
    SINCE,
    TYPED_PARAMS,
    count_nodes,
    write_tree,
)
from pipereg import Registry, params
from pipereg.compile.reference import render_stages
from pipereg.load import cache
from pipereg.params.coerce import coerce_params


def typed(value: Any) -> str:
    """Canonical Extended JSON: equal strings mean equal values, types and key order."""
    return dumps(value, json_options=CANONICAL_JSON_OPTIONS)


def contenders(registry: Registry) -> dict[str, Callable[[], Any]]:
    """Every approach as a no-argument call producing the benchmark pipeline's stages."""
    pipeline = registry.get("bench.report")
    values = coerce_params(pipeline.key, pipeline.params, TYPED_PARAMS)
    compiled = pipeline._stages  # the generated function, as Pipeline.render calls it
    fixed = registry.get("bench.report_fixed")
    fixed_compiled = fixed._stages
    fragmented = registry.get("bench.report_fragments")

    calls: dict[str, Callable[[], Any]] = {
        "hand-written (floor)": lambda: approaches.hand_written(TYPED_PARAMS),
        "deepcopy + walk": lambda: approaches.deepcopy_walk(TYPED_PARAMS),
        "plain recursive walk": lambda: approaches.plain_walk(TYPED_PARAMS),
        "string.Template + json loads": lambda: approaches.string_template(TYPED_PARAMS),
    }
    jinja = approaches.make_jinja()
    if jinja is not None:
        calls["Jinja2 + json loads"] = lambda: jinja(TYPED_PARAMS)
    calls.update(
        {
            "pipereg reference walk": lambda: render_stages(
                pipeline.stage_tree, values, pipeline.params, pipeline.key
            ),
            "pipereg compiled render, no optional param in the file": lambda: fixed_compiled(
                values
            ),
            "pipereg compiled render (typed values)": lambda: compiled(values),
            "pipereg coercion only (typed params)": lambda: coerce_params(
                pipeline.key, pipeline.params, TYPED_PARAMS
            ),
            "pipereg Pipeline.render (typed params)": lambda: pipeline.render(TYPED_PARAMS),
            "pipereg Pipeline.render, written with fragments (typed params)": lambda: (
                fragmented.render(TYPED_PARAMS)
            ),
            "pipereg coercion only (raw strings)": lambda: coerce_params(
                pipeline.key, pipeline.params, RAW_PARAMS
            ),
            "pipereg Pipeline.render (raw strings)": lambda: pipeline.render(RAW_PARAMS),
        }
    )
    return calls


def check_equal(calls: dict[str, Callable[[], Any]]) -> None:
    """Every approach that renders must produce the floor's output exactly."""
    expected = typed(calls["hand-written (floor)"]())
    for name, call in calls.items():
        if "coercion only" in name:
            continue
        assert typed(call()) == expected, f"{name} renders something else"


def measure(
    calls: dict[str, Callable[[], Any]], rounds: int, number: int
) -> dict[str, list[float]]:
    """Seconds per call for each approach, ``rounds`` interleaved rounds of ``number`` calls."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            gc.disable()
            start = time.perf_counter()
            for _ in range(number):
                call()
            samples[name].append((time.perf_counter() - start) / number)
            gc.enable()
    return samples


def render_table(samples: dict[str, list[float]]) -> list[str]:
    floor = statistics.median(samples["hand-written (floor)"])
    floor_min = min(samples["hand-written (floor)"])
    lines = [
        "| approach | median per call | min per call | ratio to floor (median) | (min) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median * 1e6:.2f} µs | {min(values) * 1e6:.2f} µs "
            f"| {median / floor:.2f}x | {min(values) / floor_min:.2f}x |"
        )
    return lines


def bench_file(root: Path) -> Registry:
    # "report_fixed": the same pipeline without the optional parameter, to price its removal;
    # "report_fragments": the same pipeline written with fragments, which must render alike.
    fixed = json.loads(json.dumps(PIPELINE))
    del fixed["params"]["coupon"]
    del fixed["stages"][0]["$match"]["coupon"]
    root.mkdir(parents=True, exist_ok=True)
    document = {
        "version": 1,
        "pipelines": {"report": PIPELINE, "report_fixed": fixed, "report_fragments": FRAGMENTED},
        "fragments": FRAGMENTS,
    }
    (root / "bench.json").write_text(json.dumps(document))
    return Registry.from_paths(root)


def read_and_parse(root: Path) -> list[Any]:
    return [json.loads(path.read_bytes()) for path in sorted(root.rglob("*.json"))]


# The floor, read + json.loads, under two regimes of the cyclic garbage collector. Each holds
# what it parsed until the clock is read (freeing it is not start-up).
PAUSED = "collector off, as during a load"  # no collector work inside the clock
DEFAULT = "default collector"  # a plain program that reads and parses the files


def floors(root: Path) -> dict[str, float]:
    """CPU seconds to read and json.loads the tree, under each regime of the collector."""
    times = {}
    gc.disable()
    start = time.process_time()
    documents = read_and_parse(root)
    times[PAUSED] = time.process_time() - start
    gc.enable()
    del documents
    start = time.process_time()
    documents = read_and_parse(root)
    times[DEFAULT] = time.process_time() - start
    del documents
    return times


def startup(root: Path, rounds: int) -> dict[str, list[float]]:
    """CPU seconds of each floor (:func:`floors`) and of loading the tree as a registry.

    CPU time of this process, not wall time: the machine is shared, and the files are in the
    page cache, so reading waits for nothing. Rounds are interleaved. A load runs with the
    collector off and hands what it built to the oldest generation unscanned
    (:mod:`pipereg.load.gc_pause`): no collector work falls inside its clock, as none falls inside
    the first floor's. The second is what a plain program pays.
    """
    samples: dict[str, list[float]] = {PAUSED: [], DEFAULT: [], "load": []}
    for _ in range(rounds):
        for regime, seconds in floors(root).items():
            samples[regime].append(seconds)
        forget_declarations()
        start = time.process_time()
        registry = Registry.from_paths(root)
        samples["load"].append(time.process_time() - start)
        del registry
    return samples


def cached_startup(
    root: Path, cache_dir: Path, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """CPU seconds of the floor (collector off), a load that misses the cache (and writes it),
    and one that hits.

    As :func:`startup`, interleaved. pipereg's source digest is computed once per process, before
    the first round (:func:`cache_digest_cost` measures it apart).
    """
    plain, miss, hit = [], [], []
    for _ in range(rounds):
        plain.append(floors(root)[PAUSED])
        for entry in cache_dir.glob("*.json"):
            entry.unlink()
        forget_declarations()
        start = time.process_time()
        registry = Registry.from_paths(root, cache_dir=cache_dir)
        miss.append(time.process_time() - start)
        del registry
        forget_declarations()
        start = time.process_time()
        registry = Registry.from_paths(root, cache_dir=cache_dir)
        hit.append(time.process_time() - start)
        del registry
    return plain, miss, hit


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1e3:.1f} ms, {min(samples) * 1e3:.1f} ms"


def _ratio(load: list[float], floor: list[float]) -> str:
    median = statistics.median(load) / statistics.median(floor)
    return f"{median:.2f}x ({min(load) / min(floor):.2f}x)"


def forget_declarations() -> None:
    """Empty the declaration memo (``Param.from_json``), so each round starts cold.

    Rounds run in one process, and a later round would otherwise find every declaration of the
    tree built by an earlier one, which no real start does.
    """
    params._BUILT.clear()
    params._NAMED.clear()


def fresh_process(root: Path) -> dict[str, float]:
    """CPU seconds, in a new interpreter: importing pipereg, its first load, and a second load.

    What a start pays once per process, whatever the tree: importing, and building the JSON
    Schema validators on the first load. The rounds of :func:`startup` run after both.
    """
    script = (
        "import json, sys, time\n"
        "start = time.process_time()\n"
        "from pipereg import Registry, params\n"
        "imported = time.process_time() - start\n"
        "start = time.process_time()\n"
        "Registry.from_paths(sys.argv[1])\n"
        "first = time.process_time() - start\n"
        "params._BUILT.clear(); params._NAMED.clear()\n"
        "start = time.process_time()\n"
        "Registry.from_paths(sys.argv[1])\n"
        "second = time.process_time() - start\n"
        "print(json.dumps({'import': imported, 'first': first, 'second': second}))\n"
    )
    runs = [
        json.loads(subprocess.run(
            [sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True
        ).stdout)
        for _ in range(3)
    ]  # fmt: skip
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def cache_digest_cost(rounds: int) -> float:
    """CPU seconds to digest pipereg's own source files (once per process, on first cache use)."""
    samples = []
    for _ in range(rounds):
        cache.source_digest.cache_clear()
        start = time.process_time()
        cache.source_digest()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def memory(root: Path, count: int) -> tuple[float, float]:
    """KiB allocated per 1,000 pipelines: loaded, and then compiled (rendered once)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    registry = Registry.from_paths(root)
    loaded = tracemalloc.get_traced_memory()[0] - before
    for pipeline in registry:
        pipeline.render(TYPED_PARAMS)
    compiled = tracemalloc.get_traced_memory()[0] - before - loaded
    tracemalloc.stop()
    return loaded / count / 1024 * 1000, compiled / count / 1024 * 1000


def dao_overhead(
    registry: Registry, storage: Path, rounds: int
) -> tuple[float, float, list[float]] | None:
    """Median seconds of PipelineDAO.fetch_all and of the same aggregate sent directly by pymongo,
    on the in-process wire server, and each round's ratio of the two (None if the test extra's
    server is not installed)."""
    try:
        from secantus import SecantusDBServer  # noqa: PLC0415 - test extra only
    except ImportError:
        return None
    import pymongo  # noqa: PLC0415

    from pipereg import PipelineDAO  # noqa: PLC0415

    docs = [
        {"customer_id": customer, "created_at": SINCE, "status": "paid", "total": 150 + i}
        for i, customer in enumerate(TYPED_PARAMS["customer_ids"] * 5)
    ]
    pipeline = registry.get("bench.report")
    with SecantusDBServer(storage_path=str(storage)) as server:
        client: Any = pymongo.MongoClient(server.uri, tz_aware=True)
        try:
            database = client["bench"]
            database["orders"].insert_many(docs)
            dao = PipelineDAO(database, registry)
            options = {**dict(pipeline.options), "comment": pipeline.tag}

            def direct() -> list[Any]:
                stages = approaches.hand_written(TYPED_PARAMS)
                return list(database["orders"].aggregate(stages, **options))

            def through_dao() -> list[Any]:
                return dao.fetch_all("bench.report", TYPED_PARAMS)

            assert typed(direct()) == typed(through_dao())
            # Paired rounds, in alternating order: each round's ratio compares two runs made
            # moments apart, whatever the server's threads were doing then.
            ratios, dao_times, direct_times = [], [], []
            for i in range(rounds):
                order = {"direct": direct, "dao": through_dao}
                if i % 2:
                    order = dict(reversed(order.items()))
                samples = measure(order, 1, 50)
                dao_times += samples["dao"]
                direct_times += samples["direct"]
                ratios.append(samples["dao"][0] / samples["direct"][0])
        finally:
            client.close()
    return statistics.median(dao_times), statistics.median(direct_times), ratios


def cold_start(base: Path) -> None:
    """Print the cold-start tables: trees of 1,000 and 10,000 pipelines, with and without cache."""
    print("\n## Cold start: discovery, parsing, JSON Schema, semantic checks (CPU time)\n")
    print(
        "Floor: read + json.loads of the same files. Ratios are Registry.from_paths over "
        "the floor, median (min).\n"
    )
    print(
        f"| pipelines | Registry.from_paths (median, min) | floor, {PAUSED} | ratio "
        f"| floor, {DEFAULT} | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    loads: dict[str, float] = {}
    cached_rows = []
    cache.source_digest()  # once per process, measured apart below
    for label, files, rounds, distinct in (
        ("1000", 100, 9, False),
        ("1000 distinct", 100, 9, True),
        ("10000", 1000, 5, False),
    ):
        root = write_tree(base / f"tree-{label}", files=files, per_file=10, distinct=distinct)
        samples = startup(root, rounds)
        load = samples["load"]
        loads[label] = statistics.median(load)
        cells = [f"{_ms(load)}"]
        for regime in (PAUSED, DEFAULT):
            cells += [_ms(samples[regime]), _ratio(load, samples[regime])]
        print(f"| {label} | " + " | ".join(cells) + " |")
        plain, miss, hit = cached_startup(root, base / f"cache-{label}", rounds)
        cached_rows += [
            (f"{label}, load cache miss + write", plain, miss),
            (f"{label}, load cache warm", plain, hit),
        ]
    print(f"\nOpt-in load cache (floor: {PAUSED}):\n")
    print("| pipelines | load (median, min) | floor (median, min) | ratio |")
    print("|---:|---:|---:|---:|")
    for name, floor, load in cached_rows:
        print(f"| {name} | {_ms(load)} | {_ms(floor)} | {_ratio(load, floor)} |")
    growth = loads["10000"] / loads["1000"]
    print(f"\nGrowth: 10x the pipelines, {growth:.1f}x the load time (median).")
    once = fresh_process(base / "tree-1000")
    print(f"Once per process (new interpreter, median of 3): importing pipereg "
          f"{once['import'] * 1e3:.0f} ms; its first load of the 1,000 pipelines "
          f"{once['first'] * 1e3:.0f} ms against {once['second'] * 1e3:.0f} ms for a second "
          "load (the difference builds the JSON Schema validators).")  # fmt: skip
    print(f"Load cache: digesting pipereg's own source files, once per process, takes "
          f"{cache_digest_cost(5) * 1e3:.1f} ms (not in the rows above).")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="equality checks only (for CI)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        registry = bench_file(base / "bench")
        pipeline = registry.get("bench.report")
        assert pipeline.fingerprint != registry.get("bench.report_fixed").fingerprint
        # Fragments are inlined at load: the pipeline that runs is the same.
        assert pipeline.fingerprint == registry.get("bench.report_fragments").fingerprint
        calls = contenders(registry)
        check_equal(calls)
        print(f"benchmark pipeline: {len(PIPELINE['stages'])} stages, "
              f"{count_nodes(PIPELINE['stages'])} JSON nodes, {len(pipeline.params)} params; "
              f"all {len(calls)} approaches agree on the output")  # fmt: skip
        if args.quick:
            small = write_tree(base / "small", files=3, per_file=2)
            assert len(Registry.from_paths(small)) == 6
            for _ in range(2):  # a miss that writes the cache, then a hit
                with_cache = Registry.from_paths(small, cache_dir=base / "cache-small")
                assert len(with_cache) == 6
            # Instrumentation overhead: the instrumented call returns the same rows, with a span.
            instrumentation.overhead(registry, "bench.report", TYPED_PARAMS, 1, 2, measure)
            print("quick mode: outputs checked, no timings taken")
            return 0

        print("\n## Rendering (per call)\n")
        print("\n".join(render_table(measure(calls, args.rounds, args.number))))

        cold_start(base)

        print("\n## DAO overhead (in-process wire server)\n")
        overhead = dao_overhead(registry, base / "secantus", rounds=21)
        if overhead is None:
            print("- skipped: SecantusDB (the test extra) is not installed")
        else:
            dao, direct, ratios = overhead
            print(f"- PipelineDAO.fetch_all {dao * 1e3:.2f} ms, pymongo aggregate + list "
                  f"{direct * 1e3:.2f} ms per call (medians): {dao / direct:.3f}x; per paired "
                  f"round, median {statistics.median(ratios):.3f}x, from {min(ratios):.3f}x "
                  f"to {max(ratios):.3f}x")  # fmt: skip

        print("\n## Instrumentation overhead (instant fake driver)\n")
        observed = instrumentation.overhead(
            registry, "bench.report", TYPED_PARAMS, args.rounds, args.number // 4, measure
        )
        if observed is None:
            print("- skipped: the otel extra and opentelemetry-sdk are not installed")
        else:
            print("\n".join(instrumentation.table(observed)))

        print("\n## Memory (tracemalloc)\n")
        loaded, compiled = memory(base / "tree-1000", 1000)
        print(f"- {loaded / 1024:.1f} MiB per 1,000 loaded pipelines")
        print(f"- {compiled / 1024:.1f} MiB more per 1,000 compiled (rendered once) pipelines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
