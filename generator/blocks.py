"""Render, step 2: the typed block tree -> ReportLab flowables (text shaped, QR codes as paths).

Text arrives as (text, bold) runs and is always escaped before ReportLab parses it; the
only inline markup that reaches ReportLab is <b>. Flowables are layout objects: they are
measured by the layout stage and drawn by the draw stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Image, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from . import blocktree as bt
from .blocktree import LayoutProblem
from .cjk import CJKParagraph
from .rtl import BidiParagraph
from .fontmanifest import ScriptFont
from .model import Layout, Style
from .pdftags import Tag, mark
from .qr import MM, QUIET_ZONE, QRCode, qr_matrix
from .rlprivate import RedrawnParagraph, kept_for_width, measured_afresh

@dataclass
class BlockContext:
    layout: Layout
    script: ScriptFont
    font: str
    bold_font: str
    rtl: bool
    urls: dict[str, str]  # resource id -> the address its code encodes on this page (generator/addresses.py)
    data_dir: Path
    styles: dict[str, Style]  # the style set in use (normal or compact)
    qr_urls: list[str] = field(default_factory=list)  # every URL encoded, for verification
    qr_sizes: list[tuple[str, float]] = field(default_factory=list)  # (url, size in design points, quiet zone included)
    _styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    language_context: object = None  # code -> BlockContext, for <lang> blocks in multilingual layouts
    lang: str = ""  # the language's code, for the structure tree's /Lang
    language_pages: dict[str, str] = field(default_factory=dict)  # code -> <web_base>/<code>/ (empty without web_base)
    destinations: dict[str, str] = field(default_factory=dict)  # address encoded on this page -> where it finally leads
    qr_destinations: list[str] = field(default_factory=list)  # beside qr_urls: where each code finally leads
    shared: "SharedBlocks | None" = None  # the project's built blocks (see built_once); None: build every time
    _signature: int | None = None

    def style(self, name: str, block: bt.Block) -> Style:
        try:
            return self.styles[name]
        except KeyError:
            raise LayoutProblem(f"{block.describe()} uses style '{name}', which {self.layout.name}/layout.yaml does not define") from None

    def paragraph_style(self, name: str, block: bt.Block, indent: float = 0.0) -> ParagraphStyle:
        key = f"{name}/{indent}"
        if key not in self._styles:
            s = self.style(name, block)
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

    def paragraph(self, runs: list[tuple[str, bool]], style: ParagraphStyle, bullet: str | None = None,
                  role: str = "P") -> Flowable:
        """The paragraph flowable that suits the script: right-to-left, CJK or plain, tagged
        with its structure role (H1, P, LBody...).

        A batch prints the same paragraphs for every school, so a paragraph made from the
        same text and style is reused: parsed and line-broken once per worker, drawn on
        each document's own canvas."""
        if self.rtl:
            cls, content = BidiParagraph, tuple(runs)
        else:
            cls = CachedCJKParagraph if self.script.line_break == "cjk" else CachedParagraph
            content = runs_to_markup(runs)
        key = (cls.__name__, content, style_signature(style), bullet, self.bold_font, role, self.lang)
        paragraph = _PARAGRAPHS.get(key)
        if paragraph is None:
            if cls is BidiParagraph:
                paragraph = remembered(key, BidiParagraph(list(runs), style, self.bold_font, bullet))
            else:
                paragraph = remembered(key, cls(content, style, bulletText=bullet))
            # Shaped text draws glyphs that do not say their characters; right-to-left
            # paragraphs mark their lines themselves (rtl.py), in logical order. A bullet
            # is the list item's Lbl, not part of its text (pdftags.Structure.label).
            text = "".join(text for text, _ in runs)
            mark(paragraph, Tag(role, text, bool(self.script.shaping) or self.rtl, self.lang, own_spans=self.rtl))
        return paragraph

    def url_paragraph(self, url: str, style: ParagraphStyle) -> Flowable:
        """A web address broken after '/', '.' or '-', reused as paragraphs are (it is the
        same on every school's copy of a page)."""
        key = ("URLParagraph", url, style_signature(style), self.lang)
        paragraph = _PARAGRAPHS.get(key)
        return paragraph if paragraph is not None else remembered(key, URLParagraph(url, style))

    def alignment(self, align: str) -> int:
        if align == "center":
            return TA_CENTER
        if align == "justify":
            return TA_JUSTIFY
        start_is_left = not self.rtl
        return TA_LEFT if (align == "start") == start_is_left else TA_RIGHT


