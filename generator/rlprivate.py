"""Render support: the few ReportLab internals we rely on, in one place (checked against ReportLab 5.1.0).

Why each is needed:
- `Canvas._code` (the page's content-stream operators so far) and `Canvas._currentMatrix`
  (the transformation in force): a QR code's drawing is fingerprinted from exactly the
  operators it emitted and where they landed, so that a code whose drawing is byte-identical
  to one already decoded can be recorded as such instead of decoded again. ReportLab has no
  public way to read back what a flowable drew.
- generator/cjk.py overrides `Paragraph.breakLinesCJK` and uses `reportlab.platypus.paragraph`
  helpers for kinsoku line breaking (ReportLab 5.1 has no hook for it).
An upgrade of ReportLab must re-check these (tests/test_render.py covers both).
"""

from __future__ import annotations

import hashlib

from reportlab.pdfgen.canvas import Canvas


def code_length(canvas: Canvas) -> int:
    return len(canvas._code)


def drawing_fingerprint(canvas: Canvas, since: int) -> str:
    """sha256 of the page operators emitted since `since` and of the transformation they
    were drawn under: equal fingerprints, equal marks on the page."""
    digest = hashlib.sha256(repr(canvas._currentMatrix).encode())
    for operator in canvas._code[since:]:
        digest.update(operator.encode("latin-1", "replace") + b"\n")
    return digest.hexdigest()


def assign_private_codes(font_name: str) -> None:
    """Give every glyph that no character maps to (joined forms, conjuncts, ligatures) its
    private-use code now, in glyph order. ReportLab assigns these codes on first use, from a
    counter shared by every document of the process, so a document's bytes (its font subset
    and ToUnicode map) would depend on which documents the process drew before it."""
    from reportlab.pdfbase import pdfmetrics

    font = pdfmetrics.getFont(font_name)
    if not getattr(font, "shapable", False):
        return
    hb_font = font.hbFont(10)
    encoded = font.face.glyphToChar
    unencoded = [gid for gid in range(hb_font.face.glyph_count) if gid not in encoded]
    if len(unencoded) > PRIVATE_CODES:
        return  # would not fit the private-use range ReportLab draws from; such fonts are not shaped
    for gid in unencoded:
        font.hbAddPrivate(hb_font.glyph_to_string(gid), gid, hb_font.get_glyph_h_advance(gid))


PRIVATE_CODES = 0xF800 - 0xE000 - 512  # ReportLab asserts codes stay below U+F800; keep a margin
