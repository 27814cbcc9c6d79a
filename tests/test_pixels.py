"""What a person sees: rendered pages compared with reference images, margins, office printing."""

from __future__ import annotations


import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageStat

from conftest import LANGUAGES, PAPERS, ROOT

REFERENCE_DIR = ROOT / "tests" / "reference"
REFERENCE_DPI = 40


def render(pdf: bytes, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def document(built, lang, paper) -> bytes:
    out, documents = built
    return (out / documents[(lang, paper)]["path"]).read_bytes()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_matches_its_reference_image(built, lang):
    """A change to the look of a handout must be deliberate: run tests/make_references.py and
    look at the new images before committing them."""
    reference = Image.open(REFERENCE_DIR / f"handout-{lang}-letter.png").convert("L")
    page = render(document(built, lang, "letter"), REFERENCE_DPI)
    assert page.size == reference.size
    diff = ImageChops.difference(page, reference)
    assert ImageStat.Stat(diff).mean[0] < 1.0, "the page looks different from tests/reference"


@pytest.mark.parametrize("lang,paper", [(lang, paper) for lang in LANGUAGES for paper in PAPERS])
def test_nothing_is_printed_in_the_margins(built, lang, paper):
    dpi = 50
    page = render(document(built, lang, paper), dpi)
    edge = int(0.45 * dpi)  # office printers cannot print the outer ~0.25 in; we keep 0.5 in / 13 mm clear
    w, h = page.size
    for box in [(0, 0, w, edge), (0, h - edge, w, h), (0, 0, edge, h), (w - edge, 0, w, h)]:
        assert page.crop(box).getextrema()[0] >= 250, f"ink in the margin {box}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_survives_a_black_and_white_office_printer(built, project, lang):
    """Threshold the page to pure black and white, as a cheap laser printer does:
    the QR codes still decode, and the text is still there (dark enough not to vanish)."""
    page = render(document(built, lang, "letter"), 150)
    bw = page.point(lambda v: 0 if v < 128 else 255, mode="1").convert("L")
    decoded = sorted(r.text for r in zxingcpp.read_barcodes(bw, formats=zxingcpp.BarcodeFormat.QRCode))
    assert decoded == sorted(r.url for r in project.resources.values())
    ink_before = page.histogram()[:160]
    ink_after = bw.histogram()[0]
    assert ink_after >= 0.8 * sum(ink_before), "text lost when printed in black and white"
