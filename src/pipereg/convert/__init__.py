"""``pipereg import``: existing pipelines converted into pipeline files.

The path reads in module order: a source is *read* (:mod:`~pipereg.convert.python_source` for
Python, parsed with :mod:`ast` and never run; :mod:`~pipereg.convert.shell` for mongosh and
Compass syntax), each pipeline becomes a *template* (:mod:`~pipereg.convert.template`: literal
parts kept, values become typed placeholders, members added under ``if`` become optional), and
the templates of one source are *written* as one canonical, versioned file
(:mod:`~pipereg.convert.output`). :mod:`~pipereg.convert.shell_text` goes the other way, a
rendered pipeline as a mongosh statement, for ``pipereg render --format shell``.

What cannot be converted faithfully is left out whole and reported as a :class:`Refusal`.
"""

from pipereg.convert.model import Converted, Note, Refusal, SourceError, SourceResult

__all__ = ["Converted", "Note", "Refusal", "SourceError", "SourceResult"]
