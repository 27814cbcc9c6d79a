"""Render support: the few ReportLab internals we rely on, in one place (checked against ReportLab 5.1.0).

Why each is needed:
- `Canvas._code` (the page's content-stream operators so far) and `Canvas._currentMatrix`
  (the transformation in force): a QR code's drawing is fingerprinted from exactly the
  operators it emitted and where they landed, so that a code whose drawing is byte-identical
  to one already decoded can be recorded as such instead of decoded again. ReportLab has no
  public way to read back what a flowable drew.
- `PDFTextObject._formatText`, `_rise`, `_curSubset` and `TTFont.splitString`: shaped text
  is formatted once per exact input (RememberingTextObject, below).
- generator/cjk.py overrides `Paragraph.breakLinesCJK` and uses `reportlab.platypus.paragraph`
  helpers for kinsoku line breaking (ReportLab 5.1 has no hook for it).
- `reportlab.platypus.paragraph.shapeFragWord` (the name Paragraph shapes words with) and
  `reportlab.pdfbase.ttfonts.makeToUnicodeCMap` (the name TTFont.addObjects writes a subset's
  ToUnicode map with) are wrapped by `install_reading_order`: shaped words are drawn in
  reading order with each glyph's own text (glyphorder.py), and ReportLab has no hook for
  either.
- `reportlab.platypus.paragraph._drawBullet` (the name Paragraph draws a bullet with, before
  the first line's text) is wrapped by `install_bullet_labels`: a list item's bullet is its
  own structure element, Lbl (pdftags.py); ReportLab draws it inside the paragraph.
- `TTFontFace.makeSubset`, the `pdfdoc.PDFZCompress` filter object and
  `PDFTrueTypeFont.format` are wrapped by `install_subset_memo`: a font subset file, its
  ToUnicode map (made by the wrapped `makeToUnicodeCMap`), their compressed forms and the
  subset's /Widths array are made once per exact glyph list (ReportLab makes and compresses
  them again for every document, and every school's copy of a page embeds the same subsets).
- `TTFontFace.glyphToChar`, `hmetrics` and `glyphPos` of a face too large to shape (CJK)
  are replaced by smaller equivalents (`compact_unshaped_face`): memory, see there.
- `TTFont.splitString`, `TTFont.getSubsetInternalName` and `Canvas._code`: a paragraph
  drawn again in another document gives its glyphs the codes and subsets a drawing would
  (`register_glyphs`, the very calls `_formatText` makes, in its order), and when those, its
  lines and (right to left) its content ids are the ones it was drawn with before, its
  operators are the ones it drew then (`RedrawnParagraph`, rtl.BidiParagraph.draw).
  `TTFont.state[doc]`'s `assignments` and `internalName` tell whether a document has
  registered them already (`registered_codes`). A ReportLab paragraph's drawing is checked
  to have changed nothing else: `Canvas._extgstate`, `_annotationrefs`, `_formsinuse`,
  `_colorsUsed`, `_shadingUsed`, `PDFDocument.idToObject` and `_pdfVersion`
  (`_side_effects`). `Paragraph.blPara` is the line breaking it draws, and blocks.WRAP_STATE
  names everything `Paragraph.wrap` and `breakLines` set (kept per width by blocks.WrapCache).
- `Table._width_calculated_once` and `Table._cellvalues`: ReportLab fixes a table's column
  widths at its first measuring and never again; a table built once and handed to another
  document (blocks.built_once) is reset by `measured_afresh`, so it is measured as the new
  table it stands for would be. ReportLab has no public way to reset it.
An upgrade of ReportLab must re-check these (tests/test_render.py, tests/test_scripts.py and
tests/test_textlayer.py cover them).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import MutableMapping
from functools import lru_cache

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import ShapedStr
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.tables import Table
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from .glyphorder import VARIANT_TEXT, in_reading_order


def code_length(canvas: Canvas) -> int:
    return len(canvas._code)


def drawing_fingerprint(canvas: Canvas, since: int) -> str:
    """sha256 of the page operators emitted since `since` and of the transformation they
    were drawn under: equal fingerprints, equal marks on the page."""
    digest = hashlib.sha256(repr(canvas._currentMatrix).encode())
    for operator in canvas._code[since:]:
        digest.update(operator.encode("latin-1", "replace") + b"\n")
    return digest.hexdigest()


def assign_private_codes(font_name: str) -> bool:
    """Give every glyph that no character maps to (joined forms, conjuncts, ligatures) its
    private-use code now, in glyph order. ReportLab assigns these codes on first use, from a
    counter shared by every document of the process, so a document's bytes (its font subset
    and ToUnicode map) would depend on which documents the process drew before it.
    False for a font too large to shape this way (CJK), which gets no codes."""
    font = pdfmetrics.getFont(font_name)
    if not getattr(font, "shapable", False):
        return True
    encoded = font.face.glyphToChar
    unencoded = [gid for gid in range(font.face.numGlyphs) if gid not in encoded]
    if len(unencoded) > PRIVATE_CODES:
        # Would not fit the private-use range ReportLab draws from; such fonts are not
        # shaped. Checked before HarfBuzz opens the font: its copy of a CJK face is 20 MB.
        return False
    hb_font = font.hbFont(10)
    for gid in unencoded:
        font.hbAddPrivate(hb_font.glyph_to_string(gid), gid, hb_font.get_glyph_h_advance(gid))
    return True


# --- the parsed maps of a face that is never shaped, kept small -----------------------------------
# A CJK face (65,535 glyphs) parsed by ReportLab holds, besides its 20 MB file: glyphToChar
# (9 MB), which only shaping reads, and hmetrics (6 MB of tuples) and glyphPos (2.4 MB of
# ints), which only makeSubset reads, by index. The language sheet's worker holds six such
# faces, so these are kept small: glyphToChar is rebuilt from charToGlyph if anything ever
# asks (it is that map inverted, checked here before it is dropped), hmetrics is two arrays
# that give the same pairs, glyphPos an array of the same offsets.

def compact_unshaped_face(face) -> None:
    if not isinstance(face.glyphToChar, GlyphChars) and chars_of_glyphs(face.charToGlyph) == face.glyphToChar:
        face.glyphToChar = GlyphChars(face)
    if isinstance(face.hmetrics, list):
        metrics = HorizontalMetrics(face.hmetrics)
        if all(metrics[glyph] == pair for glyph, pair in enumerate(face.hmetrics)):
            face.hmetrics = metrics
    if isinstance(face.glyphPos, list):  # offsets into glyf, read by index only (makeSubset)
        face.glyphPos = array("q", face.glyphPos)


class GlyphChars(MutableMapping):
    """face.glyphToChar, built from face.charToGlyph on first use."""

    def __init__(self, face):
        self._face, self._map = face, None

    def _real(self) -> dict:
        if self._map is None:
            self._map = chars_of_glyphs(self._face.charToGlyph)
        return self._map

    def __getitem__(self, glyph):
        return self._real()[glyph]

    def __setitem__(self, glyph, chars):
        self._real()[glyph] = chars

    def __delitem__(self, glyph):
        del self._real()[glyph]

    def __iter__(self):
        return iter(self._real())

    def __len__(self):
        return len(self._real())


def chars_of_glyphs(char_to_glyph: dict[str, int]) -> dict[int, list[str]]:
    """charToGlyph inverted: each glyph's characters, in the order the cmap gave them."""
    chars: dict[int, list[str]] = {}
    for char, glyph in char_to_glyph.items():
        chars.setdefault(glyph, []).append(char)
    return chars


