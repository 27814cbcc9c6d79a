"""Pipeline: load -> validate -> plan -> render -> verify -> write, for `check` and `build`.

Everything is read and checked before anything is written, and every data problem is
reported at once. Jobs whose input hash matches the manifest are up to date and skipped.
The rest run in parallel worker processes; a job that fails is listed with its reason and
never written, so a good earlier file is never replaced by a broken one, and the other
jobs go on. After a full run (`--all`), outputs that no job makes any more are removed.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .blocktree import LayoutProblem
from .catalog import catalog_current
from .claims import advice_on_page, page_source_ids
from .errors import Loc, Problems
from .manifest import ManifestEntry, PrintedCode, Verified
from .model import PrintOptions, Project
from .plan import Job, select
from .template import TemplateProblem, names_the_school
from .validate import font_characters, lacking_characters, load_project
from .write import OutputBusy, Placer, atomic_write_all, output_lock, read_manifest, remove_output, write_catalog, write_manifest

# The rendering side (ReportLab, PDFium, pikepdf, qrcode: layout, render, verify, qr, fonts) is
# imported where a document is made or checked, not here: a run that finds everything up to
# date never needs it, and importing it was a third of that run's time.
if TYPE_CHECKING:
    from .render import Rendered

ROOT = Path(__file__).resolve().parent.parent
MAX_VERIFIED_AGE = timedelta(days=180)
# Documents are written (and flushed to disk) together, at most 64 at a time and at least
# every quarter of a second: one flush instead of two per document, and finished documents
# still reach the output while a long run goes on.
WRITE_BATCH, WRITE_INTERVAL = 64, 0.25


@dataclass
class Options:
    data: Path = ROOT / "data"
    layouts_dir: Path = ROOT / "layouts"
    fonts_dir: Path = ROOT / "fonts"
    out: Path = ROOT / "output"
    layouts: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    schools: list[str] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)  # none named: each layout's own first paper (all with --all)
    strict: bool = False
    all: bool = False  # every school x language x layout x paper
    force: bool = False
    jobs: int = 1
    bleed: bool = False
    grayscale: bool = False

    @property
    def print_options(self) -> PrintOptions:
        return PrintOptions(self.bleed, self.grayscale)

    @property
    def fonts_manifest(self) -> Path:
        return self.fonts_dir / "manifest.yaml"


@dataclass
class Outcome:
    problems: Problems
    built: list[ManifestEntry] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    worker_peak_rss_kb: int = 0
    project: Project | None = None  # the validated project the run used (the web edition reuses it)

    @property
    def warnings(self) -> int:
        return len(self.problems.warnings)


def load_and_plan(options: Options, all_papers: bool) -> tuple[Project | None, list[Job], Problems]:
    project, problems = load_project(options.data, options.layouts_dir, options.fonts_dir)
    if project is None:
        return None, [], problems
    # Every selector narrows the run the same way, --all included; --all widens only what is not named.
    schools = options.schools or (sorted(project.schools) if options.all else [])
    jobs = select(project, options.layouts, options.langs, options.papers or None, schools, problems, options.print_options,
                  every_paper=all_papers)
    if options.strict:
        refuse_drafts(project, jobs, problems)
        refuse_unverified_links(project, problems)
        refuse_unchecked_sources(project, jobs, problems)
        refuse_unreviewed_advice(project, jobs, problems)
    return project, jobs, problems


def refuse_drafts(project: Project, jobs: list[Job], problems: Problems) -> None:
    """The official run prints only translations a qualified translator has reviewed."""
    for code in sorted({code for job in jobs for code in job.languages}):
        language = project.languages[code]
        if language.status == "draft":
            problems.error(
                language.string_locs.get("", Loc(language.path, 1, 1)),
                f"{code}: the translation is a draft; --strict builds only reviewed translations "
                "(set translation.status: reviewed with reviewed_by and reviewed_on once a translator has checked it)",
            )


def refuse_unchecked_sources(project: Project, jobs: list[Job], problems: Problems) -> None:
    """A page prints the date a person verified its sources; a page whose sources no one
    has verified says so, and the official run refuses it."""
    ledger = project.ledger
    used: dict[str, set[str]] = {}
    for name in sorted({job.layout for job in jobs}):
        for sid in page_source_ids(ledger, project.layouts[name].template_source):
            used.setdefault(sid, set()).add(name)
    for sid in sorted(used):
        source = ledger.sources[sid]
        if not source.verified_on:
            problems.error(source.loc, f"source '{sid}' ({source.title}) is not verified; the {', '.join(sorted(used[sid]))} "
                           "pages rest on it. A person reads it, then runs `review verify --source "
                           f"{sid} --by NAME --on YYYY-MM-DD`")


def refuse_unreviewed_advice(project: Project, jobs: list[Job], problems: Problems) -> None:
    """Legal advice is printed in the official run only after an immigration attorney or
    accredited representative has reviewed it."""
    ledger = project.ledger
    if ledger.legal_review.done:
        return
    if any(advice_on_page(ledger, project.layouts[name].template_source) for name in {job.layout for job in jobs}):
        problems.error(Loc(ledger.claims_path), "the door advice has no legal review yet: an immigration attorney or "
                       "accredited representative must review it (`review legal --by NAME --on YYYY-MM-DD --role "
                       "\"immigration attorney\"`); until then it is a draft, in English too")


def refuse_unverified_links(project: Project, problems: Problems, today: date | None = None) -> None:
    """A QR code must lead where it says: checked by a person within the last 180 days."""
    today = today or date.today()
    path = str(project.data_dir / "resources.yaml")
    for resource in project.resources.values():
        if resource.verified_on and date.fromisoformat(resource.verified_on) < today - MAX_VERIFIED_AGE:
            problems.error(Loc(path), f"resource '{resource.id}': verified_on {resource.verified_on} is more than 180 days ago; check {resource.url} again")


def check_documents(project: Project, jobs: list[Job], problems: Problems) -> None:
    """Everything `build` does before drawing, for every job: template, vocabulary, layout
    (every overflow is found here) and glyph coverage, without making any PDF."""
    for job in jobs:
        warnings: list[tuple[Loc, str]] = []
        for problem in document_problems(project, job, warnings):
            problems.error(*problem)
        for warning in warnings:
            problems.warning(*warning)


def page_count_warning(layout, job: Job, pages: int) -> str:
    """A layout that continues (the language sheet) and needs more pages than it is made for:
    not wrong, but staff must print every page, and the official run (--strict) refuses it."""
    if not layout.continues or pages <= layout.pages:
        return ""
    return (f"{job.label}: the document continues onto {pages} pages for {len(job.languages)} languages; layout "
            f"'{layout.name}' is made for {layout.pages} (pages: in its layout.yaml). Print every page, or declare "
            f"pages: {pages} there if that is intended")


def job_languages(project: Project, job: Job):
    """The language a job's page is framed in, and for a page in several languages all of them."""
    if job.page_languages:
        return project.languages["en"], [project.languages[code] for code in job.page_languages]
    return project.languages[job.lang], None


