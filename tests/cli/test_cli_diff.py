"""``pipereg diff`` (pipereg.cli.diff, cli.textconv): folders, git revisions, formats, exit codes.

The text and Markdown renderings of every golden case in ``tests/fixtures/diff/`` are golden files
too (``expected.txt``, ``expected.md``), regenerated like the JSON (``helpers.golden``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import FIXTURES, commit_files, git, golden, pipeline_file
from pipereg.cli import main

GOLDEN = FIXTURES / "diff"
CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "base").is_dir())
PIPEREG = Path(sys.executable).parent / "pipereg"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def doc(match: int, version: int = 1, **params: object) -> dict[str, object]:
    stages = [{"$match": {"n": match, **{name: f"<<{name}>>" for name in params}}}]
    pipeline = {"collection": "c", "params": params, "stages": stages}
    return pipeline_file({"q": pipeline}, version=version)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("case", CASES)
def test_golden_renderings(case: str, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN / case)
    result = invoke("diff", "base", "head", "--format", fmt)
    assert result.exit_code == 0, result.output
    golden({GOLDEN / case / f"expected.{'md' if fmt == 'markdown' else 'txt'}": result.output})


@pytest.mark.parametrize("case", CASES)
def test_json_is_the_report(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN / case)
    result = invoke("diff", "base", "head", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(Path("expected.json").read_text())


@pytest.mark.parametrize(
    ("case", "fail_on", "status"),
    [
        ("params_breaking", ["breaking"], 1),
        ("params_breaking", ["unversioned"], 0),
        ("versions", ["unversioned"], 1),
        ("versions", ["breaking"], 0),
        ("versions", ["breaking", "unversioned"], 1),
        ("params_compatible", ["breaking", "unversioned"], 0),
        ("added_removed_renamed", [], 0),  # differences alone are not failures
    ],
)
def test_fail_on(
    case: str, fail_on: list[str], status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(GOLDEN / case)
    args = [arg for kind in fail_on for arg in ("--fail-on", kind)]
    result = CliRunner().invoke(main, ["diff", "base", "head", *args])
    assert result.exit_code == status, result.output
    if status:
        assert "pipereg: failing on" in result.stderr


def test_a_folder_and_a_revision_do_not_mix(repo: Path) -> None:
    (repo / "base").mkdir()
    result = invoke("diff", "base", "main")
    assert result.exit_code == 2
    assert result.stderr == (
        "pipereg: BASE and HEAD must both be folders or both be revisions "
        "(base is a folder, main a revision)\n"
    )


def test_a_side_that_is_neither_folder_nor_revision_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newdir").mkdir()
    for args in (["/nonexistent", "newdir"], ["newdir", "/nonexistent"]):
        result = invoke("diff", *args)
        assert result.exit_code == 2
        assert result.stderr == "pipereg: /nonexistent is neither a folder nor a revision\n"


def test_a_folder_alone_is_compared_with_the_roots_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repository needed
    for folder, match in (("old", 1), ("pipelines", 2)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "orders.json").write_text(json.dumps(doc(match, version=match)))
    result = invoke("diff", "old")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["pipereg diff old .. pipelines", "~ orders.q  changed, version 1 -> 2"]


def test_outside_a_repository_says_to_pass_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = invoke("diff")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository on a feature branch forked from main, with pipelines/ at the top level."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit_files(root, {"pipelines/orders.json": doc(1, limit={"type": "int", "default": 5})}, "v1")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def test_default_compares_the_merge_base_with_the_work_tree(repo: Path) -> None:
    (repo / "pipelines/orders.json").write_text(json.dumps(doc(2, limit={"type": "int"})))
    result = invoke("diff", "--fail-on", "breaking", "--fail-on", "unversioned")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pipereg diff main (merge base ")
    assert lines[0].endswith(") .. work tree")
    assert lines[1] == "~ orders.q  changed, version 1  BREAKING  UNVERSIONED"
    assert (
        "    breaking: params.limit: now required (had a default): callers that omit it fail"
        in lines
    )


def test_two_revisions(repo: Path) -> None:
    commit_files(repo, {"pipelines/orders.json": doc(2, version=2)}, "v2")
    (repo / "pipelines/orders.json").write_text("broken, but HEAD is a revision here")
    result = invoke("diff", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["base"], report["head"]) == ("HEAD~1", "HEAD")
    (record,) = report["pipelines"]
    assert (record["base_version"], record["head_version"]) == (1, 2)
    assert record["head_path"] == "pipelines/orders.json"


def test_a_side_that_does_not_load_is_an_input_error(repo: Path) -> None:
    (repo / "pipelines/orders.json").write_text('{"version": 1, "pipelines": {}, "extra": 1}')
    result = invoke("diff")
    assert result.exit_code == 2
    assert result.stderr.startswith("pipereg: cannot load the pipelines of the work tree:\n")
    assert "pipelines/orders.json:1:" in result.stderr
    assert "Traceback" not in result.output


def test_a_base_that_does_not_load_is_reported_and_the_rest_compared(repo: Path) -> None:
    broken = pipeline_file({"p": {"collection": "c", "stages": [{"$mtach": {"a": 1}}]}})
    commit_files(repo, {"pipelines/broken.json": broken}, "broken on main")
    fixed = pipeline_file({"p": {"collection": "c", "stages": [{"$match": {"a": 1}}]}})
    (repo / "pipelines/broken.json").write_text(json.dumps(fixed))
    limit = {"type": "int", "default": 5}
    (repo / "pipelines/orders.json").write_text(json.dumps(doc(2, version=2, limit=limit)))
    result = invoke("diff", "HEAD", "--fail-on", "breaking")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "warning: some files of HEAD do not load; their pipelines are left out of the base, "
        "the others compared:"
    )
    assert lines[2].startswith("  pipelines/broken.json:")
    assert "PR030" in lines[2]
    assert lines[3:5] == [
        "+ broken.p  added, version 1",
        "    note: pipelines/broken.json did not load in HEAD: it may not be new",
    ]
    assert "~ orders.q  changed, version 1 -> 2" in lines  # the rest is compared
    report = json.loads(invoke("diff", "HEAD", "--format", "json").stdout)
    assert len(report["base_problems"]) == 1
    notes = {record["key"]: record["note"] for record in report["pipelines"]}
    assert notes == {
        "broken.p": "pipelines/broken.json did not load in HEAD: it may not be new",
        "orders.q": None,
    }


def test_a_pipeline_changed_by_a_fragment_names_the_fragment(repo: Path) -> None:
    def common(value: int) -> dict[str, object]:
        return {"version": 1, "fragments": {"m": {"document": {"a": value}}}}

    user = pipeline_file(
        {"p": {"collection": "c", "stages": [{"$match": {"$include": "common.m"}}]}}
    )
    commit_files(repo, {"pipelines/common.json": common(1), "pipelines/user.json": user}, "m")
    (repo / "pipelines/common.json").write_text(json.dumps(common(2)))
    result = invoke("diff", "HEAD")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:4] == [
        "~ user.p  changed, version 1  UNVERSIONED",
        "    unversioned: changed (fragment common.m changed) but still version 1: bump it",
        "    compatible: fragments.common.m: fragment common.m changed in pipelines/common.json",
    ]
    (record,) = json.loads(invoke("diff", "HEAD", "--format", "json").stdout)["pipelines"]
    assert [c["kind"] for c in record["changes"]] == ["fragment"]


def test_a_bad_revision_is_an_input_error(repo: Path) -> None:
    result = invoke("diff", "no-such-thing")
    assert result.exit_code == 2
    assert "'no-such-thing' is neither a folder nor a commit" in result.stderr


def test_roots_are_relative_to_the_top_level(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commit_files(repo, {"svc/queries/a.json": doc(1)}, "another root")
    (repo / "svc/queries/a.json").write_text(json.dumps(doc(7, version=2)))
    monkeypatch.chdir(repo / "pipelines")  # anywhere in the repository
    result = invoke("--path", "svc/queries", "diff", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["key"] for r in json.loads(result.stdout)["pipelines"]] == ["a.q"]


def test_pipelines_new_in_the_head_are_all_added(repo: Path) -> None:
    commit_files(repo, {"other/x.json": doc(1)}, "x")
    result = invoke("--path", "other", "diff", "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "+ x.q  added, version 1"


def test_no_pipelines_on_either_side(repo: Path) -> None:
    result = invoke("--path", "nothing-here", "diff", "main")
    assert result.exit_code == 2
    assert result.stderr == "pipereg: no pipeline files under nothing-here in main or work tree\n"


# --textconv


def test_textconv_prints_a_canonical_form(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    document = pipeline_file(
        {
            "q": {
                "description": "d",
                "collection": "c",
                "params": {"limit": {"type": "int", "default": 5}},
                "stages": [{"$match": {"n": 1}}, {"$limit": "<<limit>>"}],
                "options": {"maxTimeMS": 10},
                "version": 4,
            }
        },
        version=2,
        description="file",
    )
    path.write_text(json.dumps(document))  # one line: what git's own diff would show
    result = invoke("diff", "--textconv", str(path))
    assert result.exit_code == 0
    assert result.stdout == "\n".join(
        [
            "version: 2",
            'description: "file"',
            "",
            "== pipeline q",
            "version: 4",
            'description: "d"',
            'collection: "c"',
            "params:",
            '  limit: {"type": "int", "default": 5}',
            "options:",
            "  maxTimeMS: 10",
            "",
            "-- stage 0 $match",
            "{",
            '  "$match": {',
            '    "n": 1',
            "  }",
            "}",
            "",
            "-- stage 1 $limit",
            "{",
            '  "$limit": "<<limit>>"',
            "}",
            "",
        ]
    )


@pytest.mark.parametrize(
    ("content", "first_line"),
    [
        ("{not json", "# not a valid pipeline file"),
        ("[1, 2]", '# not a pipeline file (no "pipelines" or "fragments" object)'),
    ],
)
def test_textconv_shows_other_files_as_they_are(
    tmp_path: Path, content: str, first_line: str
) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    result = invoke("diff", "--textconv", str(path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == first_line
    assert result.stdout.rstrip("\n").endswith(content.replace("[1, 2]", "]"))


def test_textconv_shows_a_binary_file_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    data = b"\x89PNG\r\n\x1a\n\x00\xff\xfe{\xe9}"
    path.write_bytes(data)
    result = invoke("diff", "--textconv", str(path))
    assert result.exit_code == 0
    header, _, rest = result.stdout_bytes.partition(b"\n")
    assert header == b"# not a valid pipeline file"
    assert rest.endswith(data + b"\n")  # as is: no U+FFFD in place of bytes that are not UTF-8
    assert "\ufffd".encode() not in result.stdout_bytes


def test_textconv_renders_fragments_like_pipelines(tmp_path: Path) -> None:
    path = tmp_path / "common.json"
    document = {
        "version": 1,
        "fragments": {
            "page": {
                "params": {"n": {"type": "int"}},
                "stages": [{"$skip": 1}, {"$limit": "<<n>>"}],
            },
            "cond": {"description": "d", "document": {"a": 1}},
        },
    }
    path.write_text(json.dumps(document))  # only fragments: still a pipeline file
    result = invoke("diff", "--textconv", str(path))
    assert result.exit_code == 0
    assert result.stdout == "\n".join(
        [
            "version: 1",
            "",
            "== fragment page",
            "params:",
            '  n: {"type": "int"}',
            "",
            "-- stage 0 $skip",
            "{",
            '  "$skip": 1',
            "}",
            "",
            "-- stage 1 $limit",
            "{",
            '  "$limit": "<<n>>"',
            "}",
            "",
            "== fragment cond",
            'description: "d"',
            "",
            "-- document",
            "{",
            '  "a": 1',
            "}",
            "",
        ]
    )
    both = {**document, "pipelines": {"p": {"collection": "c", "stages": []}}}
    path.write_text(json.dumps(both))
    lines = invoke("diff", "--textconv", str(path)).stdout.splitlines()
    assert lines[:6] == ["version: 1", "", "== pipeline p", "version: 1", 'collection: "c"', ""]
    assert lines[6] == "== fragment page"  # a section per fragment, not one line of JSON


def test_textconv_needs_one_readable_file(tmp_path: Path) -> None:
    assert invoke("diff", "--textconv").exit_code == 2
    assert invoke("diff", "--textconv", "a", "b").exit_code == 2
    result = invoke("diff", "--textconv", str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    assert "cannot read for --textconv" in result.stderr


def test_git_diff_through_the_textconv_driver(repo: Path) -> None:
    git(repo, "config", "diff.pipereg.textconv", f"{PIPEREG} diff --textconv")
    commit_files(repo, {".gitattributes": "pipelines/*.json diff=pipereg\n"}, "driver")
    one_line = pipeline_file(
        {"q": {"collection": "c", "stages": [{"$match": {"n": 1}}, {"$limit": 3}]}}
    )
    commit_files(repo, {"pipelines/orders.json": json.dumps(one_line)}, "one line")
    one_line["pipelines"]["q"]["stages"][1] = {"$limit": 4}
    (repo / "pipelines/orders.json").write_text(json.dumps(one_line))
    shown = subprocess.run(
        ["git", "diff", "--no-color"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert "-- stage 1 $limit" in shown
    assert '-  "$limit": 3' in shown
    assert '+  "$limit": 4' in shown
