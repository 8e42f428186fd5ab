"""What a conversion yields: pipelines converted, pipelines refused, and notes on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipereg.errors import PipeRegError


@dataclass(frozen=True)
class Refusal:
    """A pipeline left out whole, because converting it would change what it sends.

    Attributes:
        path: The source file as given.
        line: The line of the pipeline, or of the construct that stopped it.
        reason: Why, in a phrase (``loop builds stages``).
    """

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Note:
    """A pipeline converted, with something its author should check (a type that was guessed)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: note: {self.message}"


@dataclass(frozen=True)
class Converted:
    """One pipeline in pipeline-file form, ready to be written under ``pipelines.<name>``.

    Attributes:
        name: The pipeline's name in its module.
        collection: The collection it runs on.
        stages: The stages as the file holds them: placeholders, Extended JSON literals.
        params: Parameter declarations by name, as the file holds them.
        options: Aggregate options, as the file holds them (empty if none).
        line: Where the pipeline starts in the source.
    """

    name: str
    collection: str
    stages: list[Any]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    line: int = 0

    def definition(self) -> dict[str, Any]:
        """The pipeline's entry in a pipeline file."""
        entry: dict[str, Any] = {"collection": self.collection}
        if self.params:
            entry["params"] = self.params
        entry["stages"] = self.stages
        if self.options:
            entry["options"] = self.options
        return entry


@dataclass(frozen=True)
class SourceResult:
    """Everything one source gave: its pipelines, what was left out, and notes."""

    path: str
    pipelines: list[Converted]
    refusals: list[Refusal]
    notes: list[Note]


class SourceError(PipeRegError):
    """A source that cannot be read at all: missing, not text, or not valid syntax.

    Its message is one line, ``file:line:col: message``.
    """

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        super().__init__(f"{path}:{line}:{column}: {message}")