def document_problems(project: Project, job: Job, warnings: list | None = None) -> list[tuple[Loc, str]]:
    """The errors of one document (and in `warnings`, its warnings)."""
    from .fontmanifest import FontsNotPrepared, font_files_for
    from .layout import Overflow, lay_out
    layout, school = project.layouts[job.layout], project.schools[job.school]
    language, page_languages = job_languages(project, job)
    try:
        font_files_for(project.fonts, language.script)
        laid_out = lay_out(project, layout, language, job.paper, school, job.print, page_languages)
    except FontsNotPrepared as exc:
        return [(Loc(str(project.fonts.build_dir.parent / "manifest.yaml")), str(exc))]
    except TemplateProblem as exc:
        return [(exc.loc, f"{job.label}: {exc.message}")]
    except Overflow as exc:  # the words do not fit: the translation (or English) to shorten
        where = page_languages[-1] if page_languages else language
        return [(where.string_locs.get("", Loc(where.path, 1, 1)), f"{job.label}: {exc}")]
    except LayoutProblem as exc:
        return [(Loc(str(layout.directory / layout.template_name), 1, 1), f"{job.label}: {exc}")]
    more_pages = page_count_warning(layout, job, len(laid_out.pages))
    if more_pages and warnings is not None:
        warnings.append((layout.pages_loc or Loc(layout.path), more_pages))
    return [problem for code, text in laid_out.texts.items() for problem in glyph_problems(project, project.languages[code], text, layout)]


