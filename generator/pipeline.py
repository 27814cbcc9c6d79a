"""Pipeline: load -> validate -> plan -> render -> verify -> write, for `check` and `build`.

Everything is read and checked before anything is written, and every data problem is
reported at once. Jobs whose input hash matches the manifest are up to date and skipped.
The rest run in parallel worker processes; a job that fails is listed with its reason and
never written, so a good earlier file is never replaced by a broken one, and the other
jobs go on. After a full run (`--all`), outputs that no job makes any more are removed.
"""

from __future__ import annotations

import hashlib
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .blocks import LayoutProblem
from .errors import Loc, Problems
from .fonts import FontsNotPrepared, font_files_for
from .model import Project
from .plan import Job, select
from .render import PrintOptions, prepare_document, render_job, texts_by_language
from .template import TemplateProblem
from .validate import check_glyph_coverage, load_project
from .verify import pdf_thumbnail, verify_pdf
from .write import OutputBusy, atomic_write, inside, output_lock, read_manifest, remove_output, write_catalog, write_manifest

ROOT = Path(__file__).resolve().parent.parent
MAX_VERIFIED_AGE = timedelta(days=180)


@dataclass
class Options:
    data: Path = ROOT / "data"
    layouts_dir: Path = ROOT / "layouts"
    fonts_dir: Path = ROOT / "fonts"
    out: Path = ROOT / "output"
    layouts: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    schools: list[str] = field(default_factory=list)
    paper: str = "letter"
    strict: bool = False
    all: bool = False  # every school x language x layout x paper
    force: bool = False
    jobs: int = 1
    bleed: bool = False
    grayscale: bool = False

    @property
    def print_options(self) -> PrintOptions:
        return PrintOptions(self.bleed, self.grayscale)


@dataclass
class Outcome:
    problems: Problems
    built: list[dict] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    worker_peak_rss_kb: int = 0

    @property
    def warnings(self) -> int:
        return len(self.problems.warnings)


def load_and_plan(options: Options, all_papers: bool) -> tuple[Project | None, list[Job], Problems]:
    project, problems = load_project(options.data, options.layouts_dir, options.fonts_dir)
    if project is None:
        return None, [], problems
    papers = None if all_papers else [options.paper]
    schools = sorted(project.schools) if options.all else options.schools
    jobs = select(project, options.layouts, options.langs, papers, schools, problems, options.print_options.suffix())
    if options.strict:
        refuse_drafts(project, jobs, problems)
        refuse_unverified_links(project, problems)
    return project, jobs, problems


def refuse_drafts(project: Project, jobs: list[Job], problems: Problems) -> None:
    """The official run prints only translations a qualified translator has reviewed."""
    for code in sorted({code for job in jobs for code in (job.languages or (job.lang,))}):
        language = project.languages[code]
        if language.status == "draft":
            problems.error(
                language.string_locs.get("", Loc(language.path, 1, 1)),
                f"{code}: the translation is a draft; --strict builds only reviewed translations "
                "(set translation.status: reviewed with reviewed_by and reviewed_on once a translator has checked it)",
            )


def refuse_unverified_links(project: Project, problems: Problems, today: date | None = None) -> None:
    """A QR code must lead where it says: checked by a person within the last 180 days."""
    today = today or date.today()
    path = str(project.data_dir / "resources.yaml")
    for resource in project.resources.values():
        if resource.verified_on and date.fromisoformat(resource.verified_on) < today - MAX_VERIFIED_AGE:
            problems.error(Loc(path), f"resource '{resource.id}': verified_on {resource.verified_on} is more than 180 days ago; check {resource.url} again")


def check_documents(project: Project, jobs: list[Job], problems: Problems) -> None:
    """Template, layout XML and glyph coverage for every job, without making any PDF."""
    for job in jobs:
        for problem in document_problems(project, job):
            problems.error(*problem)


def job_languages(project: Project, job: Job):
    """The language a job's page is in, and for a multilingual page all of its languages."""
    if job.lang == "mul":
        return project.languages["en"], [project.languages[code] for code in job.languages]
    return project.languages[job.lang], None


