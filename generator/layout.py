"""Layout: a typed block tree + fonts and styles -> positioned pages, or an Overflow naming the block.

Pure: no canvas, no PDF. Each page has up to three regions, header (from the top), footer
(from the bottom) and body (the space between), and any number of absolutely placed frames.
Blocks are stacked top to bottom in their region exactly as ReportLab's Frame would stack
them (space before and after collapse into each other); whatever a region cannot hold is an
overflow, reported with the block that did not fit rather than spilling onto a page 2.
A layout may offer tighter style sets ("fits"), tried in order until the page fits. `check`
runs this stage for every document, so it finds every overflow `build` would.
A layout with `overflow: continue` (the language sheet, whose length grows with the data)
instead continues its body on further pages, header and footer repeated: a <flow> is split
between pages, other blocks move on whole, and a heading never ends a page.
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from dataclasses import dataclass, field, replace

from reportlab.platypus import Flowable

from . import blocktree as bt
from .addresses import code_address, language_page
from .blocks import BlockContext, LayoutProblem, SharedBlocks, build_blocks
from .fonts import script_font
from .model import MULTILINGUAL, Language, Layout, PrintOptions, Project, School, Style
from .template import TemplateProblem, render_template

REGION_GAP = 6.0  # points between header, body and footer
FUZZ = 1e-6  # as ReportLab's frames: rounding must not turn a fit into an overflow


class Overflow(LayoutProblem):
    """The content does not fit the page."""


# --- what the layout stage hands to the draw stage -----------------------------------------

@dataclass(frozen=True)
class Placed:
    """A flowable at its place: x, y of its bottom left in design coordinates (points)."""

    flowable: Flowable
    x: float
    y: float
    avail_width: float
    avail_height: float
    width: float
    height: float
    block: str


@dataclass(frozen=True)
class Tint:
    """A frame's background and border (dropped or blackened by --grayscale in its style)."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str
    line_width: float


@dataclass(frozen=True)
class CropMarks:
    boxes: tuple[tuple[float, float, float, float], ...]  # x, y, w, h in PDF coordinates


@dataclass(frozen=True)
class CutLine:
    y: float  # PDF coordinates
    width: float


@dataclass
class PositionedPage:
    items: list = field(default_factory=list)  # Placed | Tint | CropMarks | CutLine, in drawing order


@dataclass
class LaidOut:
    """One document, laid out: everything the draw stage needs, nothing it must work out."""

    pages: list[PositionedPage]
    size: tuple[float, float]  # the design size of a page
    fit: str
    title: str
    subject: str
    font: str  # the frame language's regular font, the canvas's first font
    qr_urls: list[str]
    qr_sizes: list[tuple[str, float]]  # (url, size in design points, quiet zone included)
    texts: dict[str, str]  # language code -> every character printed in it, for the glyph check
    lang_tag: str
    qr_destinations: list[str] = field(default_factory=list)  # beside qr_urls: where each code finally leads


# --- contexts (fonts and styles per language) -----------------------------------------------

def grayscale_style(style: Style) -> Style:
    return replace(style, color="#000000", background="", border_color="#000000" if style.border_color else "")


def block_context(project: Project, layout: Layout, language: Language, styles: dict[str, Style] | None = None,
                  grayscale: bool = False, codes_for: Language | None = None) -> BlockContext:
    """`codes_for`: the language whose addresses the QR codes use, when it is not the
    frame's (a bilingual page is framed in English but made for its other language)."""
    info, regular, bold = script_font(project.fonts, language.script)
    addresses = {rid: code_address(project, rid, (codes_for or language).code) for rid in project.resources}
    urls = {rid: address for rid, (address, _) in addresses.items()}
    styles = styles if styles is not None else layout.styles
    if grayscale:
        styles = {name: grayscale_style(style) for name, style in styles.items()}
    ctx = BlockContext(layout, info, regular, bold, language.direction == "rtl", urls, project.data_dir, styles)
    ctx.lang = language.code
    ctx.destinations = dict(addresses.values())
    ctx.shared = shared_blocks(project)
    if project.web_base:
        ctx.language_pages = {code: language_page(project, code) for code in project.languages}
    contexts: dict[str, BlockContext] = {}

    def language_context(code: str) -> BlockContext | None:
        if code not in project.languages:
            return None
        if code not in contexts:
            contexts[code] = block_context(project, layout, project.languages[code], styles)
        return contexts[code]

    ctx.language_context = language_context
    return ctx