class HorizontalMetrics:
    """face.hmetrics, (advance, left side bearing) per glyph, as two arrays."""

    __slots__ = ("advances", "bearings")

    def __init__(self, pairs: list[tuple]):
        self.advances = array("d", (advance for advance, _ in pairs))  # ReportLab keeps some advances scaled, as floats
        self.bearings = array("q", (bearing for _, bearing in pairs))

    def __len__(self) -> int:
        return len(self.advances)

    def __getitem__(self, glyph: int) -> tuple:
        return self.advances[glyph], self.bearings[glyph]


PRIVATE_CODES = 0xF800 - 0xE000 - 512  # ReportLab asserts codes stay below U+F800; keep a margin


# --- shaped words in reading order, glyphs that say their text -----------------------------------

def install_reading_order() -> None:
    """Wrap Paragraph's shaping and ReportLab's ToUnicode writer (once; see glyphorder.py)."""
    if getattr(rl_paragraph.shapeFragWord, "reading_order", False):
        return
    shape_word = rl_paragraph.shapeFragWord
    write_map = ttfonts.makeToUnicodeCMap

    def shape_in_reading_order(word, *args, **kwargs):
        return words_in_reading_order(word, shape_word(word, *args, **kwargs))

    def to_unicode_map(font_name, subset):
        # Every school's copy of a page writes the same maps: made once, and the very string
        # given again, so that its compressed form is remembered too (install_subset_memo).
        key = (font_name, tuple(subset))
        known = _MAPS.get(key)
        if known is None:
            if len(_MAPS) >= MAX_MAPS:
                for text in _MAPS.values():
                    _COMPRESSED.pop(id(text), None)
                _MAPS.clear()
            known = _MAPS[key] = _texts_of_variants(write_map(font_name, subset), subset)
            _COMPRESSED[id(known)] = (known, b"")
        return known

    shape_in_reading_order.reading_order = True
    rl_paragraph.shapeFragWord = shape_in_reading_order
    ttfonts.makeToUnicodeCMap = to_unicode_map


