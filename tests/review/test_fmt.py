"""The canonical layout (pipereg.review.fmt): golden cases, properties, the bundled files.

Golden cases live in ``tests/fixtures/fmt/<case>/``: ``input.json`` (any bytes), and either
``expected.json``, the formatted file, or ``expected.txt``, the problems that refuse it (one per
line, as lint prints them, the file named ``input.json``). An ``expected.json`` must itself come
out unchanged, which is idempotence.

``PIPEREG_REGEN_GOLDEN=1`` rewrites the expected files from what the code does
(``helpers.golden``). Review every regenerated file by hand before committing it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, REPO, golden
from pipereg.errors import PipelineLoadError
from pipereg.load.discovery import discover_paths
from pipereg.review.fmt import BOM, WIDTH, format_bytes, format_text, quote

GOLDEN = FIXTURES / "fmt"
CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "input.json").is_file())


def refusal(data: bytes, path: str = "input.json") -> list[str]:
    with pytest.raises(PipelineLoadError) as caught:
        format_bytes(data, path)
    return [str(problem) for problem in caught.value.problems]


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 20
    assert sum(case.startswith("error_") for case in CASES) >= 5


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    folder = GOLDEN / case
    data = (folder / "input.json").read_bytes()
    expected_json, expected_txt = folder / "expected.json", folder / "expected.txt"
    assert not (expected_json.exists() and expected_txt.exists()), f"{case}: keep one of the two"
    try:
        formatted = format_bytes(data, "input.json")
    except PipelineLoadError as exc:
        golden({expected_txt: "".join(f"{problem}\n" for problem in exc.problems)})
        return
    golden({expected_json: formatted})
    expected = formatted
    assert format_bytes(expected, "expected.json") == expected  # idempotent
    # Only the layout changed: the same value, keys in the same order.
    assert json.loads(expected, object_pairs_hook=list) == json.loads(
        data.decode("utf-8"), object_pairs_hook=list
    )


def test_bundled_pipeline_files_are_fmt_clean() -> None:
    files, problems = discover_paths([REPO / "pipelines"])
    assert not problems
    assert len(files) >= 4
    for source in files:
        data = source.read()
        assert format_bytes(data, source.path) == data, f"run: pipereg fmt {source.path}"


# Numbers and strings as written ------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "0",
        "-0",
        "1.0",
        "1.50",
        "-0.0",
        "1e3",
        "1E3",
        "1e+3",
        "1E-3",
        "1.7976931348623157e308",
        "-9223372036854775808",
    ],
)
def test_numbers_keep_their_spelling(number: str) -> None:
    assert format_text(f'{{"n": {number}}}') == f'{{\n  "n": {number}\n}}\n'


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        (r'"\u00e9"', '"é"'),
        (r'"\/"', '"/"'),
        (r'"\ud83d\ude00"', '"😀"'),
        (r'"\"\\\n\r\t\b\f"', r'"\"\\\n\r\t\b\f"'),
        (r'"\u0001\u001F\u007f\u009F"', r'"\u0001\u001f\u007f\u009f"'),
        (
            r'"\u200b\u200d\u202e\u2066\u00a0\u3000\ufeff"',
            r'"\u200b\u200d\u202e\u2066\u00a0\u3000\ufeff"',
        ),
        ('"\u200b\u202e"', r'"\u200b\u202e"'),  # written raw, escaped so that it shows
        (r'"\udb40\udc41"', r'"\udb40\udc41"'),  # a Unicode tag, U+E0041
        ('"❤️ e\u0301"', '"❤️ e\u0301"'),  # emoji variation selectors, combining marks: as is
        # Default-ignorable, blank and private-use characters, escaped so that they show.
        (
            '"a\u034fb\U0001d173\u2800\ue000\U000f0000\u17b4\ufff0"',
            (r'"a\u034fb\ud834\udd73\u2800\ue000\udb80\udc00\u17b4\ufff0"'),
        ),
        ('"\U000e0100"', '"\U000e0100"'),  # an ideographic variation selector: as is
    ],
)
def test_strings_keep_their_value_in_one_spelling(written: str, canonical: str) -> None:
    assert format_text(f"[{written}]") == f"[\n  {canonical}\n]\n"
    assert json.loads(canonical) == json.loads(written)


def test_quote_escapes_as_json_reads() -> None:
    every = "".join(chr(code) for code in range(0x3100)) + "\U000e0041\U0001f600"
    assert json.loads(quote(every)) == every


# Layout rules ---------------------------------------------------------------------------------


def test_width_counts_indentation_key_and_comma() -> None:
    def member(key: str, n: int) -> str:
        return f'"{key}": {{"s": "{"x" * n}"}}'

    fits = WIDTH - len("  ") - len(member("a", 0)) - len(",")
    inline = format_text(f"{{{member('a', fits)}, {member('b', fits)}}}").splitlines()
    assert inline[1:3] == [f"  {member('a', fits)},", f"  {member('b', fits)}"]
    assert len(inline[1]) == WIDTH
    assert len(inline[2]) == WIDTH - 1  # the last member has no comma: one column to spare
    opened = format_text(f"{{{member('a', fits + 1)}, {member('b', fits + 1)}}}").splitlines()
    assert opened[1:4] == ['  "a": {', f'    "s": "{"x" * (fits + 1)}"', "  },"]
    assert opened[4] == f"  {member('b', fits + 1)}"
    narrow = format_text(f"{{{member('a', 20)}}}", width=30).splitlines()
    assert narrow[1] == '  "a": {'


def test_an_empty_container_never_opens() -> None:
    assert format_text('{"a": [], "b": {}}', width=4) == '{\n  "a": [],\n  "b": {}\n}\n'


def test_a_stage_list_always_opens() -> None:
    text = format_text('{"pipelines": {"p": {"stages": [{"$limit": 1}]}}}')
    assert '"stages": [\n        {"$limit": 1}\n      ]' in text


def test_crlf_line_endings_are_kept() -> None:
    text = format_text('{"a": 1,\r\n"b": [true]}')
    assert text == '{\r\n  "a": 1,\r\n  "b": [true]\r\n}\r\n'
    assert format_text(text) == text
    assert format_text('{"a": 1,\n"b": "\\r\\n"}\r\n') == '{\n  "a": 1,\n  "b": "\\r\\n"\n}\n'


def test_a_byte_order_mark_is_dropped() -> None:
    assert format_bytes(BOM + b'{"a": "\xc3\xa9"}') == b'{\n  "a": "\xc3\xa9"\n}\n'


def test_a_scalar_document() -> None:
    assert format_text(" 1e3 ") == "1e3\n"
    assert format_text('"x"\n') == '"x"\n'


# Refusals --------------------------------------------------------------------------------------


def test_refusals_are_lints_problems() -> None:
    assert refusal(b'{"a": 1,\n "a": 2}') == ["input.json:2:2: PR002 $.a: duplicate key 'a'"]
    assert refusal(b"\xff\xfe{\x00}\x00") == [
        "input.json:1:1: PR001 file is UTF-16; save it as UTF-8"
    ]
    assert refusal(b'{"a": "\xe9"}')[0].startswith("input.json:1:8: PR001 not valid UTF-8")
    digits = "1" * 5000
    assert refusal(f'{{"big": {digits}}}'.encode())[0].startswith("input.json:1:2: PR050")


def test_numbers_bson_cannot_hold_are_refused_as_lint_refuses_them() -> None:
    text = '{"a": [1e400, -1e999],\n "d": 12345678901234567890, "ok": 9223372036854775807}'
    assert refusal(text.encode()) == [
        "input.json:1:8: PR050 $.a[0]: a number too large for a double",
        "input.json:1:15: PR050 $.a[1]: a number too large for a double",
        "input.json:2:2: PR050 $.d: 12345678901234567890 does not fit a 64-bit integer",
    ]
    assert format_text("[-9223372036854775808, 1.7e308]") == (
        "[\n  -9223372036854775808,\n  1.7e308\n]\n"
    )


def test_deeper_than_mongodb_allows_is_refused_where_it_gets_too_deep() -> None:
    fine = "[" * 100 + "]" * 100
    assert format_text(fine).count("\n") == 199  # the innermost [] shares no line
    too_deep = "[" * 101 + "1" + "]" * 101
    (problem,) = refusal(too_deep.encode())
    assert problem.startswith("input.json:1:102: PR051 $[0][0]")
    assert problem.endswith("nested more than 100 levels deep (MongoDB's limit); not formatted")
    assert refusal(("[" * 100_000 + "]" * 100_000).encode())[0].startswith("input.json:1:")


# Properties: any layout of any value comes out as the same value, once and for all ------------

# Numbers BSON holds (fmt refuses others, PR050): integers within 64 bits, finite doubles.
NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?([eE][+-]?[0-9]{1,2})?")
numbers = st.from_regex(NUMBER, fullmatch=True).map(lambda text: ("number", text))
texts = st.text(max_size=12)
scalars = st.one_of(
    numbers, texts.map(lambda text: ("string", text)), st.sampled_from([True, False, None])
)


def objects(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    members = st.lists(st.tuples(texts, values), max_size=5, unique_by=lambda member: member[0])
    return members.map(lambda pairs: ("object", pairs))


values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5).map(lambda items: ("array", items)) | objects(inner),
    max_leaves=40,
)
stage_names = st.sampled_from(["$match", "$facet", "$lookup", "$unionWith", "$set"])
stages = st.tuples(stage_names, values).map(
    lambda stage: (
        (
            "object",
            [(stage[0], ("object", [("pipeline", ("array", [("object", [("$x", stage[1])])]))]))],
        )
        if stage[0] in ("$lookup", "$unionWith")
        else ("object", [stage])
    )
)
pipeline_files = st.lists(stages, max_size=4).map(
    lambda items: (
        "object",
        [("pipelines", ("object", [("p", ("object", [("stages", ("array", items))]))]))],
    )
)


def write(value: Any, space: st.DataObject) -> str:
    # Any JSON spelling of ``value``: random whitespace, strings escaped or not.
    def gap() -> str:
        return space.draw(st.sampled_from(["", " ", "\n", "\r\n  ", "\t"]))

    if value is True or value is False or value is None:
        return json.dumps(value)
    kind, content = value
    if kind == "number":
        return str(content)
    if kind == "string":
        return json.dumps(content, ensure_ascii=space.draw(st.booleans()))
    if kind == "array":
        return "[" + ",".join(gap() + write(item, space) + gap() for item in content) + "]"
    members = (
        f"{gap()}{json.dumps(key)}{gap()}:{gap()}{write(item, space)}{gap()}"
        for key, item in content
    )
    return "{" + ",".join(members) + gap() + "}"


def read(text: str) -> Any:
    # The value with every distinction a formatter could lose: key order, number spelling.
    decoder = json.JSONDecoder(
        object_pairs_hook=lambda pairs: ("object", pairs),
        parse_int=lambda text: ("number", text),
        parse_float=lambda text: ("number", text),
    )
    return normal(decoder.decode(text))


def normal(value: Any) -> Any:
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", [normal(item) for item in value])
    if isinstance(value, tuple) and value[0] == "object":
        return ("object", [(key, normal(item)) for key, item in value[1]])
    return value


# No deadline and no speed health check: shared machines are slow at times.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(values, pipeline_files), st.data())
def test_any_layout_gives_the_same_value_and_a_fixed_point(
    value: Any, space: st.DataObject
) -> None:
    text = write(value, space)
    formatted = format_text(text)
    assert read(formatted) == normal(value) == read(text)
    assert format_text(formatted) == formatted
    # Whatever the input's layout, the same text (but for the line ending, which is kept).
    assert format_text(write(value, space)).replace("\r\n", "\n") == formatted.replace("\r\n", "\n")
    assert formatted.endswith("\n")
    assert not formatted.endswith("\n\n")
    assert not re.search(r"[ \t]\n", formatted)
