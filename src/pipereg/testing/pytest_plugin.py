"""A pytest plugin: the cases in ``*.test.json`` files, collected and run as pytest items.

Installed with pipereg (entry point ``pytest11``), so a service's own ``pytest`` run collects the
case files under its pipeline roots: the ini option ``pipereg_paths``, else ``PIPEREG_PATH``, else
``pipelines`` next to the ini file. A ``*.test.json`` file anywhere else (a fixture of the
service's own tests, say) is none of pipereg's business and is left alone. Each case is one item,
``pipelines/orders.test.json::daily_revenue: two days``; a failed case reports the difference
between expected and actual results, a skipped case its reason, and a case the embedded engine
cannot run is skipped, saying so and what to run instead.

Where the cases run is the session fixture ``pipereg_uri``: by default ``--pipereg-uri URI``, else
``PIPEREG_TEST_MONGODB_URI``, else ``None`` (the embedded engine). A project overrides it in its
``conftest.py`` to run the cases on a server it starts itself (the in-process wire server, a
container); each case then runs in a database of its own, dropped afterwards. Nothing is
imported from pipereg until a case file is collected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from pipereg.registry import Registry
    from pipereg.testing.cases import Case
    from pipereg.testing.runner import Engine

URI_VARIABLE = "PIPEREG_TEST_MONGODB_URI"
SUFFIX = ".test.json"
# What to run instead of the embedded engine, in pytest's words (the CLI's is --uri).
HINT = (
    f"run with --pipereg-uri or {URI_VARIABLE}, e.g. the in-process test server or a real MongoDB"
)
_STATE = pytest.StashKey[dict[str, Any]]()

_T = TypeVar("_T")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--pipereg-uri`` and the ``pipereg_paths`` ini option."""
    group = parser.getgroup("pipereg", "pipereg pipeline test cases (*.test.json)")
    group.addoption(
        "--pipereg-uri",
        dest="pipereg_uri",
        metavar="URI",
        help=f"Run pipereg cases on this MongoDB server (default: ${URI_VARIABLE}, "
        "else the embedded engine).",
    )
    parser.addini(
        "pipereg_paths",
        type="paths",
        help="Pipeline roots for pipereg cases (default: $PIPEREG_PATH, else ./pipelines).",
        default=[],
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect the ``*.test.json`` files under the pipeline roots, and no others."""
    if file_path.name.endswith(SUFFIX) and _under_roots(file_path, parent.config):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def pipereg_uri(request: pytest.FixtureRequest) -> str | None:
    """The MongoDB URI pipereg cases run on, or ``None`` for the embedded engine.

    ``--pipereg-uri``, else ``PIPEREG_TEST_MONGODB_URI``. Override this fixture in a
    ``conftest.py`` to run the cases on a server the test session starts.
    """
    uri: str | None = request.config.getoption("pipereg_uri") or os.environ.get(URI_VARIABLE)
    return uri


def _under_roots(file_path: Path, config: pytest.Config) -> bool:
    state = _state(config)
    if "roots" not in state:
        state["roots"] = [Path(os.path.realpath(root)) for root in _roots(config)]
    found = Path(os.path.realpath(file_path))
    return any(found.is_relative_to(root) for root in state["roots"])


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the server engine's client, if one was opened."""
    state = config.stash.get(_STATE, None) or {}
    for name, engine in state.items():
        if name.startswith("engine ") and hasattr(engine, "close"):
            engine.close()


class CaseFailed(Exception):
    """A case's results differ from the expected, or running it raised an error."""


def _state(config: pytest.Config) -> dict[str, Any]:
    if _STATE not in config.stash:
        config.stash[_STATE] = {}
    return config.stash[_STATE]


def _roots(config: pytest.Config) -> list[str]:
    paths: list[Path] = config.getini("pipereg_paths")
    if paths:
        return [os.fspath(path) for path in paths]
    # PIPEREG_PATH as the pipereg command reads it: relative to where the command started.
    here = config.invocation_params.dir
    env = [entry for entry in os.environ.get("PIPEREG_PATH", "").split(os.pathsep) if entry]
    base = config.inipath.parent if config.inipath else config.rootpath
    return [os.fspath(here / entry) for entry in env] or [os.fspath(base / "pipelines")]


def _registry(config: pytest.Config) -> Registry:
    from pipereg.registry import Registry  # noqa: PLC0415 - only when a case file is collected

    # A load error: every case file reports it.
    return _once(config, "registry", lambda: Registry.from_paths(*_roots(config)))


def _engine(config: pytest.Config, uri: str | None) -> Engine:
    from pipereg.testing.runner import EmbeddedEngine, ServerEngine  # noqa: PLC0415

    # One per URI; an unusable engine: every case reports it, none waits for it again.
    build: Callable[[], Engine] = (lambda: ServerEngine(uri)) if uri else EmbeddedEngine
    return _once(config, f"engine {uri}" if uri else "engine", build)


def _once(config: pytest.Config, name: str, build: Callable[[], _T]) -> _T:
    # Built once per session; a failure is kept and raised again to every caller.
    state = _state(config)
    if name not in state:
        try:
            state[name] = build()
        except Exception as exc:
            state[name] = exc
    found = state[name]
    if isinstance(found, Exception):
        raise found
    return cast(_T, found)


class CaseFile(pytest.File):
    """A ``*.test.json`` file: one item per case."""

    def collect(self) -> Iterator[CaseItem]:
        """Load the file's cases; a file or pipeline that does not load is a collection error."""
        from pipereg.errors import PipeRegError  # noqa: PLC0415
        from pipereg.load.discovery import SourceFile  # noqa: PLC0415
        from pipereg.testing.cases import load_cases  # noqa: PLC0415

        shown = os.path.relpath(self.path, self.config.rootpath)
        module = self.path.name.removesuffix(SUFFIX)
        try:
            registry = _registry(self.config)
        except PipeRegError as exc:
            raise self.CollectError(f"pipereg: cannot load pipelines: {exc}") from exc
        cases, problems = load_cases([SourceFile(shown, module, self.path)], registry)
        if problems:
            raise self.CollectError("\n".join(str(problem) for problem in problems))
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseItem(pytest.Function):
    """One case: runs it and reports its difference, skip reason or error.

    A ``Function`` item, so that it can ask for the ``pipereg_uri`` fixture.
    """

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        def run_pipereg_case(pipereg_uri: str | None) -> None:
            self.run_case(pipereg_uri)

        super().__init__(callobj=run_pipereg_case, **kwargs)
        self.case = case

    def run_case(self, uri: str | None) -> None:
        """Run the case on the engine for ``uri`` (``None``: the embedded engine)."""
        from pipereg.errors import EngineError  # noqa: PLC0415
        from pipereg.testing.runner import Status, run_case  # noqa: PLC0415

        if self.case.skip is not None:
            pytest.skip(self.case.skip)
        try:
            engine = _engine(self.config, uri)
        except EngineError as exc:
            raise CaseFailed(str(exc)) from exc
        outcome = run_case(self.case, _registry(self.config), engine, hint=HINT)
        if outcome.status in (Status.SKIP, Status.UNSUPPORTED):
            pytest.skip(outcome.detail)
        if outcome.status is Status.FAIL:
            raise CaseFailed(f"{self.case.key}: results differ\n{outcome.detail}")
        if outcome.status is Status.ERROR:
            raise CaseFailed(f"{self.case.key}: {outcome.detail}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """A case's difference or error as written, without a traceback into pipereg."""
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is: its file and line, and its name."""
        return self.path, self.case.line - 1, f"case {self.case.name!r} [{self.case.key}]"