def per_project(stores: dict, project: Project, make=dict):
    """The project's own store in `stores` (made by `make` the first time), dropped with the
    project: a worker holds one project, tests load many."""
    key = id(project)
    if key not in stores:
        stores[key] = make()
        weakref.finalize(project, stores.pop, key, None)
    return stores[key]


_shared_blocks: dict[int, SharedBlocks] = {}


def shared_blocks(project: Project) -> SharedBlocks:
    """The blocks built for this project's pages (blocks.built_once)."""
    return per_project(_shared_blocks, project, SharedBlocks)


# --- the stage --------------------------------------------------------------------------------

def parse_document(project: Project, layout: Layout, language: Language, paper: str, fit: str, school: School | None,
                   page_languages: list[Language] | None) -> bt.DocumentTree:
    """Template -> layout XML -> typed tree; a vocabulary problem names the template's line."""
    text = render_template(project, layout, language, paper, fit, school, page_languages)
    path = str(layout.directory / layout.template_name)
    try:
        tree = parsed_tree(text, path)
    except LayoutProblem as exc:
        line = exc.loc.line if exc.loc else 0
        tag = exc.message[1:exc.message.index(">")] if exc.message.startswith("<") and ">" in exc.message else ""
        at = bt.template_line(layout.template_source, line, text, tag)
        raise TemplateProblem(bt.Loc(path, at, 1), f"{exc.message} (layout XML line {line}, language {language.code}, "
                                                  f"paper {paper})") from None
    for block in bt.walk_blocks(tree):
        if isinstance(block, bt.QR) and block.language and (not project.web_base or block.language not in project.languages):
            why = (f"names the language '{block.language}', which data/languages does not have" if project.web_base else
                   "encodes the web edition's page of a language, <web_base>/<code>/, but data/district.yaml sets no "
                   "web_base; set web_base there, or put the code inside {% if web_base %}")
            at = bt.template_line(layout.template_source, block.line, text, "qr")
            raise TemplateProblem(bt.Loc(path, at, 1), f"{block.describe()} {why} (language {language.code}, paper {paper})")
    return tree


@lru_cache(maxsize=16)
def parsed_tree(text: str, path: str) -> bt.DocumentTree:
    """bt.parse_tree, once per distinct text: a layout's looser fits mostly render the very same
    XML (only a few change the content), and the tree is immutable, so it is shared as is.

    Every school's copy of a page differs in its header only: the <body>, most of the text,
    is parsed once per exact text and line (parsed_body) and set into the tree of the rest.
    Any problem is left to the whole text's parse, which names it as it always has."""
    apart = body_apart(text)
    if apart is not None:
        rest, body = apart
        try:
            return with_body(bt.parse_tree(rest, path), parsed_body(body, path))
        except LayoutProblem:
            pass
    return bt.parse_tree(text, path)


# Outside a comment, CDATA or processing instruction (refused here, so the whole text is
# parsed), a "<body" in well-formed layout XML is the element itself: the template's values are
# escaped, and XML allows no "<" in an attribute.
NOT_SPLIT = ("<!--", "<![CDATA[", "<?")


def body_apart(text: str) -> tuple[str, str] | None:
    """(the text with an empty <body/> on as many lines, the <body> element on its own after
    as many line breaks as came before it), or None unless the text has exactly one body."""
    start, end = text.find("<body>"), text.find("</body>")
    if start < 0 or end < start or text.count("<body") != 1 or text.count("</body") != 1 or any(m in text for m in NOT_SPLIT):
        return None
    end += len("</body>")
    body = text[start:end]
    lines = body.count("\n")
    return text[:start] + "<body/>" + "\n" * lines + text[end:], "\n" * text.count("\n", 0, start) + body


@lru_cache(maxsize=32)
def parsed_body(text: str, path: str) -> tuple[bt.Block, ...]:
    return bt.parse_region(text, path)


