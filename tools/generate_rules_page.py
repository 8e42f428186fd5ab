"""Write docs/rules.md from the table of finding codes (src/pipereg/codes.py).

Run from anywhere: ``python tools/generate_rules_page.py``. tests/test_codes.py fails while the
page and the table disagree.
"""

from __future__ import annotations

from pathlib import Path

from pipereg import codes

PAGE = Path(__file__).resolve().parent.parent / "docs" / "rules.md"

if __name__ == "__main__":
    PAGE.write_text(codes.markdown(), encoding="utf-8")
    print(f"wrote {PAGE}")