def glyph_problems(project: Project, language, text: str, layout=None) -> list[tuple[Loc, str]]:
    """Characters from data files and the template that the page's font lacks (ReportLab
    would drop them silently); the language's own strings are checked on load. Each is
    reported where it is written (the data file's line, or the template's), and once per
    font family: every page in that font has the same problem."""
    from .fontmanifest import font_files_for
    missing = sorted(lacking_characters(set(text) - own_characters(language), font_files_for(project.fonts, language.script)))
    family = project.fonts.scripts[language.script].family
    template = layout.directory / layout.template_name if layout is not None else None
    return [(where_written(project.data_dir, template, ch) or Loc(language.path, 1, 1),
             f"'{ch}' (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}) is printed on pages set in the {family} "
             "font, which lacks it: write it another way, or leave it out") for ch in missing]


def where_written(data_dir: Path, template: Path | None, ch: str) -> Loc | None:
    """The first place a data file (languages last) or the page's template holds `ch`."""
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".csv")
                   and "languages" not in p.relative_to(data_dir).parts)
    files += [template] if template is not None else []
    files += sorted((data_dir / "languages").glob("*.yaml"))
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            if ch in line:
                return Loc(str(path), number, line.index(ch) + 1)
    return None


_own_characters: dict[int, tuple[object, frozenset[str]]] = {}


def own_characters(language) -> frozenset[str]:
    """The characters of a language's own strings, gathered once per language object (it
    cost a millisecond a document). Each entry keeps its language alive, so its id is not
    another's. Strings changed in place later can only make the document check check more."""
    known = _own_characters.get(id(language))
    if known is None:
        if len(_own_characters) >= 256:
            _own_characters.clear()
        known = _own_characters[id(language)] = (language, frozenset("".join(language.strings.values())))
    return known[1]


# --- the jobs -----------------------------------------------------------------------------

@dataclass
class JobResult:
    job: Job
    pdf: bytes | None = None
    thumbnail: bytes | None = None
    entry: ManifestEntry | None = None
    error: str = ""
    peak_rss_kb: int = 0  # of the process that ran the job, for the benchmark
    warnings: tuple[str, ...] = ()  # about this document (a continuing layout that needed more pages)


_worker: dict = {}


def _init_worker(project: Project) -> None:
    """A worker receives the project that was validated, planned and hashed: it never reads
    the data again, so an edit during a run cannot make a document disagree with its hash."""
    _worker.clear()
    _worker.update(project=project, decoded={}, thumbnails={})
    # What the worker inherits (the project, the imported modules) lives as long as it does:
    # the cycle collector need not look through it again at every full collection.
    gc.freeze()


def job_families(project: Project, job: Job) -> set[str]:
    """The font families a job's page uses (its languages', and English's for the frame)."""
    codes = set(job.languages) | {"en"}
    return {project.fonts.scripts[project.languages[code].script].family for code in codes}


def _run_in_worker(task: list[Job]) -> list[JobResult]:
    import resource

    results = [run_job(_worker["project"], job, _worker["decoded"], _worker["thumbnails"]) for job in task]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for result in results:
        result.peak_rss_kb = peak
    return results


def run_job(project: Project, job: Job, decoded: dict[str, str],
            thumbnails: dict[bytes, tuple[str, bytes, bytes]] | None = None) -> JobResult:
    """Render and verify one job. Never raises for a problem of the job's own.
    `decoded` maps the fingerprint of each QR drawing already decoded to the document it
    was decoded in (per worker); `thumbnails`, if given, the documents whose thumbnail was
    rendered in this worker (see thumbnail_of)."""
    from .render import render_for_school
    from .verify import open_pdf
    try:
        layout = project.layouts[job.layout]
        language, page_languages = job_languages(project, job)
        result = render_for_school(project, layout, language, job.paper, project.schools[job.school], job.print, page_languages)
        for code, text in result.texts.items():
            for loc, message in glyph_problems(project, project.languages[code], text, layout):
                return JobResult(job, error=f"{loc}: {message}")
        # A continuing layout has the pages its layout stage made; the PDF must have them all.
        pages = result.pages if layout.continues else layout.pages
        document = open_pdf(result.pdf)  # pdfium reads the bytes once, for the QR check and the thumbnail
        try:
            verified, faults = verify_document(job, result, pages, decoded, document)
            faults += redirect_faults(project, result)
            if faults:
                return JobResult(job, error="; ".join(faults))
            # Only a page no school changes can be byte-identical to another school's copy.
            same_for_all = thumbnails if not names_the_school(layout) else None
            thumbnail, made_from = thumbnail_of(result.pdf, document, job.output, same_for_all)
        finally:
            document.close()
        more_pages = page_count_warning(layout, job, result.pages)
        verified = replace(verified, thumbnail=made_from)
        return JobResult(job, result.pdf, thumbnail, manifest_entry(project, job, result, verified),
                         warnings=(more_pages,) if more_pages else ())
    except (LayoutProblem, TemplateProblem) as exc:
        return JobResult(job, error=str(exc))
    except Exception as exc:  # a bug must not stop the batch; it is reported with the job
        return JobResult(job, error=f"internal error ({type(exc).__name__}: {exc}); please report it")


