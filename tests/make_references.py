"""Regenerate tests/reference/*.png from the fixture data (look at them before committing).

    .venv/bin/python tests/make_references.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_pixels import REFERENCE_DIR, case_name, reference_cases, reference_image  # noqa: E402


def main() -> None:
    REFERENCE_DIR.mkdir(exist_ok=True)
    for old in REFERENCE_DIR.glob("*.png"):
        old.unlink()
    for case in reference_cases():
        target = REFERENCE_DIR / f"{case_name(case)}.png"
        reference_image(case).save(target, optimize=True)
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
