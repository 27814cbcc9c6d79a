"""QR codes a parent's phone reads from the whole page: a second decoder (ZBar, not the
zxing-cpp that verification uses) on a grey, slightly blurred, tilted and keystoned
camera-size image of the whole page (of one card, for wallet cards), for every layout in a
Latin, a right-to-left and a CJK language; and every code's printed size in every fit."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pypdfium2
import pytest
from PIL import Image, ImageFilter

from generator import blocktree as bt
from generator.layout import lay_out, parse_document
from generator.qr import MM, QUIET_ZONE, qr_matrix
from test_pixels import fixture_pdf, fixture_project

ZBAR = shutil.which("zbarimg")
PHONE_PREVIEW = 1920  # pixels along the long side of a phone camera's 1080p preview
LANGUAGES = ["en", "ar", "zh-Hans"]


def phone_photo(image: Image.Image, long_side: int) -> Image.Image:
    """What a phone sees: the subject filling `long_side` pixels, grey toner on grey paper,
    a slight keystone and tilt, and a little blur."""
    scale = long_side / max(image.size)
    image = image.convert("L").resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    image = image.point(lambda v: 60 + v * (215 - 60) / 255)
    width, height = image.size
    inset = 0.02 * width
    image = image.transform((width, height), Image.QUAD, (inset, 0, 0, height, width, height, width - inset, 0),
                            resample=Image.BILINEAR, fillcolor=215)
    image = image.rotate(3, resample=Image.BILINEAR, expand=True, fillcolor=215)
    return image.filter(ImageFilter.GaussianBlur(0.6))


def zbar(image: Image.Image) -> list[str]:
    assert ZBAR, "zbarimg (Debian zbar-tools) is missing: `make test` installs it"
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        image.save(handle.name)
        result = subprocess.run([ZBAR, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", handle.name], capture_output=True, text=True)
    return sorted(line for line in result.stdout.splitlines() if line)


def page_image(pdf: bytes, index: int, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[index].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()


def cases():
    project = fixture_project()
    for name, layout in sorted(project.layouts.items()):
        codes = ["mul"] if layout.language_mode == "together" else [c for c in LANGUAGES if not (c == "en" and layout.language_mode == "each-but-english")]
        for code in codes:
            yield name, code, layout.papers[0]


@pytest.mark.parametrize("layout,code,paper", list(cases()), ids=lambda v: str(v))
def test_a_phone_reads_every_code_from_the_whole_page(layout, code, paper):
    pdf = fixture_pdf(layout, code, paper)
    if layout == "card":
        # A wallet card held up to the phone fills about half of the frame's long side.
        sheet = page_image(pdf, 1, 300)
        card_w, card_h = round(3.5 * 300), round(2 * 300)
        left, top = (sheet.width - 2 * card_w) // 2, (sheet.height - 5 * card_h) // 2 if paper == "letter" else (sheet.height - 4 * card_h) // 2
        photo = phone_photo(sheet.crop((left, top, left + card_w, top + card_h)), PHONE_PREVIEW // 2)
    else:
        photo = phone_photo(page_image(pdf, 0, 200), PHONE_PREVIEW)
    decoded = zbar(photo)
    drawn = fixture_urls(layout, code, paper)
    drawn = sorted(set(drawn)) if layout == "card" else sorted(drawn)  # the photo holds one card
    assert decoded == drawn, f"{layout}/{code}: a phone read {decoded}, the page has {drawn}"


def fixture_urls(layout: str, code: str, paper: str) -> list[str]:
    """The codes the layout stage placed on the page (for a card: on each card's back)."""
    project = fixture_project()
    language = project.languages["en" if code == "mul" else code]
    from test_pixels import REFERENCE_LANGUAGES

    others = [project.languages[c] for c in REFERENCE_LANGUAGES if c != "en"] if code == "mul" else None
    return lay_out(project, project.layouts[layout], language, paper, page_languages=others).qr_urls


def qr_blocks(blocks):
    for block in blocks:
        if isinstance(block, bt.QR):
            yield block
        yield from qr_blocks(getattr(block, "children", ()) or ())
        for column in getattr(block, "columns", ()) or ():
            yield from qr_blocks(column)


@pytest.mark.parametrize("layout", ["handout", "bilingual", "half-sheet", "card"])
def test_every_fit_keeps_the_codes_at_their_printed_minimum(layout):
    """Fits shrink text before they shrink codes: in every fit, language and paper the
    symbol (without its quiet zone) keeps the layout's minimum (20 mm; 18 mm on cards)."""
    project = fixture_project()
    spec = project.layouts[layout]
    assert spec.min_qr_symbol_mm >= (18 if layout == "card" else 20)
    for code in sorted(project.languages):
        if code == "en" and spec.language_mode == "each-but-english":
            continue
        for fit, _ in spec.fits:
            for paper in spec.papers:
                tree = parse_document(project, spec, project.languages[code], paper, fit, None, None)
                found = [block for page in tree.pages for _, blocks in page.regions for block in qr_blocks(blocks)]
                found += [block for page in tree.pages for block in qr_blocks(page.frames)]
                assert found, (layout, code, fit)
                for block in found:
                    modules = len(qr_matrix(project.resources[block.resource].url))
                    symbol_mm = (block.symbol or block.size * (modules - 2 * QUIET_ZONE) / modules) / MM
                    assert symbol_mm >= spec.min_qr_symbol_mm - 1e-6, (layout, code, fit, paper, block.resource, symbol_mm)


@pytest.mark.parametrize("url", ["https://www.aclu.org/know-your-rights/immigrants-rights", "https://example.org/a"])
def test_a_codes_path_covers_exactly_its_dark_modules(url):
    """Error correction lets a phone read a code with a few modules wrong, so decoding alone
    would not notice a drawing that drops or adds some: the path every copy of a page draws
    must cover each dark module of the code once, and nothing else."""
    from generator.qr import modules_path

    matrix = qr_matrix(url)
    n, size = len(matrix), 20 * MM
    module = size / n
    drawn = [[0] * n for _ in range(n)]
    operators = modules_path(matrix, size).split(" re")
    assert operators[0].startswith("n ") and operators[-1] == ""  # a new path of rectangles only
    for operator in operators[:-1]:
        x, y, width, height = (float(v) for v in operator.split()[-4:])
        assert len(operator.split()) == 4 + (operator is operators[0])
        row = round((size - y) / module) - 1
        assert abs(height - module) < 1e-3 and 0 <= row < n
        first, count = round(x / module), round(width / module)
        for col in range(first, first + count):
            drawn[row][col] += 1
    assert drawn == [[int(dark) for dark in row] for row in matrix]
