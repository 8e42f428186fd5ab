"""pipereg's Extended JSON literals against MongoDB's BSON corpus, one test per corpus case.

The corpus is the specifications' own test data (mongodb/specifications,
``source/bson-corpus/tests/``), read in place from ``<repo>/../shared/corpus/bson-corpus``.
Each case goes through what a pipeline file goes through: pipereg's strict JSON parser, then the
template builder that turns wrappers into BSON values (``pipereg.compile.template.build``).

- ``valid``: the canonical, relaxed and degenerate forms are accepted and give the BSON the
  corpus states (``canonical_bson``, unless the case is ``lossy``) and the BSON
  ``bson.json_util`` gives for the same text; except the types pipereg refuses (``REFUSED``),
  which must be refused with a PR050 that names the type and says what to write instead, and the
  cases in ``REFUSED_ON_PURPOSE``.
- ``parseErrors``: refused with a PR050 located by its JSON path, except the one form
  pipereg reads on purpose (``ACCEPTED_ON_PURPOSE``).
- ``decodeErrors`` are BSON bytes; pipereg reads no BSON, so they are not cases here.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import DBRef, json_util
from bson.json_util import JSONOptions

from pipereg.compile.template import build
from pipereg.jsontext.literals import REFUSED
from pipereg.jsontext.parse import ParseFailure, format_json_path, parse_json

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bson-corpus"

# The oracle: bson.json_util, reading dates as pipereg does (aware, in UTC).
ORACLE = JSONOptions(tz_aware=True, tzinfo=datetime.timezone.utc)

# BSON types pipereg refuses in pipeline files, by the corpus's bson_type: all deprecated.
# $code alone is read ($function's body and $where take BSON code); with a scope it is refused.
REFUSED_TYPES = {"0x06": "$undefined", "0x0C": "$dbPointer", "0x0E": "$symbol"}
REFUSED_TYPES["0x0F"] = "$code"  # code with scope

# Valid cases pipereg refuses on purpose, by (file, description): dates run from year 1 to 9999,
# as date parameters' and everything that prints or compares a date hold them.
REFUSED_ON_PURPOSE = {("datetime", "Y10K"): "years run from 0001 to 9999"}

# parseErrors pipereg reads on purpose: mongoexport v1 and the shell write dates as integer
# milliseconds, and that form has one meaning. Each maps to the value pipereg gives.
ACCEPTED_ON_PURPOSE = {
    "Bad $date (number, not string or hash)": {
        "a": datetime.datetime(1970, 1, 1, 0, 0, 0, 42000, tzinfo=datetime.timezone.utc)
    },
}


def _cases() -> list[Any]:
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-absent")]
    params = []
    for file in sorted(CORPUS.glob("*.json")):
        suite = json.loads(file.read_text(encoding="utf-8"))
        # decodeErrors are BSON bytes: pipereg reads Extended JSON, never BSON, so none is a case.
        for kind in ("valid", "parseErrors"):
            for i, case in enumerate(suite.get(kind, [])):
                params.append(
                    pytest.param(
                        (file.stem, suite, kind, case),
                        id=f"{file.stem}:{kind}:{i}:{case['description']}",
                    )
                )
    return params


def read(text: str) -> tuple[Any, list[tuple[str, str, str]]]:
    """A corpus document read as a pipeline file's literal: (value, [(code, path, message)])."""
    try:
        document = parse_json(text, "corpus.json")
    except ParseFailure as failure:
        return None, [(p.code, p.json_path, p.message) for p in failure.problems]
    template = build(document, ())
    found = [(f.code, format_json_path(f.at), f.message) for f in template.findings]
    return template.tree, found


def oracle_bson(text: str) -> bytes:
    value = json_util.loads(text, json_options=ORACLE)
    # json_util reads a document with $ref and $id as a DBRef, itself encoded as that document.
    return bson.encode(value.as_doc() if isinstance(value, DBRef) else value)


def refused_keys(text: str) -> set[str]:
    """The keys of refused types anywhere in a document's text."""
    keys: set[str] = set()

    def collect(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys.update(key for key, _ in pairs)
        return dict(pairs)

    json.loads(text, object_pairs_hook=collect)
    found = keys & REFUSED.keys()
    if {"$code", "$scope"} <= keys:  # code alone is read; code with a scope is refused
        found.add("$code")
    return found


@pytest.mark.parametrize("case", _cases())
def test_corpus_case(case: Any) -> None:
    if case is None:
        pytest.skip(f"the BSON corpus is not at {CORPUS}")
    stem, suite, kind, data = case
    if kind == "parseErrors":
        check_parse_error(suite, data)
        return
    forms = {
        name: data[name]
        for name in ("canonical_extjson", "relaxed_extjson", "degenerate_extjson")
        if name in data
    }
    refused = set().union(*(refused_keys(text) for text in forms.values()))
    on_purpose = REFUSED_ON_PURPOSE.get((stem, data["description"]))
    for name, text in forms.items():
        value, found = read(text)
        if on_purpose:
            ((code, _, message),) = found
            assert code == "PR050"
            assert on_purpose in message
            continue
        if refused:
            check_refused(text, found, refused)
            continue
        assert found == [], f"{name} refused: {found}"
        encoded = bson.encode(value)
        assert encoded == oracle_bson(text), name
        if name != "relaxed_extjson" and not data.get("lossy"):
            assert encoded.hex().upper() == data["canonical_bson"].upper(), name


def check_refused(text: str, found: list[tuple[str, str, str]], refused: set[str]) -> None:
    assert found, f"a deprecated type passed: {text}"
    assert {code for code, _, _ in found} == {"PR050"}
    messages = " ".join(message for _, _, message in found)
    assert any(key in messages for key in refused)
    assert "write" in messages or "take their body as a string" in messages


def check_parse_error(suite: dict[str, Any], data: dict[str, Any]) -> None:
    text = data["string"]
    if suite["bson_type"] == "0x13":  # decimal cases give the $numberDecimal string alone
        text = json.dumps({suite["test_key"]: {"$numberDecimal": text}})
    value, found = read(text)
    if data["description"] in ACCEPTED_ON_PURPOSE and suite["bson_type"] == "0x00":
        assert found == []
        assert value == ACCEPTED_ON_PURPOSE[data["description"]]
        return
    assert found, f"accepted: {text}"
    code, path, message = found[0]
    assert code == "PR050", found
    assert path.startswith(("$.", "$[")), found  # located: a JSON path inside the document
    assert message
