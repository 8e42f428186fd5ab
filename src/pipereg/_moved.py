"""Module paths that moved in the 0.2 layout, still importable with a ``DeprecationWarning``.

pipereg 0.2 grouped its modules by the step of the data path they serve (``jsontext/``, ``params/``,
``compile/``, ``check/``, ``fragments/``, ``load/``, ``explain/``, ``review/``, ``testing/``). A
program that imports an old path, such as ``pipereg.plans``, gets a stand-in module that forwards
every attribute to the new one (the same objects, so ``isinstance`` holds) and is warned once.
The finder sits last on ``sys.meta_path``, so it is only asked about names nothing else provides.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

MOVED: dict[str, str] = {
    "pipereg.cache": "pipereg.load.cache",
    "pipereg.cases": "pipereg.testing.cases",
    "pipereg.catalog": "pipereg.review.catalog",
    "pipereg.checks": "pipereg.check.rules",
    "pipereg.cli.textconv": "pipereg.review.textconv",
    "pipereg.coercion": "pipereg.params.coerce",
    "pipereg.collector": "pipereg.load.gc_pause",
    "pipereg.compare": "pipereg.testing.results",
    "pipereg.compat": "pipereg.review.param_changes",
    "pipereg.compiler": "pipereg.compile.codegen",
    "pipereg.contexts": "pipereg.compile.contexts",
    "pipereg.diff": "pipereg.review.diff",
    "pipereg.discovery": "pipereg.load.discovery",
    "pipereg.embedded": "pipereg.testing.embedded",
    "pipereg.encoding": "pipereg.jsontext.compact",
    "pipereg.extjson": "pipereg.jsontext.extjson",
    "pipereg.fmt": "pipereg.review.fmt",
    "pipereg.inline": "pipereg.fragments.expand",
    "pipereg.loader": "pipereg.load.file",
    "pipereg.parse": "pipereg.jsontext.parse",
    "pipereg.plans": "pipereg.explain.plans",
    "pipereg.pytest_plugin": "pipereg.testing.pytest_plugin",
    "pipereg.regex": "pipereg.params.regex",
    "pipereg.render": "pipereg.compile.reference",
    "pipereg.reports": "pipereg.check.reports",
    "pipereg.revisions": "pipereg.review.revisions",
    "pipereg.runner": "pipereg.testing.runner",
    "pipereg.samples": "pipereg.params.examples",
    "pipereg.schema": "pipereg.check.schema",
    "pipereg.sketch": "pipereg.check.prefilter",
    "pipereg.stubs": "pipereg.review.stubs",
    "pipereg.summary": "pipereg.review.param_table",
    "pipereg.template": "pipereg.compile.template",
}
"""Each old module path, and where its code lives now."""


# The finder and loader follow importlib's protocols without subclassing importlib.abc, whose
# import (importlib.resources with it) would cost every `import pipereg` some 15 ms.


class _Forwarder:
    """Builds the stand-in for one old path: a module whose attributes are the new module's."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        target = importlib.import_module(self.new)
        module = types.ModuleType(spec.name, target.__doc__)
        # A copy of the names, so tools that read a module's __dict__ (pytest's plugin manager)
        # see them too; __getattr__ still answers for names the new module gains later.
        module.__dict__.update(
            (name, value) for name, value in vars(target).items() if not name.startswith("__")
        )

        def forward(name: str) -> Any:
            return getattr(target, name)

        def listing() -> list[str]:
            return dir(target)

        module.__dict__["__getattr__"] = forward
        module.__dict__["__dir__"] = listing
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        warnings.warn(
            f"{module.__name__} moved to {self.new} in pipereg 0.2; import it from there (or "
            "the public name from pipereg); the old path goes in 1.0",
            DeprecationWarning,
            stacklevel=2,
        )


class MovedFinder:
    """Finds the old paths in :data:`MOVED`, and nothing else."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Forwarder(new))  # type: ignore[arg-type]


def install() -> None:
    """Put the finder last on ``sys.meta_path``, once."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())