def with_body(tree: bt.DocumentTree, body: tuple[bt.Block, ...]) -> bt.DocumentTree:
    """The tree with its one, empty, body region given `body`."""
    pages = list(tree.pages)
    for index, page in enumerate(pages):
        if any(name == "body" for name, _ in page.regions):
            regions = tuple((name, body if name == "body" else blocks) for name, blocks in page.regions)
            pages[index] = replace(page, regions=regions)
    return replace(tree, pages=tuple(pages))


def lay_out(project: Project, layout: Layout, language: Language, paper: str, school: School | None = None,
            options: PrintOptions = PrintOptions(), page_languages: list[Language] | None = None) -> LaidOut:
    """Try each of the layout's style sets in turn until the content fits (for a layout that
    continues: fits on the pages it is made for; if none does, the fewest pages, largest type)."""
    longer: list[LaidOut] = []
    for index, (fit, styles) in enumerate(layout.fits):
        try:
            laid_out = lay_out_fit(project, layout, language, paper, fit, styles, school, options, page_languages,
                                   None if layout.continues else overflow_memo(project))
        except Overflow as exc:
            if index == len(layout.fits) - 1:
                fits = ", ".join(name for name, _ in layout.fits)
                raise Overflow(f"{exc} (with every fit tried: {fits})") from None
            continue
        if not layout.continues or len(laid_out.pages) <= layout.pages:
            return laid_out
        longer.append(laid_out)
    if longer:
        return min(longer, key=lambda laid_out: len(laid_out.pages))  # min() keeps the first of equals
    raise AssertionError("a layout always has at least one style set")


def lay_out_fit(project: Project, layout: Layout, language: Language, paper: str, fit: str, styles: dict[str, Style],
                school: School | None = None, options: PrintOptions = PrintOptions(),
                page_languages: list[Language] | None = None, memo: dict | None = None) -> LaidOut:
    tree = parse_document(project, layout, language, paper, fit, school, page_languages)
    # Pages in several languages are framed in English; each <lang> block switches.
    frame_language = language if layout.language_mode == "each" else project.languages["en"]
    ctx = block_context(project, layout, frame_language, styles, options.grayscale, codes_for=language)
    design = project.papers.get(layout.design_paper or paper, project.papers[paper])
    size = (design.width, design.height)
    # Everything a body's fit depends on besides its own blocks and the room it is given.
    fit_key = (layout.name, tuple(sorted(ctx.styles.items())), frame_language.code, size) if memo is not None else None
    pages = [positioned for page in tree.pages for positioned in position_page(page, size, ctx, layout.continues, memo, fit_key)]
    title = tree.title or f"{layout.name} ({language.code})"
    lang_tag = MULTILINGUAL if page_languages else language.code
    return LaidOut(pages, size, fit, title, tree.subject, ctx.font, list(ctx.qr_urls), list(ctx.qr_sizes),
                   bt.texts_by_language(tree, frame_language.code), lang_tag, list(ctx.qr_destinations))


# --- overflows already found, per project -------------------------------------------------------
# A layout's looser fits overflow the same way for every school: the school's lines are in the
# header, and the body (all that overflows) is the same blocks in the same room. Trying a fit
# still parses the page and measures its header and footer for this very school, so the room is
# this document's own; only the body's build and measure is skipped when exactly these blocks,
# styles, fonts and room were already found to overflow. The answer is the one the full attempt
# gives, whatever ran before: a document's bytes never depend on the order jobs run in.
_overflow_memos: dict[int, dict] = {}


MAX_MEMO = 2_000  # entries (each keeps its blocks alive); emptied when full, which costs only time


def overflow_memo(project: Project) -> dict:
    memo = per_project(_overflow_memos, project)
    if len(memo) > MAX_MEMO:
        memo.clear()
    return memo


def position_page(page: bt.Page, size: tuple[float, float], ctx: BlockContext, continues: bool = False,
                  memo: dict | None = None, fit_key: tuple | None = None) -> list[PositionedPage]:
    """One <page> of the template -> one positioned page, or several when the layout
    continues and the body needs more room (each with the same header, footer and frames)."""
    regions = build_regions(page, ctx, memo, fit_key, size)
    pages = []
    while True:
        positioned, rest = PositionedPage(), ([] if continues else None)
        if regions:
            positioned.items += position_regions(regions, page.margin, size, rest)
        for frame in page.frames:
            positioned.items += position_frame(frame, size, ctx)
        for y in page.cut_lines:
            positioned.items.append(CutLine(size[1] - y, size[0]))
        if page.crop_boxes:
            positioned.items.append(CropMarks(tuple(pdf_box(box, size) for box in page.crop_boxes)))
        pages.append(positioned)
        if not rest:
            return pages
        regions = {**regions, "body": rest}