MAX_CACHED_PARAGRAPHS = 3_000  # a page's paragraphs in every fit, with room to spare; 20,000 took 500 MB a worker
_PARAGRAPHS: dict[tuple, Flowable] = {}


def remembered(key: tuple, paragraph: Flowable) -> Flowable:
    """Keep a paragraph made for `key` (emptied when full, which costs only time)."""
    if len(_PARAGRAPHS) > MAX_CACHED_PARAGRAPHS:
        _PARAGRAPHS.clear()
    _PARAGRAPHS[key] = paragraph
    return paragraph


def style_signature(style: ParagraphStyle) -> tuple:
    """Everything of a paragraph style that changes how its text is laid out or drawn."""
    return tuple(str(getattr(style, name)) for name in (
        "fontName", "fontSize", "leading", "textColor", "alignment", "spaceBefore", "spaceAfter", "leftIndent",
        "rightIndent", "bulletIndent", "bulletFontName", "bulletFontSize", "wordWrap", "shaping"))


# What ReportLab's Paragraph.wrap and breakLines set (checked against ReportLab 5.1.0).
WRAP_STATE = ("width", "height", "blPara", "_wrapWidths", "_width_max", "_splitLongWordCount", "_hyphenations")


class WrapCache:
    """Measuring a page wraps each paragraph several times at the same width (natural
    heights, spare-space sharing, table cells, the frame): break the lines once per width,
    and keep each width's (rlprivate.kept_for_width; the same lines object again lets its
    drawing be written again, RedrawnParagraph)."""

    def wrap(self, avail_width, avail_height):
        if getattr(self, "_wrapped_at", None) == avail_width:
            return self.width, self.height
        known = kept_for_width(self.__dict__.setdefault("_wraps", {}), avail_width,
                               lambda: self._wrapped_state(avail_width, avail_height))
        if known is None:  # too narrow to hold anything: ReportLab set nothing
            return super().wrap(avail_width, avail_height)
        self.__dict__.update(known)
        self._wrapped_at = avail_width
        return self.width, self.height

    def _wrapped_state(self, avail_width, avail_height) -> dict | None:
        super().wrap(avail_width, avail_height)
        if "blPara" not in self.__dict__ or self.width != avail_width:
            return None
        return {name: self.__dict__[name] for name in WRAP_STATE if name in self.__dict__}


class CachedParagraph(WrapCache, RedrawnParagraph, Paragraph):
    pass


class CachedCJKParagraph(WrapCache, RedrawnParagraph, CJKParagraph):
    pass


def runs_to_markup(runs) -> str:
    return "".join(f"<b>{escape(text)}</b>" if bold else escape(text) for text, bold in runs)


def build_blocks(blocks: tuple[bt.Block, ...], ctx: BlockContext) -> list[Flowable]:
    flowables: list[Flowable] = []
    for block in blocks:
        shared = ctx.shared is not None and isinstance(block, SHARED_TYPES)
        flowable = built_once(block, ctx) if shared else build_block(block, ctx)
        if flowable is not None:
            flowable._block = block.describe()
            # A heading never ends a column or a page: it moves on with the block it heads.
            flowable._keep_with_next = isinstance(block, bt.Text) and block.tag in ("h1", "h2", "h3")
            if not hasattr(flowable, "_tag"):
                mark(flowable, block_tag(block, ctx))
            flowables.append(flowable)
    return flowables


