"""Frequent reloads beside a thread that makes cyclic garbage: memory does not grow.

The collector is off while a registry loads, for the whole process. An earlier version then
moved every tracked object to the oldest generation unscanned and uncounted, another thread's
garbage included, so full collections never came due: 3,000 reloads beside such a thread left
millions of dead objects. Now the end of a load collects the young generations, so that garbage
is freed and what is promoted is counted. This runs in a fresh interpreter, so that no other
test's objects or collector settings take part.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import pipeline_file

SCRIPT = textwrap.dedent(
    """
    import gc, json, sys, threading, time
    from pipereg.registry import Registry

    registry = Registry.from_paths(sys.argv[1])
    stop = threading.Event()

    def garbage():
        while not stop.is_set():
            for _ in range(1000):
                a = {}
                b = {"a": a, "pad": bytearray(256)}
                a["b"] = b
            time.sleep(0)

    thread = threading.Thread(target=garbage)
    thread.start()
    for _ in range(int(sys.argv[2])):
        registry.reload()
    stop.set()
    thread.join()
    print(gc.collect())  # the dead objects the collector had not freed by itself
    """
)


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's collector")
def test_reloads_do_not_keep_other_threads_garbage(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    stages = [{"$match": {"a": "<<a>>"}}, {"$limit": 5}]
    pipelines = {f"q{i}": {"collection": "c", "params": {"a": {"type": "int"}}, "stages": stages}
                 for i in range(4)}  # fmt: skip
    for name in "abcde":
        (root / f"{name}.json").write_text(__import__("json").dumps(pipeline_file(pipelines)))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root), "1000"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    dead = int(done.stdout.strip())
    # The garbage thread makes two cyclic dicts per iteration: a young generation's worth is
    # normal at any moment (a few thousand); the promoted version left hundreds of thousands.
    assert dead < 50_000, dead