def install_bullet_labels() -> None:
    """Wrap Paragraph's bullet drawing (once): on a canvas that builds a structure tree, a
    list item's bullet is drawn as its Lbl (pdftags.Structure.label)."""
    if getattr(rl_paragraph._drawBullet, "labelled", False):
        return
    draw_bullet = rl_paragraph._drawBullet

    def draw_labelled_bullet(canvas, *args, **kwargs):
        structure = getattr(canvas, "structure", None)
        if structure is None:
            return draw_bullet(canvas, *args, **kwargs)
        with structure.label():
            entered = len(canvas._code)
            drawn = draw_bullet(canvas, *args, **kwargs)
            marks = canvas.__dict__.get("bullet_marks")
            if marks is not None:  # a paragraph's first drawing records where its bullet is (RedrawnParagraph)
                marks.append((entered, len(canvas._code)))
            return drawn

    draw_labelled_bullet.labelled = True
    rl_paragraph._drawBullet = draw_labelled_bullet


# --- font subset files, made and compressed once per exact glyph list --------------------------
# A subset file is a function of the font file and the glyph list (ReportLab's makeSubset
# reads nothing else), and compressing it is a function of its bytes: so a remembered file
# and its compressed form are byte for byte what ReportLab would make again.

MAX_SUBSETS = 16  # per font face; a page embeds one or two of each face, and a batch runs page by page
_COMPRESSED: dict[int, tuple[bytes, bytes]] = {}  # id of a remembered subset file or map -> (it, compressed)
MAX_MAPS = 64  # ToUnicode maps (a few kilobytes each) of the subsets of the pages a worker is making
_MAPS: dict[tuple, str] = {}


