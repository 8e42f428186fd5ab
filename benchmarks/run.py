"""pipereg benchmarks: the public call against hand-written code, start-up, memory, DAO overhead.

Every figure is a ratio measured side by side, over interleaved rounds, so machine noise hits
every contender alike: rendering in this process, start-up in fresh processes
(:mod:`benchmarks.startup`). Nothing here is a timed test: ``--quick`` (run by CI) only checks
that every approach produces the same output, types and key order included.

    .venv/bin/python -m benchmarks.run            # full run, prints the tables
    .venv/bin/python -m benchmarks.run --quick    # equality checks only
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

from benchmarks import approaches, instrumentation, startup
from benchmarks.dao_overhead import dao_overhead, instant
from benchmarks.workloads import (
    FRAGMENTED,
    FRAGMENTS,
    PIPELINE,
    RAW_PARAMS,
    TYPED_PARAMS,
    count_nodes,
    write_varied_tree,
)
from pipereg import Registry
from pipereg.compile.reference import render_stages
from pipereg.params.coerce import coerce_params

REPO = Path(__file__).resolve().parent.parent


def typed(value: Any) -> str:
    """Canonical Extended JSON: equal strings mean equal values, types and key order."""
    return dumps(value, json_options=CANONICAL_JSON_OPTIONS)


HAND_TYPED = "hand-written with the same checks (typed params)"
HAND_RAW = "hand-written with the same checks (raw strings)"
PIPEREG_TYPED = "pipereg Registry.render, as get_pipeline (typed params)"
PIPEREG_RAW = "pipereg Registry.render, as get_pipeline (raw strings)"


def contenders(registry: Registry) -> dict[str, Callable[[], Any]]:
    """Every approach as a no-argument call producing the benchmark pipeline's stages."""
    registry.compile()
    pipeline = registry.get("bench.report")
    values = coerce_params(pipeline.key, pipeline.params, TYPED_PARAMS)
    compiled = pipeline._stages  # the generated function, as Pipeline.render calls it
    validate = pipeline._validate  # the generated validator, likewise
    fixed = registry.get("bench.report_fixed")
    fixed_compiled = fixed._stages
    fragmented = registry.get("bench.report_fragments")

    calls: dict[str, Callable[[], Any]] = {
        "hand-written (floor)": lambda: approaches.hand_written(TYPED_PARAMS),
        HAND_TYPED: lambda: approaches.hand_validated(TYPED_PARAMS),
        HAND_RAW: lambda: approaches.hand_validated(RAW_PARAMS),
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
            "pipereg reference coercion only (typed params)": lambda: coerce_params(
                pipeline.key, pipeline.params, TYPED_PARAMS
            ),
            "pipereg compiled validation only (typed params)": lambda: validate(TYPED_PARAMS),
            PIPEREG_TYPED: lambda: registry.render("bench.report", TYPED_PARAMS),
            "pipereg Pipeline.render, written with fragments (typed params)": lambda: (
                fragmented.render(TYPED_PARAMS)
            ),
            "pipereg reference coercion only (raw strings)": lambda: coerce_params(
                pipeline.key, pipeline.params, RAW_PARAMS
            ),
            "pipereg compiled validation only (raw strings)": lambda: validate(RAW_PARAMS),
            PIPEREG_RAW: lambda: registry.render("bench.report", RAW_PARAMS),
        }
    )
    return calls


def check_equal(calls: dict[str, Callable[[], Any]]) -> None:
    """Every approach that renders must produce the floor's output exactly."""
    expected = typed(calls["hand-written (floor)"]())
    for name, call in calls.items():
        if " only " in name:
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


