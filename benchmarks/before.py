"""The same measurements against an older pipereg, for a before-and-after table.

    git archive <commit> src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src .venv/bin/python -m benchmarks.before

Everything runs with the pipereg found first on the path (PYTHONPATH), children included, so
the figures price that version with today's contenders and trees. Only public calls are used.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import pipereg
from benchmarks import approaches, startup
from benchmarks.run import REPO, bench_file, measure, public_call_table
from benchmarks.workloads import RAW_PARAMS, TYPED_PARAMS, write_varied_tree


def main() -> int:
    print(f"pipereg from {Path(pipereg.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        registry = bench_file(base / "bench")
        calls = {
            "hand-written with the same checks (typed params)": lambda: approaches.hand_validated(
                TYPED_PARAMS
            ),
            "hand-written with the same checks (raw strings)": lambda: approaches.hand_validated(
                RAW_PARAMS
            ),
            "pipereg Registry.render, as get_pipeline (typed params)": lambda: registry.render(
                "bench.report", TYPED_PARAMS
            ),
            "pipereg Registry.render, as get_pipeline (raw strings)": lambda: registry.render(
                "bench.report", RAW_PARAMS
            ),
        }
        print("\n".join(public_call_table(measure(calls, 15, 2000))))
        root = write_varied_tree(base / "varied", 1000)
        r = startup.load_rounds(root, 9)
        print(f"varied 1000: load {startup.ms(r.loads)}, floor (collector off) "
              f"{startup.ms(r.floors)}, ratio {statistics.median(r.ratios):.2f}x "
              f"({min(r.ratios):.2f}x); against the default collector's floor "
              f"{statistics.median(r.plain_ratios):.2f}x")  # fmt: skip
        imports = startup.import_seconds(5)
        print(f"import pipereg.registry: {startup.ms(imports)}")
        lint, floor = startup.command_rounds(
            [sys.executable, "-c", "from pipereg.cli import main; main()", "--path",
             "pipelines", "lint"],
            [sys.executable, "-c", "import bson, click, jsonschema"], 15, REPO,
        )  # fmt: skip
        ratios = [a / b for a, b in zip(lint, floor, strict=True)]
        print(f"pipereg lint: {startup.ms(lint)}, floor {startup.ms(floor)}, ratio "
              f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}x)")  # fmt: skip
        sizes = startup.memory(root, write_varied_tree(base / "warm", 10))
        print(", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in sizes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
