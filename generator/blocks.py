"""Render, step 2: layout XML (the template's output) -> ReportLab flowables.

The vocabulary is small: document, page, header/body/footer regions, and the blocks
h1, h2, h3, p, list/item, columns/column, box, qr, spacer, rule. Text is always escaped
before ReportLab parses it; the only inline markup is <b> from the template and **bold**
from data, both converted here. Nothing else can reach ReportLab's paragraph parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Image, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from .cjk import CJKParagraph
from .rtl import BidiParagraph
from .fontmanifest import ScriptFont
from .layouts import parse_dimension
from .model import Layout, Style
from .qr import QRCode, module_size_mm

TEXT_TAGS = {"h1": "h1", "h2": "h2", "h3": "h3", "p": "body"}
REGIONS = ("header", "body", "footer")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


class LayoutProblem(Exception):
    """A layout XML or rendering problem; names the block so a designer can find it."""


@dataclass
class BlockContext:
    layout: Layout
    script: ScriptFont
    font: str
    bold_font: str
    rtl: bool
    urls: dict[str, str]  # resource id -> URL
    data_dir: Path
    styles: dict[str, Style]  # the style set in use (normal or compact)
    qr_urls: list[str] = field(default_factory=list)  # every URL encoded, for verification
    _styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    language_context: object = None  # code -> BlockContext, for <lang> blocks in multilingual layouts

    def style(self, name: str, element: ET.Element) -> Style:
        try:
            return self.styles[name]
        except KeyError:
            raise LayoutProblem(f"<{element.tag}> uses style '{name}', which {self.layout.name}/layout.yaml does not define") from None

    def paragraph_style(self, name: str, element: ET.Element, indent: float = 0.0) -> ParagraphStyle:
        key = f"{name}/{indent}"
        if key not in self._styles:
            s = self.style(name, element)
            # ReportLab lets closing CJK punctuation hang past the line end; keep one em
            # free so that the hanging mark stays inside its column instead of the margin.
            hang = s.font_size if self.script.line_break == "cjk" else 0.0
            self._styles[key] = ParagraphStyle(
                key,
                fontName=self.bold_font if s.bold else self.font,
                fontSize=s.font_size,
                leading=s.leading * self.script.leading,
                textColor=HexColor(s.color),
                alignment=self.alignment(s.align),
                spaceBefore=s.space_before,
                spaceAfter=s.space_after,
                leftIndent=(hang if self.rtl else indent),
                rightIndent=(indent if self.rtl else hang),
                bulletIndent=0,
                bulletFontName=self.font,
                bulletFontSize=s.font_size,
                wordWrap="CJK" if self.script.line_break == "cjk" else None,
                shaping=1 if self.script.shaping else 0,
                allowWidows=0,
                allowOrphans=0,
            )
        return self._styles[key]

    def paragraph(self, runs: list[tuple[str, bool]], style: ParagraphStyle, bullet: str | None = None) -> Flowable:
        """The paragraph flowable that suits the script: right-to-left, CJK or plain.

        A batch prints the same paragraphs for every school, so a paragraph made from the
        same text and style is reused: parsed and line-broken once per worker, drawn on
        each document's own canvas."""
        if self.rtl:
            cls, content = BidiParagraph, tuple(runs)
        else:
            cls = CachedCJKParagraph if self.script.line_break == "cjk" else CachedParagraph
            content = runs_to_markup(runs)
        key = (cls.__name__, content, style_signature(style), bullet, self.bold_font)
        paragraph = _PARAGRAPHS.get(key)
        if paragraph is None:
            if len(_PARAGRAPHS) > MAX_CACHED_PARAGRAPHS:
                _PARAGRAPHS.clear()
            if cls is BidiParagraph:
                paragraph = BidiParagraph(list(runs), style, self.bold_font, bullet)
            else:
                paragraph = cls(content, style, bulletText=bullet)
            _PARAGRAPHS[key] = paragraph
        return paragraph

    def alignment(self, align: str) -> int:
        if align == "center":
            return TA_CENTER
        if align == "justify":
            return TA_JUSTIFY
        start_is_left = not self.rtl
        return TA_LEFT if (align == "start") == start_is_left else TA_RIGHT


