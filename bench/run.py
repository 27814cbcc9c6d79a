"""Benchmark of the semester batch (run by `make bench`; figures go in the README).

First, side by side with Typst (the `typst` package, installed for the benchmark only and
never used to render): the English Letter handout for 120 fixture schools, each engine
timed as a whole process from start to finish (ours: `build --jobs 1`, start-up and
validation included; Typst: bench/typst_handout.py, the same strings, organisations and QR
codes), per document, and the warm figure of each. Then a fixture batch of 40 schools x
every language x the handout, poster and card layouts: median ms per document by script
group (in one worker, every document verified), the wall time of a cold parallel run and
of a no-change rerun, and the peak memory of a worker; then the peak memory of a worker
in `build --all` of the shipped data, every layout (the language sheet and the multilingual
poster need every CJK font in one worker). Every figure is printed beside its target
(issue 17). Not a test: the machine is shared and noisy, so read medians and
ratios, not single numbers.
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

from generator.pipeline import batch_order, fewer_collections, run_job  # noqa: E402
from generator.plan import select  # noqa: E402
from generator.validate import load_project  # noqa: E402

SCHOOLS = 40
COMPARED_SCHOOLS = 120  # the side-by-side run with Typst
ROUNDS = 3  # each engine's whole-process run, alternating; the median is printed
LAYOUTS = ["handout", "poster", "card"]
GROUPS = {
    "Latin/Cyrillic": {"Latn", "Cyrl"},
    "CJK/Korean": {"Hans", "Hant", "Kore"},
    "Ethiopic": {"Ethi"},
    "shaped (Arabic, Indic, Myanmar)": {"Arab", "Deva", "Beng", "Mymr"},
}
SHAPED_RATIO = 1.5  # shaped scripts: at most 1.5 x the Latin figure
COLD_TARGET_S, RERUN_TARGET_S, WORKER_TARGET_MB = 60, 1.5, 300


def fixture_data(base: Path, schools: int = SCHOOLS) -> Path:
    data = base / "data"
    shutil.copytree(ROOT / "data", data)
    lines = ["schools:"]
    for number in range(1, schools + 1):
        lines += [f"  - id: fixture-school-{number:02d}", f'    name: "Fixture School {number:02d}"',
                  f'    address: "{number} Benchmark Road"', f'    phone: "555-01{number:02d}"', '    logo: ""',
                  "    source: benchmark fixture, not a real school"]
    (data / "schools.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def per_document_medians(data: Path) -> dict[str, float]:
    """What a worker spends on one handout once it has made and verified that kind of page
    (QR decoding and the PDF parse run once per kind): render, glyph check, page count,
    thumbnail, in CPU time. Jobs run in the order a worker gets them (pipeline.batch_order:
    every school's copy of a page in a row); each language's first school warms it up."""
    project, problems = load_project(data, ROOT / "layouts", ROOT / "fonts")
    jobs = sorted(select(project, ["handout"], [], ["letter"], sorted(project.schools)[:6], problems), key=batch_order)
    first_school = sorted(project.schools)[0]
    verified: dict = {}
    samples: dict[str, list[float]] = {group: [] for group in GROUPS}
    with fewer_collections():  # as in a worker
        for job in jobs:
            started = time.process_time()  # CPU time: what the document costs the worker, whatever else the machine runs
            result = run_job(project, job, verified)
            assert not result.error, result.error
            if job.school != first_school:  # the first copy of each page warms it up: fonts, shaping, QR decoding
                script = project.languages[job.lang].script
                samples[next(g for g, scripts in GROUPS.items() if script in scripts)].append((time.process_time() - started) * 1000)
    return {group: statistics.median(values) for group, values in samples.items() if values}


def fixture_school_ids(count: int) -> list[str]:
    return [f"fixture-school-{number:02d}" for number in range(1, count + 1)]


def whole_process(command: list[str]) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system) of a command run to its end, and its output.
    The CPU time is printed too: on a shared machine it moves less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, result.stdout + result.stderr


def warm_english_ms(data: Path) -> float:
    """Ours, warm: the English Letter handout in one process once it has made a few
    (fonts registered, QR matrices cached); every document still verified."""
    project, problems = load_project(data, ROOT / "layouts", ROOT / "fonts")
    jobs = select(project, ["handout"], ["en"], ["letter"], fixture_school_ids(COMPARED_SCHOOLS), problems)
    decoded: dict = {}
    times = []
    with fewer_collections():  # as in `build`
        for job in jobs:
            started = time.perf_counter()
            assert not run_job(project, job, decoded).error
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[5:])


def compare_with_typst(base: Path) -> None:
    data = fixture_data(base / "compare", COMPARED_SCHOOLS)
    schools = fixture_school_ids(COMPARED_SCHOOLS)
    ours_command = [sys.executable, "-m", "generator", "build", "--data", str(data), "--out", str(base / "compare-out"),
                    "--layout", "handout", "--paper", "letter", "--lang", "en", "--jobs", "1", "--force"]
    ours_command += [a for school in schools for a in ("--school", school)]
    typst_command = [sys.executable, str(ROOT / "bench" / "typst_handout.py"), str(data), str(base / "typst-out")] + schools
    ours, theirs, ours_cpu, theirs_cpu, typst_warm = [], [], [], [], []
    for _ in range(ROUNDS):
        elapsed, cpu, _output = whole_process(ours_command)
        ours.append(elapsed)
        ours_cpu.append(cpu)
        elapsed, cpu, output = whole_process(typst_command)
        theirs.append(elapsed)
        theirs_cpu.append(cpu)
        typst_warm.append(float(output.split("warm-ms-per-document ")[1].split(";")[0]))
    n = len(schools)
    ours_doc, typst_doc = statistics.median(ours) * 1000 / n, statistics.median(theirs) * 1000 / n
    ours_cpu_doc, typst_cpu_doc = statistics.median(ours_cpu) * 1000 / n, statistics.median(theirs_cpu) * 1000 / n
    ours_warm, typst_warm_ms = warm_english_ms(data), statistics.median(typst_warm)
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"English Letter handout x {n} schools, whole process (start to finish, median of {ROUNDS} alternating runs):")
    print(f"  ours  `build --jobs 1`    {ours_doc:6.1f} ms per document (target <= Typst's {typst_doc:.1f} ms: {verdict(ours_doc <= typst_doc)}); "
          f"CPU {ours_cpu_doc:.1f} ms; runs {', '.join(f'{t:.2f}' for t in ours)} s")
    print(f"  Typst 0.15 (bench only) {typst_doc:6.1f} ms per document; CPU {typst_cpu_doc:.1f} ms; "
          f"runs {', '.join(f'{t:.2f}' for t in theirs)} s")
    print(f"  warm, per document: ours {ours_warm:.1f} ms, Typst {typst_warm_ms:.1f} ms "
          f"(target: ours <= Typst's: {verdict(ours_warm <= typst_warm_ms)})")


def timed_build(data: Path, out: Path, layouts: list[str]) -> tuple[float, str]:
    command = [sys.executable, "-m", "generator", "build", "--all", "--jobs", str(os.cpu_count() or 2),
               "--data", str(data), "--out", str(out)] + [a for name in layouts for a in ("--layout", name)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    line = next((l for l in (result.stdout + result.stderr).splitlines() if l.startswith("built ")), result.stderr[-500:])
    return elapsed, line


def main() -> None:
    # Timed as a user runs it: with the generator's byte code written once (an environment
    # with PYTHONDONTWRITEBYTECODE would otherwise compile every module in every process).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator"), str(ROOT / "bench")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        compare_with_typst(Path(tmp))
        data = fixture_data(Path(tmp))
        layouts = [name for name in LAYOUTS if (ROOT / "layouts" / name / "layout.yaml").exists()]
        print(f"\nfixture: {SCHOOLS} schools x {len(list((data / 'languages').glob('*.yaml')))} languages x layouts {', '.join(layouts)} x their papers; {os.cpu_count()} cores")
        print("\nmedian CPU ms per handout in a worker, in the order a worker runs them (render, verify, thumbnail; one process):")
        medians = per_document_medians(data)
        latin = medians.get("Latin/Cyrillic")
        for group, median in medians.items():
            target = ""
            if group.startswith("shaped") and latin:
                limit = SHAPED_RATIO * latin
                target = f" (target <= {SHAPED_RATIO} x Latin = {limit:.1f} ms: {'met' if median <= limit else 'NOT met'}; {median / latin:.2f} x)"
            print(f"  {group:<34} {median:7.1f} ms{target}")
        out = Path(tmp) / "out"
        cold, line = timed_build(data, out, layouts)
        cold_line = line
        built = int(line.split()[1].rstrip(",")) if line.startswith("built ") else 0
        print(f"\ncold batch: {cold:.1f} s wall, {built} documents, {built / cold:.1f} documents/s "
              f"(target <= {COLD_TARGET_S} s: {'met' if cold <= COLD_TARGET_S else 'NOT met'})")
        print(f"  {line}")
        warm, line = timed_build(data, out, layouts)
        print(f"no-change rerun: {warm:.2f} s wall (target <= {RERUN_TARGET_S} s: {'met' if warm <= RERUN_TARGET_S else 'NOT met'})\n  {line}")
        print_peak("peak RSS of a worker process", cold_line)
        # The semester run also makes the pages that hold every language at once (the
        # language sheet, the multilingual poster): their worker needs every CJK family.
        _, line = timed_build(ROOT / "data", Path(tmp) / "every-layout", [])
        print_peak("peak RSS of a worker, every layout of the shipped data (`make`)", line)


def print_peak(label: str, line: str) -> None:
    peak = line.split("peak worker memory ")[-1] if "peak worker memory" in line else ""
    mb = int(peak.split()[0]) if peak else 0
    print(f"{label}: {peak or 'unknown'} (target <= {WORKER_TARGET_MB} MB: {'met' if peak and mb <= WORKER_TARGET_MB else 'NOT met'})")


if __name__ == "__main__":
    main()
