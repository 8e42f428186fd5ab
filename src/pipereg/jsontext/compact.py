"""Compact JSON text of parsed values, and of a pipeline file's stages and declarations at once.

The C encoder is built once (:data:`compact`); :func:`encode_file` encodes a whole parsed
pipeline file in two values (its stages and declarations, the rest) and counts its colons,
which is how parsing tells a repeated key without a Python call per object (see
:func:`pipereg.jsontext.parse.parse_document`). Where orjson is installed (CPython),
:func:`encode_file` uses it (:func:`fast_compact`): it writes strings exactly as :data:`compact`
does, several times faster, and floats in another spelling of the same value (``1e-7`` for
``1e-07``). So "compact text" from a parsed file means either spelling: parsed back, the same
values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

try:
    import orjson
except ImportError:  # not built for this interpreter (PyPy): the standard library's encoder
    orjson = None  # type: ignore[assignment]


def _compact_encoder() -> Callable[[Any], str]:
    # JSONEncoder.encode builds the C encoder on every call, which costs more than encoding a
    # small value; build it once. Its arguments are those JSONEncoder.iterencode passes.
    reference = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (PyPy): the pure-Python encoder
        return reference.encode
    try:
        encode = make(
            None, reference.default, json.encoder.encode_basestring, None, ":", ",",
            False, False, True,
        )  # fmt: skip
        probe = {"a": [1.5, "\u00e9<<\n", None, True]}
        if "".join(encode(probe, 0)) != reference.encode(probe):
            return reference.encode
    except TypeError:  # another signature in another Python version
        return reference.encode
    return lambda value: "".join(encode(value, 0))


compact: Callable[[Any], str] = _compact_encoder()
"""Compact JSON text of a parsed value, as ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))`` writes it."""


# The marker between items (stages, declarations) in the one text they are encoded to; the split
# checks that it occurs only where put.
ITEM_MARK = "\x00pipereg item\x00"
ITEM_SPLIT = f",{compact(ITEM_MARK)},"


def fast_compact(
    *values: Any, source: str | None = None, small_ints: bool = False
) -> list[str] | None:
    """Each value's compact JSON text as orjson writes it; ``None`` where it cannot be trusted.

    orjson writes strings as :data:`compact` does (checked over every code point), and a float
    as a shortest text that reads back as the same float (``1e-7``, where :data:`compact` writes
    ``1e-07``): parsed back, the texts give the same values. It writes infinity as ``null``,
    though, and refuses integers past 64 bits and very deep nesting. So the answer is ``None``
    without orjson, when it refuses, and when the texts hold another number of ``null`` than
    ``source``, the text the values were parsed from (infinity parses from ``1e400``; the
    source holds every ``null`` the texts hold, in its literals and strings). With
    ``small_ints``, also ``None`` where an integer is 2**53 or more away from zero.
    """
    if orjson is None:
        return None
    option = orjson.OPT_STRICT_INTEGER if small_ints else None
    try:
        texts = [orjson.dumps(value, option=option).decode() for value in values]
    except orjson.JSONEncodeError:
        return None
    if (
        source is not None
        and any("null" in text for text in texts)
        and sum(text.count("null") for text in texts) != source.count("null")
    ):
        return None
    return texts


class Encoding(NamedTuple):
    """A parsed pipeline file's compact encoding (see :func:`encode_file`).

    Attributes:
        colons: How many colons the encoding of the whole document holds.
        texts: Per pipeline name and ``"stages"`` or ``"params"``: the parsed object and each
            item's compact text.
        items: Every stage and declaration that has texts, in one text (with markers).
        outline: The rest of the document, those stages and declarations left out.
        numbers_fit: Whether every number in the two texts is finite and an integer one is
            less than 2**53 away from zero (so it fits BSON's 64 bits).
    """

    colons: int
    texts: dict[tuple[str, str], tuple[Any, list[str]]]
    items: str = ""
    outline: str = ""
    numbers_fit: bool = False


def encode_file(document: Any, source: str | None = None) -> Encoding:
    """The colons of a parsed pipeline file's compact encoding, and texts read from that encoding.

    Every pipeline's stages and declarations are encoded in one encoder call, separated by a
    marker string and split apart after; the rest of the document in a second call. Texts come
    per pipeline name and ``"stages"`` or ``"params"``: the parsed object and each item's compact
    text, for stages in a list and declarations in an object (an item that is no object makes the
    file fail its JSON Schema, which blocks the pipeline); none if an item holds the
    marker.

    ``source``, the text ``document`` was parsed from, allows :func:`fast_compact`; a float may
    then be spelled otherwise than :data:`compact` spells it, and nothing else differs.

    Raises:
        RecursionError: the document is nested deeper than the encoder goes.
    """
    pipelines = document.get("pipelines") if type(document) is dict else None
    if type(pipelines) is not dict:
        return Encoding(compact(document).count(":"), {})
    groups: list[tuple[tuple[str, str], Any, int]] = []  # what, where, how many items
    items: list[Any] = []
    rest: dict[str, Any] = {}
    for name, definition in pipelines.items():
        rest[name] = definition
        if type(definition) is not dict:
            continue
        left_out: dict[str, Any] = {}
        stages = definition.get("stages")
        if type(stages) is list:
            left_out["stages"] = 0  # its colons are counted in the stages' text
            groups.append(((name, "stages"), stages, len(stages)))
            items += stages
        params = definition.get("params")
        if type(params) is dict:
            # The names' colons stay here, the declarations' are counted in their text.
            left_out["params"] = dict.fromkeys(params, 0)
            groups.append(((name, "params"), params, len(params)))
            items += params.values()
        if left_out:
            rest[name] = {**definition, **left_out}
    flat = [ITEM_MARK] * (2 * len(items) - 1) if items else []
    flat[::2] = items
    outline = {**document, "pipelines": rest}
    # Mostly, every integer is a small one: then no number in the texts is one BSON can't hold
    # (fast_compact also rules infinity out), which sketch_file then need not look for.
    fast = None if source is None else fast_compact(outline, flat, source=source, small_ints=True)
    numbers_fit = fast is not None
    if fast is None and source is not None:
        fast = fast_compact(outline, flat, source=source)
    outline_text, text = fast if fast is not None else (compact(outline), compact(flat))
    colons = outline_text.count(":") + text.count(":")
    if not items:
        return Encoding(colons, {}, "", outline_text, numbers_fit)
    pieces = text[1:-1].split(ITEM_SPLIT)
    if len(pieces) != len(items):  # an item holds the marker: each pipeline encodes its own
        return Encoding(colons, {})
    texts = {}
    at = 0
    for what, where, count in groups:
        texts[what] = (where, pieces[at : at + count])
        at += count
    return Encoding(colons, texts, text, outline_text, numbers_fit)