def build_regions(page: bt.Page, ctx: BlockContext, memo: dict | None, fit_key: tuple | None,
                  size: tuple[float, float]) -> dict[str, list[Flowable]]:
    """The regions' flowables. With a memo, the header's and footer's heights come first
    (measured once per exact blocks), and a body already found to overflow exactly the room
    they leave is not built again: the header and footer get their natural height, so the
    body is the first region that can overflow, and its overflow is the attempt's answer."""
    blocks = dict(page.regions)
    body_key = None
    if memo is not None and "body" in blocks:
        width = size[0] - 2 * page.margin
        heights = [region_height(blocks[name], ctx, width, memo, (fit_key, name))
                   for name in ("header", "footer") if name in blocks]
        room = size[1] - 2 * page.margin - sum(h + (REGION_GAP if h else 0) for h in heights)
        body_key = ("body", fit_key, blocks["body"], width, room)
        if body_key in memo:
            raise Overflow(memo[body_key])
    regions = {name: build_blocks(region, ctx) for name, region in page.regions}
    if body_key is not None:
        regions["body"] = MemoBody(regions["body"], memo, body_key)
    return regions


def region_height(blocks: tuple[bt.Block, ...], ctx: BlockContext, width: float, memo: dict, where: tuple) -> float:
    """The natural height of a region's blocks, as position_regions measures it."""
    key = ("height", where, blocks, width)
    if key not in memo:
        urls, sizes, destinations = len(ctx.qr_urls), len(ctx.qr_sizes), len(ctx.qr_destinations)
        memo[key] = natural_height(build_blocks(blocks, ctx), width)
        # Measured only: built again, and recorded, when drawn.
        del ctx.qr_urls[urls:], ctx.qr_sizes[sizes:], ctx.qr_destinations[destinations:]
    return memo[key]


class MemoBody(list):
    """A body's flowables, and where to record it if it overflows its room."""

    def __init__(self, flowables: list[Flowable], memo: dict, key: tuple):
        super().__init__(flowables)
        self.memo, self.key = memo, key


def pdf_box(box: tuple[float, float, float, float], size: tuple[float, float]) -> tuple[float, float, float, float]:
    """x, y (from the top left, as designers measure), width, height -> PDF x, y, w, h."""
    x, y, w, h = box
    return x, size[1] - y - h, w, h


def position_regions(regions: dict[str, list[Flowable]], margin: float, size: tuple[float, float],
                     rest: list | None = None) -> list[Placed]:
    """Header from the top, footer from the bottom, body between. `rest`: a list to receive
    the body blocks this page cannot hold (a continuing layout); None: that is an overflow."""
    width, height = size
    inner_width = width - 2 * margin
    header_h = natural_height(regions.get("header", []), inner_width)
    footer_h = natural_height(regions.get("footer", []), inner_width)
    top, bottom = height - margin, margin
    body_bottom = bottom + footer_h + (REGION_GAP if footer_h else 0)
    body_top = top - header_h - (REGION_GAP if header_h else 0)
    frames = {"header": (top - header_h, header_h), "footer": (bottom, footer_h), "body": (body_bottom, body_top - body_bottom)}
    grow_spacers(regions.get("body", []), inner_width, body_top - body_bottom)
    placed = []
    for name in bt.REGIONS:
        flowables = regions.get(name)
        if flowables:
            y, h = frames[name]
            try:
                placed += stack(flowables, margin, y, inner_width, max(h, 0), name, rest if name == "body" else None)
            except Overflow as exc:
                if isinstance(flowables, MemoBody):
                    flowables.memo[flowables.key] = str(exc)
                raise
    return placed


