"""Render: one document through its stages, template -> parse -> layout -> draw, as PDF bytes.

The stages are their own modules (template.py, blocktree.py, layout.py, draw.py); this
module only chains them for one document, for the pipeline and for tests.

A layout whose template never names the school (the wallet card) gives every school the
same document. For the pipeline (render_for_school), such a document is rendered once per
process and language, paper, print options and template context (everything the template
is given but the school, which it never reads), and the same result serves every school's
copy, which the pipeline still verifies and writes on its own. Likewise a layout designed
on one paper and scaled onto the others (the poster), whose template never reads the paper,
is laid out once for all its papers and drawn for each. The keys hold every input the
stages read, so the bytes are the ones a fresh render gives, whatever ran before.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blocktree import LayoutProblem  # noqa: F401  (re-exported: the error every stage may raise)
from .draw import Drawn, draw, print_scale
from .layout import LaidOut, Overflow, block_context, lay_out, per_project  # noqa: F401
from .model import Language, Layout, PrintOptions, Project, School
from .template import context, names_the_paper, names_the_school


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    qr_urls: list[str]
    title: str
    fit: str
    texts: dict[str, str]  # language code -> every character printed in that language, for the glyph check
    lang_tag: str
    qr_drawings: tuple[tuple[str, str], ...]  # (url, fingerprint of its drawing)
    qr_printed: tuple[tuple[str, float], ...] = ()  # (url, printed size in points, quiet zone included)
    qr_destinations: tuple[str, ...] = ()  # beside qr_urls: where each code finally leads (the url itself without web_base)


def render_job(project: Project, layout: Layout, language: Language, paper: str, school: School | None = None,
               options: PrintOptions = PrintOptions(), page_languages: list[Language] | None = None) -> Rendered:
    return drawn_on(project, lay_out(project, layout, language, paper, school, options, page_languages), paper, options)


def render_for_school(project: Project, layout: Layout, language: Language, paper: str, school: School,
                      options: PrintOptions = PrintOptions(), page_languages: list[Language] | None = None) -> Rendered:
    """render_job for the pipeline: a document no school changes is rendered once per
    process, and every school's copy gets that very result."""
    key = same_for_every_school(project, layout, language, paper, school, options, page_languages)
    documents = shared_documents(project) if key is not None else {}
    if key in documents:
        return documents[key][-1]
    result = drawn_on(project, laid_out_for_paper(project, layout, language, paper, school, options, page_languages),
                      paper, options)
    if key is not None:
        if len(documents) >= MAX_SHARED:
            documents.clear()
        # The objects the key names by identity stay alive with the entry, so no other can take their ids.
        documents[key] = (layout, language, project.papers[paper], tuple(page_languages or ()), result)
    return result


def same_for_every_school(project: Project, layout: Layout, language: Language, paper: str, school: School | None,
                          options: PrintOptions, page_languages: list[Language] | None) -> tuple | None:
    """The key of a document no school changes, or None if the template names the school:
    the very layout, language and paper objects (a changed copy is another document), the
    print options, and what the template is given besides the school and the fit (the
    strings, the district, the dates and statuses it prints: data changed in place is
    another document too). The fits are tried in the same order for every school.

    Writing out that context costs a tenth of a millisecond; rendering the template for
    every fit, as this key did before, cost 6 ms a card, a twentieth of the batch."""
    if names_the_school(layout):
        return None
    return (id(project.papers[paper]), paper) + given_key(project, layout, language, paper, school, options,
                                                          page_languages, leave_out=("school",))


def laid_out_for_paper(project: Project, layout: Layout, language: Language, paper: str, school: School,
                       options: PrintOptions, page_languages: list[Language] | None) -> LaidOut:
    """lay_out, once for all the papers of a layout designed on one paper and scaled onto
    the others (the poster), when its template never reads the paper: the layout stage sees
    the paper only through the template's XML and then lays the page out on the design paper,
    so the pages are the same for every paper; each paper's copy is drawn on its own. The
    pipeline runs a school's papers one after the other (pipeline.batch_order)."""
    if not one_layout_for_every_paper(layout):
        return lay_out(project, layout, language, paper, school, options, page_languages)
    key = given_key(project, layout, language, paper, school, options, page_languages, leave_out=("paper", "page"))
    memo = shared_layouts(project)
    if key not in memo:
        if len(memo) >= MAX_SHARED_LAYOUTS:
            memo.clear()
        memo[key] = (layout, language, tuple(page_languages or ()),
                     lay_out(project, layout, language, paper, school, options, page_languages))
    return memo[key][-1]


def one_layout_for_every_paper(layout: Layout) -> bool:
    """A layout designed on one paper and scaled onto the others, whose template never
    reads the paper: its pages are the same on every paper."""
    return bool(layout.design_paper) and not names_the_paper(layout)


def given_key(project: Project, layout: Layout, language: Language, paper: str, school: School | None,
              options: PrintOptions, page_languages: list[Language] | None, leave_out: tuple[str, ...]) -> tuple:
    """The very layout and language objects (a changed copy is another page), the print
    options, and what the template is given but `leave_out` and the fit (the fits are tried
    in the same order whatever was left out): data changed in place makes another key."""
    given = context(project, layout, language, paper, school=school, page_languages=page_languages)
    for name in leave_out + ("fit",):
        del given[name]
    return id(layout), id(language), options, tuple(id(l) for l in page_languages or ()), repr(given)


# Per project (a worker holds one), emptied when full, which costs only time. Shared
# documents: a card sheet in every language on two papers is 48 documents of 60-150 KB.
# Shared layouts: a school's poster on its four papers comes one paper after the other.
MAX_SHARED, MAX_SHARED_LAYOUTS = 64, 8
_shared: dict[int, dict] = {}
_shared_layouts: dict[int, dict] = {}


def shared_documents(project: Project) -> dict:
    return per_project(_shared, project)


def shared_layouts(project: Project) -> dict:
    return per_project(_shared_layouts, project)


def drawn_on(project: Project, laid_out: LaidOut, paper: str, options: PrintOptions) -> Rendered:
    """The draw stage for one paper, and what the pipeline needs of both stages."""
    drawn = draw(laid_out, project.papers[paper], options, project.district.get("name", ""))
    return rendered(laid_out, drawn, print_scale(laid_out.size, project.papers[paper]))


def rendered(laid_out: LaidOut, drawn: Drawn, scale: float = 1.0) -> Rendered:
    return Rendered(drawn.pdf, drawn.pages, laid_out.qr_urls, laid_out.title, laid_out.fit, laid_out.texts,
                    laid_out.lang_tag, drawn.qr_drawings, tuple((url, size * scale) for url, size in laid_out.qr_sizes),
                    tuple(laid_out.qr_destinations))