def document_problems(project: Project, job: Job) -> list[tuple[Loc, str]]:
    layout, school = project.layouts[job.layout], project.schools[job.school]
    language, page_languages = job_languages(project, job)
    try:
        font_files_for(project.fonts, language.script)
        for fit, styles in layout.fits:
            document = prepare_document(project, layout, language, job.paper, fit, styles, school, PrintOptions(), page_languages)
    except FontsNotPrepared as exc:
        return [(Loc(str(project.data_dir.parent / "fonts" / "manifest.yaml")), str(exc))]
    except TemplateProblem as exc:
        return [(exc.loc, exc.message)]
    except LayoutProblem as exc:
        return [(Loc(layout.path), f"{job.label}: {exc}")]
    texts = texts_by_language(document.root, document.frame_language)
    return [problem for code, text in texts.items() for problem in glyph_problems(project, project.languages[code], text)]


def glyph_problems(project: Project, language, text: str) -> list[tuple[Loc, str]]:
    """Characters from data files and the template; the language's own strings are checked on load."""
    own = set("".join(language.strings.values()))
    other = "".join(ch for ch in text if ch not in own)
    found = Problems()
    check_glyph_coverage(language, {"document text (data files and template)": other},
                         font_files_for(project.fonts, language.script), found)
    return [(p.loc, p.message) for p in found.errors]


# --- the jobs -----------------------------------------------------------------------------

@dataclass
class JobResult:
    job: Job
    pdf: bytes | None = None
    thumbnail: bytes | None = None
    entry: dict | None = None
    error: str = ""
    peak_rss_kb: int = 0  # of the process that ran the job, for the benchmark


_worker: dict = {}


def _init_worker(options: Options) -> None:
    project, _ = load_project(options.data, options.layouts_dir, options.fonts_dir)
    _worker.clear()
    _worker.update(project=project, fully_verified={})


def _run_in_worker(job: Job) -> JobResult:
    import resource

    result = run_job(_worker["project"], job, _worker["fully_verified"])
    result.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def run_job(project: Project, job: Job, fully_verified: dict) -> JobResult:
    """Render and verify one job. Never raises for a problem of the job's own."""
    try:
        layout = project.layouts[job.layout]
        language, page_languages = job_languages(project, job)
        print_options = PrintOptions(bleed="-bleed" in job.variant, grayscale="-gray" in job.variant)
        result = render_job(project, layout, language, job.paper, project.schools[job.school], print_options, page_languages)
        for code, text in result.texts.items():
            for loc, message in glyph_problems(project, project.languages[code], text):
                return JobResult(job, error=f"{loc}: {message}")
        # Parsing the PDF back and decoding its QR codes from a rendering is the slow check:
        # it is done once per kind of page (same layout, paper, fit and language, so the same
        # drawing of the codes) in each worker; the same kind gives the thumbnail too.
        kind = (job.layout, job.paper, result.fit, job.lang)
        if kind not in fully_verified:
            faults = verify_pdf(result.pdf, pages=layout.pages, lang=result.lang_tag, qr_urls=result.qr_urls)
            if faults:
                return JobResult(job, error="; ".join(faults))
            fully_verified[kind] = pdf_thumbnail(result.pdf)
        elif result.pages != layout.pages:
            return JobResult(job, error=f"has {result.pages} pages; the layout must fill exactly {layout.pages}")
        return JobResult(job, result.pdf, fully_verified[kind], manifest_entry(project, job, result))
    except (LayoutProblem, TemplateProblem) as exc:
        return JobResult(job, error=str(exc))
    except Exception as exc:  # a bug must not stop the batch; it is reported with the job
        return JobResult(job, error=f"internal error ({type(exc).__name__}: {exc}); please report it")


def manifest_entry(project: Project, job: Job, result) -> dict:
    language, page_languages = job_languages(project, job)
    if page_languages:
        names = {"language": "Multilingual", "endonym": " · ".join(l.endonym for l in page_languages), "direction": "ltr",
                 "languages": list(job.languages), "search": " ".join(f"{l.name_en} {l.endonym} {l.code}" for l in page_languages)}
        statuses = {l.status for l in page_languages}
        status = "draft" if "draft" in statuses else ("reviewed" if "reviewed" in statuses else "source")
    else:
        names, status = {}, language.status
    entry = {
        "path": job.output,
        "school": job.school,
        "school_name": project.schools[job.school].name,
        "layout": job.layout,
        "lang": job.lang,
        "language": language.name_en,
        "endonym": language.endonym,
        "direction": language.direction,
        "paper": job.paper,
        "pages": result.pages,
        "bytes": len(result.pdf),
        "sha256": hashlib.sha256(result.pdf).hexdigest(),
        "qr": result.qr_urls,
        "translation_status": status,
        "reviewed_by": language.reviewed_by,
        "reviewed_on": language.reviewed_on,
        "title": result.title,
        "fit": result.fit,
        "variant": job.variant.strip("-"),
        "input_hash": job.input_hash,
        "thumbnail": thumbnail_path(job.output),
        "warnings": [],
    }
    entry.update(names)
    return entry


