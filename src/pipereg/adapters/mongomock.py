"""mongomock, the embedded in-memory engine (sync, and async through mongomock-motor).

mongomock speaks PyMongo's API but differs from MongoDB in ways that would let a test pass that
fails in production: it ignores the aggregate ``let`` option, answers ``$count`` over no documents
with ``[{"n": 0}]``, accepts ``$limit: 0``... Both adapters give it the stages
:func:`pipereg.adapters.mongomock_rewrite.for_mongomock` rewrites, and raise mongomock's
``OperationFailure`` with the server's message where the server refuses a stage.
"""

from __future__ import annotations

from typing import Any

from pipereg.adapters import Stages
from pipereg.adapters.mongomock_rewrite import ServerRefusal, for_mongomock
from pipereg.adapters.motor import MotorDriver
from pipereg.adapters.pymongo import PyMongoDriver
from pipereg.errors import EngineError


def inline_let(stages: Stages, options: dict[str, Any]) -> tuple[Stages, dict[str, Any]]:
    """The stages and options mongomock runs as MongoDB runs ``stages`` with ``options``.

    Raises:
        mongomock.OperationFailure: a stage MongoDB refuses, with the server's message.
        NotImplementedError: a ``let`` variable that cannot be substituted faithfully.
    """
    try:
        return for_mongomock(stages, options)
    except ServerRefusal as exc:
        import mongomock  # noqa: PLC0415 - only when a database of it is in use

        raise mongomock.OperationFailure(str(exc), exc.code) from None


def _on_collection(collection: str | None) -> str:
    if collection is None:
        raise EngineError(
            "mongomock cannot run a database-level pipeline (db.aggregate): run it on a server"
        )
    return collection


class MongomockDriver(PyMongoDriver):
    """mongomock's synchronous API, with the stages rewritten to answer as MongoDB."""

    def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Start the aggregation and return mongomock's cursor."""
        _on_collection(collection)
        return super().aggregate(database, collection, *inline_let(stages, options))


class MongomockMotorDriver(MotorDriver):
    """mongomock-motor's Motor-like API, with the stages rewritten to answer as MongoDB."""

    async def aggregate(
        self, database: Any, collection: str | None, stages: Stages, options: dict[str, Any]
    ) -> Any:
        """Return mongomock-motor's cursor (it runs the pipeline at once; nothing to start)."""
        stages, options = inline_let(stages, options)
        return database[_on_collection(collection)].aggregate(stages, **options)
