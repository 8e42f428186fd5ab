"""FastAPI: a ``ParameterError`` answered as a 422, shaped like FastAPI's own validation errors.

Install the handler once, and a parameter that does not fit its declaration (from a request model
of :meth:`Pipeline.params_model`, from :meth:`Pipeline.parse_text` or from the DAO's own
coercion) reaches the client as FastAPI's request validation errors do::

    app.add_exception_handler(ParameterError, parameter_error_handler)

    {"detail": [{"type": "pipereg_parameter", "loc": ["params", "filter", "region"],
                 "msg": "expected string, got int 5",
                 "ctx": {"pipeline": "orders.search", "expected": "string"}}]}

``loc`` starts with ``params`` and follows the parameter's path (``ids[3]`` is ``["params",
"ids", 3]``). Needs the ``fastapi`` extra; see ``examples/fastapi_service``.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import JSONResponse

from pipereg.errors import ParameterError

__all__ = ["error_detail", "parameter_error_handler"]

_STEP = re.compile(r"\.?([^.\[]+)|\[(\d+)\]")


def error_detail(error: ParameterError) -> dict[str, object]:
    """One entry of the 422 body's ``detail`` list for ``error``."""
    loc: list[str | int] = ["params"]
    for name, index in _STEP.findall(error.parameter):
        loc.append(int(index) if index else name)
    ctx: dict[str, str] = {"pipeline": error.pipeline}
    if error.expected:
        ctx["expected"] = error.expected
    return {"type": "pipereg_parameter", "loc": loc, "msg": error.problem, "ctx": ctx}


async def parameter_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The exception handler: a :class:`ParameterError` becomes a 422 with one detail entry.

    Raises:
        TypeError: registered for another exception class than ``ParameterError``.
    """
    if not isinstance(exc, ParameterError):
        raise TypeError(f"parameter_error_handler handles ParameterError, not {type(exc).__name__}")
    return JSONResponse(status_code=422, content={"detail": [error_detail(exc)]})
