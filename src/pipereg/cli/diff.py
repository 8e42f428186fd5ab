"""``pipereg diff``: pipelines compared between two git revisions or two folders, per key."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

import click

from pipereg.cli.app import MAX_FILE_BYTES, InputError, input_errors, roots
from pipereg.errors import Problem, RevisionError
from pipereg.fragments.fragment import Fragment
from pipereg.messages import plural
from pipereg.review import revisions
from pipereg.review.diff import DiffReport, PipelineDiff, compare
from pipereg.review.textconv import textconv

FAIL_ON = ("breaking", "unversioned")
_SIGNS = {"added": "+", "removed": "-", "renamed": ">", "changed": "~"}


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    multiple=True,
    help="Exit 1 when a pipeline has a breaking change, or changed without a version bump "
    "(repeatable).",
)
@click.option(
    "--textconv",
    "as_textconv",
    is_flag=True,
    help="Print one pipeline file (BASE) in a canonical form, for git's diff.<driver>.textconv.",
)
@click.pass_context
def diff(
    ctx: click.Context,
    base: str | None,
    head: str | None,
    fmt: str,
    fail_on: tuple[str, ...],
    as_textconv: bool,
) -> None:
    """Compare pipelines between two git revisions or two folders, per pipeline key.

    BASE defaults to the merge base of the main branch (origin/HEAD, else main, else master)
    and HEAD; HEAD defaults to the work tree. Two folders are compared as pipeline roots; a
    folder alone is compared with the roots on disk (--path, PIPEREG_PATH or ./pipelines).
    Exit 0 (differences are not errors) unless --fail-on finds what it names, then 1.
    """
    if as_textconv:
        if base is None or head is not None:
            raise click.UsageError("--textconv takes exactly one FILE")
        with input_errors():
            click.echo(textconv(base), nl=False)
        return
    with input_errors():
        report = _report(ctx, base, head)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(markdown(report), nl=False)
    else:
        click.echo(text(report), nl=False)
    failed = [kind for kind in fail_on if getattr(report, kind)]
    if failed:
        click.echo(f"pipereg: failing on {' and '.join(failed)} changes", err=True)
        ctx.exit(1)


def _report(ctx: click.Context, base: str | None, head: str | None) -> DiffReport:
    limit = ctx.meta[MAX_FILE_BYTES]
    folders = [side is not None and os.path.isdir(side) for side in (base, head)]
    if any(folders):
        assert base is not None  # BASE comes first: a folder, or given before a folder HEAD
        if head is None:  # a folder against the roots on disk, the work tree's pipelines
            return _folder_and_roots(ctx, base)
        if not all(folders):
            other = head if folders[0] else base
            if not _is_revision(other):
                raise InputError(f"{other} is neither a folder nor a revision")
            raise InputError(
                "BASE and HEAD must both be folders or both be revisions "
                f"({base if folders[0] else head} is a folder, {other} a revision)"
            )
        errors: list[Problem] = []
        olds: dict[str, Fragment] = {}
        news: dict[str, Fragment] = {}
        before = revisions.load_paths([base], base, limit, errors=errors, fragments=olds)
        return compare(
            before,
            revisions.load_paths([head], head, limit, fragments=news),
            base_label=base,
            head_label=head,
            base_problems=errors,
            unloaded={os.path.join(head, os.path.relpath(p.path, base)) for p in errors},
            base_fragments=olds,
            head_fragments=news,
        )
    repo = revisions.toplevel()
    paths = revisions.repo_roots(repo, roots(ctx))
    if base is None:
        base_commit, base_label = revisions.default_base(repo)
    else:
        base_commit, base_label = revisions.resolve(repo, base), base
    # A base that does not load is reported, not fatal: the change may be the fix.
    errors = []
    olds = {}
    news = {}
    before = revisions.load_revision(
        repo, base_commit, base_label, paths, limit, errors=errors, fragments=olds
    )
    if head is None:
        head_label = "work tree"
        after = revisions.load_worktree(repo, paths, limit, fragments=news)
    else:
        head_label = head
        commit = revisions.resolve(repo, head)
        after = revisions.load_revision(repo, commit, head, paths, limit, fragments=news)
    if not before and not after:
        where = ", ".join(paths)
        raise RevisionError(f"no pipeline files under {where} in {base_label} or {head_label}")
    return compare(
        before,
        after,
        base_label=base_label,
        head_label=head_label,
        base_problems=errors,
        unloaded={p.path for p in errors},
        base_fragments=olds,
        head_fragments=news,
    )


def _folder_and_roots(ctx: click.Context, base: str) -> DiffReport:
    limit = ctx.meta[MAX_FILE_BYTES]
    errors: list[Problem] = []
    olds: dict[str, Fragment] = {}
    news: dict[str, Fragment] = {}
    before = revisions.load_paths([base], base, limit, errors=errors, fragments=olds)
    after = revisions.load_paths(roots(ctx), "the roots", limit, fragments=news)
    head_label = ", ".join(roots(ctx))
    if not before and not after:
        raise RevisionError(f"no pipeline files in {base} or {head_label}")
    return compare(
        before,
        after,
        base_label=base,
        head_label=head_label,
        base_problems=errors,
        unloaded={
            os.path.join(root, os.path.relpath(p.path, base)) for p in errors for root in roots(ctx)
        },
        base_fragments=olds,
        head_fragments=news,
    )


def _is_revision(name: str) -> bool:
    try:
        revisions.resolve(revisions.toplevel(), name)
    except RevisionError:
        return False
    return True


def _version(record: PipelineDiff) -> str:
    old, new = record.base_version, record.head_version
    if old is None or new is None:
        return f"version {old if new is None else new}"
    return f"version {old}" if old == new else f"version {old} -> {new}"


def _flags(record: PipelineDiff) -> list[str]:
    return [
        flag
        for flag, on in (("BREAKING", record.breaking), ("UNVERSIONED", record.unversioned))
        if on
    ]


def _summary(report: DiffReport) -> str:
    counts = [
        f"{report.count(status)} {status}" for status in ("added", "removed", "renamed", "changed")
    ]
    return (
        f"{', '.join(counts)}, {report.unchanged} unchanged; "
        f"{plural(len(report.breaking), 'breaking pipeline')}, "
        f"{len(report.unversioned)} unversioned"
    )


def text(report: DiffReport) -> str:
    """The report for a terminal: one line per pipeline, its changes and stages below it."""
    lines = [f"pipereg diff {report.base} .. {report.head}"]
    if report.base_problems:
        lines.append(f"warning: {_unloaded(report)}:")
        lines.extend(f"  {problem}" for problem in report.base_problems)
    for record in report.pipelines:
        name = record.key
        if record.status == "renamed":
            name = f"{record.base_key} -> {record.key}"
        head = f"{_SIGNS[record.status]} {name}  {record.status}, {_version(record)}"
        lines.append("  ".join([head, *_flags(record)]))
        if record.note:
            lines.append(f"    note: {record.note}")
        if record.unversioned:
            lines.append(f"    unversioned: {_unversioned(record)}")
        for change in record.changes:
            if change.kind in ("pipeline-added", "pipeline-removed", "pipeline-renamed"):
                continue
            label = "breaking" if change.breaking else "compatible"
            lines.append(f"    {label}: {change.where}: {change.message}")
        for stage in record.stages:
            lines.append(
                f"    {_stage_title(stage.change, stage.base_index, stage.head_index)} "
                f"{stage.operator}"
            )
            lines.extend(f"      {line}" for line in stage.diff)
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _unloaded(report: DiffReport) -> str:
    return (
        f"some files of {report.base} do not load; their pipelines are left out of the base, "
        "the others compared"
    )


def _unversioned(record: PipelineDiff) -> str:
    if (record.base_version or 0) > (record.head_version or 0):
        return f"version went down from {record.base_version} to {record.head_version}"
    # A pipeline whose own text is unchanged changes through its fragments: say which.
    through = [c.where.removeprefix("fragments.") for c in record.changes if c.kind == "fragment"]
    named = f" (fragment {', '.join(through)} changed)" if through else ""
    return f"changed{named} but still version {record.head_version}: bump it"


def _stage_title(change: str, base_index: int | None, head_index: int | None) -> str:
    if change == "added":
        return f"stage {head_index} added:"
    if change == "removed":
        return f"stage {base_index} removed:"
    if base_index == head_index:
        return f"stage {head_index} changed:"
    return f"stage {base_index} (now {head_index}) changed:"


def markdown(report: DiffReport) -> str:
    """The report as a pull request comment: a summary table, then details per pipeline."""
    out = [f"### pipereg diff: `{report.base}` → `{report.head}`", ""]
    if report.base_problems:
        out += [f"> **Warning**: {_escape(_unloaded(report))}:", ""]
        out += [*_fenced([str(p) for p in report.base_problems], "text"), ""]
    if not report.pipelines:
        out += [f"No pipeline changed ({report.unchanged} unchanged).", ""]
        return "\n".join(out)
    alerts = []
    if report.breaking:
        alerts.append(f"**{plural(len(report.breaking), 'breaking pipeline')}**")
    if report.unversioned:
        alerts.append(f"**{len(report.unversioned)} changed without a version bump**")
    counts = [f"{report.count(s)} {s}" for s in ("added", "removed", "renamed", "changed")]
    out += [" · ".join([*alerts, *counts, f"{report.unchanged} unchanged"]), ""]
    out += ["| pipeline | status | version | breaking | version bump |", "|---|---|---|---|---|"]
    for record in report.pipelines:
        name = f"`{record.key}`"
        if record.status == "renamed":
            name = f"`{record.base_key}` → `{record.key}`"
        bump = "**missing**" if record.unversioned else ""
        out.append(
            f"| {name} | {record.status} | {_version(record).removeprefix('version ')} | "
            f"{'**yes**' if record.breaking else ''} | {bump} |"
        )
    out.append("")
    for record in report.pipelines:
        details = _details(record)
        if details:
            out += [f"<details><summary><code>{record.key}</code></summary>", "", *details]
            out += ["</details>", ""]
    return "\n".join(out)


def _details(record: PipelineDiff) -> list[str]:
    out = []
    if record.note:
        out.append(f"- note: {_escape(record.note)}")
    if record.unversioned:
        out.append(f"- **unversioned**: {_escape(_unversioned(record))}")
    for change in record.changes:
        if change.kind in ("pipeline-added", "pipeline-removed"):
            continue  # the table says it
        label = "**breaking**" if change.breaking else "compatible"
        out.append(f"- {label}: `{change.where}`: {_escape(change.message)}")
    if out:
        out.append("")
    for stage in record.stages:
        title = _stage_title(stage.change, stage.base_index, stage.head_index)
        out += [f"{title} `{stage.operator}`", "", *_fenced(stage.diff), ""]
    return out


def _fenced(lines: Sequence[str], language: str = "diff") -> list[str]:
    # A fence longer than any run of backticks in the content, so no stage can close it early.
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")
