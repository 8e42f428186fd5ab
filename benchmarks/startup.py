"""Start-up in fresh processes: loading varied trees, memory per pipeline, the command line.

Every figure here comes from new interpreters, as a service or a command starts: nothing a
previous round built (declarations, JSON Schema validators, imported modules) is warm. Each
child measures its own CPU time around the one step being priced and prints it; rounds of the
contender and of its floor alternate, and each round's ratio compares two runs made moments
apart.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

# A child that reads and parses every file of the tree: the floor. With a second argument "off",
# the cyclic collector is off while it parses, as it is during a load (pipereg.load.gc_pause):
# the like-for-like floor. Otherwise it runs as in a plain program, and rescans the growing heap,
# which makes that floor grow faster than the tree.
FLOOR = """
import gc, json, sys, time
from pathlib import Path
files = sorted(Path(sys.argv[1]).rglob("*.json"))
if sys.argv[2:] == ["off"]:
    gc.disable()
start = time.process_time()
documents = [json.loads(path.read_bytes()) for path in files]
print(time.process_time() - start)
"""

# A child that imports pipereg (not timed), then loads the tree: every check; a load cache
# only if a second argument names its folder (the opt-in cache, priced apart).
LOAD = """
import sys, time
from pipereg import Registry
cache_dir = sys.argv[2] if len(sys.argv) > 2 else None
start = time.process_time()
registry = Registry.from_paths(sys.argv[1], cache_dir=cache_dir)
print(time.process_time() - start)
"""

# A child that imports pipereg: the import alone.
IMPORT = """
import time
start = time.process_time()
import pipereg.registry
print(time.process_time() - start)
"""

# Retained memory: resident set size after importing, after loading, after compiling; and what
# tracemalloc counts for the same load, in a second child (tracing slows and inflates the first).
RSS = """
import gc, sys
from pipereg import Registry
for name in ("pipereg.compile.codegen", "pipereg.params.validator"):
    try:  # imported ahead: the code of the generators is no pipeline's memory
        __import__(name)
    except ImportError:
        pass
def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE
PAGE = __import__("os").sysconf("SC_PAGE_SIZE")
# A first, small load builds what every process builds once (validators, lazy imports).
warm = Registry.from_paths(sys.argv[2])
compile_all = getattr(warm, "compile", None)
if compile_all is not None:
    compile_all()
del warm, compile_all
before = rss()
registry = Registry.from_paths(sys.argv[1])
loaded = rss()
compile_all = getattr(registry, "compile", None)
if compile_all is None:  # an older pipereg: what a first render generates
    for pipeline in registry:
        pipeline._stages, pipeline._options
else:
    compile_all()
compiled = rss()
print(__import__("json").dumps([before, loaded, compiled, len(registry)]))
"""

# The yardstick: what the parsed files alone retain (read + json.loads, kept).
PARSED_RSS = """
import gc, json, os, sys
from pathlib import Path
def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
files = sorted(Path(sys.argv[1]).rglob("*.json"))
before = rss()
documents = [json.loads(path.read_bytes()) for path in files]
print(json.dumps(rss() - before))
"""

TRACED = """
import gc, sys, tracemalloc
from pipereg import Registry
for name in ("pipereg.compile.codegen", "pipereg.params.validator"):
    try:  # imported ahead: the code of the generators is no pipeline's memory
        __import__(name)
    except ImportError:
        pass
warm = Registry.from_paths(sys.argv[2])
compile_all = getattr(warm, "compile", None)
if compile_all is not None:
    compile_all()
del warm, compile_all
gc.collect()
tracemalloc.start()
registry = Registry.from_paths(sys.argv[1])
gc.collect()
loaded = tracemalloc.get_traced_memory()[0]
compile_all = getattr(registry, "compile", None)
if compile_all is None:
    for pipeline in registry:
        pipeline._stages, pipeline._options
else:
    compile_all()
gc.collect()
compiled = tracemalloc.get_traced_memory()[0]
print(__import__("json").dumps([loaded, compiled, len(registry)]))
"""


def child(script: str, *args: str) -> Any:
    """Run ``script`` in a new interpreter; return what it printed, parsed as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


class Rounds(NamedTuple):
    """CPU seconds per round: the load, the floor with the collector off and on; the ratios."""

    loads: list[float]
    floors: list[float]
    ratios: list[float]
    plain_floors: list[float]
    plain_ratios: list[float]


def load_rounds(root: Path, rounds: int, *cache: str) -> Rounds:
    """Loading ``root`` and reading + parsing it, each in fresh processes, in alternating order.

    ``cache``: the load cache's folder, if any.
    """
    out = Rounds([], [], [], [], [])
    for i in range(rounds):
        steps = [
            (out.loads, (LOAD, str(root), *cache)),
            (out.floors, (FLOOR, str(root), "off")),
            (out.plain_floors, (FLOOR, str(root))),
        ]
        for samples, call in steps[:: -1 if i % 2 else 1]:
            samples.append(child(*call))
        out.ratios.append(out.loads[-1] / out.floors[-1])
        out.plain_ratios.append(out.loads[-1] / out.plain_floors[-1])
    return out


def import_seconds(rounds: int) -> list[float]:
    """CPU seconds to import pipereg's registry in a new interpreter, once per round."""
    return [child(IMPORT) for _ in range(rounds)]


def memory(root: Path, warm: Path) -> dict[str, float]:
    """Bytes per pipeline, retained after a load and added by compiling: RSS and tracemalloc.

    ``warm``: a small tree loaded (and compiled) first, so that what a process builds once
    (JSON Schema validators, modules imported on first use) is not counted per pipeline.
    """
    before, loaded, compiled, count = child(RSS, str(root), str(warm))
    traced_loaded, traced_compiled, _ = child(TRACED, str(root), str(warm))
    parsed = child(PARSED_RSS, str(root))
    return {
        "rss parsed files (yardstick)": parsed / count,
        "rss loaded": (loaded - before) / count,
        "rss compiled": (compiled - loaded) / count,
        "traced loaded": traced_loaded / count,
        "traced compiled": (traced_compiled - traced_loaded) / count,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_rounds(
    command: list[str], baseline: list[str], rounds: int, cwd: Path
) -> tuple[list[float], list[float]]:
    """CPU seconds (user + system) of two whole commands, alternating, ``rounds`` times each."""
    a: list[float] = []
    b: list[float] = []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for i in range(rounds):
        for which, argv in ((a, command), (b, baseline))[:: -1 if i % 2 else 1]:
            start = _children_cpu()
            subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
            which.append(_children_cpu() - start)
    return a, b


def cli_startup(repo: Path, rounds: int) -> tuple[list[float], list[float]]:
    """``pipereg lint`` on the example tree against a process importing what linting needs."""
    scripts = Path(sys.executable).parent
    lint = [str(scripts / "pipereg"), "--path", "pipelines", "lint"]
    floor = [sys.executable, "-c", "import bson, click, jsonschema"]
    return command_rounds(lint, floor, rounds, repo)


def ms(samples: list[float]) -> str:
    """Median and min, in milliseconds."""
    return f"{statistics.median(samples) * 1e3:.1f} ms, {min(samples) * 1e3:.1f} ms"
