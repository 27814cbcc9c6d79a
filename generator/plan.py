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
from dataclasses import asdict, dataclass

from . import __version__
from .errors import Loc, Problems
from .model import Language, Layout, Project, School


@dataclass(frozen=True)
class Job:
    school: str
    layout: str
    lang: str
    paper: str
    output: str  # relative to the output directory
    input_hash: str
    variant: str = ""  # "-bleed", "-gray": print options, also in the file name
    languages: tuple[str, ...] = ()  # for a page in several languages (lang "mul")

    @property
    def label(self) -> str:
        return f"{self.school}/{self.layout}/{self.lang}/{self.paper}"


def slug(value: str) -> str:
    """'Chinese (Simplified)' -> 'chinese-simplified': safe in any file system, never a path."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def output_name(school: School, layout: Layout, language: Language, paper: str, variant: str = "") -> str:
    # Staff look for a language by name: "<school>/handout/letter/es_spanish.pdf".
    code = re.sub(r"[^A-Za-z0-9-]", "", language.code)
    return f"{slug(school.id)}/{slug(layout.name)}/{slug(paper)}/{code}_{slug(language.name_en)}{variant}.pdf"


SHARED_INPUTS = ("generator", "data/district.yaml", "data/resources.yaml", "data/organisations.yaml", "layouts/papers.yaml", "fonts")


def job_hash(project: Project, school: School, layout: Layout, language: Language, paper: str, variant: str = "",
             languages: tuple[str, ...] = ()) -> str:
    digests = project.inputs_digest
    feed = {
        "page_languages": [digests.get(f"language:{code}", "") for code in languages],
        "version": __version__,
        "shared": [digests.get(name, "") for name in SHARED_INPUTS],
        "layout": digests.get(f"layout:{layout.name}", ""),
        "language": digests.get(f"language:{language.code}", ""),
        "source": digests.get("language:en", ""),
        "school": asdict(school),
        "paper": paper,
        "variant": variant,
    }
    return hashlib.sha256(json.dumps(feed, sort_keys=True).encode("utf-8")).hexdigest()


def select(project: Project, layouts: list[str], langs: list[str], papers: list[str] | None, schools: list[str],
           problems: Problems, variant: str = "") -> list[Job]:
    """Expand the selection into jobs; unknown names are errors listing what exists.
    `papers` None means every paper each layout is made for."""
    cli = Loc("command line", 0, 0)
    for kind, names, known in (("layout", layouts, project.layouts), ("language", langs, project.languages),
                               ("paper", papers or [], project.papers), ("school", schools, project.schools)):
        for name in names:
            if name not in known:
                problems.error(cli, f"unknown {kind} '{name}'; available: {', '.join(sorted(known))}")
    if problems.errors:
        return []
    jobs = []
    for school_id in schools or [next(iter(project.schools))]:
        school = project.schools[school_id]
        for name in layouts or sorted(project.layouts):
            layout = project.layouts[name]
            chosen = layout.papers if papers is None else papers
            for paper in chosen:
                if paper not in layout.papers:
                    if layouts:  # named by the user: say why nothing is made; otherwise skip quietly
                        problems.error(cli, f"layout '{name}' is not made for paper '{paper}' (it supports {', '.join(layout.papers)})")
                    continue
                if layout.language_mode == "together":
                    jobs += _together_job(project, school, layout, paper, langs, variant, problems)
                    continue
                for code in langs or sorted(project.languages):
                    if code == "en" and layout.language_mode == "each-but-english":
                        continue  # the English half is on every page already
                    language = project.languages[code]
                    jobs.append(Job(school_id, name, code, paper, output_name(school, layout, language, paper, variant),
                                    job_hash(project, school, layout, language, paper, variant), variant))
    return jobs


def _together_job(project: Project, school: School, layout: Layout, paper: str, langs: list[str], variant: str,
                  problems: Problems) -> list[Job]:
    """One page in several languages: those named with --lang, else the layout's own list."""
    codes = tuple(langs) if langs else layout.page_languages
    unknown = [code for code in codes if code not in project.languages]
    if unknown or not codes or len(codes) > layout.max_languages:
        why = f"unknown languages {unknown}" if unknown else f"{len(codes)} languages (1 to {layout.max_languages} fit)"
        problems.error(Loc(layout.path), f"layout '{layout.name}': {why}; set page_languages in layout.yaml or use --lang")
        return []
    english = project.languages["en"]
    output = f"{slug(school.id)}/{slug(layout.name)}/{slug(paper)}/mul_{'-'.join(codes)}{variant}.pdf"
    return [Job(school.id, layout.name, "mul", paper, output, job_hash(project, school, layout, english, paper, variant, codes), variant, codes)]