MAX_CACHED_PARAGRAPHS = 20_000
_PARAGRAPHS: dict[tuple, Flowable] = {}


def style_signature(style: ParagraphStyle) -> tuple:
    """Everything of a paragraph style that changes how its text is laid out or drawn."""
    return tuple(str(getattr(style, name)) for name in (
        "fontName", "fontSize", "leading", "textColor", "alignment", "spaceBefore", "spaceAfter", "leftIndent",
        "rightIndent", "bulletIndent", "bulletFontName", "bulletFontSize", "wordWrap", "shaping"))


class WrapCache:
    """Measuring a page wraps each paragraph several times at the same width (natural
    heights, spare-space sharing, table cells, the frame); break the lines only once."""

    def wrap(self, avail_width, avail_height):
        if getattr(self, "_wrapped_at", None) == avail_width:
            return self.width, self.height
        size = super().wrap(avail_width, avail_height)
        self._wrapped_at = avail_width
        return size


class CachedParagraph(WrapCache, Paragraph):
    pass


class CachedCJKParagraph(WrapCache, CJKParagraph):
    pass


def parse_layout_xml(text: str) -> ET.Element:
    """Parse the template's output; a DOCTYPE (entities) is refused outright."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise LayoutProblem("layout XML must not contain a DOCTYPE or entity declarations")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = exc.position
        snippet = text.splitlines()[line - 1].strip()[:80] if 0 < line <= len(text.splitlines()) else ""
        raise LayoutProblem(f"the template produced malformed XML at output line {line}, column {col}: {snippet!r}") from None
    if root.tag != "document":
        raise LayoutProblem(f"the template's root element must be <document>, not <{root.tag}>")
    return root


def describe(element: ET.Element) -> str:
    if element.get("id"):
        return f"<{element.tag} id=\"{element.get('id')}\">"
    words = " ".join("".join(element.itertext()).split())
    return f"<{element.tag}> \"{words[:50]}\"" if words else f"<{element.tag}>"


def inline_runs(element: ET.Element) -> list[tuple[str, bool]]:
    """Element text -> (text, bold) runs: <b> from the template, **bold** from data.
    Template indentation and YAML line breaks become single spaces; a no-break space
    (French « », before : and ?) is kept, so the line never breaks there."""
    raw = _data_runs(element.text, False)
    for child in element:
        if child.tag != "b" or len(child):
            raise LayoutProblem(f"{describe(element)} may contain only plain <b> inline, not <{child.tag}> or nested elements")
        raw += _data_runs(child.text, True) + _data_runs(child.tail, False)
    runs: list[tuple[str, bool]] = []
    for value, bold in raw:
        value = re.sub(r"[ \t\r\n]+", " ", value)
        if runs and runs[-1][0].endswith(" ") and value.startswith(" "):
            value = value[1:]
        if not value:
            continue
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + value, bold)
        else:
            runs.append((value, bold))
    if runs:
        runs[0] = (runs[0][0].lstrip(" "), runs[0][1])
        runs[-1] = (runs[-1][0].rstrip(" "), runs[-1][1])
    return [(value, bold) for value, bold in runs if value]


def inline_markup(element: ET.Element) -> str:
    """Element text -> ReportLab paragraph markup: all text escaped, only <b> let through."""
    return runs_to_markup(inline_runs(element))


def runs_to_markup(runs: list[tuple[str, bool]]) -> str:
    return "".join(f"<b>{escape(text)}</b>" if bold else escape(text) for text, bold in runs)


def _data_runs(value: str | None, bold: bool) -> list[tuple[str, bool]]:
    """Split data text at **bold** markers; inside a bold element everything is bold."""
    parts = re.split(r"\*\*(.+?)\*\*", value or "", flags=re.S)
    return [(part, bold or index % 2 == 1) for index, part in enumerate(parts) if part]


def _dimension(element: ET.Element, name: str, default: str | None = None) -> float:
    raw = element.get(name, default)
    value = parse_dimension(raw) if raw is not None else None
    if value is None:
        raise LayoutProblem(f"{describe(element)} needs {name}= as a size such as 4mm or 10pt (got {raw!r})")
    return value


def build_blocks(parent: ET.Element, ctx: BlockContext) -> list[Flowable]:
    flowables: list[Flowable] = []
    for element in parent:
        flowable = build_block(element, ctx)
        if flowable is not None:
            flowable._block = describe(element)
            flowables.append(flowable)
    return flowables


def build_block(element: ET.Element, ctx: BlockContext) -> Flowable | None:
    tag = element.tag
    if tag in TEXT_TAGS:
        runs = inline_runs(element)
        if not runs:
            return None  # an empty value: the layout adapts instead of printing a blank line
        style = ctx.paragraph_style(element.get("style", TEXT_TAGS[tag]), element)
        if element.get("wrap") == "url":
            return URLParagraph("".join(text for text, _ in runs), style)
        return ctx.paragraph(runs, style)
    if tag == "list":
        return _list(element, ctx)
    if tag == "columns":
        return _columns(element, ctx)
    if tag == "box":
        return _box(element, ctx)
    if tag == "qr":
        return _qr(element, ctx)
    if tag == "image":
        return _image(element, ctx)
    if tag == "lang":
        return _language_block(element, ctx)
    if tag == "spacer":
        spacer = Spacer(1, _dimension(element, "height"))
        spacer.grow = _dimension(element, "grow", "0")  # may take up to this much of the spare height
        return spacer
    if tag == "rule":
        style = ctx.style(element.get("style", "rule"), element)
        return HRFlowable(width="100%", thickness=style.border_width or 1, color=HexColor(style.color),
                          spaceBefore=style.space_before, spaceAfter=style.space_after)
    raise LayoutProblem(f"unknown element <{tag}> in the layout XML")


def _list(element: ET.Element, ctx: BlockContext) -> Flowable | None:
    style_name = element.get("style", "item")
    bullet = element.get("bullet", "\u2022")
    size = ctx.style(style_name, element).font_size
    # CJK fonts draw the bullet a full em wide; indent by its real width so lines align.
    indent = max(size * 1.1, stringWidth(bullet, ctx.font, size) + size * 0.45)
    items = []
    for item in element:
        if item.tag != "item":
            raise LayoutProblem(f"{describe(element)} may contain only <item>, not <{item.tag}>")
        runs = inline_runs(item)
        if runs:
            style = ctx.paragraph_style(style_name, element, indent=indent)
            items.append(ctx.paragraph(runs, style, bullet))
    return _table([[items]], ["100%"], _padding(0), ctx) if items else None


def _padding(points: float) -> list[tuple]:
    return [(f"{side}PADDING", (0, 0), (-1, -1), points) for side in ("LEFT", "RIGHT", "TOP", "BOTTOM")]


def _table(rows: list[list], widths: list[str], commands: list[tuple], ctx: BlockContext) -> Table:
    """A table used for arrangement only. Its FONT is set to the language's font, or
    ReportLab would select (and list, unembedded) Helvetica for every cell."""
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), ctx.font)] + commands))
    return table


def _columns(element: ET.Element, ctx: BlockContext) -> Flowable:
    columns = [c for c in element if c.tag == "column"]
    if not columns or len(columns) != len(element):
        raise LayoutProblem(f"{describe(element)} must contain only <column> elements")
    weights = [float(w) for w in element.get("widths", " ".join("1" for _ in columns)).split()]
    if len(weights) != len(columns) or min(weights) <= 0:
        raise LayoutProblem(f"{describe(element)}: widths= must give one positive number per column")
    gap = _dimension(element, "gap", "0")
    cells = [build_blocks(c, ctx) for c in columns]
    widths = [f"{100 * w / sum(weights):.4f}%" for w in weights]
    if ctx.rtl and element.get("mirror", "yes") == "yes":
        cells, widths = cells[::-1], widths[::-1]
    commands = [("VALIGN", (0, 0), (-1, -1), element.get("valign", "TOP").upper()),
                ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (0, 0), (-1, -1), gap / 2), ("RIGHTPADDING", (0, 0), (-1, -1), gap / 2),
                ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]
    return _table([cells], widths, commands, ctx)


def _box(element: ET.Element, ctx: BlockContext) -> Flowable:
    style = ctx.style(element.get("style", "box"), element)
    content = build_blocks(element, ctx)
    commands = _padding(style.padding)
    if style.background:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), HexColor(style.background)))
    if style.border_color and style.border_width:
        commands.append(("BOX", (0, 0), (-1, -1), style.border_width, HexColor(style.border_color)))
    table = _table([[content]], ["100%"], commands, ctx)
    table.spaceBefore, table.spaceAfter = style.space_before, style.space_after
    return table


MAX_IMAGE_BYTES = 2_000_000
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def safe_image_path(data_dir: Path, src: str) -> Path:
    """A logo may only be a real PNG or JPEG file inside the data directory."""
    root = data_dir.resolve()
    path = (root / src).resolve()
    if root not in path.parents:
        raise LayoutProblem(f"image '{src}' is outside the data directory; put it under {data_dir}")
    if not path.is_file():
        raise LayoutProblem(f"image '{src}' not found in the data directory")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise LayoutProblem(f"image '{src}' is larger than {MAX_IMAGE_BYTES:,} bytes")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not any(head.startswith(sig) for sig in IMAGE_SIGNATURES):
        raise LayoutProblem(f"image '{src}' is not a PNG or JPEG file")
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as image:
            image.verify()
    except Exception:  # PIL raises many types for broken files; all mean the same here
        raise LayoutProblem(f"image '{src}' is damaged or not a real PNG/JPEG") from None
    return path


def _image(element: ET.Element, ctx: BlockContext) -> Flowable | None:
    src = element.get("src", "").strip()
    if not src:
        return None  # no logo: the layout adapts
    path = safe_image_path(ctx.data_dir, src)
    from PIL import Image as PILImage

    with PILImage.open(path) as image:
        pixel_width, pixel_height = image.size
    width = _dimension(element, "width")
    return Image(str(path), width=width, height=width * pixel_height / pixel_width)


def _language_block(element: ET.Element, ctx: BlockContext) -> Flowable | None:
    """<lang code="ar">: its blocks in that language's font and direction (bilingual and
    multilingual layouts). QR codes inside still count for verification."""
    code = element.get("code", "")
    inner = ctx.language_context(code) if ctx.language_context else None
    if inner is None:
        raise LayoutProblem(f"<lang code=\"{code}\"> names a language that data/languages does not have")
    inner.qr_urls = ctx.qr_urls
    blocks = build_blocks(element, inner)
    return _table([[blocks]], ["100%"], _padding(0), inner) if blocks else None


def _qr(element: ET.Element, ctx: BlockContext) -> Flowable:
    resource = element.get("resource", "")
    if resource not in ctx.urls:
        raise LayoutProblem(f"{describe(element)} names resource '{resource}', which data/resources.yaml does not define")
    url = ctx.urls[resource]
    size = _dimension(element, "size")
    module = module_size_mm(url, size)
    if module < ctx.layout.min_qr_module_mm:
        raise LayoutProblem(
            f"QR code for '{resource}' has {module:.2f} mm modules at size {element.get('size')}; "
            f"the layout needs at least {ctx.layout.min_qr_module_mm:.2f} mm: make it larger or the URL shorter"
        )
    ctx.qr_urls.append(url)
    return QRCode(url, size)


class URLParagraph(Flowable):
    """A web address that wraps only after '/', '.' or '-', so each line stays typeable.

    ReportLab breaks only at spaces (or, in CJK mode, anywhere); neither suits a URL.
    """

    def __init__(self, url: str, style: ParagraphStyle):
        super().__init__()
        self.url = url
        self.style = ParagraphStyle(style.name + "/url", parent=style, wordWrap=None, shaping=0, leftIndent=0, rightIndent=0)
        self._paragraph: Paragraph | None = None

    def _lines(self, width: float) -> list[str]:
        pieces = re.findall(r"[^/.\-]*[/.\-]*", self.url)
        lines, current = [], ""
        for piece in filter(None, pieces):
            if current and stringWidth(current + piece, self.style.fontName, self.style.fontSize) > width:
                lines.append(current)
                current = piece
            else:
                current += piece
        return lines + [current] if current else lines

    def wrap(self, avail_width, avail_height):
        markup = "<br/>".join(escape(line) for line in self._lines(avail_width))
        self._paragraph = Paragraph(markup, self.style)
        return self._paragraph.wrap(avail_width, avail_height)

    def draw(self):
        self._paragraph.drawOn(self.canv, 0, 0)

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def getSpaceBefore(self):
        return self.style.spaceBefore
