"""mongomock, the embedded in-memory engine (sync, and async through mongomock-motor).

mongomock speaks PyMongo's API but ignores the aggregate ``let`` option, so ``$$name`` references
would fail. This adapter inlines each ``let`` variable's value, an expression as on the server,
wherever a stage refers to it exactly as ``"$$name"``. References to a sub-path
(``"$$name.field"``) and variables shadowed by a ``$lookup``'s own ``let`` are not rewritten:
run those on a real server.
"""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Stages
from pipereg.adapters.motor import MotorDriver
from pipereg.adapters.pymongo import PyMongoDriver
from pipereg.errors import EngineError


def inline_let(stages: Stages, options: dict[str, Any]) -> tuple[Stages, dict[str, Any]]:
    """Replace ``"$$name"`` strings with the ``let`` variable's value (an expression)."""
    variables = options.get("let")
    if not variables:
        return stages, options
    references = {f"$${name}": value for name, value in variables.items()}
    rest = {key: value for key, value in options.items() if key != "let"}
    return [_substitute(stage, references) for stage in stages], rest


def _substitute(node: Any, references: dict[str, Any]) -> Any:
    if isinstance(node, str):
        return references.get(node, node)
    if isinstance(node, list):
        return [_substitute(item, references) for item in node]
    if isinstance(node, dict):
        return {key: _substitute(value, references) for key, value in node.items()}
    return node


def _on_collection(collection: str | None) -> str:
    if collection is None:
        raise EngineError(
            "mongomock cannot run a database-level pipeline (db.aggregate): run it on a server"
        )
    return collection


class MongomockDriver(PyMongoDriver):
    """mongomock's synchronous API, with ``let`` inlined."""

    def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation and return mongomock's cursor."""
        _on_collection(collection)
        return super().aggregate(database, collection, *inline_let(stages, options))


class MongomockMotorDriver(MotorDriver):
    """mongomock-motor's Motor-like API, with ``let`` inlined."""

    async def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Return mongomock-motor's cursor (it runs the pipeline at once; nothing to start)."""
        stages, options = inline_let(stages, options)
        return database[_on_collection(collection)].aggregate(stages, **options)