# --- blocks every school's copy shares ----------------------------------------------------------
# A page's body is the same blocks for every school (only the header names the school), so a
# box, a list, columns or a language's part is built once per project and context and the very
# flowable serves every copy, as paragraphs are (ctx.paragraph). The key is the block itself
# (its text, attributes and template line) and everything the context gives a build: layout,
# fonts, direction, styles, language, addresses. The QR codes a build records for verification
# are recorded again on every use, in the same order, so each copy still verifies its own codes.
SHARED_TYPES = (bt.Columns, bt.Box, bt.ListBlock, bt.Lang)
MAX_SHARED_BLOCKS = 2_000  # entries; emptied when full, which costs only time


@dataclass
class SharedBlocks:
    built: dict[tuple, tuple] = field(default_factory=dict)  # (block, context id) -> (flowable, QR records)
    contexts: dict[tuple, int] = field(default_factory=dict)  # a context's signature -> its short id
    layouts: list = field(default_factory=list)  # the layouts the signatures name by id, kept alive


def context_id(ctx: BlockContext) -> int:
    """A short id for everything a context gives a build (hashed once per context, not per block)."""
    if ctx._signature is None:
        signature = (id(ctx.layout), ctx.script, ctx.font, ctx.bold_font, ctx.rtl, tuple(sorted(ctx.urls.items())),
                     str(ctx.data_dir), tuple(sorted(ctx.styles.items())), ctx.lang,
                     tuple(sorted(ctx.language_pages.items())), tuple(sorted(ctx.destinations.items())))
        if signature not in ctx.shared.contexts:
            ctx.shared.contexts[signature] = len(ctx.shared.contexts)
            ctx.shared.layouts.append(ctx.layout)
        ctx._signature = ctx.shared.contexts[signature]
    return ctx._signature


def built_once(block: bt.Block, ctx: BlockContext) -> Flowable | None:
    key = (block, context_id(ctx))
    entry = ctx.shared.built.get(key)
    if entry is None:
        before = len(ctx.qr_urls), len(ctx.qr_sizes), len(ctx.qr_destinations)
        flowable = build_block(block, ctx)  # a LayoutProblem leaves nothing behind: it is raised again next time
        records = (ctx.qr_urls[before[0]:], ctx.qr_sizes[before[1]:], ctx.qr_destinations[before[2]:])
        if len(ctx.shared.built) >= MAX_SHARED_BLOCKS:
            ctx.shared.built.clear()
        ctx.shared.built[key] = (flowable, records)
        return flowable
    flowable, (urls, sizes, destinations) = entry
    measured_afresh(flowable)
    ctx.qr_urls += urls
    ctx.qr_sizes += sizes
    ctx.qr_destinations += destinations
    return flowable


ROLES = {"h1": "H1", "h2": "H2", "h3": "H3", "p": "P"}


def block_tag(block: bt.Block, ctx: BlockContext) -> Tag:
    """The structure element of a block that is not a paragraph (paragraphs are tagged when made)."""
    if isinstance(block, bt.Text):  # a web address broken over lines: one word when read back
        return Tag("P", "".join(text for text, _ in block.runs), True, ctx.lang)
    if isinstance(block, bt.ListBlock):
        return Tag("L", lang=ctx.lang)
    if isinstance(block, bt.Box):
        return Tag("Div", lang=ctx.lang)
    if isinstance(block, bt.Lang):
        return Tag("Div", lang=block.code)
    if isinstance(block, bt.Flow):  # drawn column by column, so its blocks are in reading order already
        return Tag("Div", lang=ctx.lang)
    if isinstance(block, bt.QR):
        return Tag("Figure", lang="en", alt=f"QR code: {qr_address(block, ctx)}")
    if isinstance(block, bt.Image):
        return Tag("Figure", lang=ctx.lang, alt=block.alt) if block.alt else Tag("")
    return Tag("")  # spacers, rules (drawn as artifacts), columns (their blocks belong to the enclosing element)


