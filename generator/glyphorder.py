"""Render support: shaped glyphs (HarfBuzz's visual order) -> the same glyphs at the same
places, drawn in reading order, each mapped to the characters it stands for.

Why: a PDF's text is its glyphs' ToUnicode text in drawing order. HarfBuzz gives glyphs in
visual order: a Bengali or Devanagari vowel sign that is written before its consonant comes
first, a right-to-left word comes last letter first, and a conjunct or ligature stands for
several characters but has no character of its own (ReportLab maps it to a private-use
code). Extraction that honours /ActualText (PDFium, pdftotext) is served by pdftags.py;
this serves everything that reads the glyphs themselves, such as Poppler's pdfinfo
-struct-text and assistive technology walking the structure tree.

How: the glyphs of a word are matched to its characters (NFKD, so that a presentation form
or a split vowel sign matches the letters it shows), cluster by cluster, widening to the
next cluster where a glyph was moved out of its own (a pre-base vowel sign). A glyph with a
character of its own takes it; the characters left over go to the glyphs without one (a
conjunct gets the consonants and viramas it joins). The glyphs are then drawn in the order of
the characters they stand for, every one at exactly the place HarfBuzz put it (offsets are
recomputed so that the pen ends where it did). A glyph whose text differs from its own
character is drawn with a code of its own (`variant_code`, from plane 15's private use),
and rlprivate writes that code's text into the font's ToUnicode map; the code itself never
reaches the PDF. Where the match fails, the string is left as HarfBuzz gave it.
"""

from __future__ import annotations

import unicodedata

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr

NOTHING = "\u00ad"  # SOFT HYPHEN: text extraction drops it (a glyph that is part of a letter drawn apart)
MAX_CLUSTERS = 6  # a vowel sign moved out of its cluster lands at most this many clusters away

_VARIANTS: dict[tuple[str, int, str], int] = {}  # (font, glyph, text) -> its code
VARIANT_TEXT: dict[int, str] = {}  # code -> the text ToUnicode gives it
_NEXT_VARIANT = [0xF0000]


def variant_code(font_name: str, glyph: int, text: str) -> int:
    """A code that draws `glyph` of `font_name` and stands for `text` (made once per process;
    only the text reaches the PDF, so which code it is never changes a document)."""
    key = (font_name, glyph, text)
    code = _VARIANTS.get(key)
    if code is None:
        face = pdfmetrics.getFont(font_name).face
        code = _NEXT_VARIANT[0]
        _NEXT_VARIANT[0] += 1
        face.charToGlyph[code] = glyph
        face.charWidths[code] = face.charWidths.get(face.glyphToChar[glyph][0], 0) if glyph in face.glyphToChar else 0
        _VARIANTS[key] = code
        VARIANT_TEXT[code] = text
    return code


def glyph_text(glyphs: str) -> str:
    """What drawn glyphs say through the ToUnicode map: a variant's text, else its code."""
    return "".join(VARIANT_TEXT.get(ord(ch), ch) for ch in glyphs)


def _own_text(code: int) -> str | None:
    """A glyph's own character, NFKD (what it matches in the text); None for the
    private-use codes of unencoded glyphs."""
    if 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
        return None
    return unicodedata.normalize("NFKD", chr(code))


def _match(target: str, glyphs: list[int], chars: str) -> list[tuple[float, int, str | None]] | None:
    """Glyphs (indices, visual order) of one group against its characters (NFKD) ->
    (place in the text, glyph, text it stands for, or None for its own character), or None
    when they do not match."""
    used = [False] * len(target)
    owns: dict[int, list[int]] = {}  # glyph -> the characters it stands for
    without = []
    for index in glyphs:
        own = _own_text(ord(chars[index]))
        at = _free_at(target, used, own) if own else -1
        if at < 0:
            without.append(index)
            continue
        owns[index] = list(range(at, at + len(own)))
        for k in owns[index]:
            used[k] = True
    rest = [k for k, taken in enumerate(used) if not taken]
    if rest and not without:
        return None
    runs = _runs(rest)
    for index, run in zip(without, runs[:len(without)] if len(runs) >= len(without) else _share(rest, len(without))):
        owns[index] = run
    for run in runs[len(without):]:
        # A glyph that joins characters that are not adjacent (a repha with a vowel sign,
        # a medial with a dot): the characters after another glyph's go with that glyph.
        before = max((i for i in owns if owns[i] and owns[i][-1] < run[0]), key=lambda i: owns[i][-1], default=None)
        if before is None:
            return None
        owns[before] = owns[before] + run
    placed = []
    for index in glyphs:
        part = owns.get(index, [])
        text = "".join(target[k] for k in part)
        text = unicodedata.normalize("NFC", text)
        # A glyph keeps its own code only when that is exactly what it stands for: a joined
        # Arabic form's code is a presentation form, which stands for the letter.
        placed.append((part[0] if part else len(target) + 0.5, index, None if text == chars[index] else (text or NOTHING)))
    return placed


