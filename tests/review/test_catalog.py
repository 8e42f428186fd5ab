"""The Markdown catalog: golden documents, anchors, links, stable output."""

from __future__ import annotations

import re

import pytest

from helpers import FIXTURES, REPO, WriteTree, golden, pipeline_file
from pipereg.registry import Registry
from pipereg.review import catalog

GOLDEN = FIXTURES / "catalog"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
# The bundled pipelines' catalog, kept next to the files it documents.
CATALOG = REPO / "pipelines" / "CATALOG.md"


def generate(root: str, link_from: str | None = ".") -> str:
    pipelines = list(Registry.from_paths(root))
    return catalog.markdown(
        pipelines, lines=catalog.locate_pipelines(pipelines), link_from=link_from
    )


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # expected.md was read line by line against pipelines/ when the case was written.
    monkeypatch.chdir(GOLDEN / case)
    golden({GOLDEN / case / "expected.md": generate("pipelines")})


def test_bundled_catalog_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    current = CATALOG.read_text(encoding="utf-8")
    assert generate("pipelines", link_from="pipelines") == current, (
        "pipelines/CATALOG.md is stale: run `pipereg docs -o pipelines/CATALOG.md` and commit it"
    )


def anchors_of(document: str) -> list[str]:
    # GitHub's rule: lower case, punctuation other than - and _ dropped, spaces as -, and a
    # repeated anchor numbered -1, -2, ... in document order.
    seen: dict[str, int] = {}
    found = []
    for heading in re.findall(r"^#+ (.*)$", document, re.MULTILINE):
        base = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        slug = base if base not in seen else f"{base}-{seen[base]}"
        seen[base] = seen.get(base, 0) + 1
        found.append(slug)
    return found


def test_every_contents_link_names_a_heading() -> None:
    document = CATALOG.read_text(encoding="utf-8")
    links = re.findall(r"\]\(#([^)]+)\)", document)
    # Every pipeline, every module, and where each fragment is used (linked from pipelines too).
    assert len(set(links)) == 13 + 4 + 1
    assert set(links) <= set(anchors_of(document))


def test_repeated_headings_get_numbered_anchors(write_tree: WriteTree) -> None:
    # "a.bc" and "ab.c" both read "abc" once the dot is dropped: the second is "abc-1".
    stage = {"collection": "c", "stages": [{"$count": "n"}]}
    root = write_tree(
        {"a.json": pipeline_file({"bc": stage}), "ab.json": pipeline_file({"c": stage})}
    )
    document = generate(str(root), link_from=None)
    assert "[`a.bc`](#abc)" in document
    assert "[`ab.c`](#abc-1)" in document
    links = re.findall(r"\]\(#([^)]+)\)", document)
    assert len(links) == len(set(links)) == 4
    assert set(links) <= set(anchors_of(document))


def test_a_failed_example_render_is_said_not_raised(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    decl = {"type": "int"}
    pipelines = {"p": {"collection": "c", "params": {"n": decl}, "stages": [{"$limit": "<<n>>"}]}}
    root = write_tree({"m.json": pipeline_file(pipelines)})
    monkeypatch.setattr(catalog, "example_params", lambda params: {"n": "ten"})
    document = generate(str(root), link_from=None)
    assert "No example: m.p: parameter 'n': expected int, got str 'ten'." in document


def test_links_resolve_from_where_the_catalog_is_written() -> None:
    document = CATALOG.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+\.json)(?:#L(\d+))?\)", document)
    # Every bundled file that holds pipelines (common.json holds only fragments).
    assert len({target for target, _ in targets}) == 4
    for target, line in targets:
        path = CATALOG.parent / target
        assert path.is_file(), target
        if line:
            text = path.read_text(encoding="utf-8").splitlines()[int(line) - 1]
            assert re.match(r'\s*"\w+": \{', text), (target, line, text)


def test_output_is_stable_and_free_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    first = generate("pipelines")
    assert first == generate("pipelines")
    assert "2026" not in first  # no generation date or time
    assert str(REPO) not in first  # no machine paths


def test_empty_registry() -> None:
    document = catalog.markdown([])
    assert "0 pipelines in 0 modules" in document
    assert "No pipelines." in document


def test_a_file_that_cannot_be_read_again_has_no_line(write_tree: WriteTree) -> None:
    root = write_tree(
        {"m.json": pipeline_file({"p": {"collection": "c", "stages": [{"$count": "n"}]}})}
    )
    pipelines = list(Registry.from_paths(root))
    (root / "m.json").write_text("{not json", encoding="utf-8")
    assert catalog.locate_pipelines(pipelines) == {}
    (root / "m.json").unlink()
    assert catalog.locate_pipelines(pipelines) == {}
    document = catalog.markdown(pipelines, link_from=None)
    assert f"| file | [`{root / 'm.json'}`]({root / 'm.json'}) |" in document


def test_link_targets_with_spaces_are_bracketed() -> None:
    linker = catalog.Catalog(link_from=None)
    assert linker.link("my pipelines/a.json", 3) == (
        "[`my pipelines/a.json:3`](<my pipelines/a.json#L3>)"
    )
    assert linker.link("p/a.json") == "[`p/a.json`](p/a.json)"


def test_table_cells_stay_one_cell(write_tree: WriteTree) -> None:
    decl = {"type": "string", "pattern": "^(a|b)$", "description": "one\nor | two"}
    root = write_tree(
        {
            "m.json": pipeline_file(
                {
                    "p": {
                        "collection": "c",
                        "params": {"x": decl},
                        "stages": [{"$match": {"x": "<<x>>"}}],
                    }
                }
            )
        }
    )
    document = generate(str(root), link_from=None)
    assert "| `x` | `string` | yes | - | no | `pattern ^(a\\|b)$` | one or \\| two |" in document


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`edge`", "`` `edge` ``"),
        ("x``y", "```x``y```"),
    ],
)
def test_code_spans_hold_any_backticks(text: str, expected: str) -> None:
    assert catalog.code(text) == expected


def test_fences_outgrow_the_fences_inside() -> None:
    assert catalog.fence('"a"', "json") == ["```json", '"a"', "```"]
    assert catalog.fence("```\nx\n```") == ["````", "```", "x", "```", "````"]


def test_pretty_lays_json_out_as_fmt_does() -> None:
    # The top level opens, inner values that fit stay on their line, stages one per block.
    assert catalog.pretty({"a": [1, 2]}) == '{\n  "a": [1, 2]\n}'
    assert catalog.pretty({"a": [1, 2], "b": {"c": "d"}}, width=18) == "\n".join(
        ["{", '  "a": [1, 2],', '  "b": {"c": "d"}', "}"]
    )
    assert catalog.pretty([{"k": "long value"}, []], width=10) == "\n".join(
        ["[", "  {", '    "k": "long value"', "  },", "  []", "]"]
    )
    assert catalog.pretty([{"$count": "n"}], stage_list=True) == '[\n  {"$count": "n"}\n]'
