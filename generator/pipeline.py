"""Pipeline: load -> validate -> plan -> render -> verify -> write, for `check` and `build`.

Everything is read and checked before anything is written, and every problem is reported
at once. A job that fails rendering or verification is listed and never written, so a good
earlier file is never replaced by a broken one.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .blocks import LayoutProblem
from .errors import Loc, Problems
from .fonts import FontsNotPrepared, font_files_for
from .model import Project
from .plan import Job, select
from .render import prepare_document, render_job
from .template import TemplateProblem
from .validate import check_glyph_coverage, load_project
from .verify import verify_pdf
from .write import OutputBusy, atomic_write, inside, output_lock, write_manifest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    data: Path = ROOT / "data"
    layouts_dir: Path = ROOT / "layouts"
    fonts_dir: Path = ROOT / "fonts"
    out: Path = ROOT / "output"
    layouts: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    paper: str = "letter"
    strict: bool = False


@dataclass
class Outcome:
    problems: Problems
    built: list[dict] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def ok(self, strict: bool) -> bool:
        return not self.failed and not self.problems.failed(strict)


def load_and_plan(options: Options, all_papers: bool) -> tuple[Project | None, list[Job], Problems]:
    project, problems = load_project(options.data, options.layouts_dir, options.fonts_dir)
    if project is None:
        return None, [], problems
    papers = sorted(project.papers) if all_papers else [options.paper]
    jobs = []
    for paper in papers:
        chosen = [n for n in (options.layouts or sorted(project.layouts)) if not all_papers or paper in project.layouts.get(n).papers]
        if chosen:
            jobs += select(project, chosen, options.langs, paper, problems)
    check_documents(project, jobs, problems)
    if options.strict:
        refuse_drafts(project, jobs, problems)
    return project, jobs, problems


def refuse_drafts(project: Project, jobs: list[Job], problems: Problems) -> None:
    """The official run prints only translations a qualified translator has reviewed."""
    for code in sorted({job.lang for job in jobs}):
        language = project.languages[code]
        if language.status == "draft":
            problems.error(
                language.string_locs.get("", Loc(language.path, 1, 1)),
                f"{code}: the translation is a draft; --strict builds only reviewed translations "
                "(set translation.status: reviewed with reviewed_by and reviewed_on once a translator has checked it)",
            )


def check_documents(project: Project, jobs: list[Job], problems: Problems) -> None:
    """Template, layout XML and glyph coverage for every job, without making any PDF."""
    for job in jobs:
        layout, language = project.layouts[job.layout], project.languages[job.lang]
        try:
            font_paths = font_files_for(project.fonts, language.script)
        except FontsNotPrepared as exc:
            problems.error(Loc(str(project.data_dir.parent / "fonts" / "manifest.yaml")), str(exc))
            return
        try:
            for fit, styles in layout.fits:
                root = prepare_document(project, layout, language, job.paper, fit, styles).root
        except TemplateProblem as exc:
            problems.error(exc.loc, exc.message)
            continue
        except LayoutProblem as exc:
            problems.error(Loc(layout.path), f"{job.layout}/{job.lang}/{job.paper}: {exc}")
            continue
        # Characters from data files and the template; the language's own strings were checked above.
        own = set("".join(language.strings.values()))
        other = "".join(ch for ch in "".join(root.itertext()) + root.get("title", "") if ch not in own)
        check_glyph_coverage(language, {"document text (data files and template)": other}, font_paths, problems)


def build(options: Options, log=print) -> Outcome:
    project, jobs, problems = load_and_plan(options, all_papers=False)
    outcome = Outcome(problems)
    if project is None or problems.failed(options.strict):
        return outcome
    rendered = []
    for job in jobs:
        started = time.perf_counter()
        label = f"{job.layout}/{job.lang}/{job.paper}"
        try:
            result = render_job(project, project.layouts[job.layout], project.languages[job.lang], job.paper)
        except (LayoutProblem, TemplateProblem) as exc:
            outcome.failed.append(f"{label}: {exc}")
            continue
        faults = verify_pdf(result.pdf, pages=project.layouts[job.layout].pages, lang=job.lang, qr_urls=result.qr_urls)
        if faults:
            outcome.failed.extend(f"{label}: {fault}" for fault in faults)
            continue
        rendered.append((job, result))
        log(f"built {job.output} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    if not rendered:
        return outcome
    try:
        with output_lock(options.out):
            for job, result in rendered:
                atomic_write(inside(options.out, job.output), result.pdf)
                outcome.built.append(manifest_entry(project, job, result))
            write_manifest(options.out, outcome.built)
    except OutputBusy as exc:
        outcome.failed.append(str(exc))
    return outcome


def manifest_entry(project: Project, job: Job, result) -> dict:
    import hashlib

    language = project.languages[job.lang]
    return {
        "path": job.output,
        "layout": job.layout,
        "lang": job.lang,
        "language": language.name_en,
        "endonym": language.endonym,
        "paper": job.paper,
        "pages": result.pages,
        "sha256": hashlib.sha256(result.pdf).hexdigest(),
        "qr": result.qr_urls,
        "translation_status": language.status,
        "title": result.title,
        "fit": result.fit,
        "input_hash": job.input_hash,
    }


def report(problems: Problems, stream=sys.stderr) -> None:
    for problem in problems.sorted():
        print(problem, file=stream)
