"""The shared corpus of real pipelines: lint refuses none wrongly, fmt and render hold.

Runs the corpus's own check (``tools/corpus_check.py``, with this environment's ``pipereg``)
when the corpus sits beside the repository (``<repo>/../shared/corpus``), and skips otherwise.
The corpus is read in place, never copied. Findings the corpus's ``expected_findings.json``
does not list yet may be classified in ``tests/fixtures/corpus/known_findings.json`` (TRUE or
LIMITATION, with the reason); any other finding is a false positive.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
KNOWN = REPO / "tests" / "fixtures" / "corpus" / "known_findings.json"
_UNLISTED = re.compile(r"^  finding not in expected_findings\.json: (\S+?):\d+: (\S+) \S+ (\S+): ")
_SUMMARY = re.compile(
    r"(\d+) pipelines, .* fmt idempotent and value-preserving: (\d+)/(\d+), "
    r"render ok: (\d+)/(\d+)$"
)


@pytest.fixture(scope="module")
def corpus_output() -> list[str]:
    if not (CORPUS / "tools" / "corpus_check.py").is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    pipereg = Path(sys.executable).with_name("pipereg")
    done = subprocess.run(
        [sys.executable, str(CORPUS / "tools" / "corpus_check.py"), str(pipereg)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout, done.stderr[-2000:]
    return done.stdout.splitlines()


def _known() -> set[tuple[str, str, str]]:
    listed = json.loads(KNOWN.read_text(encoding="utf-8"))["findings"]
    assert all(item["class"] in ("TRUE", "LIMITATION") for item in listed)
    return {(item["file"], item["path"], item["code"]) for item in listed}


def test_lint_reports_no_false_positive_on_the_corpus(corpus_output: list[str]) -> None:
    known = _known()
    wrong = []
    for line in corpus_output:
        if line.startswith("  false positive: "):
            wrong.append(line)
        match = _UNLISTED.match(line)
        if match:
            path, code, json_path = match.groups()
            relative = "files/" + path.split("files/", 1)[-1]
            if (relative, json_path, code) not in known:
                wrong.append(line)
    assert not wrong, "\n".join(wrong)


def test_fmt_and_render_hold_for_every_corpus_pipeline(corpus_output: list[str]) -> None:
    match = _SUMMARY.search(corpus_output[-1])
    assert match, corpus_output[-5:]
    pipelines, formatted, formatted_of, rendered, rendered_of = map(int, match.groups())
    assert pipelines > 0
    problems = [line for line in corpus_output if line.startswith(("  fmt", "  render"))]
    assert (formatted, rendered) == (formatted_of, rendered_of) == (pipelines, pipelines), problems
