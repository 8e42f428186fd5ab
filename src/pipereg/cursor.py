"""Executed: the cursors the DAOs' ``aggregate()`` returns, and the note driver errors gain.

A driver error keeps its own type, so ``except OperationFailure:`` clauses keep working, and gains
a note naming the pipeline: ``pipereg: while running orders.daily_revenue@3 (fingerprint
207659c0601e, collection 'orders', file pipelines/orders.json)``.

``aggregate()`` returns the driver's cursor inside a thin wrapper rather than the cursor itself:
the driver builds its cursor (PyMongo, Motor and mongomock each their own class), so pipereg cannot
subclass it, and dunder methods such as ``__next__`` cannot be patched on one instance. Errors of
later batches (``getMore``) and of a connection lost mid-cursor would otherwise reach the caller
without the note. Each wrapper method delegates inside ``try``/``except``, free until an error is
raised; iterating costs a generator resume (sync) or a coroutine (async) per document. The methods
the drivers share are written out, so type checkers see them; any other attribute is read from
the driver's cursor at run time, or through ``.cursor``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pipereg.adapters import Document
from pipereg.pipeline import Pipeline


def annotate(error: BaseException, pipeline: Pipeline) -> None:
    """Add a note naming the pipeline to a driver error, keeping its type for ``except`` clauses."""
    note = (
        f"pipereg: while running {pipeline.key}@{pipeline.version} "
        f"(fingerprint {pipeline.fingerprint[:12]}, {_target(pipeline.collection)}, "
        f"file {pipeline.path})"
    )
    if sys.version_info >= (3, 11):
        error.add_note(note)
    else:  # pragma: no cover - Python 3.10 has no add_note; keep the same attribute
        notes = getattr(error, "__notes__", None)
        if not isinstance(notes, list):
            notes = []
            error.__notes__ = notes  # type: ignore[attr-defined]
        notes.append(note)


class PipelineCursor:
    """The driver's cursor from :meth:`PipelineDAO.aggregate`, its errors annotated.

    Use it as the driver's cursor: ``for``, ``next()``, ``to_list()``, ``try_next()``,
    ``close()``, ``with``. A driver error raised on the way keeps its type and gains the
    pipeline's note. Other attributes (``cursor_id``, ``address``, ``session``) are read from the
    driver's cursor, which ``cursor`` holds.

    Example:
        >>> with dao.aggregate("orders.daily_revenue", {"since": "2024-03-01"}) as cursor:
        ...     for row in cursor:
        ...         print(row)
    """

    __slots__ = ("cursor", "pipeline")

    def __init__(self, cursor: Any, pipeline: Pipeline) -> None:
        self.cursor: Any = cursor
        self.pipeline = pipeline

    @property
    def alive(self) -> bool:
        """Whether the cursor may still return documents."""
        alive: bool = self.cursor.alive
        return alive

    def __iter__(self) -> Iterator[Document]:
        # A generator rather than self: a `for` loop then costs one generator resume per document
        # instead of a Python-level __next__ call (about a third of the overhead, measured). It
        # keeps no document of its own, so `for`, next() and a later `for` share one position.
        return self._documents()

    def _documents(self) -> Iterator[Document]:
        # Not `yield from`: closing this generator (a `for` left early) would close the cursor.
        try:
            for document in self.cursor:  # noqa: UP028 - see above
                yield document
        except Exception as error:
            annotate(error, self.pipeline)
            raise

    def __next__(self) -> Document:
        try:
            document: Document = next(self.cursor)
        except StopIteration:
            raise
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return document

    def next(self) -> Document:
        """The next document; ``StopIteration`` once the cursor is exhausted."""
        return self.__next__()

    def try_next(self) -> Document | None:
        """The next document, or None if the next batch is empty (PyMongo only)."""
        try:
            document: Document | None = self.cursor.try_next()
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return document

    def to_list(self, length: int | None = None) -> list[Document]:
        """The remaining documents, at most ``length`` of them (PyMongo only)."""
        try:
            documents: list[Document] = self.cursor.to_list(length)
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return documents

    def batch_size(self, batch_size: int) -> PipelineCursor:
        """Set the size of the batches still to come; returns this cursor."""
        self.cursor.batch_size(batch_size)
        return self

    def close(self) -> None:
        """Close the cursor, on the server too if it is open there."""
        try:
            self.cursor.close()
        except Exception as error:
            annotate(error, self.pipeline)
            raise

    def __enter__(self) -> PipelineCursor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    if not TYPE_CHECKING:  # run time only, so that type checkers flag misspelt methods

        def __getattr__(self, name: str) -> Any:
            # Not self.cursor: with `cursor` unset (copy, pickle) that would recurse.
            return getattr(object.__getattribute__(self, "cursor"), name)

    def __repr__(self) -> str:
        pipeline = self.pipeline
        return f"<{type(self).__name__} {pipeline.key}@{pipeline.version} {self.cursor!r}>"


class AsyncPipelineCursor:
    """The driver's cursor from :meth:`AsyncPipelineDAO.aggregate`, its errors annotated.

    Use it as the driver's cursor: ``async for``, ``await next()``, ``await to_list()``,
    ``await try_next()``, ``await close()``, ``async with``. A driver error raised on the way
    keeps its type and gains the pipeline's note. Other attributes (``cursor_id``, ``session``,
    Motor's ``each``) are read from the driver's cursor, which ``cursor`` holds; errors raised
    through those carry no note.

    Example:
        >>> async with await dao.aggregate("orders.daily_revenue", {"since": "2024-03-01"}) as c:
        ...     async for row in c:
        ...         print(row)
    """

    __slots__ = ("cursor", "pipeline")

    def __init__(self, cursor: Any, pipeline: Pipeline) -> None:
        self.cursor: Any = cursor
        self.pipeline = pipeline

    @property
    def alive(self) -> bool:
        """Whether the cursor may still return documents."""
        alive: bool = self.cursor.alive
        return alive

    def __aiter__(self) -> AsyncPipelineCursor:
        return self

    async def __anext__(self) -> Document:
        try:
            # next(), not __anext__(): PyMongo Async's __anext__ only awaits next(), and skipping
            # that layer leaves this coroutine as the wrapper's whole cost (Motor's and
            # mongomock-motor's __anext__ is next).
            document: Document = await self.cursor.next()
        except StopAsyncIteration:
            raise
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return document

    async def next(self) -> Document:
        """The next document; ``StopAsyncIteration`` once the cursor is exhausted."""
        return await self.__anext__()

    async def try_next(self) -> Document | None:
        """The next document, or None if the next batch is empty (PyMongo Async, Motor)."""
        try:
            document: Document | None = await self.cursor.try_next()
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return document

    async def to_list(self, length: int | None = None) -> list[Document]:
        """The remaining documents, at most ``length`` of them."""
        try:
            documents: list[Document] = await self.cursor.to_list(length)
        except Exception as error:
            annotate(error, self.pipeline)
            raise
        return documents

    def batch_size(self, batch_size: int) -> AsyncPipelineCursor:
        """Set the size of the batches still to come; returns this cursor (not on Motor)."""
        self.cursor.batch_size(batch_size)
        return self

    async def close(self) -> None:
        """Close the cursor, on the server too if it is open there."""
        try:
            await self.cursor.close()
        except Exception as error:
            annotate(error, self.pipeline)
            raise

    async def __aenter__(self) -> AsyncPipelineCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    if not TYPE_CHECKING:  # run time only, so that type checkers flag misspelt methods

        def __getattr__(self, name: str) -> Any:
            # Not self.cursor: with `cursor` unset (copy, pickle) that would recurse.
            return getattr(object.__getattribute__(self, "cursor"), name)

    def __repr__(self) -> str:
        pipeline = self.pipeline
        return f"<{type(self).__name__} {pipeline.key}@{pipeline.version} {self.cursor!r}>"


def _target(collection: str | None) -> str:
    return "on the database" if collection is None else f"collection {collection!r}"
