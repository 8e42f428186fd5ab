"""Two sets of loaded pipelines compared per key: added, removed, renamed and changed pipelines.

Pure: takes two ``{key: Pipeline}`` mappings and returns records; where they come from (a git
revision, a folder, the work tree) is :mod:`pipereg.review.revisions`' business, and printing them
the CLI's. A pipeline is *renamed* when a removed key and an added key have the same fingerprint,
and *changed* when its key stays and its fingerprint, version or description differs. A changed
pipeline whose version did not increase is *unversioned*.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pipereg.errors import Problem
from pipereg.fragments.fragment import Fragment
from pipereg.pipeline import Pipeline
from pipereg.review.param_changes import Change, param_changes

Status = Literal["added", "removed", "renamed", "changed"]
# Version 1 of the JSON document that DiffReport.to_json returns (docs/cli.md documents it).
JSON_FORMAT = 1


@dataclass(frozen=True)
class StageChange:
    """One stage added, removed or changed.

    Attributes:
        change: ``added``, ``removed`` or ``changed``.
        base_index: The stage's index in the base, or ``None`` for an added stage.
        head_index: The stage's index in the head, or ``None`` for a removed stage.
        operator: The stage's operator (``$match``), the head's for a changed stage.
        diff: Lines of pretty-printed JSON, each starting with ``+``, ``-`` or a space (context);
            ``...`` stands between two far apart parts of a changed stage.
    """

    change: Literal["added", "removed", "changed"]
    base_index: int | None
    head_index: int | None
    operator: str
    diff: tuple[str, ...]


@dataclass(frozen=True)
class PipelineDiff:
    """What happened to one pipeline between base and head.

    Attributes:
        key: The key in the head (in the base for a removed pipeline).
        status: ``added``, ``removed``, ``renamed`` or ``changed``.
        base_key: The key in the base (differs from ``key`` when renamed); ``None`` when added.
        base_version: Its version in the base, ``None`` when added.
        head_version: Its version in the head, ``None`` when removed.
        base_path: The file it came from in the base.
        head_path: The file it comes from in the head.
        changes: Classified changes: the pipeline itself, collection, description, parameters,
            options (stages are in ``stages``).
        stages: Stage-level differences.
        unversioned: Changed, but its version did not increase (or went down).
        note: Why the status may not be what it seems (an "added" pipeline whose file did not
            load in the base), or ``None``.
    """

    key: str
    status: Status
    base_key: str | None
    base_version: int | None
    head_version: int | None
    base_path: str | None
    head_path: str | None
    changes: tuple[Change, ...] = ()
    stages: tuple[StageChange, ...] = ()
    unversioned: bool = False
    note: str | None = None

    @property
    def breaking(self) -> bool:
        """Whether any change breaks a caller."""
        return any(change.breaking for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        """This record as plain JSON values (see :meth:`DiffReport.to_json`)."""
        return {
            "key": self.key,
            "status": self.status,
            "base_key": self.base_key,
            "base_version": self.base_version,
            "head_version": self.head_version,
            "base_path": self.base_path,
            "head_path": self.head_path,
            "breaking": self.breaking,
            "unversioned": self.unversioned,
            "note": self.note,
            "changes": [
                {"where": c.where, "kind": c.kind, "breaking": c.breaking, "message": c.message}
                for c in self.changes
            ],
            "stages": [
                {
                    "change": s.change,
                    "base_index": s.base_index,
                    "head_index": s.head_index,
                    "operator": s.operator,
                    "diff": list(s.diff),
                }
                for s in self.stages
            ],
        }


@dataclass(frozen=True)
class DiffReport:
    """Every difference between two sets of pipelines, sorted by key.

    Attributes:
        base: What the base is, for people (``main (merge base 1a2b3c4)``, a folder).
        head: What the head is (``work tree``, a revision, a folder).
        pipelines: One record per pipeline that differs.
        unchanged: How many pipelines are the same on both sides.
        base_problems: The errors of base files that did not load: their pipelines were left
            out of the base, so the comparison is partial.
    """

    base: str
    head: str
    pipelines: tuple[PipelineDiff, ...]
    unchanged: int
    base_problems: tuple[Problem, ...] = ()

    @property
    def breaking(self) -> list[PipelineDiff]:
        """The pipelines with a breaking change."""
        return [p for p in self.pipelines if p.breaking]

    @property
    def unversioned(self) -> list[PipelineDiff]:
        """The changed pipelines whose version did not increase."""
        return [p for p in self.pipelines if p.unversioned]

    def count(self, status: Status) -> int:
        """How many pipelines have ``status``."""
        return sum(1 for p in self.pipelines if p.status == status)

    def to_json(self) -> dict[str, Any]:
        """The report as a stable JSON document (``format`` 1; docs/cli.md documents it)."""
        summary = {status: self.count(status) for status in ("added", "removed", "renamed")}
        summary["changed"] = self.count("changed")
        summary["unchanged"] = self.unchanged
        summary["breaking"] = len(self.breaking)
        summary["unversioned"] = len(self.unversioned)
        return {
            "format": JSON_FORMAT,
            "base": self.base,
            "head": self.head,
            "summary": summary,
            "base_problems": [str(p) for p in self.base_problems],
            "pipelines": [p.to_json() for p in self.pipelines],
        }


def compare(
    base: Mapping[str, Pipeline],
    head: Mapping[str, Pipeline],
    *,
    base_label: str,
    head_label: str,
    base_problems: Sequence[Problem] = (),
    unloaded: Collection[str] = (),
    base_fragments: Mapping[str, Fragment] | None = None,
    head_fragments: Mapping[str, Fragment] | None = None,
) -> DiffReport:
    """Compare two sets of pipelines by key.

    Args:
        base_fragments: The base's fragments by key; with ``head_fragments``, a changed
            pipeline names the fragments it uses that changed (a ``fragment`` change).
        base_problems: Why some base files did not load (their pipelines are not in ``base``).
        unloaded: The head paths of those files: a pipeline added there is marked with a note,
            since it may have been in the base file that did not load.
    """
    records: list[PipelineDiff] = []
    unchanged = 0
    changed = _changed_fragments(base_fragments or {}, head_fragments or {})
    for key in base.keys() & head.keys():
        record = _changed(base[key], head[key], changed)
        if record is None:
            unchanged += 1
        else:
            records.append(record)
    removed = [base[key] for key in sorted(base.keys() - head.keys())]
    added = [head[key] for key in sorted(head.keys() - base.keys())]
    records.extend(_renamed_added_removed(removed, added))
    records = [
        replace(r, note=f"{r.head_path} did not load in {base_label}: it may not be new")
        if r.status == "added" and r.head_path in unloaded
        else r
        for r in records
    ]
    records.sort(key=lambda r: (r.key, r.status))
    return DiffReport(base_label, head_label, tuple(records), unchanged, tuple(base_problems))


def _renamed_added_removed(
    removed: Sequence[Pipeline], added: Sequence[Pipeline]
) -> Iterator[PipelineDiff]:
    # Pairs removed and added pipelines with equal fingerprints, in key order, one to one.
    by_fingerprint: dict[str, list[Pipeline]] = {}
    for pipeline in added:
        by_fingerprint.setdefault(pipeline.fingerprint, []).append(pipeline)
    renamed: set[str] = set()
    for old in removed:
        candidates = by_fingerprint.get(old.fingerprint)
        if candidates:
            new = candidates.pop(0)
            renamed.add(new.key)
            message = f"renamed from {old.key}: callers of the old key fail"
            changes = [Change("key", "pipeline-renamed", True, message)]
            changes += _described(old, new)
            yield _record(old, new, "renamed", changes)
        else:
            message = f"removed: callers of {old.key} fail"
            yield PipelineDiff(
                old.key,
                "removed",
                old.key,
                old.version,
                None,
                old.path,
                None,
                (Change("key", "pipeline-removed", True, message),),
            )
    for new in added:
        if new.key not in renamed:
            change = Change("key", "pipeline-added", False, "new pipeline")
            yield PipelineDiff(new.key, "added", None, None, new.version, None, new.path, (change,))


def _changed_fragments(
    base: Mapping[str, Fragment], head: Mapping[str, Fragment]
) -> dict[str, Fragment]:
    # A fragment on both sides whose content or parameters differ, by key, as in the head.
    return {
        key: new
        for key, new in head.items()
        if key in base
        and (
            (base[key].kind, _canonical(base[key].body)) != (new.kind, _canonical(new.body))
            or any(param_changes(base[key].params, new.params))
        )
    }


def _changed(
    old: Pipeline, new: Pipeline, fragments: Mapping[str, Fragment] | None = None
) -> PipelineDiff | None:
    if (old.fingerprint, old.version, old.description) == (
        new.fingerprint,
        new.version,
        new.description,
    ):
        return None
    changes: list[Change] = []
    if old.collection != new.collection:
        message = f"collection changed from {old.collection!r} to {new.collection!r}"
        changes.append(Change("collection", "collection", True, message))
    changes += _described(old, new)
    changes += param_changes(old.params, new.params)
    for key in dict.fromkeys((*old.includes, *new.includes)):
        fragment = (fragments or {}).get(key)
        if fragment is not None:
            message = f"fragment {key} changed in {fragment.path}"
            changes.append(Change(f"fragments.{key}", "fragment", False, message))
    changes += _options(old.definition.get("options", {}), new.definition.get("options", {}))
    stages = tuple(stage_changes(old.definition["stages"], new.definition["stages"]))
    content_changed = old.fingerprint != new.fingerprint or old.description != new.description
    unversioned = new.version < old.version or (content_changed and new.version <= old.version)
    return _record(old, new, "changed", changes, stages, unversioned)


def _record(
    old: Pipeline,
    new: Pipeline,
    status: Status,
    changes: Sequence[Change],
    stages: tuple[StageChange, ...] = (),
    unversioned: bool = False,
) -> PipelineDiff:
    return PipelineDiff(
        new.key,
        status,
        old.key,
        old.version,
        new.version,
        old.path,
        new.path,
        tuple(changes),
        stages,
        unversioned,
    )


def _described(old: Pipeline, new: Pipeline) -> list[Change]:
    if old.description == new.description:
        return []
    return [Change("description", "description", False, "description changed")]


def _options(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    for name in [*old, *(n for n in new if n not in old)]:
        before, after = old.get(name), new.get(name)
        if _canonical(before) == _canonical(after):
            continue
        if name not in new:
            message = f"option {name} removed (was {_canonical(before)})"
        elif name not in old:
            message = f"option {name} added: {_canonical(after)}"
        else:
            message = f"option {name} changed from {_canonical(before)} to {_canonical(after)}"
        yield Change(f"options.{name}", "options", False, message)


def stage_changes(old: Sequence[Any], new: Sequence[Any]) -> Iterator[StageChange]:
    """Stages added, removed and changed between two stage lists, as written in the files.

    Stages are aligned as a sequence (so inserting one stage does not change every later one),
    and within a run of replaced stages, stages with the same operator are paired as changed.
    """
    matcher = difflib.SequenceMatcher(
        None, [_canonical(s) for s in old], [_canonical(s) for s in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        operators = difflib.SequenceMatcher(
            None, [_operator(s) for s in old[i1:i2]], [_operator(s) for s in new[j1:j2]]
        )
        for op, a1, a2, b1, b2 in operators.get_opcodes():
            if op == "equal":
                for i, j in zip(range(i1 + a1, i1 + a2), range(j1 + b1, j1 + b2), strict=True):
                    yield StageChange("changed", i, j, _operator(new[j]), _lines(old[i], new[j]))
                continue
            for i in range(i1 + a1, i1 + a2):
                yield StageChange("removed", i, None, _operator(old[i]), _lines(old[i], None))
            for j in range(j1 + b1, j1 + b2):
                yield StageChange("added", None, j, _operator(new[j]), _lines(None, new[j]))


def _operator(stage: Any) -> str:
    return next(iter(stage), "?") if isinstance(stage, dict) else "?"


def _lines(old: Any, new: Any) -> tuple[str, ...]:
    before = [] if old is None else _pretty(old)
    after = [] if new is None else _pretty(new)
    if old is None or new is None:
        sign = "+" if old is None else "-"
        return tuple(f"{sign}{line}" for line in before or after)
    lines: list[str] = []
    for line in difflib.unified_diff(before, after, n=3, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if lines:
                lines.append(" ...")
            continue
        lines.append(line)
    return tuple(lines)


def _pretty(stage: Any) -> list[str]:
    return json.dumps(stage, indent=2, ensure_ascii=False).splitlines()


def _canonical(value: Any) -> str:
    # Key order counts in stages ($sort, and the one key of a stage document).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
