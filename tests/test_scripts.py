"""Every script renders correctly: shaping where needed, true right-to-left with readable
left-to-right runs inside, and each paragraph in one font that covers it."""

from __future__ import annotations

import dataclasses
import io
import re

import pypdfium2
import pytest
import uharfbuzz
from PIL import ImageChops

from generator.render import render_job
from test_handouts import pdf_bytes

RTL = ["ar", "prs", "ps", "ur"]
SHAPED_LTR = ["ne", "bn", "my"]
EXPECTED_SCRIPTS = {
    "Latn": {"en", "es", "pt", "ht", "fr", "vi", "pl", "bs", "so", "sw"},
    "Hans": {"zh-Hans"}, "Hant": {"zh-Hant"}, "Kore": {"ko"},
    "Arab": {"ar", "prs", "ps", "ur"}, "Deva": {"ne"}, "Beng": {"bn"},
    "Cyrl": {"ru", "uk"}, "Mymr": {"my"}, "Ethi": {"am", "ti"},
}


def test_the_languages_cover_at_least_the_10_scripts(project):
    """The shipped languages include at least these, each in its script; a district may add more."""
    for script, codes in EXPECTED_SCRIPTS.items():
        for code in codes:
            assert project.languages[code].script == script
    assert {l.script for l in project.languages.values()} >= set(EXPECTED_SCRIPTS)
    assert {c for c, l in project.languages.items() if l.direction == "rtl"} >= set(RTL)
    for language in project.languages.values():
        assert language.script in project.fonts.scripts  # every language has a font for its script


def glyphs(project, lang: str, text: str, shaped: bool) -> list[int]:
    """Glyph ids for `text` in the language's font: shaped by HarfBuzz, or one per character."""
    from fontTools.ttLib import TTFont

    from generator.fonts import font_files_for

    path = font_files_for(project.fonts, project.languages[lang].script)[0]
    if not shaped:
        font = TTFont(path, lazy=True)
        cmap = font.getBestCmap()
        return [font.getGlyphID(cmap[ord(ch)]) for ch in text]
    blob = uharfbuzz.Blob.from_file_path(str(path))
    font = uharfbuzz.Font(uharfbuzz.Face(blob))
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


@pytest.mark.parametrize("lang,sample,why", [
    ("ne", "अधिकार", "conjuncts and vowel signs"),
    ("ne", "विद्यालय", "the द्य conjunct"),
    ("bn", "অধিকার", "vowel sign reordering"),
    ("ar", "عائلتك", "Arabic joining"),
    ("prs", "خانواده", "Arabic joining"),
    ("ps", "ښوونځي", "Arabic joining"),
    ("ur", "بچے", "Arabic joining"),
    ("my", "ကျောင်း", "Burmese medials and reordering"),
])
def test_shaping_changes_the_glyphs_where_the_script_needs_it(project, lang, sample, why):
    assert sample in "".join(project.languages[lang].strings.values()), "sample must come from the real text"
    assert glyphs(project, lang, sample, shaped=True) != glyphs(project, lang, sample, shaped=False), why


@pytest.mark.parametrize("lang", SHAPED_LTR)
def test_shaping_is_on_and_visible_on_the_page(project, lang):
    """The same page with shaping switched off must look different (wrong, in fact)."""
    from test_pixels import render

    language = project.languages[lang]
    shaped = render(render_job(project, project.layouts["handout"], language, "letter").pdf, 60)
    script = dataclasses.replace(project.fonts.scripts[language.script], shaping=False)
    fonts = dataclasses.replace(project.fonts, scripts=dict(project.fonts.scripts, **{language.script: script}))
    unshaped_project = dataclasses.replace(project, fonts=fonts)
    try:
        unshaped = render(render_job(unshaped_project, project.layouts["handout"], language, "letter").pdf, 60)
    except Exception:  # unshaped text may even overflow: that too shows shaping matters
        return
    assert ImageChops.difference(shaped, unshaped).getbbox() is not None


