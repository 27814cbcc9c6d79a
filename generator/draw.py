"""Draw: positioned pages -> PDF bytes on a ReportLab canvas (bleed, crop marks, scaling, metadata).

Nothing is decided here: every position comes from the layout stage. A layout designed
for one paper (a poster on Tabloid) is drawn scaled as vectors onto the others. The
canvas is a tagged one (pdftags.py): blocks become structure elements with their logical
text as they draw; tints, crop marks and cut lines, drawn outside any block, are artifacts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas  # the type the helpers draw on

from . import __version__
from .layout import CropMarks, CutLine, LaidOut, Placed, Tint
from .model import Paper, PrintOptions
from .pdftags import TaggedCanvas

CROP_MARK_LENGTH, CROP_MARK_OFFSET = 14.0, 4.0


@dataclass(frozen=True)
class Drawn:
    pdf: bytes
    pages: int
    qr_drawings: tuple[tuple[str, str], ...]  # (url, fingerprint of the drawing) per code drawn


def bleed_for(paper: str) -> float:
    """3 mm for ISO papers, 1/8 inch for US papers, as print shops ask."""
    return 3 * 72 / 25.4 if paper.lower().startswith("a") else 9.0


def print_scale(design: tuple[float, float], paper: Paper) -> float:
    """How much a page designed at `design` size is scaled to print on `paper`."""
    return min(paper.width / design[0], paper.height / design[1])


def draw(laid_out: LaidOut, paper: Paper, options: PrintOptions, author: str) -> Drawn:
    trim = (paper.width, paper.height)
    size = laid_out.size
    scale = print_scale(size, paper)
    bleed = bleed_for(paper.name) if options.bleed else 0.0
    # Around the bleed, a slug holds the crop marks.
    edge = bleed + CROP_MARK_LENGTH + 4 if options.bleed else 0.0
    media = (trim[0] + 2 * edge, trim[1] + 2 * edge)
    boxes = {}
    if bleed:
        boxes = {"trimBox": (edge, edge, edge + trim[0], edge + trim[1]),
                 "bleedBox": (edge - bleed, edge - bleed, edge + trim[0] + bleed, edge + trim[1] + bleed)}
    buffer = io.BytesIO()
    canvas = TaggedCanvas(buffer, pagesize=media, invariant=1, pageCompression=1, lang=laid_out.lang_tag,
                    initialFontName=laid_out.font, initialFontSize=10, **boxes)
    canvas.setTitle(laid_out.title)
    canvas.setAuthor(author)
    canvas.setSubject(laid_out.subject)
    canvas.setCreator(f"Family Rights Handouts {__version__}")
    canvas.setProducer(f"Family Rights Handouts {__version__} (ReportLab)")
    qr_drawings: list[tuple[str, str]] = []
    canvas.qr_drawings = qr_drawings  # QR codes record what they drew (see qr.QRCode.draw)
    for page in laid_out.pages:
        canvas.saveState()
        canvas.translate(edge + (trim[0] - size[0] * scale) / 2, edge + (trim[1] - size[1] * scale) / 2)
        canvas.scale(scale, scale)
        for item in page.items:
            draw_item(canvas, item)
        canvas.restoreState()
        if bleed:
            draw_crop_marks(canvas, [(edge, edge, trim[0], trim[1])], offset=bleed)
        canvas.showPage()
    canvas.save()
    return Drawn(buffer.getvalue(), len(laid_out.pages), tuple(qr_drawings))


def draw_item(canvas: Canvas, item) -> None:
    if isinstance(item, Placed):
        # Wrap again right before drawing, as ReportLab's Frame does: a reused paragraph
        # may have been measured at another width since the layout stage measured it.
        item.flowable.wrap(item.avail_width, item.avail_height)
        item.flowable.drawOn(canvas, item.x, item.y, _sW=item.avail_width - item.width)
    elif isinstance(item, Tint):
        canvas.saveState()
        if item.fill:
            canvas.setFillColor(HexColor(item.fill))
            canvas.rect(item.x, item.y, item.width, item.height, stroke=0, fill=1)
        if item.stroke:
            canvas.setStrokeColor(HexColor(item.stroke))
            canvas.setLineWidth(item.line_width)
            canvas.rect(item.x, item.y, item.width, item.height, stroke=1, fill=0)
        canvas.restoreState()
    elif isinstance(item, CutLine):
        canvas.saveState()
        canvas.setStrokeColorRGB(0, 0, 0)
        canvas.setLineWidth(0.6)
        canvas.setDash(6, 4)
        canvas.line(0, item.y, item.width, item.y)
        canvas.restoreState()
    elif isinstance(item, CropMarks):
        draw_crop_marks(canvas, list(item.boxes))


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