def install_subset_memo() -> None:
    """Wrap TTFontFace.makeSubset and the FlateDecode filter's encode (once)."""
    if getattr(ttfonts.TTFontFace.makeSubset, "remembering", False):
        return
    make_subset = ttfonts.TTFontFace.makeSubset
    compress = pdfdoc.PDFZCompress.encode

    def remembered_subset(face, subset):
        known = face.__dict__.setdefault("_subset_files", {})
        key = tuple(subset)
        if key not in known:
            if len(known) >= MAX_SUBSETS:
                for data in known.values():
                    _COMPRESSED.pop(id(data), None)
                known.clear()
            known[key] = make_subset(face, subset)
            _COMPRESSED[id(known[key])] = (known[key], b"")
        return known[key]

    def remembered_compress(data):
        known = _COMPRESSED.get(id(data))
        if known is None or known[0] is not data:
            return compress(data)
        if not known[1]:
            _COMPRESSED[id(data)] = known = (data, compress(data))
        return known[1]

    font_format = pdfdoc.PDFTrueTypeFont.format

    def with_remembered_widths(font, document):
        if type(getattr(font, "Widths", None)) is pdfdoc.PDFArray:
            font.Widths = _widths_array(tuple(font.Widths.sequence), rl_config.pdfMultiLine)
        return font_format(font, document)

    remembered_subset.remembering = True
    ttfonts.TTFontFace.makeSubset = remembered_subset
    pdfdoc.PDFZCompress.encode = remembered_compress
    pdfdoc.PDFTrueTypeFont.format = with_remembered_widths


class _FormattedArray(pdfdoc.PDFObject):
    """An array of numbers already written as ReportLab's PDFArray writes it."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


@lru_cache(maxsize=256)
def _widths_array(widths: tuple[int, ...], multiline) -> _FormattedArray:
    """A subset's /Widths, written once per exact widths (numbers need no document to be
    written; ReportLab's multi-line setting is part of the key)."""
    return _FormattedArray(pdfdoc.PDFArray(list(widths)).format(None))


def words_in_reading_order(word, shaped):
    """A frag word as Paragraph shaped it ([width, (frag, text)...]) with each shaped piece's
    glyphs in reading order (glyphorder.in_reading_order); the same width and places."""
    if shaped is word or len(shaped) < 2:
        return shaped
    text = "".join(part for frag, part in word[1:] if not hasattr(frag, "cbDefn"))
    pieces = list(shaped[1:])
    starts = [piece[1].__shapeData__[0].cluster if isinstance(piece[1], ShapedStr) and piece[1].__shapeData__ else None for piece in pieces]
    for number, (frag, glyphs) in enumerate(pieces):
        if not isinstance(glyphs, ShapedStr):
            continue
        end = next((start for start in starts[number + 1:] if start is not None), len(text))
        shaped[number + 1] = (frag, in_reading_order(glyphs, text, frag.fontName, end))
    return shaped


def _texts_of_variants(cmap: str, subset: list[int]) -> str:
    """A ToUnicode map as ReportLab wrote it (one `<code> <unicode>` line per code of the
    subset, after `N beginbfchar`), with every glyph drawn under a code of glyphorder's
    mapped to the characters it stands for (UTF-16BE, as many as it takes)."""
    if not any(code in VARIANT_TEXT for code in subset):
        return cmap
    lines = cmap.split("\n")
    first = lines.index("%d beginbfchar" % len(subset)) + 1
    for index, code in enumerate(subset):
        text = VARIANT_TEXT.get(code)
        if text is not None:
            # ReportLab's line for it would name a private-use code no reader understands.
            assert lines[first + index] == "<%02X> <%04X>" % (index, code), "ReportLab's ToUnicode layout changed"
            lines[first + index] = "<%02X> <%s>" % (index, text.encode("utf-16-be").hex().upper())
    return "\n".join(lines)


# --- shaped text, formatted once per exact input ------------------------------------------------
#
# ReportLab formats a shaped string (ShapedStr: glyphs plus HarfBuzz positions) glyph by glyph
# in Python, and a batch draws the very same shaped words for every school: a third of a
# right-to-left handout's drawing was this loop. `PDFTextObject._formatText` reads only what
# the key below holds: the glyphs and their positions, the font, size and leading, the text
# object's rise and current subset, and the codes this document's font subset gives the
# glyphs (`TTFont.splitString`, called here first so that the document registers them
# exactly as before) with those subsets' PDF names. It changes only `_rise` and `_curSubset`
# (its code list and cursor are restored), which are kept with the result. So a remembered
# result is byte for byte what ReportLab writes, whatever was drawn before
# (tests/test_scripts.py compares the two in five scripts).

