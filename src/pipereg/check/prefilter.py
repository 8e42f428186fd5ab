"""The text prefilter: what a pipeline holds, told from its compact JSON text without a tree.

The fast path beside the rules (:mod:`pipereg.check.rules`) and the template compiler's walk
(:func:`~pipereg.compile.template.build`), its reference path. Loading vouches for most
pipelines from each stage's compact JSON text (the encoding parsing already made): :func:`sketch`
tells whether ``build`` could report anything (Extended JSON literals, numbers BSON cannot hold,
deep nesting, odd placeholders) and, if not, which placeholders the pipeline has
(:func:`marks`), so the rules can run without a template tree; the tree is then built on first
render. Every answer here errs towards "build the tree to know". The equivalence test:
``tests/check/test_prefilter_properties.py`` loads generated files both ways and requires the
same problems and the same pipelines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from pipereg.bson_limits import NESTING_LIMIT
from pipereg.compile.placeholders import WHOLE, WHOLE_JSON_STRING, tokens
from pipereg.compile.template import WRAPPER_KEY, SiteKind
from pipereg.jsontext.compact import ITEM_SPLIT
from pipereg.jsontext.extjson import WRAPPER_KEYS, ExtJsonError, literal
from pipereg.jsontext.parse import compact

# Every digit as 0, for finding long runs of digits faster than a regular expression can.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
# Text without its strings and then all but its brackets, for measuring how deep it nests.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"[\[{][\]}]")
# Operators that run JavaScript on the server.
JAVASCRIPT = frozenset({"$where", "$function", "$accumulator"})
# An Extended JSON wrapper key or a JavaScript operator, in compact JSON text.
_SPECIAL_KEY = re.compile(
    '"(' + "|".join(re.escape(key) for key in sorted(WRAPPER_KEYS | JAVASCRIPT)) + ')"'
)
# The Extended JSON literals files hold most, in compact JSON text: {"$oid":"..."} and
# {"$date":"..."} with a plain string (a quote inside a string is escaped, so this only ever
# matches a whole one-key object). Each is read (extjson.literal) before it is vouched for.
_COMMON_LITERAL = re.compile(r'\{"\$(oid|date)":"([^"\\]*)"\}')
_COMMON_KEYS = frozenset({"$oid", "$date"})
# In compact JSON text, from its opening quote: a string that is one placeholder, and the colon
# after it if it is a key.
_WHOLE_STRING = WHOLE_JSON_STRING


# Mark(name, kind, dollar) without NamedTuple's Python-level __new__: a few thousand per load.
_new_mark = tuple.__new__


class Mark(NamedTuple):
    """A placeholder found in a pipeline's text: what the rules need, without its path.

    Attributes:
        name: The parameter.
        kind: A whole ``value``, embedded in ``text``, or an object ``key``.
        dollar: The text starts with ``$<<`` or ``$$<<``: the placeholder may name a field
            (a :class:`Site` with ``field_path``), depending on where the text stands.
    """

    name: str
    kind: SiteKind
    dollar: bool = False


class Marks(NamedTuple):
    """The placeholders in a text (see :func:`marks`).

    Attributes:
        names: Every placeholder's name.
        others: The placeholders that are not a whole value (``kind`` ``"key"`` or
            ``"text"``): the rules look closer at those.
    """

    names: set[str]
    others: list[Mark]


def marks(text: str) -> Marks | None:
    """Every placeholder in compact JSON text (see :mod:`pipereg.jsontext.compact`), from it alone.

    This is the cheap half of :func:`build`: it tells which placeholders a pipeline has without
    walking it or building a tree. It answers ``None`` wherever the text is not plain enough to
    be sure (escapes in a string holding ``<<``, a malformed placeholder, one embedded in a key,
    or anything else :func:`build` reports), and the caller then builds the template instead.
    """
    if "\\" in text:  # a backslash may make a quote an escaped one
        found = _marks_string_by_string(text)
        if found is None:
            return None
        return Marks({mark.name for mark in found}, [m for m in found if m.kind != "value"])
    # Most placeholders are strings of their own: one C call splits those out (name and key
    # colon of each). The strings that hold "<<" otherwise are read one by one from what is
    # left, where every other string stays whole.
    parts = _WHOLE_STRING.split(text)
    names = set(parts[1::3])
    key_colons = parts[2::3]
    others = (
        [Mark(name, "key") for name, colon in zip(parts[1::3], key_colons, strict=True) if colon]
        if ":" in key_colons
        else []
    )
    rest = "".join(parts[::3])
    if "<<" in rest:
        embedded = _embedded_marks(rest)
        if embedded is None:
            return None
        for mark in embedded:
            names.add(mark.name)
        others += embedded
    return Marks(names, others)


def _embedded_marks(text: str) -> list[Mark] | None:
    # The placeholders of strings that hold "<<" in compact JSON text with no backslash and no
    # string that is one whole placeholder (marks() has taken those out).
    found: list[Mark] = []
    at = text.find("<<")
    while at >= 0:
        # "<<" only occurs inside strings: the one holding it runs from quote to quote.
        start = text.rfind('"', 0, at)
        end = text.find('"', at)
        if start <= 0 or end < 0:
            return None
        token = text[start + 1 : end]
        names = _embedded(token)
        if names is None or (names and text.startswith(":", end + 1)):
            return None  # PR025, or PR026 (build() says where)
        dollar = token.startswith(("$<<", "$$<<"))
        for name in names:
            found.append(_new_mark(Mark, (name, "text", dollar)))
        at = text.find("<<", end + 1)
    return found


def _marks_string_by_string(text: str) -> list[Mark] | None:
    # marks() for text with embedded placeholders or a backslash: unsure of escapes near "<<".
    found: list[Mark] = []
    at = text.find("<<")
    while at >= 0:
        # The common case first: a string that is one placeholder (its opening quote is not an
        # escaped one: that would put a backslash before it).
        whole_string = _WHOLE_STRING.match(text, at - 1) if text[at - 2] != "\\" else None
        if whole_string is not None:
            name, key_colon = whole_string.groups()
            found.append(Mark(name, "key" if key_colon else "value"))
            at = text.find("<<", whole_string.end())
            continue
        # "<<" only occurs inside strings, and the encoder escapes no "<": the string holding it
        # runs from the quote before to the quote after, unless an escape is in the way.
        start = text.rfind('"', 0, at)
        end = text.find('"', at)
        if start <= 0 or end < 0 or text[start - 1] == "\\" or text.find("\\", start, end) >= 0:
            return None
        token = text[start + 1 : end]
        key = text.startswith(":", end + 1)
        names = _embedded(token)
        if names is None or (key and names) or WHOLE.match(token):
            return None  # PR025, or PR026 (build() says where); a whole one is read above
        dollar = token.startswith(("$<<", "$$<<"))
        found.extend(Mark(name, "text", dollar) for name in names)
        at = text.find("<<", end + 1)
    return found


def _embedded(text: str) -> list[str] | None:
    # The placeholders embedded in a string as _string() reads it; None where it reports one.
    names: list[str] = []
    for token in tokens(text):
        if token.error is not None:
            return None
        if token.name is not None:
            names.append(token.name)
    return names


@dataclass(frozen=True, slots=True)
class Sketch:
    """What the rules need to know about a pipeline that :func:`build` would find nothing in.

    Attributes:
        marks: Its placeholders, all in its stages (see :func:`marks`).
        texts: Each stage as compact JSON text (see :func:`~pipereg.jsontext.parse.compact`).
        text: The same for the whole list.
    """

    marks: Marks
    texts: list[str]
    text: str


def sketch(
    stages: Any, options: Any, texts: list[str] | None = None, *, file_plain: bool = False
) -> Sketch | None:
    """Read a pipeline's stages and options from their text, without building templates.

    ``None`` unless the text shows that building the templates would report nothing: options
    with placeholders, Extended JSON literals, numbers BSON cannot hold, deep nesting and
    placeholders :func:`marks` is not sure of all mean "build the templates to know".

    Args:
        stages: The stages as parsed.
        options: The options as parsed.
        texts: Each stage as compact JSON text, if already encoded (see
            :func:`~pipereg.jsontext.parse.parse_document`); else the stages are encoded here.
        file_plain: Whether the file ``texts`` were encoded from is plain (:func:`sketch_file`),
            so that the options and the literals need no test here (ignored without ``texts``).
    """
    file_plain = file_plain and texts is not None
    try:
        if texts is None:
            texts = [compact(stage) for stage in stages]
        options_text = compact(options) if options and not file_plain else ""
    except RecursionError:  # let build() meet it, as it always has
        return None
    text = "[" + ",".join(texts) + "]"
    if not file_plain and (
        "<<" in options_text
        or not literal_free(text)
        or not literal_free(options_text)
        or nests_deeper(options_text, NESTING_LIMIT)
    ):
        return None
    # A stage is one level below its list, which is where build() counts depth from; no stage
    # has more brackets than the list.
    if text.count("{") + text.count("[") > NESTING_LIMIT and any(
        nests_deeper(stage_text, NESTING_LIMIT - 1) for stage_text in texts
    ):
        return None
    found = marks(text)
    return None if found is None else Sketch(found, texts, text)


class FileSketch(NamedTuple):
    """What a parsed file's encoding tells of all its pipelines at once (see :func:`sketch_file`).

    Attributes:
        plain: No Extended JSON literal and no number BSON cannot hold anywhere, and options
            with no placeholder, nested shallowly: :func:`sketch` need not test each pipeline
            for them (its ``file_plain``).
        javascript_free: No JavaScript operator anywhere (:data:`JAVASCRIPT`): the rules need
            not look for one in each pipeline.
    """

    plain: bool
    javascript_free: bool


def sketch_file(items: str, outline: str, *, numbers_fit: bool = False) -> FileSketch:
    """Test a parsed file's two encoded texts once for what :func:`sketch` tests per pipeline.

    ``items`` and ``outline`` are the texts :func:`~pipereg.jsontext.compact.encode_file` made: the
    stages and declarations, and the rest of the document (where the options are);
    ``numbers_fit``, that its encoding found every number in them finite and small.
    """
    named = set(_SPECIAL_KEY.findall(items))  # one pass for wrapper keys and JavaScript
    wrappers = named & WRAPPER_KEYS
    plain = (
        bool(outline)
        and (not wrappers or (wrappers <= _COMMON_KEYS and not _unknown_literals(items)))
        and (numbers_fit or (_numbers_fit(items) and _numbers_fit(outline)))
        and "<<" not in outline
        # A NUL byte: build() decides (see literal_free). The marker between items holds two.
        and items.count("\\u0000") == 2 * items.count(ITEM_SPLIT)
        and "\\u0000" not in outline
        and not ('"$' in outline and WRAPPER_KEY.search(outline) is not None)
        and not nests_deeper(outline, NESTING_LIMIT)
    )
    return FileSketch(plain, named.isdisjoint(JAVASCRIPT))


def literal_free(text: str) -> bool:
    """Whether compact JSON text holds nothing ``build`` could report but placeholders.

    That is: no Extended JSON literal it would refuse, no NUL and no number BSON cannot hold.

    Those are what :func:`build` converts or reports besides placeholders; ``$oid`` and
    ``$date`` literals in their common spelling are read here and pass if valid. False when
    unsure.
    """
    return (
        _numbers_fit(text)
        and not _unknown_literals(text)
        and "\\u0000" not in text  # a NUL byte, which build() refuses in keys and regexes
    )


def _unknown_literals(text: str) -> bool:
    # Whether compact JSON text holds a wrapper key other than a valid common literal's: each
    # {"$oid": "..."} and {"$date": "..."} is read by extjson.literal, as build() reads it.
    if '"$' not in text or WRAPPER_KEY.search(text) is None:
        return False
    for match in _COMMON_LITERAL.finditer(text):
        try:
            literal({"$" + match[1]: match[2]})
        except ExtJsonError:
            return True
    return WRAPPER_KEY.search(_COMMON_LITERAL.sub("0", text)) is not None


def _numbers_fit(text: str) -> bool:
    # No infinity and no 19-digit number, which may not fit 64 bits (BSON's largest integer).
    return "Infinity" not in text and _NINETEEN_DIGITS not in text.encode().translate(
        _DIGITS_AS_ZERO
    )


def nests_deeper(text: str, depth: int) -> bool:
    """Whether brackets nest more than ``depth`` deep in compact JSON text; true when unsure.

    Values inside ``n`` nested brackets stand ``n`` levels below the encoded one (containers
    ``n - 1``), so :func:`build` reports no value nested too deep in a text for which this is
    false with ``depth`` :data:`NESTING_LIMIT`.
    """
    if text.count("{") + text.count("[") <= depth:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(depth):
        inner = _INNERMOST.sub("", brackets)  # one level per pass
        if not inner:
            return False
        if inner == brackets:
            return True  # not balanced: not the encoder's text; unsure
        brackets = inner
    return True
