"""Verify: rendered PDF bytes -> a list of problems (empty when the document is right).

Checks what a person relies on, from the PDF itself rather than from our intentions:
the page count, the language tag, the title, that every font is embedded, and that every
QR code decodes, from a 150 dpi rendering, to exactly the URL it should carry.
"""

from __future__ import annotations

import io
from collections import Counter

import pikepdf
import pypdfium2
import zxingcpp

QR_CHECK_DPI = 150


def pdf_facts(pdf: bytes) -> dict:
    """Read by qpdf (pikepdf) from the bytes themselves: a tenth of the time pypdf takes."""
    with pikepdf.Pdf.open(io.BytesIO(pdf)) as reader:
        fonts = {}
        for page in reader.pages:
            resources = page.obj.get("/Resources") or {}
            for name, font in (resources.get("/Font") or {}).items():
                fonts[str(name)] = _font_embedded(font)
        return {
            "pages": len(reader.pages),
            "lang": str(reader.Root.get("/Lang", "")),
            "title": str(reader.docinfo.get("/Title", "")) if "/Info" in reader.trailer else "",
            "fonts": fonts,  # font resource name -> (base font, embedded?)
        }


def _font_embedded(font) -> tuple[str, bool]:
    base = str(font.get("/BaseFont", ""))
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0]
    descriptor = font.get("/FontDescriptor")
    embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return base, embedded


def open_pdf(pdf: bytes) -> pypdfium2.PdfDocument:
    """The document as pdfium reads it, opened once for the QR check and the thumbnail."""
    return pypdfium2.PdfDocument(pdf)


def decode_qr_codes(pdf: bytes, dpi: int = QR_CHECK_DPI, document: pypdfium2.PdfDocument | None = None) -> list[str]:
    own = document is None
    document = open_pdf(pdf) if own else document
    try:
        found = []
        for page in document:
            found.extend(_page_codes(page, dpi / 72))
        return found
    finally:
        if own:
            document.close()


BAND_PIXELS = 8_000_000  # a larger page is read in two overlapping bands (a 24x36 in poster is 19 megapixels)
BAND_OVERLAP = 0.4  # of the page's height: a code up to this tall lies whole in one band or the other


def _page_codes(page, scale: float) -> list[str]:
    """The QR codes on a page, each counted once. A large page is rendered and read as a top
    and a bottom band that overlap by 40% of its height, which takes a third less memory than
    the whole page at once; a code seen in both bands (at the same place) is counted once.
    A code too tall for the overlap could only be missed, never invented: the check fails."""
    width, height = page.get_size()
    if width * height * scale * scale <= BAND_PIXELS:
        return [text for text, _ in _read(page.render(scale=scale, grayscale=True).to_pil(), 0.0)]
    band = height * (1 + BAND_OVERLAP) / 2
    top = _read(page.render(scale=scale, grayscale=True, crop=(0, height - band, 0, 0)).to_pil(), 0.0)
    offset = (height - band) * scale
    bottom = _read(page.render(scale=scale, grayscale=True, crop=(0, 0, 0, height - band)).to_pil(), offset)
    seen = list(top)
    for text, (x, y) in bottom:
        if not any(text == t and abs(x - tx) < 4 and abs(y - ty) < 4 for t, (tx, ty) in top):
            seen.append((text, (x, y)))
    return [text for text, _ in seen]


def _read(image, y_offset: float) -> list[tuple[str, tuple[float, float]]]:
    """Decoded codes with their centres in page pixels. Our codes are dark on light and
    upright: searching for inverted or turned codes took two thirds of the time."""
    codes = []
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False, try_rotate=False):
        corners = (result.position.top_left, result.position.top_right, result.position.bottom_left, result.position.bottom_right)
        centre = (sum(c.x for c in corners) / 4, sum(c.y for c in corners) / 4 + y_offset)
        codes.append((result.text, centre))
    return codes


def verify_facts(facts: dict, *, pages: int, lang: str) -> list[str]:
    """What the PDF itself says, against what the layout and language require."""
    problems = []
    if facts["pages"] != pages:
        problems.append(f"has {facts['pages']} pages; the layout must fill exactly {pages}")
    if facts["lang"] != lang:
        problems.append(f"/Lang is '{facts['lang']}', expected '{lang}'")
    if not facts["title"] or facts["title"] == "(anonymous)":
        problems.append("has no document title")
    for name, (base, embedded) in facts["fonts"].items():
        if not embedded:
            problems.append(f"font {base or name} is not embedded")
    return problems


def verify_pdf(pdf: bytes, *, pages: int, lang: str, qr_urls: list[str], decode_qr: bool = True) -> list[str]:
    problems = verify_facts(pdf_facts(pdf), pages=pages, lang=lang)
    if not decode_qr:
        return problems
    decoded = Counter(decode_qr_codes(pdf))
    expected = Counter(qr_urls)
    if decoded != expected:
        missing = sorted((expected - decoded).elements())
        extra = sorted((decoded - expected).elements())
        problems.append(f"QR codes do not decode as expected at {QR_CHECK_DPI} dpi (missing: {missing}, unexpected: {extra})")
    return problems


THUMBNAIL_WIDTH = 150  # pixels


def pdf_thumbnail(pdf: bytes, document: pypdfium2.PdfDocument | None = None) -> bytes:
    """A small PNG of the first page, for the catalog."""
    own = document is None
    document = open_pdf(pdf) if own else document
    try:
        page = document[0]
        image = page.render(scale=THUMBNAIL_WIDTH / page.get_width()).to_pil()
        out = io.BytesIO()
        # Level 1 is twice as fast as 6 and, for these small flat pages, no larger.
        image.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()
    finally:
        if own:
            document.close()
