"""What other repositories run: the pre-commit hooks and the GitHub Actions workflow example.

Each `pipereg ...` command in them is parsed by the CLI itself, so an option that does not
exist (or a `--format` value lint does not know) fails here rather than in someone's CI.
"""

from __future__ import annotations

import re
import shlex

import click
import pytest
import yaml

from helpers import REPO
from pipereg.cli import main

HOOKS = REPO / ".pre-commit-hooks.yaml"
WORKFLOW = REPO / "examples" / "ci" / "pipereg.yml"


def pipereg_commands(script: str) -> list[list[str]]:
    """The words of each `pipereg ...` command in a shell script, up to a redirection or pipe."""
    found = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = []
        for word in lexer:
            if word and set(word) <= set("|&;<>()"):
                break
            words.append(word)
        if words and words[0] == "pipereg":
            found.append(words[1:])
    return found


def check_command(words: list[str]) -> None:
    """Parse ``pipereg WORDS`` as the CLI would; a command pipereg does not have fails."""
    name, *args = words
    with click.Context(main) as context:
        command = main.get_command(context, name)
    if command is None:
        pytest.fail(f"`pipereg {' '.join(words)}`: pipereg has no command {name!r}")
    with click.Context(main) as parent:
        try:
            command.make_context(name, args, parent=parent)
        except click.UsageError as exc:
            pytest.fail(f"`pipereg {' '.join(words)}`: {exc.format_message()}")


def load_hooks() -> list[dict[str, object]]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def test_pre_commit_hooks_are_well_formed() -> None:
    hooks = {hook["id"]: hook for hook in load_hooks()}
    assert sorted(hooks) == ["pipereg-fmt", "pipereg-lint"]
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["language"] == "python"  # pre-commit installs this repository with pip
        assert re.match(str(hook["files"]), "pipelines/billing/invoices.json")
        assert not re.match(str(hook["files"]), "package.json")
    # lint needs the whole tree (module names, keys across files); fmt works file by file.
    assert hooks["pipereg-lint"]["pass_filenames"] is False
    assert hooks["pipereg-fmt"]["pass_filenames"] is True
    # fmt refuses a test-case file given by name (it is not a pipeline file).
    assert re.search(str(hooks["pipereg-fmt"]["exclude"]), "pipelines/orders.test.json")
    assert not re.search(str(hooks["pipereg-fmt"]["exclude"]), "pipelines/orders.json")


@pytest.mark.parametrize("hook_id", ["pipereg-lint", "pipereg-fmt"])
def test_pre_commit_entries_parse(hook_id: str) -> None:
    (hook,) = [hook for hook in load_hooks() if hook["id"] == hook_id]
    words = shlex.split(str(hook["entry"]))
    assert words[0] == "pipereg"
    # pre-commit appends the staged files where pass_filenames is set.
    files = ["pipelines/orders.json"] if hook["pass_filenames"] else []
    check_command([*words[1:], *files])


def workflow_commands() -> list[list[str]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    assert workflow[True] == {"pull_request": {"paths": ["pipelines/**"]}}
    (job,) = workflow["jobs"].values()
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # diff reads the base branch from history
    return [words for step in job["steps"] for words in pipereg_commands(step.get("run", ""))]


def test_workflow_runs_lint_fmt_and_diff() -> None:
    names = [words[0] for words in workflow_commands()]
    assert names == ["lint", "fmt", "diff"]


def test_workflow_lint_command_parses() -> None:
    (lint,) = [words for words in workflow_commands() if words[0] == "lint"]
    assert lint == ["lint", "--format", "github"]
    check_command(lint)


@pytest.mark.parametrize("name", ["fmt", "diff"])
def test_workflow_other_commands_parse(name: str) -> None:
    (words,) = [words for words in workflow_commands() if words[0] == name]
    check_command(words)


def test_workflow_installs_pipereg_from_a_named_source_pinned() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    (install,) = [step for step in job["steps"] if "pip install" in step.get("run", "")]
    assert install["run"] == 'python -m pip install "$PIPEREG"'
    requirement = install["env"]["PIPEREG"]
    # A direct reference to a tag of pipereg's repository: an unpinned name could install anyone's.
    assert re.fullmatch(r"pipereg @ git\+https://\S+@\S+", requirement), requirement


def test_workflow_diff_reads_the_base_branch_and_writes_the_summary() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert '"origin/$BASE" >> "$GITHUB_STEP_SUMMARY"' in text
    assert "BASE: ${{ github.base_ref }}" in text
    (diff,) = [words for words in workflow_commands() if words[0] == "diff"]
    assert diff[-1] == "origin/$BASE"
    assert diff.count("--fail-on") == 2


def test_command_check_catches_an_unknown_command() -> None:
    with pytest.raises(pytest.fail.Exception, match="pipereg has no command 'lnit'"):
        check_command(["lnit", "--format", "github"])


def test_command_check_catches_an_unknown_option() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"No such option.*--colour"):
        check_command(["lint", "--colour"])
    with pytest.raises(pytest.fail.Exception, match="xml"):
        check_command(["lint", "--format", "xml"])


def test_script_splitting() -> None:
    script = (
        'echo hi\npipereg diff --format markdown "origin/$BASE" >> "$OUT"\n  pipereg lint | tee x'
    )
    assert pipereg_commands(script) == [
        ["diff", "--format", "markdown", "origin/$BASE"],
        ["lint"],
    ]