def position_frame(frame: bt.Frame, size: tuple[float, float], ctx: BlockContext) -> list:
    x, y, w, h = pdf_box((frame.x, frame.y, frame.width, frame.height), size)
    items = []
    if frame.style:
        style = ctx.style(frame.style, frame)
        items.append(Tint(x, y, w, h, style.background, style.border_color if style.border_width else "", style.border_width))
    flowables = build_blocks(frame.children, ctx)
    inner_w, inner_h = w - 2 * frame.padding, h - 2 * frame.padding
    top_gap = max((inner_h - natural_height(flowables, inner_w)) / 2, 0) if frame.valign == "middle" else 0.0
    return items + stack(flowables, x + frame.padding, y + frame.padding, inner_w, inner_h - top_gap, frame.id)


def stack(flowables: list[Flowable], x: float, bottom: float, width: float, height: float, name: str,
          rest: list | None = None) -> list[Placed]:
    """Blocks from the top of a box down, as ReportLab's Frame places them (its rules for
    space before and after, checked against ReportLab 5.1's Frame._add). With `rest` (a
    list), what does not fit is put there for the next page instead of being an overflow."""
    placed, y, at_top, space_after_before = [], bottom + height, True, 0.0
    for index, flowable in enumerate(flowables):
        space = 0.0
        if not at_top:
            space = max(flowable.getSpaceBefore() - space_after_before, 0)
        available = y - bottom - space
        w, h = flowable.wrap(width, available) if available > 0 else (0.0, float("inf"))
        if y - h - space < bottom - FUZZ:
            if rest is None:
                raise overflow(flowables[index:], name, width, height, max(y - bottom, 0))
            more = continue_on_next_page(flowables[index:], placed, rest, x, y - space, bottom, width, name, height)
            return placed + more
        new_y = y - h - space
        placed.append(Placed(flowable, x, new_y, width, available, w, h, getattr(flowable, "_block", "")))
        space_after_before = flowable.getSpaceAfter()
        new_y -= space_after_before
        at_top = at_top and new_y == y
        y = new_y
    return placed


def continue_on_next_page(remaining: list[Flowable], placed: list[Placed], rest: list, x: float, top: float, bottom: float,
                          width: float, name: str, height: float) -> list[Placed]:
    """The first block that does not fit: a block that continues (a <flow>) keeps on this
    page what fits; everything else goes to `rest`, with any heading that would end the page."""
    first, more = remaining[0], []
    parts = first.split(width, top - bottom) if getattr(first, "continues", False) and top - bottom > 0 else []
    if len(parts) == 2:
        w, h = parts[0].wrap(width, top - bottom)
        more.append(Placed(parts[0], x, top - h, width, top - bottom, w, h, getattr(first, "_block", "")))
        remaining = [parts[1]] + remaining[1:]
    while placed and not more and getattr(placed[-1].flowable, "_keep_with_next", False):
        remaining = [placed.pop().flowable] + remaining
    if not placed and not more:  # not even the first block fits an empty page: no page would hold it
        raise overflow(remaining, name, width, height, max(top - bottom, 0))
    rest.extend(remaining)
    return more


def overflow(remaining: list[Flowable], name: str, width: float, height: float, left: float) -> Overflow:
    block = getattr(remaining[0], "_block", type(remaining[0]).__name__)
    needed = sum(f.wrap(width, height)[1] + f.getSpaceBefore() for f in remaining)
    return Overflow(f"text overflows the {name} region: {block} needs {needed:.0f} pt "
                    f"but only {left:.0f} pt are left; shorten the text or adjust the layout")


def grow_spacers(flowables: list, width: float, height: float) -> None:
    """Share spare height among <spacer grow=...> blocks, so short texts do not leave one gap."""
    growable = [f for f in flowables if getattr(f, "grow", 0) > 0]
    spare = height - natural_height(flowables, width) - 2.0
    if not growable or spare <= 0:
        return
    share = spare / len(growable)
    for spacer in growable:
        spacer.height += min(share, spacer.grow)


def natural_height(flowables: list, width: float) -> float:
    total = 0.0
    for index, flowable in enumerate(flowables):
        total += flowable.wrap(width, 10_000)[1] + flowable.getSpaceAfter()
        if index:
            total += flowable.getSpaceBefore()
    return total + 1.0  # frames refuse content that fills them to the last fraction of a point
