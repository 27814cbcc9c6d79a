"""Regenerate tests/reference/*.png from the current layout (look at them before committing).

    .venv/bin/python tests/make_references.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from generator.render import render_job  # noqa: E402
from generator.validate import load_project  # noqa: E402
from test_pixels import REFERENCE_DIR, REFERENCE_DPI, render  # noqa: E402


def main() -> None:
    project, problems = load_project(ROOT / "data", ROOT / "layouts", ROOT / "fonts")
    if project is None:
        sys.exit("\n".join(map(str, problems.errors)))
    REFERENCE_DIR.mkdir(exist_ok=True)
    for code, language in sorted(project.languages.items()):
        pdf = render_job(project, project.layouts["handout"], language, "letter").pdf
        target = REFERENCE_DIR / f"handout-{code}-letter.png"
        render(pdf, REFERENCE_DPI).save(target, optimize=True)
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