MAX_THUMBNAILS = 64  # per worker: the card's documents of a run, by language and paper; emptied when full


def thumbnail_of(pdf: bytes, document, output: str, thumbnails: dict | None) -> tuple[bytes, str]:
    """The document's thumbnail and what the manifest says of it: "own" (rendered from this
    document), or "identical-to <path>" when this worker has rendered the thumbnail of a
    document of exactly these bytes (every school's copy of the wallet card): the same
    bytes render the same picture."""
    from .verify import pdf_thumbnail
    digest = hashlib.sha256(pdf).digest() if thumbnails is not None else b""
    known = thumbnails.get(digest) if thumbnails is not None else None
    if known is not None and known[1] == pdf:
        return known[2], f"identical-to {known[0]}"
    png = pdf_thumbnail(pdf, document)
    if thumbnails is not None:
        if len(thumbnails) >= MAX_THUMBNAILS:
            thumbnails.clear()
        thumbnails[digest] = (output, pdf, png)
    return png, "own"


def redirect_faults(project: Project, result: Rendered) -> list[str]:
    """Each code's address must lead to the destination the manifest will record: with
    web_base, a go/ address is exactly the redirect the web edition writes to it."""
    from .addresses import GO, language_page, targets

    if not project.web_base:
        return [f"the code for {url} was to lead to {final}" for url, final in zip(result.qr_urls, result.qr_destinations) if url != final]
    known = {f"{project.web_base}/{GO}/{t.name}": t.destination for t in targets(project)}
    known.update({language_page(project, code): language_page(project, code) for code in project.languages})
    return [f"the code {url} does not lead to {final} (the redirect leads to {known.get(url, 'nowhere')})"
            for url, final in zip(result.qr_urls, result.qr_destinations) if known.get(url) != final]


def verify_document(job: Job, result: Rendered, pages: int, decoded: dict[str, str],
                    document=None) -> tuple[Verified | None, list[str]]:
    """Read this document back: pages, /Lang, title, fonts. Its QR codes are decoded from a
    150 dpi rendering, unless every code's drawing (its exact operators and position) is
    byte-identical to one already decoded in another document; then that document is named.
    What a code must decode to is the address it encodes (with web_base, the district's
    go/ address, not the resource behind it)."""
    from .verify import decode_qr_codes, pdf_facts, verify_facts
    facts = pdf_facts(result.pdf)
    faults = verify_facts(facts, pages=pages, lang=result.lang_tag)
    drawn = sorted(url for url, _ in result.qr_drawings)
    if drawn != sorted(result.qr_urls):
        faults.append(f"the page draws QR codes for {drawn}, the layout placed {sorted(result.qr_urls)}")
    if faults:
        return None, faults
    sources = {decoded.get(fingerprint) for _, fingerprint in result.qr_drawings}
    if result.qr_drawings and None not in sources:
        qr = "identical-to " + sorted(sources)[0]
    else:
        found = Counter(decode_qr_codes(result.pdf, document=document))
        if found != Counter(result.qr_urls):
            missing, extra = sorted((Counter(result.qr_urls) - found).elements()), sorted((found - Counter(result.qr_urls)).elements())
            return None, [f"QR codes do not decode as expected at 150 dpi (missing: {missing}, unexpected: {extra})"]
        for _, fingerprint in result.qr_drawings:
            decoded.setdefault(fingerprint, job.output)
        qr = "decoded" if result.qr_drawings else "none on the page"
    fonts = f"all embedded ({len(facts['fonts'])})"
    return Verified(facts["pages"], facts["lang"], facts["title"], fonts, qr), []


