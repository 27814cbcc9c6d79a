"""Render support: right-to-left paragraphs -> lines broken by shaped width, each line put
in visual order by the Unicode bidi algorithm and drawn run by run, shaped by HarfBuzz.

ReportLab's own right-to-left path needs `rlbidi`, which is not on PyPI, and with a
stand-in its Paragraph draws every line's words in reverse order. So right-to-left text is
laid out here: break lines in logical order, resolve bidi levels per line (python-bidi),
reorder runs (rule L2), shape each run in its own direction (which also mirrors brackets),
and draw the runs left to right. Latin names, digits and URLs inside Arabic-script text
come out left-to-right and readable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import uharfbuzz
from bidi import algorithm as bidi_algorithm
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr
from reportlab.platypus import Flowable

from .glyphorder import glyph_text, with_glyph_texts
from .pdftags import line_carrier, poppler_word_text, span_marks
from .rlprivate import DRAWN, chunk_codes, glyph_codes, kept_for_width, remember_drawing, show

Piece = tuple[str, bool]  # (text, bold)
RTL_CLASSES = {"R", "AL"}


def split_words(runs: list[Piece]) -> list[list[Piece]]:
    """Runs of text -> words (split at ordinary spaces), each a list of (text, bold) pieces."""
    words: list[list[Piece]] = []
    current: list[Piece] = []
    for text, bold in runs:
        for index, part in enumerate(text.split(" ")):
            if index and current:
                words.append(current)
                current = []
            if part:
                current.append((part, bold))
    if current:
        words.append(current)
    return words


def is_rtl_text(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in RTL_CLASSES for ch in text)


@lru_cache(maxsize=20_000)
def shape(text: str, font_name: str, size: float, rtl: bool) -> tuple[str, float]:
    """Shape one run in an explicit direction -> (string ReportLab can draw, width in points).

    Left-to-right runs inside right-to-left text are Latin letters, digits and punctuation,
    which need no shaping; drawing them unshaped keeps their text extractable as is."""
    if not rtl:
        return text, pdfmetrics.stringWidth(text, font_name, size)
    font = pdfmetrics.getFont(font_name)
    hb_font = font.hbFont(size)
    buffer = uharfbuzz.Buffer()
    buffer.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    uharfbuzz.shape(hb_font, buffer, {"kern": True, "liga": True})
    chars, data, advance = [], [], 0.0
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions):
        glyph = info.codepoint
        try:
            code = font.face.glyphToChar[glyph][0]
        except KeyError:  # a glyph no character maps to (a joined form, a ligature)
            code = font.hbAddPrivate(hb_font.glyph_to_string(glyph), glyph, position.x_advance)
        x_advance = font.pdfScale(position.x_advance)
        data.append(ShapeData(info.cluster, x_advance, font.pdfScale(position.y_advance),
                              font.pdfScale(position.x_offset), font.pdfScale(position.y_offset),
                              font.face.charWidths[code]))
        chars.append(chr(code))
        advance += x_advance
    return ShapedStr("".join(chars), shapeData=data), advance * size / 1000


def bidi_levels(text: str, rtl_base: bool) -> list[int]:
    """Embedding level of every character (rules P-I of UAX #9, by python-bidi)."""
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"] = 1 if rtl_base else 0
    storage["base_dir"] = "R" if rtl_base else "L"
    bidi_algorithm.get_embedding_levels(text, storage)
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    resolved = iter(c["level"] for c in storage["chars"])
    levels, last = [], storage["base_level"]
    for ch in text:
        # Rule X9 drops format characters (ZWNJ, ZWJ) from the list; they keep their neighbour's level.
        if unicodedata.bidirectional(ch) not in bidi_algorithm.X9_REMOVED:
            last = next(resolved)
        levels.append(last)
    return levels


def visual_order(levels: list[int]) -> list[int]:
    """Rule L2: indices of runs in display order, given each run's level."""
    order = list(range(len(levels)))
    odd = [level for level in levels if level % 2]
    if not levels or not odd:
        return order
    for level in range(max(levels), min(odd) - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            i = j
    return order


LRE, PDF = "\u202a", "\u202c"


BRACKETS = {"(": ")", "[": "]", "{": "}"}


def _ltr_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` to embed left-to-right inside right-to-left text.

    A span runs from the first to the last letter or digit of a stretch of words that have
    no right-to-left letters (a phone number, a date, "Plyler v. Doe (1982)"). Plain bidi lets
    Arabic context reorder the parts of such a stretch (800-421-3481 would read
    3481-421-800), and python-bidi lacks the bracket-pair rule, so "(1982)" would lose its
    closing bracket to the Arabic side. Punctuation around a span (a final full stop) stays
    outside and follows the paragraph's direction; brackets opened inside are closed inside.
    """
    words = [(m.start(), m.end()) for m in re.finditer(r"[^ ]+", text)]
    spans, group = [], []
    for start, end in words + [(len(text), len(text))]:
        word = text[start:end]
        if word and not is_rtl_text(word):
            group.append((start, end))
            continue
        alnum = [i for s, e in group for i in range(s, e) if text[i].isalnum()]
        if alnum:
            spans.append(_close_brackets(text, alnum[0], alnum[-1]))
        group = []
    return spans


def _close_brackets(text: str, first: int, last: int) -> tuple[int, int]:
    for opening, closing in BRACKETS.items():
        while text[first:last + 1].count(opening) > text[first:last + 1].count(closing) and last + 1 < len(text) and text[last + 1] == closing:
            last += 1
        while text[first:last + 1].count(closing) > text[first:last + 1].count(opening) and first > 0 and text[first - 1] == opening:
            first -= 1
    return first, last


def line_runs(words: list[list[Piece]], rtl_base: bool) -> list[tuple[str, bool, int]]:
    """A line's words -> runs (text, bold, level) in logical order."""
    return paragraph_runs([words], rtl_base)[0]


def paragraph_runs(lines: list[list[list[Piece]]], rtl_base: bool) -> list[list[tuple[str, bool, int]]]:
    """A paragraph's lines -> each line's runs (text, bold, level) in logical order.

    Levels are resolved over the whole paragraph, as the bidi algorithm asks, and then cut to
    the lines: a comma between two parts of an address broken over two lines ("500 Main
    Street, / Hartford") stays inside its left-to-right stretch instead of taking the
    paragraph's direction at the line end."""
    chars: list[tuple[str, bool]] = []
    line_of: list[int] = []  # the line of each character (-1: the space between two lines)
    for number, line_words in enumerate(lines):
        if number:
            chars.append((" ", False))
            line_of.append(-1)
        for index, word in enumerate(line_words):
            if index:
                chars.append((" ", False))
                line_of.append(number)
            for text, bold in word:
                chars.extend((ch, bold) for ch in text)
                line_of.extend(number for _ in text)
    text = "".join(ch for ch, _ in chars)
    starts, ends = set(), set()
    for first, last in _ltr_spans(text) if rtl_base else []:
        starts.add(first)
        ends.add(last)
    marked: list[tuple[str, bool, int]] = []  # (char, bold, line or -1 for embedding marks)
    for position, (ch, bold) in enumerate(chars):
        marked += [(LRE, False, -1)] if position in starts else []
        marked.append((ch, bold, line_of[position]))
        marked += [(PDF, False, -1)] if position in ends else []
    levels = bidi_levels("".join(ch for ch, _, _ in marked), rtl_base)
    result: list[list[tuple[str, bool, int]]] = [[] for _ in lines]
    for (ch, bold, number), level in zip(marked, levels):
        if number < 0:
            continue
        runs = result[number]
        if runs and runs[-1][1] == bold and runs[-1][2] == level:
            runs[-1] = (runs[-1][0] + ch, bold, level)
        else:
            runs.append((ch, bold, level))
    return result


BULLET = (-1,)  # a list item's bullet, in a line's reading order: first


@dataclass
class Chunk:
    """Consecutive glyphs of a run drawn with one show operator: a word (its index in the run,
    and `reads_as`, what Poppler should extract for it) or spaces (`word` None)."""

    glyphs: str
    word: int | None
    reads_as: str
    advance: float
    one_object: bool = True  # ReportLab draws it as one text object (no mark raised or lowered)


def run_chunks(shaped: str, text: str, rtl: bool, size: float, font_name: str) -> list[Chunk]:
    """A run as shaped -> its chunks from left to right, cut where a word starts or ends.

    A shaped run's glyphs are in visual order and each names the character it starts (its
    cluster). Drawn one after the other in one text block, the chunks put every glyph exactly
    where the whole run put it; each glyph maps to the characters it stands for
    (glyphorder.py)."""
    if not isinstance(shaped, ShapedStr):  # left to right and unshaped
        chunks, word = [], 0
        for match in re.finditer(r"[^ ]+| +", shaped):
            part = match.group()
            spaces = part.startswith(" ")
            chunks.append(Chunk(part, None if spaces else word, part if spaces else poppler_word_text(part, False), 0.0))
            word += 0 if spaces else 1
        return chunks
    word_of, word = [], 0
    for index, ch in enumerate(text):
        if ch == " " and index and text[index - 1] != " ":
            word += 1
        word_of.append(None if ch == " " else word)
    words = text.split()
    data = shaped.__shapeData__
    clusters = sorted({d.cluster for d in data})
    chunks, first = [], 0
    for index in range(1, len(data) + 1):
        if index == len(data) or word_of[data[index].cluster] != word_of[data[first].cluster]:
            owner = word_of[data[first].cluster]
            reads_as = "" if owner is None else poppler_word_text(words[owner], rtl)
            last = max(d.cluster for d in data[first:index])
            end = next((c for c in clusters if c > last), len(text))
            # Glyphs say their characters, but stay in visual order: PDFium reads a
            # right-to-left run's glyphs as drawn from the left, and Poppler's pdftotext
            # spreads a word's /ActualText from its first glyph drawn to its last.
            glyphs = with_glyph_texts(shaped[first:index], text, font_name, end)
            chunks.append(Chunk(_unraised_first(glyphs), owner, reads_as,
                                sum(d.x_advance for d in data[first:index]) * size / 1000,
                                len({d.y_offset for d in data[first:index]}) == 1))
            first = index
    return chunks


def _unraised_first(glyphs: ShapedStr) -> ShapedStr:
    """The same glyphs at the same places, with no raised or lowered glyph first.

    ReportLab 5.1 fails on a string whose first glyph has a vertical offset (its setRise looks
    at the operators of a string it has not written yet). A word cut from a line can start
    with a mark (no advance) over its last letter; the mark moves after the next glyph, its
    horizontal offset taking back that glyph's advance, so it lands where it was."""
    data, chars = list(glyphs.__shapeData__), str(glyphs)
    first = next((i for i, d in enumerate(data) if not d.y_offset), 0)
    if not first or any(d.x_advance for d in data[:first]):
        return glyphs
    base = data[first]
    marks = [d._replace(x_offset=d.x_offset - base.x_advance) for d in data[:first]]
    return ShapedStr(chars[first] + chars[:first] + chars[first + 1:], shapeData=[base] + marks + data[first + 1:])


def line_plan(runs: list[tuple[float, str, str, list[Chunk]]], logical: str, size: float) -> tuple[object, str]:
    """Which word's text object gives PDFium the whole line, and what it says
    (pdftags.line_carrier), for a line's runs (x, font, shaped, chunks). PDFium reads each
    glyph through the font's ToUnicode map, so the model is given that text."""
    objects = []
    for run_index, (x, font, shaped, chunks) in enumerate(runs):
        pen = x
        for chunk_index, chunk in enumerate(chunks):
            if chunk.word is not None:
                data = getattr(chunk.glyphs, "__shapeData__", None)
                origin = pen + (data[0].x_offset * size / 1000 if data else 0.0)  # ReportLab writes it before the glyph
                objects.append((origin, (run_index, chunk_index), glyph_text(chunk.glyphs), chunk.one_object))
            pen += chunk.advance or pdfmetrics.stringWidth(chunk.glyphs, font, size)
    return line_carrier(objects, logical)


def draw_line(canvas, runs: list[tuple[float, str, str, list[Chunk]]], plan: tuple[object, str], y: float,
              size: float, reading: list[tuple] | None = None) -> None:
    """Draw a line's runs (x, font, shaped, chunks), each word marked with what Poppler reads
    for it, and give PDFium the whole line through one text object (`plan`, from line_plan).

    Inside a block every word and every space is a content item of the structure tree, placed
    in reading order by `reading` (each run's place in the line's logical order, and whether it
    reads right to left: its chunks, drawn from the left, then read from the right)."""
    carrier, line_text = plan
    structure = getattr(canvas, "structure", None)
    for run_index, (x, font, shaped, chunks) in enumerate(runs):
        text = canvas.beginText(x, y)
        text.setFont(font, size)
        operators = text._code  # marked content between the show operators of one text block keeps every glyph in place
        for chunk_index, chunk in enumerate(chunks):
            mcid = structure.content_item(*item_place(reading, run_index, chunk_index)) if structure else None
            inner = None if carrier is None else (line_text if (run_index, chunk_index) == carrier else "")
            opening, closing = span_marks(chunk.reads_as if chunk.word is not None else None, mcid, inner)
            if opening:
                operators.append(opening)
            show(text, chunk.glyphs)
            if closing:
                operators.append(closing)
        canvas.drawText(text)


def item_place(reading: list[tuple] | None, run_index: int, chunk_index: int) -> tuple[tuple, bool]:
    """A chunk's content item: its place in reading order and whether it is a list item's bullet."""
    place, rtl = reading[run_index] if reading else ((run_index,), False)
    return place + (-chunk_index if rtl else chunk_index,), place[-1:] == BULLET


# --- a paragraph drawn before (rlprivate: "a flowable drawn before, written again") -----------
# Right to left, a paragraph's words are content items of their own, so its first content id
# is part of what its operators follow from; written again, the same items are made again.


def plan_chunks(plan: list) -> tuple[tuple[str, str], ...]:
    """The (font, glyphs) a drawing plan formats, in drawing order."""
    return tuple((font, chunk.glyphs) for runs, _, _ in plan for _, font, _, chunks in runs for chunk in chunks)


def plan_items(plan: list) -> list[tuple[tuple, bool]]:
    """The content item (place in reading order, is a bullet) of every chunk of a drawing
    plan, in drawing order: what draw_line makes, one per chunk."""
    return [item_place(BidiParagraph.line_reading(number, reading), run_index, chunk_index)
            for number, (runs, _, reading) in enumerate(plan)
            for run_index, (_, _, _, chunks) in enumerate(runs) for chunk_index in range(len(chunks))]


class BidiParagraph(Flowable):
    """A paragraph in a right-to-left language (may contain left-to-right runs)."""

    def __init__(self, runs: list[Piece], style: ParagraphStyle, bold_font: str, bullet: str | None = None):
        super().__init__()
        self.words = split_words(runs)
        # A paragraph with no right-to-left letters (an English name) keeps left-to-right
        # order inside; it is still aligned like the rest of the page.
        self.rtl_base = any(is_rtl_text(text) for text, _ in runs)
        self.style = style
        self.bold_font = bold_font
        self.bullet = bullet
        self.lines: list[list[list[Piece]]] = []
        self._wraps: dict[float, dict] = {}  # width -> its lines, height, and what follows from them
        self._current: dict = {"lines": self.lines}

    def _font(self, bold: bool) -> str:
        return self.bold_font if bold else self.style.fontName

    def _word_width(self, word: list[Piece]) -> float:
        size = self.style.fontSize
        return sum(shape(text, self._font(bold), size, is_rtl_text(text))[1] for text, bold in word)

    def wrap(self, avail_width, avail_height):
        """Lines broken once per width: measuring a page asks several times, and on some pages
        the same paragraph stands at two widths, so each width's lines (and the runs, drawing
        plan and glyph codes that follow from them) are kept for the next copy."""
        if getattr(self, "_wrapped_at", None) == avail_width:
            return self.width, self.height
        def broken() -> dict:
            lines = self._break_lines(avail_width)
            return {"lines": lines, "height": len(lines) * self.style.leading}

        known = kept_for_width(self._wraps, avail_width, broken)
        self._current, self.lines, self.height = known, known["lines"], known["height"]
        self._wrapped_at = self.width = avail_width
        return self.width, self.height

    def _break_lines(self, avail_width: float) -> list[list[list[Piece]]]:
        width = avail_width - self.style.leftIndent - self.style.rightIndent
        space = pdfmetrics.stringWidth(" ", self.style.fontName, self.style.fontSize)
        lines, line, used = [], [], 0.0
        for word in self.words:
            word_width = self._word_width(word)
            if line and used + space + word_width > width:
                lines.append(line)
                line, used = [], 0.0
            used += (space if line else 0.0) + word_width
            line.append(word)
        if line:
            lines.append(line)
        return lines

    def split(self, avail_width, avail_height):
        return []  # a handout paragraph is never split across frames; overflow is reported instead

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def _baseline_offset(self) -> float:
        face = pdfmetrics.getFont(self.style.fontName).face
        size, leading = self.style.fontSize, self.style.leading
        glyph_height = (face.ascent - face.descent) * size / 1000
        return (leading - glyph_height) / 2 + face.ascent * size / 1000

    def draw(self):
        canvas, style = self.canv, self.style
        canvas.saveState()
        canvas.setFillColor(style.textColor)
        plan = self._drawing_plan()
        key = self._drawing_key(canvas, plan)
        known = DRAWN.get(key) if key is not None else None
        if known is not None:
            self._write_again(canvas, plan, known[2])
        else:
            start = len(canvas._code)
            y = self.height - self._baseline_offset()
            for number, (runs, line_plan_, reading) in enumerate(plan):
                draw_line(canvas, runs, line_plan_, y, style.fontSize, self.line_reading(number, reading))
                y -= style.leading
            if key is not None:
                remember_drawing(key, (self, plan, canvas._code[start:]))  # the paragraph and plan kept: their ids are in the key
        canvas.restoreState()

    def _drawing_key(self, canvas, plan: list) -> tuple | None:
        """All that this drawing's operators follow from (see "a paragraph drawn before"),
        its glyphs registered first; None if they cannot be registered beforehand."""
        if "codes" not in self._current:
            self._current["codes"] = chunk_codes(plan_chunks(plan))
        codes = self._current["codes"]
        registration = glyph_codes(codes, canvas._doc) if codes is not None else None
        if registration is None:
            return None
        structure = getattr(canvas, "structure", None)
        in_block = structure is not None and structure.content is not None
        return id(self), id(plan), self.height, canvas.bottomup, in_block, in_block and structure.next_mcid, registration

    def _write_again(self, canvas, plan: list, operators: list[str]) -> None:
        """A drawing's operators written again, and its words' content items made again, in order."""
        canvas._code.extend(operators)
        structure = getattr(canvas, "structure", None)
        if structure is None or structure.content is None:
            return
        if "items" not in self._current:
            self._current["items"] = plan_items(plan)
        for order, label in self._current["items"]:
            structure.content_item(order, label)

    @staticmethod
    def line_reading(number: int, reading: list[tuple]) -> list[tuple]:
        """A line's runs' places in the paragraph's reading order (line number first)."""
        return [((number,) + place, rtl) for place, rtl in reading]

    def _drawing_plan(self) -> list[tuple[list[tuple[float, str, str, list[Chunk]]], tuple[object, str], list[tuple]]]:
        """Every line's runs as drawn (x, font, shaped, chunks), its PDFium plan and each run's
        place in reading order ((logical index,), reads right to left), worked out
        once per line breaking, like _line_runs: a batch draws the same paragraph for every
        school, and all of it follows from the lines (wrap makes new ones with each new width)
        and the style, never from what was drawn before."""
        if "plan" in self._current:
            return self._current["plan"]
        style = self.style
        right = self.width - style.rightIndent
        left = style.leftIndent
        plan = []
        for number, line in enumerate(self.lines):
            logical_runs = self._line_runs()[number]
            order = self._visual_order(number)
            runs = [logical_runs[i] for i in order]
            reading = [((i,), logical_runs[i][2] % 2 == 1) for i in order]
            placed = [(shape(text, self._font(bold), style.fontSize, level % 2 == 1), bold) for text, bold, level in runs]
            line_width = sum(width for (_, width), _ in placed)
            if style.alignment == TA_LEFT:
                x = left
            elif style.alignment == TA_CENTER:
                x = left + (right - left - line_width) / 2
            else:
                x = right - line_width
            line_runs_drawn = []
            for ((shaped, width), bold), (text, _, level) in zip(placed, runs):
                line_runs_drawn.append((x, self._font(bold), shaped, run_chunks(shaped, text, level % 2 == 1, style.fontSize, self._font(bold))))
                x += width
            logical = "".join(text for text, _, _ in self._line_runs()[number])
            if number == 0 and self.bullet:
                bullet_x = self.width - pdfmetrics.stringWidth(self.bullet, style.fontName, style.fontSize)
                line_runs_drawn.append((bullet_x, style.fontName, self.bullet, run_chunks(self.bullet, self.bullet, False, style.fontSize, style.fontName)))
                reading.append((BULLET, False))  # the bullet is read first, as the list item's Lbl
                logical = f"{self.bullet} {logical}"
            plan.append((line_runs_drawn, line_plan(line_runs_drawn, logical, style.fontSize), reading))
        self._current["plan"] = plan
        return plan

    def _line_runs(self) -> list[list[tuple[str, bool, int]]]:
        """Every line's runs, resolved once per line breaking (a batch draws a paragraph for
        every school)."""
        if "runs" not in self._current:
            self._current["runs"] = paragraph_runs(self.lines, self.rtl_base)
        return self._current["runs"]

    def _visual_order(self, number: int) -> list[int]:
        """Line `number`'s runs (indices in logical order) from left to right as drawn."""
        return visual_order([level for _, _, level in self._line_runs()[number]])

    def visual_words(self) -> list[list[str]]:
        """The words of each line from left to right as drawn (for tests and checks)."""
        return [[self._line_runs()[number][i][0] for i in self._visual_order(number)] for number in range(len(self.lines))]
