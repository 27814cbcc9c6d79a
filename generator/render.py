"""Render, step 3: one job (layout x language x paper) -> PDF bytes, failing on any overflow.

Each page has up to three regions: header (from the top), footer (from the bottom) and
body (the space between). Regions are ReportLab frames; whatever a frame cannot hold is
an overflow, reported with the block that did not fit rather than spilling onto a page 2.
A layout may offer a compact style set, tried when the normal one overflows.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame

from . import __version__
from .blocks import REGIONS, BlockContext, LayoutProblem, build_blocks, parse_layout_xml
from .fonts import script_font
from .layouts import parse_dimension
from .model import Language, Layout, Project, School, Style
from .template import render_template

REGION_GAP = 6.0  # points between header, body and footer


class Overflow(LayoutProblem):
    """The content does not fit the page."""


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    qr_urls: list[str]
    title: str
    fit: str
    text: str  # every character the page prints, for the glyph check


@dataclass
class Document:
    root: ET.Element
    pages: list[tuple[ET.Element, dict[str, list[Flowable]]]]  # page element, region -> blocks
    ctx: BlockContext


def block_context(project: Project, layout: Layout, language: Language, styles: dict[str, Style] | None = None) -> BlockContext:
    info, regular, bold = script_font(project.fonts, language.script)
    urls = {rid: r.url for rid, r in project.resources.items()}
    return BlockContext(layout, info, regular, bold, language.direction == "rtl", urls, project.data_dir,
                        styles if styles is not None else layout.styles)


def prepare_document(project: Project, layout: Layout, language: Language, paper: str, fit: str = "normal",
                     styles: dict[str, Style] | None = None, school: School | None = None) -> Document:
    """Template -> layout XML -> blocks; used by `check` (to find every problem) and `build`."""
    root = parse_layout_xml(render_template(project, layout, language, paper, fit, school))
    ctx = block_context(project, layout, language, styles)
    pages = []
    for page in root:
        if page.tag != "page":
            raise LayoutProblem(f"<document> may contain only <page>, not <{page.tag}>")
        regions = {}
        for region in page:
            if region.tag not in REGIONS:
                raise LayoutProblem(f"<page> may contain only {', '.join(REGIONS)}, not <{region.tag}>")
            regions[region.tag] = build_blocks(region, ctx)
        pages.append((page, regions))
    return Document(root, pages, ctx)


def render_job(project: Project, layout: Layout, language: Language, paper: str, school: School | None = None) -> Rendered:
    """Render with each of the layout's style sets in turn until the content fits."""
    for index, (fit, styles) in enumerate(layout.fits):
        try:
            return render_fit(project, layout, language, paper, fit, styles, school)
        except Overflow:
            if index == len(layout.fits) - 1:
                raise
    raise AssertionError("a layout always has at least one style set")


def render_fit(project: Project, layout: Layout, language: Language, paper: str, fit: str, styles: dict[str, Style],
               school: School | None = None) -> Rendered:
    document = prepare_document(project, layout, language, paper, fit, styles, school)
    root, ctx = document.root, document.ctx
    size = (project.papers[paper].width, project.papers[paper].height)
    title = root.get("title", "").strip() or f"{layout.name} ({language.code})"
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1, lang=language.code,
                    initialFontName=ctx.font, initialFontSize=10)
    canvas.setTitle(title)
    canvas.setAuthor(project.district.get("name", ""))
    canvas.setSubject(root.get("subject", ""))
    canvas.setCreator(f"Family Rights Handouts {__version__}")
    canvas.setProducer(f"Family Rights Handouts {__version__} (ReportLab)")
    for page, regions in document.pages:
        draw_page(canvas, page, regions, size)
        canvas.showPage()
    canvas.save()
    text = "".join(root.itertext()) + title
    return Rendered(buffer.getvalue(), len(document.pages), list(ctx.qr_urls), title, fit, text)


def draw_page(canvas: Canvas, page: ET.Element, regions: dict[str, list[Flowable]], size: tuple[float, float]) -> None:
    width, height = size
    margin = parse_dimension(page.get("margin", "36pt")) or 36.0
    inner_width = width - 2 * margin
    header_h = _natural_height(regions.get("header", []), inner_width)
    footer_h = _natural_height(regions.get("footer", []), inner_width)
    top, bottom = height - margin, margin
    body_bottom = bottom + footer_h + (REGION_GAP if footer_h else 0)
    body_top = top - header_h - (REGION_GAP if header_h else 0)
    frames = {"header": (top - header_h, header_h), "footer": (bottom, footer_h), "body": (body_bottom, body_top - body_bottom)}
    _grow_spacers(regions.get("body", []), inner_width, body_top - body_bottom)
    for name in REGIONS:
        flowables = regions.get(name)
        if not flowables:
            continue
        y, h = frames[name]
        frame = Frame(margin, y, inner_width, max(h, 0), leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id=name)
        remaining = list(flowables)
        frame.addFromList(remaining, canvas)
        if remaining:
            block = getattr(remaining[0], "_block", type(remaining[0]).__name__)
            needed = sum(f.wrap(inner_width, h)[1] + f.getSpaceBefore() for f in remaining)
            left = max(frame._y - frame._y1p, 0)
            raise Overflow(
                f"text overflows the {name} region: {block} needs {needed:.0f} pt "
                f"but only {left:.0f} pt are left; shorten the text or adjust the layout"
            )


def _grow_spacers(flowables: list, width: float, height: float) -> None:
    """Share spare height among <spacer grow=...> blocks, so short texts do not leave one gap."""
    growable = [f for f in flowables if getattr(f, "grow", 0) > 0]
    spare = height - _natural_height(flowables, width) - 2.0
    if not growable or spare <= 0:
        return
    share = spare / len(growable)
    for spacer in growable:
        spacer.height += min(share, spacer.grow)


def _natural_height(flowables: list, width: float) -> float:
    total = 0.0
    for index, flowable in enumerate(flowables):
        total += flowable.wrap(width, 10_000)[1] + flowable.getSpaceAfter()
        if index:
            total += flowable.getSpaceBefore()
    return total + 1.0  # frames refuse content that fills them to the last fraction of a point
