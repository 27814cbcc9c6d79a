"""Plan: the user's selection -> jobs (layout x language x paper), each with a content hash.

The hash covers everything that feeds the document: the generator version, the layout's
template and styles, the language file, the English source (used in footers), the shared
data files, the paper sizes and the prepared fonts. Equal hash, equal PDF.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import Loc, Problems
from .model import Language, Layout, Project


@dataclass(frozen=True)
class Job:
    layout: str
    lang: str
    paper: str
    output: str  # relative to the output directory
    input_hash: str


def slug(value: str) -> str:
    """'Chinese (Simplified)' -> 'chinese-simplified': safe in any file system, never a path."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def output_name(layout: Layout, language: Language, paper: str) -> str:
    # Staff look for a language by name: "handout/letter/es_spanish.pdf".
    code = re.sub(r"[^A-Za-z0-9-]", "", language.code)
    return f"{slug(layout.name)}/{slug(paper)}/{code}_{slug(language.name_en)}.pdf"


def job_hash(project: Project, layout: Layout, language: Language, paper: str) -> str:
    source = project.languages["en"]
    feed = {
        "generator": __version__,
        "layout": [layout.name, layout.template_source, Path(layout.path).read_text(encoding="utf-8")],
        "language": Path(language.path).read_text(encoding="utf-8"),
        "source": Path(source.path).read_text(encoding="utf-8"),
        "paper": paper,
        "shared": project.inputs_digest,
    }
    return hashlib.sha256(json.dumps(feed, sort_keys=True).encode("utf-8")).hexdigest()


def select(project: Project, layouts: list[str], langs: list[str], paper: str, problems: Problems) -> list[Job]:
    """Expand the selection into jobs; unknown names are errors listing what exists."""
    cli = Loc("command line", 0, 0)
    for name in layouts:
        if name not in project.layouts:
            problems.error(cli, f"unknown layout '{name}'; available: {', '.join(sorted(project.layouts))}")
    for code in langs:
        if code not in project.languages:
            problems.error(cli, f"unknown language '{code}'; available: {', '.join(sorted(project.languages))}")
    if paper not in project.papers:
        problems.error(cli, f"unknown paper '{paper}'; available: {', '.join(sorted(project.papers))}")
    if problems.errors:
        return []
    jobs = []
    for name in layouts or sorted(project.layouts):
        layout = project.layouts[name]
        if paper not in layout.papers:
            problems.error(cli, f"layout '{name}' is not made for paper '{paper}' (it supports {', '.join(layout.papers)})")
            continue
        for code in langs or sorted(project.languages):
            language = project.languages[code]
            jobs.append(Job(name, code, paper, output_name(layout, language, paper), job_hash(project, layout, language, paper)))
    return jobs
