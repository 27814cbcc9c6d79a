"""Plan: the user's selection -> jobs (school x language x layout x paper), each with a content hash.

The hash covers everything that feeds the document: the generator's code, the layout's
files, the language file, the English source (used in footers), the shared data files,
the school's own entry, the paper sizes and the prepared fonts. Equal hash, equal PDF;
so a job whose hash matches the manifest is up to date and is skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

from . import __version__
from .errors import Loc, Problems
from .model import MULTILINGUAL, Language, Layout, PrintOptions, Project, School

GENERATOR_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Job:
    """One document to make: a school's copy of a layout, in a language, on a paper."""

    school: str
    layout: str
    lang: str  # the page's BCP 47 language tag (MULTILINGUAL for a page in several languages)
    paper: str
    output: str  # relative to the output directory
    input_hash: str
    print: PrintOptions = PrintOptions()
    page_languages: tuple[str, ...] = ()  # the languages of a page that holds several

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language whose strings the page prints."""
        return self.page_languages or (self.lang,)

    @property
    def label(self) -> str:
        variant = "" if self.print == PrintOptions() else f" ({self.print.name})"
        return f"{self.school}/{self.layout}/{self.lang}/{self.paper}{variant}"


@dataclass(frozen=True)
class InputDigests:
    """sha256 of everything that feeds documents, taken from the validated values the
    render stage uses (never from the files again), so hashes and content cannot disagree."""

    generator: str
    fonts: str
    shared: str  # district, resources, organisations, papers
    layouts: dict[str, str]
    languages: dict[str, str]


def _sha(value) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def generator_digest() -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(GENERATOR_DIR.rglob("*.py")))).hexdigest()


def digest_inputs(project: Project) -> InputDigests:
    stamp = project.fonts.build_dir / "prepared.json"
    fonts = hashlib.sha256(stamp.read_bytes()).hexdigest() if stamp.exists() else "unprepared"
    shared = _sha((sorted(project.district.items(), key=str), sorted(project.resources.items()),
                   sorted(project.organisations.items(), key=str), sorted(project.papers.items()),
                   project.ledger))  # the ledger decides each page's information date and status
    layouts = {name: _sha((layout.template_source, layout.styles, layout.fits, layout.papers, layout.pages,
                           layout.min_qr_module_mm, layout.min_qr_symbol_mm, layout.design_paper, layout.language_mode, layout.page_languages,
                           layout.continues))
               for name, layout in project.layouts.items()}
    languages = {code: _sha(replace(language, string_locs={}, path=""))
                 for code, language in project.languages.items()}
    return InputDigests(generator_digest(), fonts, shared, layouts, languages)


@lru_cache(maxsize=4096)
def slug(value: str) -> str:
    """'Chinese (Simplified)' -> 'chinese-simplified': safe in any file system, never a path."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def output_name(school: School, layout: Layout, language: Language, paper: str, options: PrintOptions) -> str:
    # Staff look for a language by name: "<school>/handout/letter/es_spanish.pdf".
    code = re.sub(r"[^A-Za-z0-9-]", "", language.code)
    return f"{slug(school.id)}/{slug(layout.name)}/{slug(paper)}/{code}_{slug(language.name_en)}{options.suffix()}.pdf"


_fields = lru_cache(maxsize=None)(asdict)  # a school's and a print option's fields, read once per run (frozen, equal by value)


def job_hash(digests: InputDigests, school: School, layout: Layout, languages: tuple[str, ...], paper: str,
             options: PrintOptions) -> str:
    feed = {
        "version": __version__,
        "generator": digests.generator,
        "fonts": digests.fonts,
        "shared": digests.shared,
        "layout": digests.layouts[layout.name],
        "languages": [digests.languages[code] for code in languages],
        "source": digests.languages["en"],  # footers and bilingual pages print English too
        "school": _fields(school),
        "paper": paper,
        "print": _fields(options),
    }
    return hashlib.sha256(json.dumps(feed, sort_keys=True).encode("utf-8")).hexdigest()