_FORMATTED: dict[tuple, tuple[str, float, int]] = {}
MAX_FORMATTED = 10_000  # entries of a few hundred bytes (about 6 MB at most); emptied when full, which costs only time


class _GlyphsKey:
    """A shaped string's glyphs and positions as a key that hashes them once (a string is
    drawn once per school; hashing its positions every time cost as much as formatting)."""

    __slots__ = ("value", "hash")

    def __init__(self, text: ShapedStr):
        self.value = (str.__str__(text), tuple(text.__shapeData__))
        self.hash = hash(self.value)

    def __hash__(self):
        return self.hash

    def __eq__(self, other):
        return isinstance(other, _GlyphsKey) and self.value == other.value


def _shaped_key(text: ShapedStr) -> _GlyphsKey:
    key = text.__dict__.get("_format_key")
    if key is None:
        key = text.__dict__["_format_key"] = _GlyphsKey(text)
    return key


def show(text_object: PDFTextObject, glyphs: str) -> None:
    """`textOut` without measuring the string for the cursor: for callers that place every
    run themselves (rtl.draw_line), which is where the measuring cost showed."""
    text_object._code.append(text_object._formatText(glyphs))


class RememberingTextObject(PDFTextObject):
    """A text object whose shaped strings are formatted as ReportLab formats them, once per
    exact input (see above); everything else is ReportLab's own."""

    def _formatText(self, text):
        log = self._canvas.__dict__.get("format_log")
        if log is not None:  # a paragraph's first drawing records what it formats (RedrawnParagraph)
            log.append((self._fontname, text))
        font = pdfmetrics.getFont(self._fontname)
        if not (isinstance(text, ShapedStr) and font._dynamicFont and font.shapable):
            return super()._formatText(text)
        doc = self._canvas._doc
        split = tuple(font.splitString(text, doc))
        names = tuple(font.getSubsetInternalName(subset, doc) for subset, _ in split)
        key = (_shaped_key(text), self._fontname, self._fontsize, self._leading, self._rise, self._curSubset, split, names)
        known = _FORMATTED.get(key)
        if known is None:
            known = (super()._formatText(text), self._rise, self._curSubset)
            if len(_FORMATTED) >= MAX_FORMATTED:
                _FORMATTED.clear()
            _FORMATTED[key] = known
        operators, self._rise, self._curSubset = known
        return operators


def register_glyphs(font_name: str, glyphs: str, doc) -> None:
    """Give `glyphs` their codes in this document's subsets of a TrueType font, as drawing
    them with `_formatText` does (ReportLab's or RememberingTextObject's: each splits the
    string once, then names each subset it switches to; naming a subset again changes
    nothing, so naming every subset of the split registers the same subsets in the same order)."""
    font = pdfmetrics.getFont(font_name)
    for subset, _ in font.splitString(glyphs, doc):
        font.getSubsetInternalName(subset, doc)


def subset_codes(font_name: str, strings) -> dict[int, None] | None:
    """The characters of `strings` that drawing them in the font gives a code of their own
    (splitString's rules: a no-break space is drawn as a space, a character the font lacks
    as code 0 and given none), in the order they first appear; None for a font that is not
    TrueType. A dict: ordered, and its keys compare as a set."""
    font = pdfmetrics.getFont(font_name)
    if not font._dynamicFont:
        return None
    has = font.face.charToGlyph
    codes = (32 if code == 0xA0 else code for text in strings for code in map(ord, text))
    return dict.fromkeys(code for code in codes if code in has)