def thumbnail_path(output: str) -> str:
    return f"thumbnails/{output[:-4]}.png"


# --- build --------------------------------------------------------------------------------

def build(options: Options, log=print, progress=None) -> Outcome:
    project, jobs, problems = load_and_plan(options, all_papers=options.all)
    outcome = Outcome(problems)
    if project is None or problems.errors or (options.strict and problems.warnings):
        return outcome
    old = {entry["path"]: entry for entry in read_manifest(options.out)}
    todo = [job for job in jobs if options.force or not up_to_date(options.out, job, old.get(job.output))]
    outcome.up_to_date = len(jobs) - len(todo)
    try:
        with output_lock(options.out):
            entries = {path: dict(entry) for path, entry in old.items()}
            for result in _run(options, project, todo, progress):
                outcome.worker_peak_rss_kb = max(outcome.worker_peak_rss_kb, result.peak_rss_kb)
                if result.error:
                    outcome.failed.append(f"{result.job.label}: {result.error}")
                    continue
                atomic_write(inside(options.out, result.job.output), result.pdf)
                atomic_write(inside(options.out, thumbnail_path(result.job.output)), result.thumbnail)
                result.entry["warnings"] = document_warnings(project, result.job, problems)
                entries[result.job.output] = result.entry
                outcome.built.append(result.entry)
                log(f"built {result.job.output}")
            for job in jobs:  # refresh warnings of documents that were up to date
                if job.output in entries:
                    entries[job.output]["warnings"] = document_warnings(project, job, problems)
            if options.all:
                # Only within the selection: `--all --layout poster` must not touch handouts.
                planned = {job.output for job in jobs}
                in_scope = {path for path, entry in entries.items()
                            if (not options.layouts or entry["layout"] in options.layouts)
                            and (not options.langs or entry["lang"] in options.langs)}
                for path in sorted(in_scope - planned):
                    remove_output(options.out, path, thumbnail_path(path))
                    outcome.removed.append(path)
                    del entries[path]
            if entries != old or not (options.out / "index.html").exists():  # a no-change run writes nothing
                write_manifest(options.out, list(entries.values()))
                write_catalog(options.out, list(entries.values()), project)
    except OutputBusy as exc:
        outcome.failed.append(str(exc))
    return outcome


def up_to_date(out: Path, job: Job, entry: dict | None) -> bool:
    if not entry or entry.get("input_hash") != job.input_hash:
        return False
    try:
        return (out / job.output).stat().st_size == entry.get("bytes") and (out / entry["thumbnail"]).is_file()
    except (OSError, KeyError):
        return False


def _run(options: Options, project: Project, jobs: list[Job], progress):
    """Results as they finish; in worker processes when there are several cores and jobs."""
    workers = max(1, min(options.jobs or os.cpu_count() or 1, len(jobs)))
    bar = progress(len(jobs)) if progress and jobs else None
    try:
        if workers == 1:
            verified: dict = {}
            for job in jobs:
                yield run_job(project, job, verified)
                bar and bar.update(1)
            return
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(options,)) as pool:
            futures = [pool.submit(_run_in_worker, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()
                bar and bar.update(1)
    finally:
        bar and bar.close()


def document_warnings(project: Project, job: Job, problems: Problems) -> list[str]:
    """Warnings about what this document prints: its language files and the QR targets."""
    codes = job.languages or (job.lang,)
    relevant = {project.languages[code].path for code in codes} | {str(project.data_dir / "resources.yaml")}
    return sorted({p.message for p in problems.warnings if p.loc.path in relevant})


def report(problems: Problems, stream=sys.stderr) -> None:
    for problem in problems.sorted():
        print(problem, file=stream)