def describe_run() -> str:
    """The commit and the machine this run measures."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    return (
        f"commit {commit or 'unknown'}; Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}, {cpus} CPUs ({model})"
    )


def public_call_table(samples: dict[str, list[float]]) -> list[str]:
    """pipereg's public call against hand-written code doing the same checks, per input kind."""
    lines = [
        "| input | pipereg (median, min) | hand-written with checks (median, min) "
        "| ratio (median) | (min) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, ours, theirs in (
        ("typed values", PIPEREG_TYPED, HAND_TYPED),
        ("request strings", PIPEREG_RAW, HAND_RAW),
    ):
        a, b = samples[ours], samples[theirs]
        lines.append(
            f"| {label} | {statistics.median(a) * 1e6:.2f} µs, {min(a) * 1e6:.2f} µs "
            f"| {statistics.median(b) * 1e6:.2f} µs, {min(b) * 1e6:.2f} µs "
            f"| {statistics.median(a) / statistics.median(b):.2f}x | {min(a) / min(b):.2f}x |"
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


def first_render(root: Path, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds of a pipeline's first render (which compiles it), of its second, and of
    ``Pipeline.compile`` ahead on a freshly loaded copy, over ``rounds`` fresh loads."""
    first, second, ahead = [], [], []
    for _ in range(rounds):
        pipeline = Registry.from_paths(root).get("bench.report")
        gc.disable()
        start = time.perf_counter()
        pipeline.render(TYPED_PARAMS)
        first.append(time.perf_counter() - start)
        start = time.perf_counter()
        pipeline.render(TYPED_PARAMS)
        second.append(time.perf_counter() - start)
        other = Registry.from_paths(root).get("bench.report")
        start = time.perf_counter()
        other.compile()
        ahead.append(time.perf_counter() - start)
        gc.enable()
    return first, second, ahead


def compile_all(root: Path) -> tuple[float, int]:
    """Seconds for ``Registry.compile`` on the tree below ``root``, and the pipelines it has."""
    registry = Registry.from_paths(root)
    start = time.perf_counter()
    registry.compile()
    return time.perf_counter() - start, len(registry)


def _ratio(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f}x ({min(samples):.2f}x)"


SIZES = ((1_000, 9), (10_000, 5), (50_000, 3))  # pipelines, fresh-process rounds


def cold_start(base: Path, sizes: tuple[tuple[int, int], ...] = SIZES) -> dict[int, Path]:
    """Print the start-up tables: varied trees loaded in fresh processes, against the floor."""
    print("\n## Start-up on varied trees (fresh processes, CPU time)\n")
    print(
        "Each round starts three new interpreters: one loads the tree with "
        "`Registry.from_paths` (every check, no cache; the import is not in the clock), two read "
        "and `json.loads` the same files, one with the cyclic collector off (as it is during a "
        "load: the like-for-like floor, and the target's yardstick) and one with the default "
        "collector (a plain program). Ratios: load over floor, per round, median (min).\n"
    )
    print(
        "| pipelines | files | load (median, min) | floor, collector off | ratio "
        "| floor, default collector | ratio | load per pipeline |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    roots = {}
    for count, rounds in sizes:
        root = write_varied_tree(base / f"varied-{count}", count)
        roots[count] = root
        files = sum(1 for _ in root.rglob("*.json"))
        r = startup.load_rounds(root, rounds)
        per = statistics.median(r.loads) / count * 1e6
        print(f"| {count} | {files} | {startup.ms(r.loads)} | {startup.ms(r.floors)} "
              f"| {_ratio(r.ratios)} | {startup.ms(r.plain_floors)} | {_ratio(r.plain_ratios)} "
              f"| {per:.0f} µs |")  # fmt: skip
    cache_dir = base / "cache"
    root = roots[sizes[0][0]]
    startup.child(startup.LOAD, str(root), str(cache_dir))  # writes the cache
    r = startup.load_rounds(root, sizes[0][1], str(cache_dir))
    print(f"\nWith the opt-in load cache warm ({sizes[0][0]} pipelines; not a start-up figure): "
          f"{startup.ms(r.loads)} against {startup.ms(r.floors)}, {_ratio(r.ratios)}.")  # fmt: skip
    imports = startup.import_seconds(5)
    print(f"Importing `pipereg.registry` in a new interpreter: {startup.ms(imports)} "
          "(once per process, not in the rows above).")  # fmt: skip
    return roots


def full_run(
    base: Path, registry: Registry, calls: dict[str, Callable[[], Any]], args: argparse.Namespace
) -> None:
    """Take every measurement and print the tables."""
    print("\n## Rendering (per call)\n")
    samples = measure(calls, args.rounds, args.number)
    print("\n".join(render_table(samples)))

    print("\n### pipereg's public call against hand-written code doing the same checks\n")
    print("\n".join(public_call_table(samples)))

    print("\n## First render and compiling ahead\n")
    first, second, ahead = first_render(base / "bench", 15)
    print(f"- first render of the benchmark pipeline (validator and render function "
          f"generated): {startup.ms(first)}; second render: "
          f"{statistics.median(second) * 1e6:.1f} µs")  # fmt: skip
    print(f"- `Pipeline.compile()` ahead, on a fresh load: {startup.ms(ahead)}")

    roots = cold_start(base, SIZES[:1] if args.small else SIZES)
    seconds, count = compile_all(roots[1000])
    print(f"- `Registry.compile()` on the {count} varied pipelines: {seconds * 1e3:.0f} ms, "
          f"{seconds / count * 1e6:.0f} µs a pipeline")  # fmt: skip

    print("\n## Command line start-up (whole processes, CPU time)\n")
    lint, floor = startup.cli_startup(REPO, 15)
    ratios = [a / b for a, b in zip(lint, floor, strict=True)]
    print(f"- `pipereg lint` on the example tree (13 pipelines): {startup.ms(lint)}; "
          f"`python -c 'import bson, click, jsonschema'`: {startup.ms(floor)}; "
          f"ratio {_ratio(ratios)}")  # fmt: skip

    print("\n## DAO overhead\n")
    dao, direct, ratios = instant(registry, measure)
    print(f"- instant fake driver: PipelineDAO.fetch_all {dao * 1e6:.1f} µs, hand-written "
          f"checks + the same driver calls {direct * 1e6:.1f} µs (medians): per paired "
          f"round {_ratio(ratios)}")  # fmt: skip
    overhead = dao_overhead(registry, base / "secantus", measure)
    if overhead is None:
        print("- wire server: skipped, SecantusDB (the test extra) is not installed")
    else:
        dao, direct, ratios = overhead
        print(f"- in-process wire server: PipelineDAO.fetch_all {dao * 1e3:.2f} ms, "
              f"pymongo aggregate + list {direct * 1e3:.2f} ms (medians): per paired round "
              f"{_ratio(ratios)}, up to {max(ratios):.3f}x")  # fmt: skip

    print("\n## Instrumentation overhead (instant fake driver)\n")
    observed = instrumentation.overhead(
        registry, "bench.report", TYPED_PARAMS, args.rounds, args.number // 4, measure
    )
    if observed is None:
        print("- skipped: the otel extra and opentelemetry-sdk are not installed")
    else:
        print("\n".join(instrumentation.table(observed)))

    print("\n## Memory per pipeline (1,000 varied pipelines, fresh processes)\n")
    sizes = startup.memory(roots[1000], write_varied_tree(base / "warm", 10))
    print(f"- retained RSS of read + json.loads of the same files, kept (the yardstick): "
          f"{sizes['rss parsed files (yardstick)'] / 1024:.1f} KiB")  # fmt: skip
    print(f"- retained RSS: {sizes['rss loaded'] / 1024:.1f} KiB loaded, "
          f"{sizes['rss compiled'] / 1024:.1f} KiB more compiled")  # fmt: skip
    print(f"- tracemalloc: {sizes['traced loaded'] / 1024:.1f} KiB loaded, "
          f"{sizes['traced compiled'] / 1024:.1f} KiB more compiled")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="equality checks only (for CI)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--small", action="store_true", help="start-up on 1,000 pipelines only")
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
        print(describe_run())
        print(f"benchmark pipeline: {len(PIPELINE['stages'])} stages, "
              f"{count_nodes(PIPELINE['stages'])} JSON nodes, {len(pipeline.params)} params; "
              f"all {len(calls)} approaches agree on the output")  # fmt: skip
        if args.quick:
            small = write_varied_tree(base / "small", 60)
            assert len(Registry.from_paths(small).compile()) == 60
            for _ in range(2):  # a miss that writes the cache, then a hit
                with_cache = Registry.from_paths(small, cache_dir=base / "cache-small")
                assert len(with_cache) == 60
            instant(registry, lambda calls, rounds, number: measure(calls, 1, 1))
            # Instrumentation overhead: the instrumented call returns the same rows, with a span.
            instrumentation.overhead(registry, "bench.report", TYPED_PARAMS, 1, 2, measure)
            print("quick mode: outputs checked, no timings taken")
            return 0

        full_run(base, registry, calls, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
