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

from reportlab.lib.colors import HexColor
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
    texts: dict[str, str]  # language code -> every character printed in that language, for the glyph check
    lang_tag: str = ""


@dataclass
class Page:
    element: ET.Element
    regions: dict[str, list[Flowable]]  # header/body/footer -> blocks
    frames: list[tuple[ET.Element, list[Flowable]]]  # absolutely placed boxes and their blocks
    marks: list[ET.Element]  # crop marks and cut lines


@dataclass
class Document:
    root: ET.Element
    pages: list[Page]
    ctx: BlockContext
    frame_language: str  # the language of text outside <lang> blocks


@dataclass(frozen=True)
class PrintOptions:
    """--bleed adds a bleed area and crop marks for print shops; --grayscale prints pure
    black on white, with no tints that vanish on an office printer."""

    bleed: bool = False
    grayscale: bool = False

    def suffix(self) -> str:
        return "".join(part for flag, part in ((self.bleed, "-bleed"), (self.grayscale, "-gray")) if flag)


def block_context(project: Project, layout: Layout, language: Language, styles: dict[str, Style] | None = None,
                  grayscale: bool = False) -> BlockContext:
    info, regular, bold = script_font(project.fonts, language.script)
    urls = {rid: r.url for rid, r in project.resources.items()}
    styles = styles if styles is not None else layout.styles
    if grayscale:
        styles = {name: grayscale_style(style) for name, style in styles.items()}
    ctx = BlockContext(layout, info, regular, bold, language.direction == "rtl", urls, project.data_dir, styles)
    contexts: dict[str, BlockContext] = {}

    def language_context(code: str) -> BlockContext | None:
        if code not in project.languages:
            return None
        if code not in contexts:
            contexts[code] = block_context(project, layout, project.languages[code], styles)
        return contexts[code]

    ctx.language_context = language_context
    return ctx


def grayscale_style(style: Style) -> Style:
    from dataclasses import replace

    return replace(style, color="#000000", background="", border_color="#000000" if style.border_color else "")


PAGE_PARTS = REGIONS + ("frame", "cropmarks", "cutline")


def prepare_document(project: Project, layout: Layout, language: Language, paper: str, fit: str = "normal",
                     styles: dict[str, Style] | None = None, school: School | None = None,
                     options: PrintOptions = PrintOptions(), page_languages: list[Language] | None = None) -> Document:
    """Template -> layout XML -> blocks; used by `check` (to find every problem) and `build`."""
    root = parse_layout_xml(render_template(project, layout, language, paper, fit, school, page_languages))
    # Pages in several languages are framed in English; each <lang> block switches.
    frame_language = language if layout.language_mode == "each" else project.languages["en"]
    ctx = block_context(project, layout, frame_language, styles, options.grayscale)
    pages = []
    for element in root:
        if element.tag != "page":
            raise LayoutProblem(f"<document> may contain only <page>, not <{element.tag}>")
        page = Page(element, {}, [], [])
        for part in element:
            if part.tag in REGIONS:
                page.regions[part.tag] = build_blocks(part, ctx)
            elif part.tag == "frame":
                page.frames.append((part, build_blocks(part, ctx)))
            elif part.tag in ("cropmarks", "cutline"):
                page.marks.append(part)
            else:
                raise LayoutProblem(f"<page> may contain only {', '.join(PAGE_PARTS)}, not <{part.tag}>")
        pages.append(page)
    return Document(root, pages, ctx, frame_language.code)


def render_job(project: Project, layout: Layout, language: Language, paper: str, school: School | None = None,
               options: PrintOptions = PrintOptions(), page_languages: list[Language] | None = None) -> Rendered:
    """Render with each of the layout's style sets in turn until the content fits."""
    for index, (fit, styles) in enumerate(layout.fits):
        try:
            return render_fit(project, layout, language, paper, fit, styles, school, options, page_languages)
        except Overflow:
            if index == len(layout.fits) - 1:
                raise
    raise AssertionError("a layout always has at least one style set")