def glyph_text_only(pdf: bytes) -> bytes:
    """The PDF without its /ActualText spans: text extraction then reports each glyph where
    it is drawn (with /ActualText, PDFium spreads the logical text over the run's box)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            kept, dropping = [], []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BDC", "BMC"):
                    actual = name == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/ActualText" in operands[1]
                    dropping.append(actual)
                    if actual:
                        continue
                elif name == "EMC" and dropping.pop():
                    continue
                kept.append((operands, operator))
            page.Contents = document.make_stream(pikepdf.unparse_content_stream(kept))
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def chars_with_boxes(pdf: bytes) -> tuple[str, list[tuple[float, float, float, float]]]:
    document = pypdfium2.PdfDocument(glyph_text_only(pdf))
    try:
        page = document[0].get_textpage()
        count = page.count_chars()
        text = page.get_text_range(0, count)
        boxes = [page.get_charbox(i) for i in range(count)]
        return text, boxes
    finally:
        document.close()


def word_positions(text: str, boxes, word: str) -> list[tuple[float, float]]:
    """(x, y) of the first character of each occurrence of `word`."""
    return [(boxes[m.start()][0], round(boxes[m.start()][1])) for m in re.finditer(re.escape(word), text)]


@pytest.mark.parametrize("lang", RTL)
def test_right_to_left_words_stand_right_to_left_on_the_page(built, project, lang):
    """Consecutive words of a line read from right to left: each next word stands further left."""
    text, boxes = chars_with_boxes(pdf_bytes(built, lang, "letter"))
    checked = 0
    for key in ("tagline", "school_body", "fair_body", "records_body", "door_1", "door_2", "door_force", "door_inside",
                "door_3", "door_5", "report_body", "legal_body"):
        words = [w for w in project.languages[lang].strings[key].replace("**", "").split() if len(w) > 2]
        for first, second in zip(words, words[1:]):
            a, b = word_positions(text, boxes, first), word_positions(text, boxes, second)
            if len(a) != 1 or len(b) != 1 or a[0][1] != b[0][1]:
                continue  # ligature-encoded, repeated, or the two words are on different lines
            if any(ch.isascii() for ch in first + second):
                continue  # left-to-right words are checked separately
            assert a[0][0] > b[0][0], f"{first!r} should stand right of {second!r}"
            checked += 1
    assert checked >= 5, f"too few word pairs found to check ({checked})"


@pytest.mark.parametrize("lang", RTL)
def test_left_to_right_runs_inside_right_to_left_text_keep_their_order(built, lang):
    text, boxes = chars_with_boxes(pdf_bytes(built, lang, "letter"))
    for number in ("800-421-3481", "860-695-8400", "ocr@ed.gov", "877-292-3804"):
        [(start, _)] = [(m.start(), m.end()) for m in re.finditer(re.escape(number), text)][:1] or [(None, None)]
        assert start is not None, f"{number} not found as one piece"
        xs = [boxes[start + i][0] for i, ch in enumerate(number)]
        assert xs == sorted(xs), f"{number} is not drawn left to right"
    plyler = [word_positions(text, boxes, w) for w in ("Plyler", "Doe")]
    assert plyler[0] and plyler[1] and plyler[0][0][0] < plyler[1][0][0], "Plyler v. Doe must read left to right"


@pytest.mark.parametrize("lang", RTL)
def test_right_to_left_pages_are_mirrored_and_right_aligned(built, lang):
    text, boxes = chars_with_boxes(pdf_bytes(built, lang, "letter"))
    phone = text.index("860-695-8400")
    title_x = boxes[text.index("Hartford Public Schools")][0]
    assert boxes[phone][0] < 200 < title_x, "the help box sits left and the title right on a mirrored page"


def test_one_font_per_paragraph_covers_latin_too(project):
    """Script faces got the Latin letters merged in at set-up, so URLs and names never vanish."""
    from generator.fonts import font_files_for
    from generator.validate import font_characters

    for language in project.languages.values():
        for path in font_files_for(project.fonts, language.script):
            covered = font_characters(str(path))
            assert all(ord(ch) in covered for ch in "https://www.aclu.org/ 860-695-8400 Plyler v. Doe (1982) ocr@ed.gov"), path.name


def test_a_right_to_left_paragraph_draws_its_current_lines_after_rewrapping(project):
    """A batch reuses one paragraph for every school and plans its lines once; wrapped again
    at another width, it must draw the new lines, exactly as a fresh paragraph would."""
    import io

    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas

    from generator.layout import block_context
    from generator.rtl import BidiParagraph

    language = project.languages["ar"]
    ctx = block_context(project, project.layouts["handout"], language)
    text = max(language.strings.values(), key=len)
    style = ParagraphStyle("test", fontName=ctx.font, fontSize=10, leading=13, alignment=TA_RIGHT)

    def drawn(paragraph: BidiParagraph, width: float) -> bytes:
        paragraph.wrap(width, 10_000)
        canvas = Canvas(io.BytesIO(), invariant=True)
        paragraph.drawOn(canvas, 0, 0)
        return canvas.getpdfdata()

    reused = BidiParagraph([(text, False)], style, ctx.bold_font)
    wide = drawn(reused, 400)
    narrow = drawn(reused, 150)
    assert len(reused.lines) > 2
    assert narrow == drawn(BidiParagraph([(text, False)], style, ctx.bold_font), 150)
    assert narrow != wide
    assert drawn(reused, 400) == wide



@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_a_right_to_left_paragraph_drawn_again_writes_what_drawing_it_afresh_writes(project, lang, monkeypatch):
    """Every school's copy draws the same right-to-left paragraphs; one drawn before writes its
    earlier operators again (rtl.BidiParagraph.draw) when the document gives its glyphs the same
    codes and its words the same content ids. The document decides both (what it drew first,
    in which fonts; how many content items came before), so after any history the whole PDF
    must be the one plain drawing gives (nothing registered first, nothing remembered), and
    with one history the drawing must really be reused."""
    import io

    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    from generator import rtl
    from generator.rlprivate import DRAWN
    from generator.fonts import script_font
    from generator.layout import block_context
    from generator.pdftags import Tag, TaggedCanvas, mark

    language = project.languages[lang]
    ctx = block_context(project, project.layouts["handout"], language)
    texts = sorted(language.strings.values(), key=len)
    text, other_text = texts[-1].replace("**", ""), texts[-2].replace("**", "")
    style = ParagraphStyle("test", fontName=ctx.font, fontSize=10, leading=13, alignment=TA_RIGHT)
    _, latin, _ = script_font(project.fonts, "Latn")

    def paragraph(words: str, bullet: str | None = None) -> rtl.BidiParagraph:
        made = rtl.BidiParagraph([(words, False)], style, ctx.bold_font, bullet)
        made.wrap(260, 10_000)
        return mark(made, Tag("LBody" if bullet else "P", words, True, lang, own_spans=True))

    def document(drawn: rtl.BidiParagraph, history: str) -> bytes:
        canvas = TaggedCanvas(io.BytesIO(), invariant=1, lang=lang)
        if "latin" in history:  # another font named first: this font's subsets get other names
            canvas.setFont(latin, 10)
            canvas.drawString(10, 10, "Fixture School")
        if "leading" in history:  # the canvas left in this very font and size, at another leading
            canvas.setFont(ctx.font, 10, 30)
        if "other" in history:  # this font's codes given to other words first; more content ids before
            paragraph(other_text).drawOn(canvas, 20, 400)
        if "same" in history:  # the same codes as with nothing before, but more content ids before
            paragraph(text).drawOn(canvas, 20, 400)
        if "outside" in history:  # drawn outside any block (its tag not opened): no content ids at all
            type(drawn).drawOn(drawn, canvas, 20, 100)
        else:
            drawn.drawOn(canvas, 20, 100)
        return canvas.getpdfdata()

    def drawn_plainly(history: str, bullet: str | None) -> bytes:
        with monkeypatch.context() as plain:
            plain.setattr(rtl, "chunk_codes", lambda chunks: None)  # the paragraph is simply drawn
            return document(paragraph(text, bullet), history)

    histories = ["", "other", "same", "latin", "latin other", "outside"]
    for bullet in (None, "•"):
        shared = paragraph(text, bullet)
        assert len(shared.lines) > 2
        for history in histories + histories[::-1]:
            assert document(shared, history) == drawn_plainly(history, bullet), (history, bullet)
    shared = paragraph(text)

    def drawings_of_shared() -> list:
        return [entry for key, entry in DRAWN.items() if key[0] == id(shared)]

    first = document(shared, "other")
    assert len(drawings_of_shared()) == 1
    assert document(shared, "other") == first and len(drawings_of_shared()) == 1  # drawn again from what it wrote


@pytest.mark.parametrize("lang", ["en", "bn", "my", "zh-Hans"])
def test_a_paragraph_drawn_again_writes_what_reportlab_writes(project, lang):
    """The same for ReportLab's own paragraphs (rlprivate.RedrawnParagraph): after any history
    (other words in the font first, another font named first, the canvas set to another
    font, a list item's bullet, drawn outside a block) the whole PDF must be the one a plain
    ReportLab paragraph gives, and with one history the drawing must really be reused."""
    import io

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from generator.blocks import CachedCJKParagraph, CachedParagraph, runs_to_markup
    from generator.cjk import CJKParagraph
    from generator.fonts import script_font
    from generator.layout import block_context
    from generator.pdftags import Tag, TaggedCanvas, mark
    from generator.rlprivate import DRAWN

    language = project.languages[lang]
    ctx = block_context(project, project.layouts["handout"], language)
    texts = sorted(language.strings.values(), key=len)
    other_text = runs_to_markup([(texts[-2].replace("**", ""), False)])
    text = runs_to_markup([(texts[-1].replace("**", ""), False), (" " + texts[0].replace("**", ""), True)])  # bold: ReportLab's fragments
    style = ParagraphStyle("test", fontName=ctx.font, fontSize=10, leading=13, shaping=1 if language.script in ("Beng", "Mymr") else 0,
                           wordWrap="CJK" if lang.startswith("zh") else None, bulletFontName=ctx.font)
    cls = CachedCJKParagraph if lang.startswith("zh") else CachedParagraph
    _, latin, latin_bold = script_font(project.fonts, "Latn")
    other_font = latin_bold if ctx.font == latin else latin

    def paragraph(kind, words: str, bullet: str | None = None):
        made = kind(words, style, bulletText=bullet)
        made.wrap(260, 10_000)
        return mark(made, Tag("LBody" if bullet else "P", words, True, lang))

    def document(drawn, history: str) -> bytes:
        canvas = TaggedCanvas(io.BytesIO(), invariant=1, lang=lang)
        if "font" in history:  # another font named first; the canvas left in another font and leading
            canvas.setFont(other_font, 10, 30)
            canvas.drawString(10, 10, "Fixture School")
        if "other" in history:  # this font's codes given to other words first
            paragraph(cls, other_text).drawOn(canvas, 20, 400)
        if "outside" in history:
            type(drawn).drawOn(drawn, canvas, 20, 100)
        else:
            drawn.drawOn(canvas, 20, 100)
        return canvas.getpdfdata()

    histories = ["", "other", "font", "font other", "leading", "outside"]
    for bullet in (None, "•"):
        shared = paragraph(cls, text, bullet)
        assert len(shared.blPara.lines) > 2
        for history in histories + histories[::-1]:
            plain = paragraph(CJKParagraph if lang.startswith("zh") else Paragraph, text, bullet)
            assert document(shared, history) == document(plain, history), (history, bullet)
    for bullet in (None, "•"):  # a list item's bullet too: its Lbl made afresh around the bullet written again
        shared = paragraph(cls, text, bullet)

        def drawings_of_shared() -> list:
            return [entry for key, entry in DRAWN.items() if key[0] == id(shared)]

        first = document(shared, "other")
        assert len(drawings_of_shared()) == 1, bullet
        assert document(shared, "other") == first and len(drawings_of_shared()) == 1, bullet  # written again


def test_a_paragraph_at_two_widths_keeps_each_widths_lines_and_draws_them(project):
    """On some pages one paragraph stands at two widths. Each width's line breaking is kept
    (blocks.WrapCache), so going back to a width gives its very lines again, and what it
    draws there is what a fresh ReportLab paragraph draws at that width."""
    import io

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from generator.blocks import CachedParagraph, runs_to_markup
    from generator.layout import block_context

    ctx = block_context(project, project.layouts["handout"], project.languages["en"])
    text = runs_to_markup([(max(project.languages["en"].strings.values(), key=len).replace("**", ""), False)])
    style = ParagraphStyle("test", fontName=ctx.font, fontSize=10, leading=13)

    def drawn(paragraph, width: float) -> bytes:
        size = paragraph.wrap(width, 10_000)
        canvas = Canvas(io.BytesIO(), invariant=True)
        paragraph.drawOn(canvas, 0, 0)
        return repr(size).encode() + canvas.getpdfdata()

    kept = CachedParagraph(text, style)
    wide, narrow = drawn(kept, 400), drawn(kept, 170)
    first_lines = kept.wrap(400, 10_000) and kept.blPara
    assert drawn(kept, 170) == narrow == drawn(Paragraph(text, style), 170)
    assert drawn(kept, 400) == wide == drawn(Paragraph(text, style), 400)
    assert kept.blPara is first_lines and wide != narrow


def shaped_strings_drawn(project, lang: str) -> tuple[str, list]:
    """The language's font and the shaped strings its paragraphs hand to ReportLab's text
    objects: through rtl.py for right-to-left text, through ReportLab's Paragraph otherwise."""
    import io

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.ttfonts import ShapedStr
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.pdfgen.textobject import PDFTextObject
    from reportlab.platypus import Paragraph

    from generator.layout import block_context
    from generator.rtl import BidiParagraph

    language = project.languages[lang]
    ctx = block_context(project, project.layouts["handout"], language)
    style = ParagraphStyle("test", fontName=ctx.font, fontSize=10, leading=13, shaping=1)
    seen = []

    class Spy(PDFTextObject):
        def _formatText(self, text):
            if isinstance(text, ShapedStr):
                seen.append(text)
            return super()._formatText(text)

    canvas = Canvas(io.BytesIO(), invariant=True)
    canvas.beginText = lambda x=0, y=0, direction=None: Spy(canvas, x, y, direction=direction)
    for text in sorted(language.strings.values(), key=len)[-4:]:
        text = text.replace("**", "")
        paragraph = (BidiParagraph([(text, False)], style, ctx.bold_font) if language.direction == "rtl"
                     else Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), style))
        paragraph.wrap(300, 10_000)
        paragraph.drawOn(canvas, 0, 0)
    return ctx.font, seen