def manifest_entry(project: Project, job: Job, result: Rendered, verified: Verified) -> ManifestEntry:
    language, page_languages = job_languages(project, job)
    if page_languages:
        statuses = {l.status for l in page_languages}
        status = "draft" if "draft" in statuses else ("reviewed" if "reviewed" in statuses else "source")
        name, endonym = "Multilingual", " · ".join(l.endonym for l in page_languages)
        search = " ".join(f"{l.name_en} {l.endonym} {l.code}" for l in page_languages)
        direction = "ltr"
    else:
        status, name, endonym, search, direction = language.status, language.name_en, language.endonym, "", language.direction
    return ManifestEntry(
        path=job.output, school=job.school, school_name=project.schools[job.school].name, layout=job.layout,
        lang=job.lang, language=name, endonym=endonym, direction=direction, paper=job.paper, variant=job.print.name,
        pages=result.pages, bytes=len(result.pdf), sha256=hashlib.sha256(result.pdf).hexdigest(), qr=tuple(result.qr_urls),
        translation_status=status, reviewed_by=language.reviewed_by, reviewed_on=language.reviewed_on,
        title=result.title, fit=result.fit, input_hash=job.input_hash, thumbnail=thumbnail_path(job.output),
        verified=verified, languages=job.page_languages, search=search, qr_codes=printed_codes(result),
    )


def printed_codes(result: Rendered) -> tuple[PrintedCode, ...]:
    from .qr import MM, QUIET_ZONE, qr_matrix
    codes = []
    destinations = result.qr_destinations or tuple(url for url, _ in result.qr_printed)
    for (url, size), destination in zip(result.qr_printed, destinations):
        modules = len(qr_matrix(url))
        module_mm = size / modules / MM
        codes.append(PrintedCode(url, round(module_mm * (modules - 2 * QUIET_ZONE), 2), round(module_mm, 3), destination))
    return tuple(codes)


def thumbnail_path(output: str) -> str:
    return f"thumbnails/{output[:-4]}.png"


# --- build --------------------------------------------------------------------------------

def build(options: Options, log=print, progress=None) -> Outcome:
    with fewer_collections():  # forked workers inherit it
        return _build(options, log, progress)


def _build(options: Options, log, progress) -> Outcome:
    project, jobs, problems = load_and_plan(options, all_papers=options.all)
    outcome = Outcome(problems, project=project)
    if project is None or problems.errors or (options.strict and problems.warnings):
        return outcome
    old = {entry.path: entry for entry in read_manifest(options.out)}
    todo = [job for job in jobs if options.force or not up_to_date(options.out, job, old.get(job.output))]
    outcome.up_to_date = len(jobs) - len(todo)
    try:
        with output_lock(options.out):
            entries = dict(old)
            fonts_ahead = catalog_fonts_ahead(options, project, todo, old.values())
            pending: list[JobResult] = []

            place = Placer(options.out)

            def write_pending() -> None:
                atomic_write_all([(place(path), data) for result in pending
                                  for path, data in ((result.job.output, result.pdf),
                                                     (thumbnail_path(result.job.output), result.thumbnail))])
                for result in pending:
                    entries[result.job.output] = result.entry
                    outcome.built.append(result.entry)
                    log(f"built {result.job.output}")
                pending.clear()

            pending_since = time.monotonic()
            for result in _run(options, project, todo, progress):
                outcome.worker_peak_rss_kb = max(outcome.worker_peak_rss_kb, result.peak_rss_kb)
                if result.error:
                    outcome.failed.append(f"{result.job.label}: {result.error}")
                    continue
                if result.warnings and options.strict:  # the official run: as `check --strict` would
                    outcome.failed.append(f"{result.job.label}: {'; '.join(result.warnings)} (--strict)")
                    continue
                pending.append(result)
                if len(pending) >= WRITE_BATCH or time.monotonic() - pending_since >= WRITE_INTERVAL:
                    write_pending()
                    pending_since = time.monotonic()
            write_pending()
            for job in jobs:  # warnings of this run, for documents built now or up to date
                if job.output in entries:
                    more_pages = page_count_warning(project.layouts[job.layout], job, entries[job.output].pages)
                    if more_pages:
                        problems.warning(project.layouts[job.layout].pages_loc or Loc(project.layouts[job.layout].path), more_pages)
                    warnings = tuple(document_warnings(project, job, problems))
                    if warnings != entries[job.output].warnings:
                        entries[job.output] = entries[job.output].with_warnings(list(warnings))
            outcome.built = [entries[e.path] for e in outcome.built]
            if options.all:
                for path in sorted(no_longer_made(entries.values(), jobs, options)):
                    remove_output(options.out, path, thumbnail_path(path))
                    outcome.removed.append(path)
                    del entries[path]
            # A no-change run writes nothing (but replaces a catalog older code wrote).
            if entries != old or not catalog_current(options.out / "index.html"):
                write_manifest(options.out, list(entries.values()))
                take_catalog_fonts(fonts_ahead)
                write_catalog(options.out, list(entries.values()), project)
    except OutputBusy as exc:
        outcome.failed.append(str(exc))
    return outcome


