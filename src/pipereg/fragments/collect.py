"""Shared fragments: reusable stages or documents, inlined into pipelines at load.

A file's ``fragments`` object names pieces with their own typed params: ``stages`` (spliced into
a list of stages) or ``document`` (one object, used where an object stands). A pipeline, or another
fragment, writes ``{"$include": "name", "with": {"param": "<<mine>>", "other": 3}}``; a bare name
is a fragment of the same module, ``module.name`` one of another module.

Here fragments are collected from each file (:func:`collect`) and, once every file's are known,
an :class:`Expander` inlines includes (the walk itself is :mod:`pipereg.fragments.expand`).
Expansion happens before templates are built, so a pipeline with fragments compiles to the same
function as the one written out by hand. Problems at an include are located at the include; a
problem the rules find inside inlined content is located at the include too, naming the fragment
and where in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipereg import codes
from pipereg.check import rules as checks
from pipereg.compile import template
from pipereg.errors import Finding
from pipereg.fragments.expand import Library, Origin, Walk, left_in
from pipereg.fragments.fragment import INCLUDE, Fragment, Kind
from pipereg.jsontext.parse import JsonPath
from pipereg.messages import did_you_mean
from pipereg.params.declaration import Param
from pipereg.params.declare import declare

__all__ = ["Expander", "Expansion", "collect"]


def collect(
    module: str, path: str, document: Mapping[str, Any], schema_failed: set[str]
) -> tuple[list[Fragment], list[Finding]]:
    """Build the fragments of one schema-checked file, with the problems found in each alone.

    Fragments named in ``schema_failed`` are skipped. Checked here: parameter
    declarations (PR022), placeholders (PR020 undeclared, PR021 unused, PR025 malformed) and
    Extended JSON literals; includes are checked by :class:`Expander`.
    """
    fragments: list[Fragment] = []
    findings: list[Finding] = []
    for name, raw in document.get("fragments", {}).items():
        if name in schema_failed:
            continue
        base = ("fragments", name)
        params, declared = declare(raw.get("params", {}), (*base, "params"))
        findings += declared
        kind: Kind = "stages" if "stages" in raw else "document"
        built = template.build(raw[kind], (*base, kind), stages=kind == "stages")
        findings += built.findings
        used = set()
        for site in built.sites:
            used.add(site.name)
            if site.name not in params:
                message = f"placeholder <<{site.name}>> names no parameter of this fragment"
                findings.append(
                    Finding(
                        site.path,
                        codes.UNDECLARED_PARAMETER,
                        message + did_you_mean(site.name, params),
                    )
                )
        if used <= set(params) and not all(p.always_present for p in params.values()):
            findings += checks.check_removals(built.tree, params, (*base, kind))
        for param_name in params:
            if param_name not in used:
                at = (*base, "params", param_name)
                findings.append(
                    Finding(at, codes.UNUSED_PARAMETER, f"parameter {param_name!r} is never used")
                )
        fragments.append(
            Fragment(
                key=f"{module}.{name}",
                module=module,
                name=name,
                path=path,
                kind=kind,
                body=raw[kind],
                params=params,
                description=raw.get("description", ""),
            )
        )
    return fragments, findings


@dataclass
class Expansion:
    """A pipeline's stages with every include inlined.

    Attributes:
        stages: The expanded stages, or ``None`` when an include failed (see ``findings``) or an
            included fragment has problems of its own (reported in its file).
        includes: Fragment keys used, directly or through other fragments, in first-use order.
        findings: Problems at include sites, in the including file.
    """

    stages: list[Any] | None
    includes: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    origins: dict[tuple[int, str | int], Origin] = field(default_factory=dict, repr=False)

    def locate(self, finding: Finding, at: JsonPath) -> Finding:
        """Move a finding about the expanded stages (found at ``at``) to where it was written."""
        if not self.origins or finding.at[: len(at)] != at or self.stages is None:
            return finding
        node: Any = self.stages
        origin = Origin(at)
        for part in finding.at[len(at) :]:
            origin = self.origins.get((id(node), part)) or origin.step(part)
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
        if not origin.hops and origin.path == finding.at:
            return finding
        return Finding(origin.path, finding.code, finding.message + origin.note(), finding.severity)


class Expander:
    """Inlines includes, given every fragment of a load (all files: includes cross modules)."""

    def __init__(self, fragments: Iterable[Fragment], unreadable: Iterable[str] = ()) -> None:
        """Index ``fragments`` by key.

        Args:
            fragments: Every fragment of the load; ones with problems of their own should be
                passed to :meth:`mark_failed` so that their includes are skipped quietly.
            unreadable: Modules whose files could not be read or checked: includes of their
                fragments are skipped quietly (the file's own problem says it all).
        """
        self.library = Library(fragments, unreadable)

    @property
    def fragments(self) -> dict[str, Fragment]:
        """Every fragment of the load, by key."""
        return self.library.fragments

    @property
    def used(self) -> dict[str, None]:
        """The keys of the fragments some include named, in the order first met."""
        return self.library.used

    def mark_failed(self, key: str) -> None:
        """Skip includes of ``key`` quietly: its own problems are reported in its file."""
        self.library.failed.add(key)

    def check_fragment(self, fragment: Fragment) -> list[Finding]:
        """The problems of the includes inside one fragment, located in its file (memoized)."""
        return self.library.check_fragment(fragment)

    def can_inline(self, key: str) -> bool:
        """Whether ``key`` can be inlined: it and what it includes have no problems."""
        return self.library.can_inline(key)

    def expand(
        self, module: str, stages: Any, at: JsonPath, params: Mapping[str, Param]
    ) -> Expansion:
        """Inline every include in a pipeline's ``stages`` (written at ``at`` in ``module``)."""
        walk = Walk(self.library, module, params, ())
        expanded = walk.node(stages, Origin(at), None, stage_list=True)
        result = Expansion(None, tuple(walk.includes), walk.findings, walk.origins)
        if not walk.failed and not walk.skipped:
            result.stages = expanded
            # The last word: whatever the walk missed must not reach the server as "$include".
            left = [
                result.locate(
                    Finding(path, codes.MALFORMED_INCLUDE, "this include is not expanded here"), at
                )
                for path in left_in(expanded, at)
            ]
            if left:
                result.findings += left
                result.stages = None
        return result

    def misplaced(self, node: Any, at: JsonPath) -> list[Finding]:
        """Includes outside stages (in ``options``, say): PR068, as they are never inlined."""
        if type(node) is dict:
            if INCLUDE in node:
                message = "fragments are included only in stages, not here"
                return [Finding(at, codes.MALFORMED_INCLUDE, message)]
            return [f for k, v in node.items() for f in self.misplaced(v, (*at, k))]
        if type(node) is list:
            return [f for i, v in enumerate(node) for f in self.misplaced(v, (*at, i))]
        return []