@pytest.mark.parametrize("lang", ["ar", "ur", "bn", "ne", "my"])
def test_shaped_text_is_written_exactly_as_reportlab_writes_it_whatever_came_before(project, lang):
    """The draw stage formats a shaped string once and reuses the result in later documents
    (rlprivate.RememberingTextObject). Each document gives glyphs their subset codes in the
    order it first uses them, so drawn after different text, and at other sizes, the
    operators (and the text object's rise and subset) must be exactly ReportLab's own."""
    import io

    from reportlab.pdfgen.canvas import Canvas
    from reportlab.pdfgen.textobject import PDFTextObject

    from generator.fonts import script_font
    from generator.rlprivate import RememberingTextObject

    font, shaped = shaped_strings_drawn(project, lang)
    _, latin, latin_bold = script_font(project.fonts, "Latn")
    other_font = latin_bold if font == latin else latin
    assert len(shaped) > 10
    if lang == "ar":  # raised and lowered vowel marks: the text object's rise changes and returns
        assert any(d.y_offset for s in shaped for d in s.__shapeData__)

    def operators(text_object_class, history: list, size: float, other_font_first: bool = False) -> list[str]:
        canvas = Canvas(io.BytesIO(), invariant=True)
        if other_font_first:  # then this font's subsets have another PDF name (/F3+0, not /F2+0)
            other = PDFTextObject(canvas)
            other.setFont(other_font, size)
            other.textOut("a")
        for earlier in history:  # what this document drew first decides its glyph codes
            warm = PDFTextObject(canvas)
            warm.setFont(font, size)
            warm.textOut(earlier)
        text = text_object_class(canvas)
        text.setFont(font, size)
        out = []
        for word in shaped:
            out += [text._formatText(word), f"rise {text._rise} subset {text._curSubset}"]
        return out

    for history in ([], shaped[::-1], shaped[len(shaped) // 2:]):
        for size in (9, 12.5):
            for other_first in (False, True):
                reportlab = operators(PDFTextObject, history, size, other_first)
                assert operators(RememberingTextObject, history, size, other_first) == reportlab  # formatted now
                assert operators(RememberingTextObject, history, size, other_first) == reportlab  # remembered
    assert operators(PDFTextObject, [], 9) != operators(PDFTextObject, shaped[::-1], 9)  # the histories matter
    assert operators(PDFTextObject, [], 9) != operators(PDFTextObject, [], 9, other_font_first=True)  # so do the names


def test_preparing_a_script_face_is_quiet_about_the_overlaps_it_resolves_on_purpose(tmp_path, caplog):
    """`make` merges Latin letters into each script face, the script face winning where both
    map a character; fontTools reports each such character (Arabic's no-break space) as a
    dropped mapping, which a person running `make` would take for a fault. Those notices are
    held back, the merged face is the one `make` prepared, and the merge's logger is left as
    it was for every other message."""
    import hashlib
    import json
    import logging

    from generator import fontprep
    from generator.fontmanifest import read_font_manifest
    from generator.errors import Problems

    manifest = read_font_manifest(fontprep.FONTS_DIR / "manifest.yaml", Problems())
    arabic, latin = manifest.families["noto-naskh-arabic"]["regular"], manifest.families["noto-sans"]["regular"]
    faces = {}
    for source in (arabic, latin):
        package = manifest.packages[source.package]
        deb = fontprep.fetch_package(source.package, package.version, package.sha256)  # the cache `make` filled
        faces[source.file] = fontprep.deb_members(deb, {source.file})[source.file]
    out = tmp_path / "merged.ttf"
    logger = logging.getLogger("fontTools.merge")
    filters = list(logger.filters)
    with caplog.at_level(logging.INFO, logger="fontTools.merge"):
        fontprep.merge_latin(faces[arabic.file], faces[latin.file], out)
    assert not [r for r in caplog.records if r.getMessage().startswith("Dropped mapping")]
    assert logger.filters == filters
    prepared = json.loads(fontprep.STAMP.read_text())["families"]["noto-naskh-arabic"]["regular"]["sha256"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == prepared


def test_prepared_faces_carry_no_hinting_and_keep_every_outline_advance_and_layout_table(tmp_path):
    """Hinting programs cost PDFium (Chrome's renderer, and the pipeline's QR check and
    thumbnail) their bytecode on every glyph of every document, and a fifth of each embedded
    subset; `make` prepares every face without them. What decides where a line breaks and
    what a reader sees must be untouched: the outlines, the advances, the character map and
    the shaping tables are those of the face as it ships."""
    import hashlib
    import json

    from fontTools.ttLib import TTFont

    from generator import fontprep
    from generator.errors import Problems
    from generator.fontmanifest import read_font_manifest

    manifest = read_font_manifest(fontprep.FONTS_DIR / "manifest.yaml", Problems())
    source = manifest.families["noto-sans"]["regular"]
    package = manifest.packages[source.package]
    deb = fontprep.fetch_package(source.package, package.version, package.sha256)  # the cache `make` filled
    shipped_bytes = fontprep.deb_members(deb, {source.file})[source.file]
    out = tmp_path / "noto-sans-regular.ttf"
    fontprep.copy_face(shipped_bytes, out)

    shipped, prepared = TTFont(io.BytesIO(shipped_bytes)), TTFont(str(out))
    assert "fpgm" in shipped and any(shipped["glyf"][name].program.getBytecode() for name in ("a", "e", "n"))
    assert not [tag for tag in fontprep.HINTING_TABLES if tag in prepared]
    glyf = prepared["glyf"]
    assert not [name for name in glyf.keys() if getattr(glyf[name], "program", None) and glyf[name].program.getBytecode()]
    assert prepared["maxp"].maxSizeOfInstructions == 0
    for name in shipped.getGlyphOrder():
        before, after = shipped["glyf"][name], glyf[name]
        assert before.getCoordinates(shipped["glyf"]) == after.getCoordinates(glyf), name
    assert prepared["hmtx"].metrics == shipped["hmtx"].metrics
    assert prepared.getBestCmap() == shipped.getBestCmap()
    for tag in ("GSUB", "GPOS", "GDEF"):
        assert prepared[tag].compile(prepared) == shipped[tag].compile(shipped), tag

    recorded = json.loads(fontprep.STAMP.read_text())["families"]["noto-sans"]["regular"]["sha256"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == recorded  # the very face `make` prepared


def test_every_prepared_face_is_without_hinting():
    """Each face `make` prepared, whatever families the manifest names."""
    from fontTools.ttLib import TTFont

    from generator import fontprep
    from generator.fonts import prepared_files

    for family, styles in prepared_files(fontprep.BUILD_DIR).items():
        for style, path in styles.items():
            face = TTFont(str(path), lazy=True)
            assert not [tag for tag in fontprep.HINTING_TABLES if tag in face], (family, style)
            assert face["maxp"].maxSizeOfInstructions == 0, (family, style)
