"""What a person sees: rendered pages compared with reference images, margins, office printing."""

from __future__ import annotations

from functools import lru_cache

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageStat

from conftest import LANGUAGES, PAPERS, ROOT
from generator.render import render_job
from generator.validate import load_project

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


FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"
REFERENCE_LANGUAGES = ("en", "es", "ar", "zh-Hans", "ne")  # Latin, right to left, CJK, Indic


@lru_cache(maxsize=1)
def fixture_project():
    project, problems = load_project(FIXTURE_DATA, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, "\n".join(map(str, problems.errors))
    return project


def reference_cases() -> list[tuple[str, str, str, int]]:
    """Every layout in every fixture language (the multilingual poster once, with all of
    them), on the layout's first paper, page by page: (layout, language, paper, page)."""
    project = fixture_project()
    cases = []
    for name, layout in sorted(project.layouts.items()):
        codes = ["mul"] if layout.language_mode == "together" else [
            code for code in REFERENCE_LANGUAGES if not (code == "en" and layout.language_mode == "each-but-english")]
        cases += [(name, code, layout.papers[0], page) for code in codes for page in range(1, layout.pages + 1)]
    return cases


def case_name(case: tuple[str, str, str, int]) -> str:
    layout, code, paper, page = case
    return f"{layout}-{code}-{paper}-p{page}"


@lru_cache(maxsize=64)
def fixture_pdf(layout_name: str, code: str, paper: str) -> bytes:
    project = fixture_project()
    layout = project.layouts[layout_name]
    if code == "mul":
        page_languages = [project.languages[c] for c in REFERENCE_LANGUAGES if c != "en"]
        return render_job(project, layout, project.languages["en"], paper, page_languages=page_languages).pdf
    return render_job(project, layout, project.languages[code], paper).pdf


def reference_image(case: tuple[str, str, str, int]) -> Image.Image:
    layout, code, paper, page = case
    return render_page(fixture_pdf(layout, code, paper), REFERENCE_DPI, page - 1)


def render_page(pdf: bytes, dpi: int, index: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


@pytest.mark.parametrize("case", reference_cases(), ids=case_name)
def test_page_matches_its_reference_image(case):
    """A change to the look of any layout must be deliberate: run tests/make_references.py
    and look at the new images before committing them. Made from tests/fixtures/data, so a
    change to the shipped data never fails this test."""
    reference = Image.open(REFERENCE_DIR / f"{case_name(case)}.png").convert("L")
    page = reference_image(case)
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