def catalog_fonts_ahead(options: Options, project: Project, jobs: list[Job], old) -> Future | None:
    """The fonts the catalog will set language names in, made by a process of their own while
    the documents are made, when several workers make them: otherwise the catalog, written
    last, waits seconds for its CJK subsets after the last document. A language the run did
    not foresee is simply subset when the catalog is written."""
    if worker_count(options, jobs) == 1:
        return None
    codes = sorted({job.lang for job in jobs} | {entry.lang for entry in old})
    side = ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(project,))
    future = side.submit(_catalog_fonts_in_worker, codes)
    side.shutdown(wait=False)  # its process ends when its one task is done
    return future


def _catalog_fonts_in_worker(codes: list[str]):
    from .catalog import endonym_subsets_ahead
    return endonym_subsets_ahead(_worker["project"], codes)


def take_catalog_fonts(future: Future | None) -> None:
    """The subsets made ahead, if they were made; a failure is left to the catalog's own
    subsetting, which reports it where it always has."""
    from .catalog import keep_subsets
    if future is None:
        return
    try:
        keep_subsets(future.result())
    except Exception:  # noqa: BLE001  (made again, and any error raised, by write_catalog)
        pass


def no_longer_made(entries, jobs: list[Job], options: Options) -> set[str]:
    """Outputs within this run's selection that no job makes any more. Only within the
    selection: `--all --layout poster` must not touch handouts, `--all --paper a4` not the
    Letter files, `--all --school X` not another school's, and a print variant (plain,
    -bleed, -gray) is its own set of outputs that only a run of it may remove."""
    planned = {job.output for job in jobs}
    variant = options.print_options.name
    in_scope = {entry.path for entry in entries
                if entry.variant == variant
                and (not options.layouts or entry.layout in options.layouts)
                and (not options.langs or entry.lang in options.langs)
                and (not options.papers or entry.paper in options.papers)
                and (not options.schools or entry.school in options.schools)}
    return in_scope - planned


def up_to_date(out: Path, job: Job, entry: ManifestEntry | None) -> bool:
    if entry is None or entry.input_hash != job.input_hash:
        return False
    try:  # os.path rather than pathlib: a no-change rerun asks this of every document
        return os.stat(os.path.join(out, job.output)).st_size == entry.bytes and os.path.isfile(os.path.join(out, entry.thumbnail))
    except OSError:
        return False


def _run(options: Options, project: Project, jobs: list[Job], progress):
    """Results as they finish; in worker processes when there are several cores and jobs."""
    from .fontmanifest import large_families
    workers = worker_count(options, jobs)
    bar = progress(len(jobs)) if progress and jobs else None
    large = large_families(project)
    try:
        if workers == 1:
            decoded: dict[str, str] = {}
            thumbnails: dict = {}
            for job in in_batch_order(project, jobs):
                yield run_job(project, job, decoded, thumbnails)
                bar and bar.update(1)
            return
        from . import render, verify  # noqa: F401  (imported once here: every forked worker inherits them)

        # Jobs grouped by the large (CJK) font family they need, each group run by workers of
        # its own: a worker holds one such family instead of all three (120 MB each once
        # parsed), and new workers start clean instead of carrying the last family's heap.
        # A document's bytes do not depend on which worker made it or when.
        groups: dict[tuple[str, ...], list[Job]] = {}
        for job in jobs:
            groups.setdefault(tuple(sorted(large & job_families(project, job))), []).append(job)
        font_characters.cache_clear()  # the validation's glyph sets: forked workers would inherit them
        for key in sorted(groups):
            tasks = batch_tasks(project, groups[key])
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_init_worker,
                                     initargs=(project,)) as pool:
                # as_completed lets go of each future once yielded; a list of them would keep
                # every finished document's bytes in memory to the group's end (and the next
                # group's workers, forked from this process, would start with them).
                finishing = as_completed([pool.submit(_run_in_worker, task) for task in tasks])
                for future in finishing:
                    for result in future.result():
                        yield result
                        bar and bar.update(1)
    finally:
        bar and bar.close()


