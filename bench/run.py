"""Benchmark of the semester batch (run by `make bench`; figures go in the README).

Builds a fixture batch of 40 schools x every language x the handout, poster and card
layouts (those that exist) and prints: median ms per document by script group (render
and the cheap checks, one process), documents per second for a cold parallel run, the
wall time of a no-change rerun, and the peak memory of a worker. Not a test: the machine
is shared and noisy, so read medians and ratios, not single numbers.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.render import render_job  # noqa: E402
from generator.validate import load_project  # noqa: E402
from generator.verify import verify_pdf  # noqa: E402

SCHOOLS = 40
LAYOUTS = ["handout", "poster", "card"]
GROUPS = {
    "Latin/Cyrillic": {"Latn", "Cyrl"},
    "CJK/Korean": {"Hans", "Hant", "Kore"},
    "Ethiopic": {"Ethi"},
    "shaped (Arabic, Indic, Myanmar)": {"Arab", "Deva", "Beng", "Mymr"},
}
TARGETS = {"Latin/Cyrillic": 10, "shaped (Arabic, Indic, Myanmar)": 25}


def fixture_data(base: Path) -> Path:
    data = base / "data"
    shutil.copytree(ROOT / "data", data)
    lines = ["schools:"]
    for number in range(1, SCHOOLS + 1):
        lines += [f"  - id: fixture-school-{number:02d}", f'    name: "Fixture School {number:02d}"',
                  f'    address: "{number} Benchmark Road"', f'    phone: "555-01{number:02d}"', '    logo: ""',
                  "    source: benchmark fixture, not a real school"]
    (data / "schools.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def per_document_medians(data: Path, layouts: list[str]) -> dict[str, float]:
    project, _ = load_project(data, ROOT / "layouts", ROOT / "fonts")
    school = next(iter(project.schools.values()))
    layout = project.layouts["handout"]
    samples: dict[str, list[float]] = {group: [] for group in GROUPS}
    for language in project.languages.values():
        group = next(g for g, scripts in GROUPS.items() if language.script in scripts)
        render_job(project, layout, language, "letter", school)  # warm: fonts parsed, QR cached
        for _ in range(5):
            started = time.perf_counter()
            result = render_job(project, layout, language, "letter", school)
            verify_pdf(result.pdf, pages=1, lang=language.code, qr_urls=result.qr_urls, decode_qr=False)
            samples[group].append((time.perf_counter() - started) * 1000)
    return {group: statistics.median(values) for group, values in samples.items() if values}


def timed_build(data: Path, out: Path, layouts: list[str]) -> tuple[float, str]:
    command = [sys.executable, "-m", "generator", "build", "--all", "--jobs", str(os.cpu_count() or 2),
               "--data", str(data), "--out", str(out)] + [a for name in layouts for a in ("--layout", name)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    line = next((l for l in (result.stdout + result.stderr).splitlines() if l.startswith("built ")), result.stderr[-500:])
    return elapsed, line


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = fixture_data(Path(tmp))
        layouts = [name for name in LAYOUTS if (ROOT / "layouts" / name / "layout.yaml").exists()]
        print(f"fixture: {SCHOOLS} schools x {len(list((data / 'languages').glob('*.yaml')))} languages x layouts {', '.join(layouts)} x their papers; {os.cpu_count()} cores")
        print("\nmedian ms per handout (render + checks without QR decoding, one process):")
        for group, median in per_document_medians(data, layouts).items():
            target = f" (target <= {TARGETS[group]} ms)" if group in TARGETS else ""
            print(f"  {group:<34} {median:7.1f} ms{target}")
        out = Path(tmp) / "out"
        cold, line = timed_build(data, out, layouts)
        built = int(line.split()[1].rstrip(",")) if line.startswith("built ") else 0
        print(f"\ncold batch: {cold:.1f} s wall, {built} documents, {built / cold:.1f} documents/s (target: <= 40 s)")
        print(f"  {line}")
        warm, line = timed_build(data, out, layouts)
        print(f"no-change rerun: {warm:.2f} s wall (target: <= 2 s)\n  {line}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"peak RSS of a worker process: {peak_kb / 1024:.0f} MB (target: <= 300 MB)")


if __name__ == "__main__":
    main()
