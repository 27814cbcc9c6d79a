"""Verify: a large page is read in two overlapping bands; every code is found, and counted once."""

from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from generator.qr import QRCode
from generator.verify import BAND_PIXELS, QR_CHECK_DPI, decode_qr_codes

INCH = 72


def poster(codes: list[tuple[str, float, float]], size=(24 * INCH, 36 * INCH)) -> bytes:
    """A page with QR codes (url, x, y of the bottom left, in points), 4 inches each."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=1)
    for url, x, y in codes:
        QRCode(url, 4 * INCH).drawOn(canvas, x, y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_a_poster_is_large_enough_to_be_read_in_bands():
    assert (24 * 36) * QR_CHECK_DPI**2 > BAND_PIXELS


def test_codes_in_each_band_and_in_the_overlap_are_each_counted_once():
    a, b = "https://example.org/a", "https://example.org/b"
    pdf = poster([(a, 2 * INCH, 30 * INCH),   # top band only
                  (b, 10 * INCH, 16 * INCH),  # in the overlap: seen by both bands
                  (a, 16 * INCH, 2 * INCH)])  # bottom band only: the same URL again, a second code
    assert sorted(decode_qr_codes(pdf)) == [a, a, b]


def test_a_small_page_is_read_whole():
    url = "https://example.org/letter"
    assert decode_qr_codes(poster([(url, 2 * INCH, 2 * INCH)], size=(8.5 * INCH, 11 * INCH))) == [url]