def select(project: Project, layouts: list[str], langs: list[str], papers: list[str] | None, schools: list[str],
           problems: Problems, options: PrintOptions = PrintOptions(), every_paper: bool = True) -> list[Job]:
    """Expand the selection into jobs; unknown names are errors listing what exists.
    `papers` None (no --paper) means every paper each layout is made for, or only its
    first (its own default) when `every_paper` is false. A paper named explicitly that a
    named layout cannot use is an error; one that no selected layout can use is too."""
    for kind, option, names, known in (("layout", "--layout", layouts, project.layouts), ("language", "--lang", langs, project.languages),
                                       ("paper", "--paper", papers or [], project.papers), ("school", "--school", schools, project.schools)):
        for name in names:
            if name not in known:
                problems.error(COMMAND_LINE, unknown_name(kind, option, name, known))
    if problems.errors:
        return []
    digests = digest_inputs(project)
    jobs = []
    for school_id in schools or [next(iter(project.schools))]:
        school = project.schools[school_id]
        for name in layouts or sorted(project.layouts):
            layout = project.layouts[name]
            chosen = papers if papers is not None else (layout.papers if every_paper else layout.papers[:1])
            for paper in chosen:
                if paper not in layout.papers:
                    if layouts:  # named by the user: say why nothing is made; otherwise skip quietly
                        problems.error(COMMAND_LINE, f"layout '{name}' is not made for paper '{paper}'; use --paper "
                                                     f"{layout.papers[0]} or leave --paper out (it supports {', '.join(layout.papers)})")
                    continue
                if layout.language_mode == "together":
                    jobs += _together_job(project, digests, school, layout, paper, langs, options, problems)
                    continue
                for code in langs or sorted(project.languages):
                    if code == "en" and layout.language_mode == "each-but-english":
                        continue  # the English half is on every page already
                    language = project.languages[code]
                    jobs.append(Job(school_id, name, code, paper, output_name(school, layout, language, paper, options),
                                    job_hash(digests, school, layout, (code,), paper, options), options))
    for paper in papers or []:
        usable = [name for name in layouts or sorted(project.layouts) if paper in project.layouts[name].papers]
        if not usable and not layouts:
            problems.error(COMMAND_LINE, f"no layout is made for paper '{paper}'; choose another --paper or name a --layout")
    return jobs


COMMAND_LINE = Loc("")  # a problem with the command line, not with a file: reported as `error: ...`


def unknown_name(kind: str, option: str, name: str, known) -> str:
    """'unknown layout 'postr'; did you mean --layout poster? available: ...'"""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {option} {close[0]}?" if close else ""
    return f"unknown {kind} '{name}'{hint} (available: {', '.join(sorted(known))})"


def _together_job(project: Project, digests: InputDigests, school: School, layout: Layout, paper: str, langs: list[str],
                  options: PrintOptions, problems: Problems) -> list[Job]:
    """One page in several languages: those named with --lang, else the layout's own list
    (`all`: every language of the data, so a new language file adds itself)."""
    every = layout.every_language and not langs
    codes = tuple(sorted(project.languages)) if every else tuple(langs) if langs else layout.page_languages
    unknown = [code for code in codes if code not in project.languages]
    if unknown or not codes or (len(codes) > layout.max_languages and not layout.every_language):
        why = f"unknown languages {unknown}" if unknown else f"{len(codes)} languages (1 to {layout.max_languages} fit)"
        problems.error(Loc(layout.path), f"layout '{layout.name}': {why}; set page_languages in layout.yaml or use --lang")
        return []
    # The whole-data sheet keeps its file name when a language is added.
    output = f"{slug(school.id)}/{slug(layout.name)}/{slug(paper)}/mul_{'all' if every else '-'.join(codes)}{options.suffix()}.pdf"
    return [Job(school.id, layout.name, MULTILINGUAL, paper, output, job_hash(digests, school, layout, codes, paper, options), options, codes)]