def render_fit(project: Project, layout: Layout, language: Language, paper: str, fit: str, styles: dict[str, Style],
               school: School | None = None, options: PrintOptions = PrintOptions(),
               page_languages: list[Language] | None = None) -> Rendered:
    document = prepare_document(project, layout, language, paper, fit, styles, school, options, page_languages)
    root, ctx = document.root, document.ctx
    trim = (project.papers[paper].width, project.papers[paper].height)
    # A layout designed for one paper (a poster on Tabloid) is drawn scaled onto the others.
    design = project.papers.get(layout.design_paper or paper, project.papers[paper])
    size = (design.width, design.height)
    scale = min(trim[0] / size[0], trim[1] / size[1])
    bleed = bleed_for(paper) if options.bleed else 0.0
    # Around the bleed, a slug holds the crop marks.
    edge = bleed + CROP_MARK_LENGTH + 4 if options.bleed else 0.0
    media = (trim[0] + 2 * edge, trim[1] + 2 * edge)
    title = root.get("title", "").strip() or f"{layout.name} ({language.code})"
    buffer = io.BytesIO()
    boxes = {}
    if bleed:
        boxes = {"trimBox": (edge, edge, edge + trim[0], edge + trim[1]),
                 "bleedBox": (edge - bleed, edge - bleed, edge + trim[0] + bleed, edge + trim[1] + bleed)}
    lang_tag = "mul" if page_languages else language.code  # BCP 47: several languages
    canvas = Canvas(buffer, pagesize=media, invariant=1, pageCompression=1, lang=lang_tag,
                    initialFontName=ctx.font, initialFontSize=10, **boxes)
    canvas.setTitle(title)
    canvas.setAuthor(project.district.get("name", ""))
    canvas.setSubject(root.get("subject", ""))
    canvas.setCreator(f"Family Rights Handouts {__version__}")
    canvas.setProducer(f"Family Rights Handouts {__version__} (ReportLab)")
    for page in document.pages:
        canvas.saveState()
        canvas.translate(edge + (trim[0] - size[0] * scale) / 2, edge + (trim[1] - size[1] * scale) / 2)
        canvas.scale(scale, scale)
        draw_page(canvas, page, size, ctx)
        canvas.restoreState()
        if bleed:
            draw_crop_marks(canvas, [(edge, edge, trim[0], trim[1])], offset=bleed)
        canvas.showPage()
    canvas.save()
    texts = texts_by_language(root, document.frame_language)  # the title is metadata: never drawn
    return Rendered(buffer.getvalue(), len(document.pages), list(ctx.qr_urls), title, fit, texts, lang_tag)


def texts_by_language(element: ET.Element, code: str, texts: dict[str, str] | None = None) -> dict[str, str]:
    """The text of a layout XML tree, split by the <lang> block each part is in."""
    texts = {} if texts is None else texts
    if element.tag == "lang":
        code = element.get("code", code)
    texts[code] = texts.get(code, "") + (element.text or "")
    for child in element:
        texts_by_language(child, code, texts)
        texts[code] = texts.get(code, "") + (child.tail or "")
    return texts


def bleed_for(paper: str) -> float:
    """3 mm for ISO papers, 1/8 inch for US papers, as print shops ask."""
    return 3 * 72 / 25.4 if paper.lower().startswith("a") else 9.0


def draw_page(canvas: Canvas, page: Page, size: tuple[float, float], ctx: BlockContext) -> None:
    if page.regions:
        draw_regions(canvas, page.element, page.regions, size)
    for element, flowables in page.frames:
        draw_frame(canvas, element, flowables, size, ctx)
    for element in page.marks:
        if element.tag == "cutline":
            draw_cut_line(canvas, element, size)
        else:
            draw_crop_marks(canvas, [_box(element_box, size) for element_box in element if element_box.tag == "trim"])