def registered_codes(font_name: str, codes: dict[int, None], doc) -> tuple | None:
    """What this document's subsets of the font give `codes` (subset_codes): the font's
    name in the document and each character's code; None unless all are registered already.
    When they are, drawing these characters registers nothing and reads nothing else."""
    state = pdfmetrics.getFont(font_name).state.get(doc)
    if state is None or state.internalName is None or not state.assignments.keys() >= codes.keys():
        return None
    return state.internalName, tuple(map(state.assignments.__getitem__, codes))


def register_missing(font_name: str, codes: dict[int, None], doc) -> bool:
    """Give the characters of `codes` that this document's subsets of an already named font
    lack their codes, in the order of `codes`: what drawing them in that order would give
    them (splitString gives each new character the next code, whatever surrounds it).
    False, registering nothing, if the font has no name in the document yet."""
    font = pdfmetrics.getFont(font_name)
    state = font.state.get(doc)
    if state is None or state.internalName is None:
        return False
    assignments = state.assignments
    font.splitString("".join(chr(code) for code in codes if code not in assignments), doc)
    return True


# --- a flowable drawn before, written again --------------------------------------------------
# What a paragraph writes follows from its lines, the codes and subset names the document
# gives its glyphs, and (for a ReportLab paragraph) the canvas's font when it starts; given the
# same, it writes the same operators. A drawing's glyphs are registered first, exactly as
# drawing registers them (glyph_codes), and a paragraph whose lines and codes are those of a
# drawing already made writes that drawing's operators again.
DRAWN: dict[tuple, tuple] = {}
MAX_DRAWN = 2_000  # paragraphs (each a few kilobytes of operators); emptied when full, which costs only time


def remember_drawing(key: tuple, entry: tuple) -> None:
    if len(DRAWN) >= MAX_DRAWN:
        DRAWN.clear()
    DRAWN[key] = entry


MAX_WIDTHS = 4  # line breakings kept per paragraph; emptied when full, which costs only time


def kept_for_width(store: dict, width: float, make) -> dict | None:
    """What a paragraph keeps for one width it is measured at (its lines, and what follows
    from them): on some pages one paragraph stands at two widths, and each new wrap broke
    its lines again. `make()` gives it the first time (None: nothing to keep)."""
    known = store.get(width)
    if known is None:
        known = make()
        if known is not None:
            if len(store) >= MAX_WIDTHS:
                store.clear()
            store[width] = known
    return known


def chunk_codes(chunks: tuple[tuple[str, str], ...]) -> tuple | None:
    """What registering the (font, text) a drawing formats, in drawing order, needs: those
    chunks, and each font with the characters it draws in the order they are first drawn
    (subset_codes); None if a font is not TrueType."""
    strings: dict[str, list[str]] = {}
    for font, text in chunks:
        strings.setdefault(font, []).append(text)
    fonts = tuple((font, subset_codes(font, texts)) for font, texts in sorted(strings.items()))
    return None if any(codes is None for _, codes in fonts) else (chunks, fonts)


def glyph_codes(codes: tuple, doc) -> tuple | None:
    """The codes the document gives a drawing's glyphs (chunk_codes), registering them first,
    as drawing them would, if it lacks any: each font's new characters get the next codes in
    the order they are drawn (fonts keep separate codes); a font not yet named in the document
    is named by registering chunk by chunk in drawing order, as drawing names fonts. None if
    that leaves a font unnamed (then the drawing is simply made)."""
    chunks, fonts = codes
    known = tuple(registered_codes(font, chars, doc) for font, chars in fonts)
    if None not in known:
        return known
    if not all(register_missing(font, chars, doc) for font, chars in fonts):
        for font, text in chunks:
            register_glyphs(font, text, doc)
    known = tuple(registered_codes(font, chars, doc) for font, chars in fonts)
    return None if None in known else known


def _side_effects(canvas: Canvas) -> tuple:
    """What a paragraph's drawing may change besides its operators, its fonts' subsets and a
    bullet's label (transparency states, annotations, forms, colours, shadings, objects, the
    PDF version): a drawing that changed any of them is not written again."""
    return (len(canvas._extgstate._c), len(canvas._annotationrefs), len(canvas._formsinuse), len(canvas._colorsUsed),
            len(canvas._shadingUsed), len(canvas._doc.idToObject), canvas._doc._pdfVersion)


