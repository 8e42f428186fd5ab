"""The README's two quickstart commands stay the ones CI and users run."""

from __future__ import annotations

import re

from helpers import REPO


def quickstart() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", readme)[:2]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci/run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == quickstart()[1]


def test_first_command_lints_and_runs_a_bundled_example() -> None:
    main_job = quickstart()[0]
    assert "pipereg lint" in main_job
    assert "pipereg run orders.daily_revenue" in main_job
    assert "--data examples/data" in main_job
