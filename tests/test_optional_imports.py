"""The core install imports none of the optional extras' packages (otel, pydantic, fastapi)."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import REPO

OPTIONAL = ("opentelemetry", "pydantic", "pydantic_core", "fastapi", "starlette", "wrapt")


def test_importing_pipereg_its_dao_and_cli_imports_no_optional_package() -> None:
    # A fresh interpreter: this one has imported the extras for their own tests.
    code = (
        "import sys, json\n"
        "import pipereg, pipereg.dao, pipereg.pipeline, pipereg.cli\n"
        "from pipereg import Registry\n"
        "registry = Registry.from_paths('tests/fixtures/dao')\n"
        "registry.get('shop.orders_since').parse_text({'limit': '5'})\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    loaded = set(json.loads(done.stdout))
    assert "pipereg" in loaded
    assert loaded.isdisjoint(OPTIONAL), sorted(loaded & set(OPTIONAL))


def test_the_extras_are_imported_when_used() -> None:
    code = (
        "import sys\n"
        "from pipereg import Registry\n"
        "Registry.from_paths('tests/fixtures/dao').get('shop.orders_since').params_model()\n"
        "print('pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "True"  # the check above can see an import when there is one