def build_block(block: bt.Block, ctx: BlockContext) -> Flowable | None:
    if isinstance(block, bt.Text):
        if not block.runs:
            return None  # an empty value: the layout adapts instead of printing a blank line
        style = ctx.paragraph_style(block.style, block)
        if block.wrap_url:
            return ctx.url_paragraph("".join(text for text, _ in block.runs), style)
        return ctx.paragraph(list(block.runs), style, role=ROLES[block.tag])
    builder = BUILDERS.get(type(block))
    if builder is not None:
        return builder(block, ctx)
    if isinstance(block, bt.Spacer):
        spacer = Spacer(1, block.height)
        spacer.grow = block.grow  # may take up to this much of the spare height
        return spacer
    if isinstance(block, bt.Rule):
        style = ctx.style(block.style, block)
        return HRFlowable(width="100%", thickness=style.border_width or 1, color=HexColor(style.color),
                          spaceBefore=style.space_before, spaceAfter=style.space_after)
    raise LayoutProblem(f"{block.describe()} cannot be drawn inside a region")


def _list(block: bt.ListBlock, ctx: BlockContext) -> Flowable | None:
    size = ctx.style(block.style, block).font_size
    # CJK fonts draw the bullet a full em wide; indent by its real width so lines align.
    indent = max(size * 1.1, stringWidth(block.bullet, ctx.font, size) + size * 0.45)
    items = []
    for runs in block.items:
        if runs:
            style = ctx.paragraph_style(block.style, block, indent=indent)
            items.append(ctx.paragraph(list(runs), style, block.bullet, role="LBody"))
    return _table([[items]], ["100%"], _padding(0), ctx) if items else None


def _padding(points: float) -> list[tuple]:
    return [(f"{side}PADDING", (0, 0), (-1, -1), points) for side in ("LEFT", "RIGHT", "TOP", "BOTTOM")]


def _table(rows: list[list], widths: list[str], commands: list[tuple], ctx: BlockContext) -> Table:
    """A table used for arrangement only. Its FONT is set to the language's font, or
    ReportLab would select (and list, unembedded) Helvetica for every cell."""
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), ctx.font)] + commands))
    return table


def _columns(block: bt.Columns, ctx: BlockContext) -> Flowable:
    cells = [build_blocks(column, ctx) for column in block.columns]
    total = sum(block.weights)
    widths = [f"{100 * w / total:.4f}%" for w in block.weights]
    if ctx.rtl and block.mirror:
        cells, widths = cells[::-1], widths[::-1]
    gap = block.gap
    commands = [("VALIGN", (0, 0), (-1, -1), block.valign.upper()),
                ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (0, 0), (-1, -1), gap / 2), ("RIGHTPADDING", (0, 0), (-1, -1), gap / 2),
                ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]
    table = _table([cells], widths, commands, ctx)
    if ctx.rtl and block.mirror:  # drawn right to left: the structure tree restores the columns' order
        mark(table, Tag("", columns=tuple(len(cell) for cell in cells)))
    return table


def _flow(block: bt.Flow, ctx: BlockContext) -> Flowable | None:
    items = build_blocks(block.children, ctx)
    return FlowColumns(items, block.columns, block.gap) if items else None


