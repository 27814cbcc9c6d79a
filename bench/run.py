"""Benchmark of the semester batch (run by `make bench`; figures go in the README).

Builds a fixture batch of 40 schools x every language x the handout, poster and card
layouts (those that exist) and prints: median ms per document by script group (render
and the cheap checks, one process), documents per second for a cold parallel run, the
wall time of a no-change rerun, and the peak memory of a worker. Not a test: the machine
is shared and noisy, so read medians and ratios, not single numbers.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline import run_job  # noqa: E402
from generator.plan import select  # noqa: E402
from generator.validate import load_project  # noqa: E402

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


def per_document_medians(data: Path) -> dict[str, float]:
    """What a worker spends on one handout once it has verified that kind of page (QR
    decoding and the PDF parse run once per kind): render, glyph check, page count."""
    project, problems = load_project(data, ROOT / "layouts", ROOT / "fonts")
    jobs = select(project, ["handout"], [], ["letter"], sorted(project.schools)[:6], problems)
    verified: dict = {}
    for job in jobs[:24]:
        run_job(project, job, verified)  # warm: fonts parsed, QR matrices cached, kinds verified
    samples: dict[str, list[float]] = {group: [] for group in GROUPS}
    for job in jobs[24:]:
        script = project.languages[job.lang].script
        group = next(g for g, scripts in GROUPS.items() if script in scripts)
        started = time.perf_counter()
        result = run_job(project, job, verified)
        samples[group].append((time.perf_counter() - started) * 1000)
        assert not result.error, result.error
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
        print("\nmedian ms per handout in a worker (render, glyph check, page count; one process):")
        for group, median in per_document_medians(data).items():
            target = f" (target <= {TARGETS[group]} ms)" if group in TARGETS else ""
            print(f"  {group:<34} {median:7.1f} ms{target}")
        out = Path(tmp) / "out"
        cold, line = timed_build(data, out, layouts)
        cold_line = line
        built = int(line.split()[1].rstrip(",")) if line.startswith("built ") else 0
        print(f"\ncold batch: {cold:.1f} s wall, {built} documents, {built / cold:.1f} documents/s (target: <= 40 s)")
        print(f"  {line}")
        warm, line = timed_build(data, out, layouts)
        print(f"no-change rerun: {warm:.2f} s wall (target: <= 2 s)\n  {line}")
        peak = cold_line.split("peak worker memory ")[-1] if "peak worker memory" in cold_line else "unknown"
        print(f"peak RSS of a worker process: {peak} (target: <= 300 MB)")


if __name__ == "__main__":
    main()
