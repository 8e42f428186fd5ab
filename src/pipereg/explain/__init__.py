"""Executed, explained: the server's ``explain`` of a registered pipeline, read into a summary.

``server`` asks the server exactly what the DAO would send; ``plans`` reads the reply (pure).
``pipereg.explain.explain`` and ``explain_async`` are public.
"""

from pipereg.explain.server import explain, explain_async

__all__ = ["explain", "explain_async"]