class FlowColumns(Flowable):
    """Blocks that run down a column and on into the next, left to right, in columns of
    equal width; the columns are balanced (the shortest height that holds everything).

    Spacing inside a column follows the layout stage's stacking rule (the larger of one
    block's space after and the next one's space before; none at a column's top), and a
    block marked `_keep_with_next` (a heading) never ends a column. `continues`: when the
    page cannot hold all of it, `split` keeps what fits and returns the rest for the next
    page (layout.py, for layouts with `overflow: continue`)."""

    continues = True

    def __init__(self, items: list[Flowable], columns: int, gap: float):
        super().__init__()
        self.items, self.count, self.gap = list(items), columns, gap
        self._columns: list[list[int]] = []

    def column_width(self, avail_width: float) -> float:
        return (avail_width - self.gap * (self.count - 1)) / self.count

    def _measure(self, width: float) -> list[tuple[float, float, float]]:
        """(height, space before, space after) of each block at the column width."""
        return [(item.wrap(width, 1e6)[1], item.getSpaceBefore(), item.getSpaceAfter()) for item in self.items]

    def _fill(self, sizes, limit: float, columns: int) -> list[list[int]] | None:
        """Blocks into at most `columns` columns no taller than `limit`, in order; None if
        they do not all fit."""
        filled: list[list[int]] = [[]]
        used = 0.0
        for index, (height, before, _) in enumerate(sizes):
            column = filled[-1]
            need = height + (max(before, sizes[column[-1]][2]) if column else 0.0)
            ends_here = (getattr(self.items[index], "_keep_with_next", False) and index + 1 < len(sizes)
                         and used + need + max(sizes[index + 1][1], sizes[index][2]) + sizes[index + 1][0] > limit + 1e-6)
            if column and (used + need > limit + 1e-6 or ends_here):
                filled.append([])
                column, used, need = filled[-1], 0.0, height
            if height > limit + 1e-6 or len(filled) > columns:
                return None
            column.append(index)
            used += need
        return filled

    def _height(self, sizes, columns: list[list[int]]) -> float:
        tallest = 0.0
        for column in columns:
            total = 0.0
            for position, index in enumerate(column):
                total += sizes[index][0]
                if position:
                    total += max(sizes[index][1], sizes[column[position - 1]][2])
            tallest = max(tallest, total)
        return tallest

    def wrap(self, avail_width, avail_height):
        sizes = self._measure(self.column_width(avail_width))
        low = max((h for h, _, _ in sizes), default=0.0)
        high = sum(h + max(b, a) for h, b, a in sizes) + 1.0
        if self._fill(sizes, low, self.count) is not None:
            high = low
        while high - low > 0.5:  # the shortest balanced height, to half a point
            middle = (low + high) / 2
            if self._fill(sizes, middle, self.count) is None:
                low = middle
            else:
                high = middle
        self._columns = self._fill(sizes, high, self.count) or [list(range(len(self.items)))]
        self.width, self.height = avail_width, self._height(sizes, self._columns)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        """What fits in `avail_height` (at least one block), and the rest as another flow."""
        sizes = self._measure(self.column_width(avail_width))
        if self._fill(sizes, avail_height, self.count) is not None:
            return [self]
        fitting = 0
        while fitting < len(sizes) and self._fill(sizes[:fitting + 1], avail_height, self.count) is not None:
            fitting += 1
        # A heading stays with what it heads: it moves on rather than end the page.
        while fitting and getattr(self.items[fitting - 1], "_keep_with_next", False):
            fitting -= 1
        if fitting == 0:
            return []
        parts = [FlowColumns(self.items[:fitting], self.count, self.gap), FlowColumns(self.items[fitting:], self.count, self.gap)]
        for part in parts:
            part._block = getattr(self, "_block", "<flow>")
            if hasattr(self, "_tag"):
                mark(part, self._tag)
        return parts

    def draw(self):
        width = self.column_width(self.width)
        for number, column in enumerate(self._columns):
            x, y, previous = number * (width + self.gap), self.height, None
            for index in column:
                item = self.items[index]
                _, height = item.wrap(width, 1e6)
                if previous is not None:
                    y -= max(item.getSpaceBefore(), previous.getSpaceAfter())
                y -= height
                item.drawOn(self.canv, x, y)
                previous = item


def _box(block: bt.Box, ctx: BlockContext) -> Flowable:
    style = ctx.style(block.style, block)
    content = build_blocks(block.children, ctx)
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


def _image(block: bt.Image, ctx: BlockContext) -> Flowable | None:
    if not block.src:
        return None  # no logo: the layout adapts
    path = safe_image_path(ctx.data_dir, block.src)
    from PIL import Image as PILImage

    with PILImage.open(path) as image:
        pixel_width, pixel_height = image.size
    return Image(str(path), width=block.width, height=block.width * pixel_height / pixel_width)


