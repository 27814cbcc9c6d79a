"""Shaped glyphs in reading order (generator/glyphorder.py): every word of every shaped
language keeps every glyph exactly where HarfBuzz put it, and its glyphs, read in drawing
order through the text each stands for, say the word; every glyph's text is in NFKC form
(an Arabic joined form maps to its letter, not to a presentation form).

Words come from the fixture data (each shaped language's strings), so a new translation is
checked too without a change here."""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import shapeStr

from conftest import ROOT
from generator import fonts
from generator.glyphorder import NOTHING, VARIANT_TEXT, in_reading_order, with_glyph_texts
from generator.rtl import shape
from generator.validate import load_project


@lru_cache(maxsize=1)
def project():
    loaded, problems = load_project(ROOT / "tests" / "fixtures" / "data", ROOT / "layouts", ROOT / "fonts")
    assert loaded is not None, "\n".join(map(str, problems.errors))
    return loaded


def shaped_languages():
    p = project()
    return [code for code, language in sorted(p.languages.items()) if p.fonts.scripts[language.script].shaping]


def words_of(code: str) -> list[str]:
    found = set()
    for value in project().languages[code].strings.values():
        found.update(word.strip("*") for word in value.split())
    return sorted(w for w in found if w)


def placements(glyphs) -> Counter:
    """(glyph, x, y) of every glyph, x from the start of the string (thousandths of an em)."""
    face_glyph = glyphs._font.face.charToGlyph
    out, pen = Counter(), 0.0
    for ch, d in zip(str(glyphs), glyphs.__shapeData__):
        out[(face_glyph[ord(ch)], round(pen + d.x_offset, 6), d.y_offset)] += 1
        pen += d.x_advance
    return out


def says(glyphs) -> list[str]:
    """What each glyph stands for, in drawing order (its own character or its mapped text)."""
    return [VARIANT_TEXT.get(ord(ch), ch) for ch in str(glyphs)]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text.replace(NOTHING, ""))


@pytest.mark.parametrize("code", shaped_languages())
def test_every_word_keeps_its_glyphs_in_place_and_reads_in_order(code):
    p = project()
    language = p.languages[code]
    _, regular, _ = fonts.script_font(p.fonts, language.script)
    font = pdfmetrics.getFont(regular)
    rtl = language.direction == "rtl"
    wrong, moved, fell_back, compatibility = [], [], [], []
    for word in words_of(code):
        if rtl:
            if not any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in word):
                continue  # left-to-right runs in right-to-left text are drawn unshaped
            before = shape(word, regular, 10, True)[0]
        else:
            before = shapeStr(word, regular, 10, force=True)
        if not hasattr(before, "__shapeData__"):
            continue  # nothing to shape
        after = (with_glyph_texts if rtl else in_reading_order)(before, word, regular)
        before._font = after._font = font
        if placements(before) != placements(after) or sum(d.x_advance for d in before.__shapeData__) != sum(d.x_advance for d in after.__shapeData__):
            moved.append(word)
        parts = says(after)
        read = "".join(reversed(parts)) if rtl else "".join(parts)  # right to left: drawn from the left
        if nfkc(read) != nfkc(word):
            (fell_back if after is before else wrong).append((word, read))
        elif any(part != NOTHING and unicodedata.normalize("NFKC", part) != part for part in parts):
            compatibility.append((word, read))  # a joined form's presentation form, or a decomposing letter (য়)
    assert not moved, f"glyphs moved in {len(moved)} words, e.g. {moved[:3]}"
    assert not wrong, f"{len(wrong)} words read wrong, e.g. {wrong[:3]}"
    assert not fell_back, f"{len(fell_back)} words left as shaped, e.g. {fell_back[:3]}"
    assert not compatibility, f"{len(compatibility)} words with glyphs whose text is not in NFKC form, e.g. {compatibility[:3]}"