def _runs(positions: list[int]) -> list[list[int]]:
    """Positions (ascending) -> runs of adjacent ones."""
    runs: list[list[int]] = []
    for k in positions:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _free_at(target: str, used: list[bool], text: str) -> int:
    start = target.find(text)
    while start >= 0:
        if not any(used[start:start + len(text)]):
            return start
        start = target.find(text, start + 1)
    return -1


def _share(rest: list[int], count: int) -> list[list[int]]:
    """Adjacent characters left over, fewer runs than glyphs to share them: one each, the
    rest to the first; glyphs beyond the characters get none."""
    if len(rest) <= count:
        return [[k] for k in rest] + [[] for _ in range(count - len(rest))]
    head = len(rest) - (count - 1)
    return [rest[:head]] + [[k] for k in rest[head:]]


def in_reading_order(shaped: ShapedStr, text: str, font_name: str, end: int | None = None) -> ShapedStr:
    """`shaped` (glyphs of `text[cluster:]`, visual order) drawn in reading order, each glyph
    standing for its characters; the same marks on the page. `end`: where the text this
    string was shaped from ends, when it stops before `text` does."""
    return _with_texts(shaped, text, font_name, end, reorder=True)


def with_glyph_texts(shaped: ShapedStr, text: str, font_name: str, end: int | None = None) -> ShapedStr:
    """`shaped` in its own (visual) order, each glyph standing for its characters: for
    right-to-left words, which extractors read as drawn from the left (rtl.run_chunks)."""
    return _with_texts(shaped, text, font_name, end, reorder=False)


def _with_texts(shaped: ShapedStr, text: str, font_name: str, end: int | None, reorder: bool) -> ShapedStr:
    data, chars = shaped.__shapeData__, str(shaped)
    if not data or len(data) != len(chars) or any(d.cluster < 0 or d.cluster >= len(text) for d in data):
        return shaped
    starts = sorted({d.cluster for d in data})
    bounds = starts[1:] + [len(text) if end is None else end]
    members: dict[int, list[int]] = {}
    for index, d in enumerate(data):
        members.setdefault(d.cluster, []).append(index)
    placed: list[tuple[int, float, int, str | None]] = []  # (group, place in its text, glyph, its text)
    j = 0
    while j < len(starts):
        # The narrowest group whose glyphs all stand for characters; failing that, the
        # narrowest where some stand for nothing (a vowel sign's part moved into the
        # previous cluster matches only once its cluster is in).
        best = None
        for k in range(j + 1, min(j + MAX_CLUSTERS, len(starts)) + 1):
            target = unicodedata.normalize("NFKD", text[starts[j]:bounds[k - 1]])
            got = _match(target, [i for c in starts[j:k] for i in members[c]], chars)
            if got is None:
                continue
            if all(glyph_text != NOTHING for *_, glyph_text in got):
                best = (k, got)
                break
            best = best or (k, got)
        if best is None:
            return shaped
        k, got = best
        placed += [(j, at, index, glyph_text) for at, index, glyph_text in got]
        j = k
    order = sorted(placed, key=lambda item: (item[0], item[1]) if reorder else item[2])
    if [index for _, _, index, _ in order] == list(range(len(data))) and all(t is None for *_, t in order):
        return shaped
    if order[0][2] != 0 and data[order[0][2]].y_offset:
        return shaped  # ReportLab 5.1 cannot start a string with a raised glyph (see rtl._unraised_first)
    return _redrawn(shaped, [(index, glyph_text) for _, _, index, glyph_text in order], font_name)


def _redrawn(shaped: ShapedStr, order: list[tuple[int, str | None]], font_name: str) -> ShapedStr:
    """The glyphs in `order`, each where it was: same advances, offsets taken from the pen."""
    data, chars = shaped.__shapeData__, str(shaped)
    face = pdfmetrics.getFont(font_name).face
    where, pen = [], 0.0
    for d in data:
        where.append(pen + d.x_offset)
        pen += d.x_advance
    new_chars, new_data, pen = [], [], 0.0
    for index, glyph_text in order:
        d = data[index]
        code = ord(chars[index])
        if glyph_text is not None:
            code = variant_code(font_name, face.charToGlyph[code], glyph_text)
        new_chars.append(chr(code))
        new_data.append(ShapeData(d.cluster, d.x_advance, d.y_advance, where[index] - pen, d.y_offset, face.charWidths.get(code, d.width)))
        pen += d.x_advance
    return ShapedStr("".join(new_chars), shapeData=new_data)