def _box(element: ET.Element, size: tuple[float, float]) -> tuple[float, float, float, float]:
    """x, y (from the top left, as designers measure), width, height -> PDF x, y, w, h."""
    values = []
    for name in ("x", "y", "width", "height"):
        value = parse_dimension(element.get(name, ""))
        if value is None:
            raise LayoutProblem(f"<{element.tag}> needs {name}= as a size such as 10mm (got {element.get(name)!r})")
        values.append(value)
    x, y, w, h = values
    return x, size[1] - y - h, w, h


def draw_frame(canvas: Canvas, element: ET.Element, flowables: list[Flowable], size: tuple[float, float], ctx: BlockContext) -> None:
    x, y, w, h = _box(element, size)
    padding = parse_dimension(element.get("padding", "0")) or 0.0
    if element.get("style"):
        style = ctx.style(element.get("style"), element)
        canvas.saveState()
        if style.background:
            canvas.setFillColor(HexColor(style.background))
            canvas.rect(x, y, w, h, stroke=0, fill=1)
        if style.border_color and style.border_width:
            canvas.setStrokeColor(HexColor(style.border_color))
            canvas.setLineWidth(style.border_width)
            canvas.rect(x, y, w, h, stroke=1, fill=0)
        canvas.restoreState()
    inner_w, inner_h = w - 2 * padding, h - 2 * padding
    if element.get("valign") == "middle":
        used = _natural_height(flowables, inner_w)
        padding_top = max((inner_h - used) / 2, 0)
    else:
        padding_top = 0.0
    frame = Frame(x + padding, y + padding, inner_w, inner_h - padding_top, leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0, id=element.get("id", "frame"))
    _fill(frame, flowables, canvas, element.get("id", "frame"), inner_w, inner_h)


CROP_MARK_LENGTH, CROP_MARK_OFFSET = 14.0, 4.0


def draw_crop_marks(canvas: Canvas, boxes: list[tuple[float, float, float, float]], offset: float = CROP_MARK_OFFSET) -> None:
    """Hairlines outside the sheet's grid of trim boxes, one in line with every cut, so that
    no mark is printed on a neighbouring card."""
    if not boxes:
        return
    xs = sorted({round(v, 3) for x, _, w, _ in boxes for v in (x, x + w)})
    ys = sorted({round(v, 3) for _, y, _, h in boxes for v in (y, y + h)})
    left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
    near, far = offset, offset + CROP_MARK_LENGTH
    canvas.saveState()
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(0.3)
    for x in xs:
        canvas.line(x, top + near, x, top + far)
        canvas.line(x, bottom - near, x, bottom - far)
    for y in ys:
        canvas.line(left - near, y, left - far, y)
        canvas.line(right + near, y, right + far, y)
    canvas.restoreState()


def draw_cut_line(canvas: Canvas, element: ET.Element, size: tuple[float, float]) -> None:
    y = parse_dimension(element.get("y", ""))
    if y is None:
        raise LayoutProblem(f"<cutline> needs y= as a size (got {element.get('y')!r})")
    canvas.saveState()
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(0.6)
    canvas.setDash(6, 4)
    canvas.line(0, size[1] - y, size[0], size[1] - y)
    canvas.restoreState()


def _fill(frame: Frame, flowables: list[Flowable], canvas: Canvas, name: str, width: float, height: float) -> None:
    remaining = list(flowables)
    frame.addFromList(remaining, canvas)
    if remaining:
        block = getattr(remaining[0], "_block", type(remaining[0]).__name__)
        needed = sum(f.wrap(width, height)[1] + f.getSpaceBefore() for f in remaining)
        left = max(frame._y - frame._y1p, 0)
        raise Overflow(
            f"text overflows the {name} region: {block} needs {needed:.0f} pt "
            f"but only {left:.0f} pt are left; shorten the text or adjust the layout"
        )


def draw_regions(canvas: Canvas, page: ET.Element, regions: dict[str, list[Flowable]], size: tuple[float, float]) -> None:
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
        _fill(frame, flowables, canvas, name, inner_width, h)


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