def _language_block(block: bt.Lang, ctx: BlockContext) -> Flowable | None:
    """<lang code="ar">: its blocks in that language's font and direction (bilingual and
    multilingual layouts). QR codes inside still count for verification."""
    inner = ctx.language_context(block.code) if ctx.language_context else None
    if inner is None:
        raise LayoutProblem(f"<lang code=\"{block.code}\"> names a language that data/languages does not have")
    inner.qr_urls, inner.qr_sizes, inner.qr_destinations = ctx.qr_urls, ctx.qr_sizes, ctx.qr_destinations
    blocks = build_blocks(block.children, inner)
    if not blocks:
        return None
    table = _table([[blocks]], ["100%"], _padding(0), inner)
    # A table cell drops its first block's space before and its last block's space after;
    # the <lang> block takes them on, so it is spaced from its neighbours as its blocks are.
    table.spaceBefore, table.spaceAfter = blocks[0].getSpaceBefore(), blocks[-1].getSpaceAfter()
    return table


def qr_address(block: bt.QR, ctx: BlockContext) -> str:
    """What a <qr> encodes: its resource's address for this page, or a language's web page."""
    if block.language:
        if block.language not in ctx.language_pages:
            raise LayoutProblem(f"{block.describe()} needs web_base in data/district.yaml and a language of data/languages")
        return ctx.language_pages[block.language]
    if block.resource not in ctx.urls:
        raise LayoutProblem(f"{block.describe()} names resource '{block.resource}', which data/resources.yaml does not define")
    return ctx.urls[block.resource]


def _qr(block: bt.QR, ctx: BlockContext) -> Flowable:
    url = qr_address(block, ctx)
    what = f"'{block.language or block.resource}'"
    modules = len(qr_matrix(url))
    size = block.size or block.symbol * modules / (modules - 2 * QUIET_ZONE)
    module = size / modules / MM
    symbol = module * (modules - 2 * QUIET_ZONE)
    if module < ctx.layout.min_qr_module_mm:
        raise LayoutProblem(
            f"QR code for {what} has {module:.2f} mm modules at size {size / MM:.1f}mm; "
            f"the layout needs at least {ctx.layout.min_qr_module_mm:.2f} mm: make it larger or the URL shorter"
        )
    if symbol < ctx.layout.min_qr_symbol_mm - 1e-6:
        raise LayoutProblem(
            f"QR code for {what} is {symbol:.1f} mm wide without its quiet zone; the layout needs at least "
            f"{ctx.layout.min_qr_symbol_mm:.1f} mm so that a phone reads it from the whole page: make it larger"
        )
    ctx.qr_urls.append(url)
    ctx.qr_sizes.append((url, size))
    ctx.qr_destinations.append(ctx.destinations.get(url, url))
    return QRCode(url, size)


# The block types that become a flowable of their own (text, spacers and rules are made inline).
BUILDERS = {bt.ListBlock: _list, bt.Columns: _columns, bt.Flow: _flow, bt.Box: _box, bt.QR: _qr, bt.Image: _image, bt.Lang: _language_block}


class URLParagraph(Flowable):
    """A web address that wraps only after '/', '.' or '-', so each line stays typeable.

    ReportLab breaks only at spaces (or, in CJK mode, anywhere); neither suits a URL.
    """

    def __init__(self, url: str, style: ParagraphStyle):
        super().__init__()
        self.url = url
        self.style = ParagraphStyle(style.name + "/url", parent=style, wordWrap=None, shaping=0, leftIndent=0, rightIndent=0)
        self._paragraph: Paragraph | None = None
        self._wrapped_at: float | None = None
        self._size = (0.0, 0.0)

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
        # Its lines depend on the width alone: break them once per width (see WrapCache).
        if self._wrapped_at != avail_width:
            markup = "<br/>".join(escape(line) for line in self._lines(avail_width))
            self._paragraph = Paragraph(markup, self.style)
            self._size = self._paragraph.wrap(avail_width, avail_height)
            self._wrapped_at = avail_width
        return self._size

    def draw(self):
        self._paragraph.drawOn(self.canv, 0, 0)

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def getSpaceBefore(self):
        return self.style.spaceBefore
