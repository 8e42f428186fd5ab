"""A FastAPI service whose request validation comes from the pipeline file's declarations.

``pipelines/orders.json`` declares each parameter once (type, bounds, enum, default); the request
model, its OpenAPI schema and the 422 answers all follow from it:

- ``POST /orders/recent`` takes a JSON body validated by ``Pipeline.params_model()``: as strict
  as rendering, so ``{"limit": "50"}`` is a 422 while ``{"limit": 50}`` is fine.
- ``GET /orders/recent?since=2024-03-01&limit=50`` reads the query string with
  ``Pipeline.parse_text``: ``"50"`` becomes 50 because ``limit`` is declared an int.
- Any ``ParameterError`` (a bound, an enum, an unknown name) becomes a 422 shaped like FastAPI's
  own validation errors, through ``pipereg.fastapi.parameter_error_handler``.

Run it (needs the ``fastapi`` extra and uvicorn, and a MongoDB at ``MONGODB_URI``):

    MONGODB_URI=mongodb://localhost:27017 uvicorn app:app --app-dir examples/fastapi_service

``tests/test_fastapi_service.py`` runs every route on mongomock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from bson import json_util
from fastapi import Depends, FastAPI, Request, Response

from pipereg import ParameterError, PipelineDAO, Registry
from pipereg.fastapi import parameter_error_handler

KEY = "orders.recent"
registry = Registry.from_paths(Path(__file__).parent / "pipelines")
recent = registry.get(KEY)
# A class built at import: FastAPI reads the annotation below to validate bodies and to write
# the OpenAPI schema. (Type checkers see a variable here; `pipereg stubs` writes a static one.)
RecentParams = recent.params_model()

app = FastAPI(title="orders")
app.add_exception_handler(ParameterError, parameter_error_handler)


def get_dao() -> PipelineDAO:
    """The DAO on the service's database; tests override this dependency."""
    from pymongo import MongoClient  # noqa: PLC0415 - only when served for real

    uri = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")
    return PipelineDAO(MongoClient(uri, tz_aware=True)["shop"], registry, slow_ms=200)


def as_json(rows: list[dict[str, Any]]) -> Response:
    """Rows as relaxed Extended JSON: ObjectIds and dates survive the trip."""
    return Response(json_util.dumps(rows), media_type="application/json")


@app.post("/orders/recent")
def recent_orders(
    params: RecentParams,  # type: ignore[valid-type]
    dao: Annotated[PipelineDAO, Depends(get_dao)],
) -> Response:
    """Orders in one status since a date; the body is the pipeline's parameters."""
    return as_json(dao.fetch_all(KEY, params.to_params()))  # type: ignore[attr-defined]


@app.get("/orders/recent")
def recent_orders_by_query(
    request: Request, dao: Annotated[PipelineDAO, Depends(get_dao)]
) -> Response:
    """The same, with the parameters in the query string (read by their declared types)."""
    return as_json(dao.fetch_all(KEY, recent.parse_text(dict(request.query_params))))
