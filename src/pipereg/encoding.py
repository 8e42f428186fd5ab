"""Compact JSON text of parsed values, and of a pipeline file's stages and declarations at once.

The C encoder is built once (:data:`compact`); :func:`encode_file` encodes a whole parsed
pipeline file in two encoder calls and counts its colons, which is how parsing tells a repeated
key without a Python call per object (see :func:`pipereg.parse.parse_document`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


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


# Markers between groups (a pipeline's stages, its declarations) and between the items of a
# group in the one text they are encoded to; the split checks that each occurs only where put.
ITEM_MARK = "\x00pipereg item\x00"
GROUP_MARK = "\x00pipereg group\x00"
ITEM_SPLIT = f",{compact(ITEM_MARK)},"
GROUP_SPLIT = f",{compact(GROUP_MARK)},"


def encode_file(document: Any) -> tuple[int, dict[tuple[str, str], tuple[Any, list[str]]]]:
    """The colons of a parsed pipeline file's compact encoding, and texts read from that encoding.

    Every pipeline's stages and declarations are encoded in one encoder call, separated by
    marker strings and split apart after; the rest of the document in a second call. Texts come
    per pipeline name and ``"stages"`` or ``"params"``: the parsed object and each item's compact
    text, for non-empty stages and declarations that are all objects and hold no marker.

    Raises:
        RecursionError: the document is nested deeper than the encoder goes.
    """
    pipelines = document.get("pipelines") if type(document) is dict else None
    if type(pipelines) is not dict:
        return compact(document).count(":"), {}
    groups: list[tuple[tuple[str, str], Any, list[Any]]] = []  # what, where, its items
    rest: dict[str, Any] = {}
    for name, definition in pipelines.items():
        rest[name] = definition
        if type(definition) is not dict:
            continue
        stages = definition.get("stages")
        if type(stages) is list and stages and all(type(s) is dict for s in stages):
            # Its colons are counted in the stages' text.
            rest[name] = {**definition, "stages": 0}
            groups.append(((name, "stages"), stages, stages))
        params = definition.get("params")
        if type(params) is dict and params and all(type(d) is dict for d in params.values()):
            # The names' colons stay here, the declarations' are counted in their text.
            rest[name] = {**rest[name], "params": dict.fromkeys(params, 0)}
            groups.append(((name, "params"), params, list(params.values())))
    colons = compact({**document, "pipelines": rest}).count(":")
    flat: list[Any] = []
    for _, _, items in groups:
        if flat:
            flat.append(GROUP_MARK)
        for item in items:
            flat.append(item)
            flat.append(ITEM_MARK)
        flat.pop()
    if not flat:
        return colons, {}
    text = compact(flat)
    colons += text.count(":")
    pieces = text[1:-1].split(GROUP_SPLIT)
    if len(pieces) != len(groups):
        return colons, {}
    texts = {}
    for (what, where, items), piece in zip(groups, pieces, strict=True):
        split = piece.split(ITEM_SPLIT)
        if len(split) == len(items):  # else an item holds the marker: encoded one by one
            texts[what] = (where, split)
    return colons, texts
