"""A pipeline written as a mongosh statement and read back: every BSON type the same."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Binary, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

import pipereg
from pipereg.convert.output import file_text
from pipereg.convert.shell import read_shell
from pipereg.convert.shell_text import statement

UTC = datetime.timezone.utc

VALUES: list[Any] = [
    1,
    -2147483648,
    2147483648,
    Int64(5),
    1.0,
    -0.5,
    1e300,
    'text with "quotes", \\ and \n and é and <<x>>',
    True,
    None,
    datetime.datetime(2024, 3, 1, 10, 30, 0, 123000, tzinfo=UTC),
    ObjectId("65f1c0000000000000000001"),
    Decimal128("10.50"),
    Regex("^ma", "i"),
    Regex("a/b", "m"),
    Regex("(?i)x", ""),
    Regex("*weird", "s"),
    Binary(uuid.UUID("00112233-4455-6677-8899-aabbccddeeff").bytes, 4),
    Binary(b"\x00\x01", 0),
    Timestamp(1700000000, 7),
    MinKey(),
    MaxKey(),
    [1, [2.5, {"deep": Int64(3)}]],
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:40] for v in VALUES])
def test_a_value_survives_render_shell_and_import(value: Any, tmp_path: Path) -> None:
    stages = [{"$match": {"field": value}}, {"$project": {"long_name_" * 12: 1}}]
    text = statement("things", stages, {"allowDiskUse": True})
    result = read_shell(text, "-")
    assert result.refusals == []
    (path := tmp_path / "back.json").write_text(file_text(result, str(path)), encoding="utf-8")
    (pipeline,) = pipereg.Registry.from_paths(tmp_path)
    assert pipeline.collection == "things"
    assert pipeline.options == {"allowDiskUse": True}
    assert bson.encode({"p": pipeline.render({})}) == bson.encode({"p": stages})


def test_the_statement_is_what_an_operator_pastes() -> None:
    moment = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    text = statement("orders", [{"$match": {"at": moment}}], {})
    assert (
        text == 'db.getCollection("orders").aggregate([{"$match": {"at": '
        'ISODate("2024-01-01T00:00:00.000Z")}}])\n'
    )
