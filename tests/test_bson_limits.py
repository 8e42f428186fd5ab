"""BSON's limits are written once (pipereg.bson_limits) and every check reads them from there."""

from __future__ import annotations

import re

from helpers import REPO
from pipereg.bson_limits import INT32, INT64, NESTING_LIMIT, fits_int32, fits_int64


def test_the_limits() -> None:
    assert INT32 == (-2_147_483_648, 2_147_483_647)
    assert INT64 == (-9_223_372_036_854_775_808, 9_223_372_036_854_775_807)
    assert NESTING_LIMIT == 100
    assert fits_int32(INT32[1])
    assert not fits_int32(INT32[1] + 1)
    assert fits_int32(INT32[0])
    assert not fits_int32(INT32[0] - 1)
    assert fits_int64(INT64[1])
    assert not fits_int64(INT64[1] + 1)
    assert fits_int64(INT64[0])
    assert not fits_int64(INT64[0] - 1)


def test_no_other_module_writes_a_limit_of_its_own() -> None:
    # 2**31 or 2**63 spelled out, or a depth of 100 given a name, outside bson_limits.py.
    spelled = re.compile(
        r"2\s*\*\*\s*(31|63)|1\s*<<\s*(31|63)|^\s*\w*(DEPTH|NESTING)\w*\s*=\s*100\b"
    )
    package = REPO / "src" / "pipereg"
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "bson_limits.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line) and "not a BSON limit" not in line
    ]
    assert offenders == []
