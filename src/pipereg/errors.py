"""Errors and problem records.

Every error pipereg raises derives from :class:`PipeRegError`. Problems found in pipeline files are
records (:class:`Problem`), collected over every file and raised together in one
:class:`PipelineLoadError`; lint prints the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pipereg.messages import printable, show, suggestions

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One problem in a pipeline file, located as precisely as the file allows.

    Attributes:
        path: The file, as discovered (relative to the working directory where possible).
        line: 1-based line, or 0 when the problem concerns the whole file.
        column: 1-based column, or 0 when unknown.
        json_path: Where in the document, e.g. ``$.pipelines.daily.stages[2].$match``.
        code: A stable code such as ``PR030`` (see :mod:`pipereg.codes`).
        message: What is wrong, in one sentence.
        severity: ``"error"`` fails the load; ``"warning"`` is reported by lint only.
    """

    path: str
    line: int
    column: int
    json_path: str
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        # One line, whatever the path or message holds (see messages.printable).
        where = printable(self.path)
        if self.line:
            where += f":{self.line}:{self.column}"
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        detail = f"{self.json_path}: {message}" if self.json_path else message
        return f"{where}: {self.code} {printable(detail)}"


@dataclass(frozen=True)
class Finding:
    """A problem found inside one document, before it is located by line and column.

    ``at`` is the JSON path as a tuple of keys and indexes; the loader turns findings into
    :class:`Problem` records using the file's text.
    """

    at: tuple[str | int, ...]
    code: str
    message: str
    severity: Severity = "error"


class PipeRegError(Exception):
    """Base of every error raised by pipereg."""


class PipelineLoadError(PipeRegError):
    """Pipeline files could not be loaded; ``problems`` lists every problem in every file."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in pipeline files"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


class CaseLoadError(PipeRegError):
    """Test-case files could not be loaded; ``problems`` lists every problem in every file."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in test-case files"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


class EngineError(PipeRegError):
    """The engine needed to run pipelines cannot be used: mongomock is not installed, say."""


class UnknownPipelineError(PipeRegError, KeyError):
    """No pipeline is registered under the requested key."""

    def __init__(self, key: str, known: Iterable[str]) -> None:
        self.key = key
        self.suggestions = suggestions(key, known)
        message = f"unknown pipeline {show(key)}"
        if self.suggestions:
            message += f" (did you mean {' or '.join(repr(s) for s in self.suggestions)}?)"
        super().__init__(message)

    def __str__(self) -> str:
        # KeyError would otherwise repr() the message.
        return str(self.args[0])


class RevisionError(PipeRegError):
    """A git revision or a side of ``pipereg diff`` cannot be read or loaded."""


class ParameterError(PipeRegError, ValueError):
    """A parameter value does not fit its declaration, or a parameter is missing or unknown.

    Attributes:
        pipeline: The pipeline key.
        parameter: The parameter name, dotted for nested values (``filter.region``, ``ids[3]``).
        expected: What the declaration asks for, e.g. ``int``.
        actual: A short description of what was given.
    """

    def __init__(
        self, pipeline: str, parameter: str, problem: str, *, expected: str = "", actual: str = ""
    ) -> None:
        self.pipeline = pipeline
        self.parameter = parameter
        self.expected = expected
        self.actual = actual
        self.problem = problem
        super().__init__(f"{pipeline}: parameter {parameter!r}: {problem}")