# CPython's cycle collector by default looks at the youngest objects every 700 allocations
# and, every so often, through everything alive. A build makes many objects that live to its
# end (the data, the plan, a semester's 20 MB manifest) and a worker keeps large caches alive
# (shaped words, paragraphs, fonts: 200,000-450,000 objects), so each full collection took
# about 0.2 s: a worker of the 7,680-document batch spent 4.8 s of its 45 s in the collector,
# and reading the manifest took a third longer than with the collector off. A document leaves
# only a few hundred objects in reference cycles (the rest is freed at once by reference
# counting), so looking at the youngest objects 14 times less often costs little memory: the
# worker spent 3.0 s in the collector, and its peak was 25 MB higher (250 MB of the 300 MB
# allowed; `build --all`'s peak, 289 MB, did not move).
BUILD_GC_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def fewer_collections():
    """The cycle collector's thresholds for a build, restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def worker_count(options: Options, jobs: list[Job]) -> int:
    return max(1, min(options.jobs or os.cpu_count() or 1, len(jobs)))


def batch_order(job: Job, papers_together: bool = False) -> tuple:
    """The order workers get jobs in: every school's copy of one page in a row, so that a
    worker's cached paragraphs (measured at that paper's width), shaped words, font subsets
    and shared documents are the ones its next job needs, and a small cache serves the whole
    batch. For a layout laid out once for all its papers (the poster, see
    render.laid_out_for_paper), each school's papers one after the other instead."""
    if papers_together:
        return job.layout, job.print.name, job.lang, job.school, job.paper
    return job.layout, job.paper, job.print.name, job.lang, job.school


def papers_together(project: Project, job: Job) -> bool:
    from .render import one_layout_for_every_paper
    return one_layout_for_every_paper(project.layouts[job.layout])


def in_batch_order(project: Project, jobs: list[Job]) -> list[Job]:
    return sorted(jobs, key=lambda job: batch_order(job, papers_together(project, job)))


def batch_tasks(project: Project, jobs: list[Job]) -> list[list[Job]]:
    """The jobs in batch order, every school's copy of one page (in one language, on one
    paper, or on all the papers of a page laid out once for all of them) as one task: one
    worker makes them all, so each worker learns a page (fonts, shaped words, subsets, the
    shared card or poster layout) once, not every worker for every page."""
    tasks: list[list[Job]] = []
    for job in in_batch_order(project, jobs):
        last = tasks[-1][-1] if tasks else None
        same_page = last is not None and task_key(project, last) == task_key(project, job)
        # A task's documents wait in the worker until the task ends: at most MAX_TASK of them,
        # cut between schools (never between a school's papers of a poster).
        if same_page and (len(tasks[-1]) < MAX_TASK or job.school == last.school):
            tasks[-1].append(job)
        else:
            tasks.append([job])
    return tasks


MAX_TASK = 40  # documents; a handout's 40 copies are about 6 MB


def task_key(project: Project, job: Job) -> tuple:
    together = papers_together(project, job)
    return batch_order(job, together)[:3 if together else 4]  # all but the school (and the paper)


def document_warnings(project: Project, job: Job, problems: Problems) -> list[str]:
    """Warnings about what this document prints: its language files and the QR targets."""
    if not problems.warnings:
        return []
    relevant = {project.languages[code].path for code in job.languages} | {str(project.data_dir / "resources.yaml")}
    own = (project.layouts[job.layout].path, f"{job.label}:")  # a layout's warning about this very document
    return sorted({p.message for p in problems.warnings
                   if p.loc.path in relevant or (p.loc.path == own[0] and p.message.startswith(own[1]))})


def report(problems: Problems, stream=None) -> None:
    stream = stream or sys.stderr  # looked up now: a caller may have redirected it
    for problem in problems.sorted():
        print(problem, file=stream)