class RedrawnParagraph:
    """A ReportLab paragraph (mixin) whose drawing, once made, is written again in a later
    document when its lines and its glyphs' codes there are the same: every school's copy
    draws the same paragraphs. Its first drawing at given lines records the text it formats
    (RememberingTextObject logs it), which is all its drawing registers in the document, and
    where its bullet is. A list item's bullet is its Lbl (pdftags.Structure.label), which
    moves the item's opening operator and takes a content id: written again, the bullet's
    operators are put inside a label made afresh, so the document's own ids are used."""

    def draw(self):
        canvas, lines = self.canv, getattr(self, "blPara", None)
        if not getattr(canvas, "logs_formatting", False):  # its text objects would not say what they format
            return super().draw()
        structure = getattr(canvas, "structure", None)
        memo = self.__dict__.get("_drawn_chunks")
        labelled = bool(self.bulletText) and structure is not None and structure.labels_bullet()
        canvas_state = (canvas._fontname, canvas._fontsize, canvas._leading, canvas.bottomup,
                        tuple(sorted(canvas._extgstate._d.items())), labelled)
        key = None
        if memo is not None and memo[0] is lines:
            if memo[1] is None:  # not to be written again (see _side_effects)
                return super().draw()
            registration = glyph_codes(memo[1], canvas._doc)
            if registration is not None:
                key = (id(self), id(lines), canvas_state, registration)
                known = DRAWN.get(key)
                if known is not None:
                    self._write_again(canvas, structure, known[2])
                    return None
        start, before, ids = len(canvas._code), _side_effects(canvas), structure.next_mcid if structure else 0
        canvas.format_log, canvas.bullet_marks = log, marks = [], []
        try:
            super().draw()
        finally:
            del canvas.format_log, canvas.bullet_marks
        operators = self._drawn_operators(canvas._code, start, marks, labelled)
        same = _side_effects(canvas) == before and (structure.next_mcid if structure else 0) == ids + labelled
        codes = chunk_codes(tuple(log)) if same and operators is not None else None
        self._drawn_chunks = (lines, codes)
        if codes is not None:
            registration = glyph_codes(codes, canvas._doc)  # all registered by the drawing: only read
            if registration is not None:
                remember_drawing((id(self), id(lines), canvas_state, registration), (self, lines, operators))
        return None

    @staticmethod
    def _drawn_operators(code: list, start: int, marks: list, labelled: bool) -> tuple | None:
        """(before the bullet, the bullet, after it) as drawn from `start`: a label took the
        item's opening operator from before `start`, opened the Lbl before the bullet, and
        closed it and put the opening back after it. None if it was not drawn so."""
        if not labelled:
            return None if marks else (code[start:], None, None)
        if len(marks) != 1:
            return None
        entered, drawn = marks[0]
        return code[start - 1:entered - 1], code[entered:drawn], code[drawn + 2:]

    @staticmethod
    def _write_again(canvas: Canvas, structure, operators: tuple) -> None:
        before, bullet, after = operators
        canvas._code.extend(before)
        if bullet is not None:
            with structure.label():
                canvas._code.extend(bullet)
            canvas._code.extend(after)


def measured_afresh(flowable) -> None:
    """A built table (and every table in its cells) as a new one: its column widths are fixed
    again at its next measuring, whatever width it was measured at before."""
    if isinstance(flowable, Table):
        flowable.__dict__.pop("_width_calculated_once", None)
        for row in flowable._cellvalues:
            for cell in row:
                for inner in cell if isinstance(cell, (list, tuple)) else (cell,):
                    measured_afresh(inner)
    items = getattr(flowable, "items", None)  # the blocks of blocks.FlowColumns
    if isinstance(items, list):
        for inner in items:
            measured_afresh(inner)
