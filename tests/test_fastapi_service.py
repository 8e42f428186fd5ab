"""The FastAPI example and pipereg.fastapi: bodies validated from declarations, 422 bodies.

Runs ``examples/fastapi_service/app.py`` in-process on mongomock through FastAPI's TestClient.
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import mongomock
import pytest
from fastapi.testclient import TestClient

from helpers import REPO
from pipereg import ParameterError, PipelineDAO
from pipereg.fastapi import error_detail

UTC = datetime.timezone.utc
ORDERS = [
    {"order_no": n, "status": s, "qty": q, "created_at": datetime.datetime(2024, 3, d, tzinfo=UTC)}
    for n, s, q, d in [
        (1, "paid", 2, 1),
        (2, "paid", 5, 2),
        (3, "shipped", 1, 3),
        (4, "paid", 7, 5),
    ]
]


@pytest.fixture(scope="module")
def service() -> Iterator[ModuleType]:
    path = REPO / "examples" / "fastapi_service" / "app.py"
    spec = importlib.util.spec_from_file_location("fastapi_service_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture
def client(service: ModuleType) -> Iterator[TestClient]:
    database: Any = mongomock.MongoClient(tz_aware=True)["shop"]
    database["orders"].insert_many([dict(o) for o in ORDERS])
    service.app.dependency_overrides[service.get_dao] = lambda: PipelineDAO(
        database, service.registry
    )
    try:
        yield TestClient(service.app)
    finally:
        service.app.dependency_overrides.clear()


def test_a_valid_body_runs_the_pipeline(client: TestClient) -> None:
    answer = client.post("/orders/recent", json={"since": "2024-03-02", "min_qty": 3})
    assert answer.status_code == 200, answer.text
    assert answer.json() == [
        {"order_no": 4, "status": "paid", "qty": 7},
        {"order_no": 2, "status": "paid", "qty": 5},
    ]


def test_a_number_as_text_in_a_json_body_is_a_422_like_fastapis_own(client: TestClient) -> None:
    answer = client.post("/orders/recent", json={"since": "2024-03-01", "limit": "50"})
    assert answer.status_code == 422
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", "limit"]
    assert detail["msg"] == "expected int, got str '50'"
    assert detail["type"] == "pipereg_parameter"


def test_a_bound_broken_in_the_body_is_refused_before_the_database(client: TestClient) -> None:
    answer = client.post("/orders/recent", json={"since": "2024-03-01", "limit": 500})
    assert answer.status_code == 422
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", "limit"]
    assert detail["msg"] == "500 is greater than the maximum 100"


def test_query_string_values_are_read_by_declared_type(client: TestClient) -> None:
    answer = client.get("/orders/recent", params={"since": "2024-03-01", "limit": "1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == [{"order_no": 4, "status": "paid", "qty": 7}]


def test_a_parameter_error_becomes_a_422_detail_list(client: TestClient) -> None:
    answer = client.get("/orders/recent", params={"since": "2024-03-01", "limit": "lots"})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {
                "type": "pipereg_parameter",
                "loc": ["params", "limit"],
                "msg": "cannot read 'lots' as int: expected an integer such as 42",
                "ctx": {"pipeline": "orders.recent", "expected": "int"},
            }
        ]
    }
    unknown = client.get("/orders/recent", params={"since": "2024-03-01", "limt": "1"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["msg"] == "unknown parameter (did you mean 'limit'?)"
    # Raised by the DAO's own coercion (the enum), not by the request model.
    wrong = client.get("/orders/recent", params={"since": "2024-03-01", "status": "lost"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["params", "status"]


def test_openapi_shows_the_declared_constraints(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    limit = schemas["OrdersRecentParams"]["properties"]["limit"]
    assert limit["anyOf"][0] == {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100}
    assert limit["default"] == 20
    since = schemas["OrdersRecentParams"]["properties"]["since"]
    assert since["description"] == "Earliest creation date (ISO 8601)"
    assert schemas["OrdersRecentParams"]["required"] == ["since"]


@pytest.mark.parametrize(
    ("parameter", "loc"),
    [("limit", ["params", "limit"]), ("filter.region", ["params", "filter", "region"]),
     ("ids[3]", ["params", "ids", 3]), ("rows[0].qty", ["params", "rows", 0, "qty"]),
     ("", ["params"])],
)  # fmt: skip
def test_the_detail_loc_follows_the_parameter_path(parameter: str, loc: list[object]) -> None:
    error = ParameterError("k", parameter, "bad", expected="int")
    assert error_detail(error)["loc"] == loc
