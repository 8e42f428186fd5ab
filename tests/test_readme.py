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


def test_the_readme_opens_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_heading = readme.index("\n## ")
    assert all(readme.index(command) < first_heading for command in quickstart())


def test_first_command_lints_and_runs_a_bundled_example() -> None:
    main_job = quickstart()[0]
    assert "pipereg lint" in main_job
    assert "pipereg run orders.daily_revenue" in main_job
    assert "--data examples/data" in main_job


def test_the_test_command_builds_the_docs_strictly_outside_the_tree_before_pytest() -> None:
    steps = quickstart()[1].split(" && ")
    build = '.venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)"'
    assert build in steps
    assert steps.index(build) < next(i for i, s in enumerate(steps) if "pytest" in s)


def test_contributing_gives_the_same_test_command() -> None:
    contributing = (REPO / "docs" / "contributing.md").read_text(encoding="utf-8")
    assert quickstart()[1] in contributing


def test_the_readme_stays_a_front_door() -> None:
    # The reference lives in docs/; the README says what and why, the commands, a taste,
    # the first pipeline and where to read on.
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 250


def test_the_readme_links_to_files_that_exist() -> None:
    # mkdocs --strict checks the links of docs/; the README is outside the site, so here.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme)
    assert len(targets) >= 12
    for target in targets:
        assert (REPO / target).is_file(), target
