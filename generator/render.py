"""Render: one document through its stages, template -> parse -> layout -> draw, as PDF bytes.

The stages are their own modules (template.py, blocktree.py, layout.py, draw.py); this
module only chains them for one document, for the pipeline and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blocktree import LayoutProblem  # noqa: F401  (re-exported: the error every stage may raise)
from .draw import Drawn, draw, print_scale
from .layout import LaidOut, Overflow, block_context, lay_out  # noqa: F401
from .model import Language, Layout, PrintOptions, Project, School


@dataclass
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
    laid_out = lay_out(project, layout, language, paper, school, options, page_languages)
    drawn = draw(laid_out, project.papers[paper], options, project.district.get("name", ""))
    return rendered(laid_out, drawn, print_scale(laid_out.size, project.papers[paper]))


def rendered(laid_out: LaidOut, drawn: Drawn, scale: float = 1.0) -> Rendered:
    return Rendered(drawn.pdf, drawn.pages, laid_out.qr_urls, laid_out.title, laid_out.fit, laid_out.texts,
                    laid_out.lang_tag, drawn.qr_drawings, tuple((url, size * scale) for url, size in laid_out.qr_sizes),
                    tuple(laid_out.qr_destinations))
