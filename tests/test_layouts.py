"""Every format a school prints: posters, multilingual poster, bilingual sheet, wallet cards,
half-sheets, in every language and both paper families, plus print options."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from conftest import ROOT, run_cli
from generator.qr import qr_matrix
from generator.verify import decode_qr_codes

PT_PER_MM = 72 / 25.4
SIZES = {"letter": (612, 792), "a4": (595.28, 841.89), "tabloid": (792, 1224), "a3": (841.89, 1190.55),
         "poster-18x24": (1296, 1728), "poster-24x36": (1728, 2592)}
SAMPLE = ["en", "zh-Hant", "ar", "my"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("layouts")
    result = run_cli("build", "--all", "--jobs", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    documents = json.loads((out / "manifest.json").read_text())["documents"]
    return out, documents


def pick(documents, layout, lang=None, paper=None):
    return [d for d in documents if d["layout"] == layout and (lang is None or d["lang"] == lang) and (paper is None or d["paper"] == paper)]


def test_every_layout_in_every_language_and_paper_family(batch, project):
    _, documents = batch
    langs = set(project.languages)
    for layout in ("handout", "poster", "card", "half-sheet"):
        for paper in project.layouts[layout].papers:
            assert {d["lang"] for d in pick(documents, layout, paper=paper)} == langs, (layout, paper)
    for paper in ("letter", "a4"):
        assert {d["lang"] for d in pick(documents, "bilingual", paper=paper)} == langs - {"en"}
    assert {d["paper"] for d in pick(documents, "poster-multilingual")} == {"tabloid", "a3", "poster-18x24", "poster-24x36"}


@pytest.mark.parametrize("layout,pages", [("handout", 1), ("poster", 1), ("card", 2), ("half-sheet", 1), ("bilingual", 1), ("poster-multilingual", 1)])
def test_page_counts_and_sizes(batch, layout, pages):
    out, documents = batch
    for entry in pick(documents, layout):
        reader = PdfReader(out / entry["path"])
        assert len(reader.pages) == pages, entry["path"]
        for page in reader.pages:
            assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(SIZES[entry["paper"]], abs=0.6)


def qr_codes_with_module_size(pdf: Path, dpi: int = 150) -> list[tuple[str, float, float]]:
    """(text, module size in mm, code width in mm) of each QR code on the first page(s)."""
    document = pypdfium2.PdfDocument(str(pdf))
    found = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                p = result.position
                width_px = math.dist((p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y))
                modules = len(qr_matrix(result.text)) - 8  # without the quiet zone
                width_mm = width_px / dpi * 25.4
                found.append((result.text, width_mm / modules, width_mm))
    finally:
        document.close()
    return found


@pytest.mark.parametrize("layout", ["handout", "poster", "card", "half-sheet", "bilingual", "poster-multilingual"])
def test_qr_codes_decode_at_150_dpi_with_big_enough_modules(batch, project, layout):
    out, documents = batch
    urls = {r.url for r in project.resources.values()}
    entries = [d for d in pick(documents, layout) if d["lang"] in SAMPLE + ["mul", "es"]][:8]
    assert entries
    for entry in entries:
        codes = qr_codes_with_module_size(out / entry["path"])
        assert sorted(text for text, _, _ in codes) == sorted(entry["qr"]), entry["path"]
        assert all(text in urls for text, _, _ in codes)
        assert all(module >= 0.4 for _, module, _ in codes), (entry["path"], codes)
        if layout.startswith("poster"):
            assert all(width >= 50 for _, _, width in codes), "poster QR codes must be at least 5 cm wide (without quiet zone)"


def dark_columns(image, y0: int, y1: int) -> list[int]:
    """x positions with ink in the band y0..y1 (crop marks above the card grid)."""
    width = image.width
    return [x for x in range(width) if min(image.getpixel((x, y)) for y in range(y0, y1)) < 128]


@pytest.mark.parametrize("paper,rows", [("letter", 5), ("a4", 4)])
def test_card_sheets_have_crop_marks_at_every_cut_and_backs_mirror_fronts(batch, paper, rows):
    out, documents = batch
    [entry] = pick(documents, "card", "en", paper)
    width, height = SIZES[paper]
    card_w, card_h = 252, 144
    left, top = (width - 2 * card_w) / 2, (height - rows * card_h) / 2
    cuts_x = [left + i * card_w for i in range(3)]
    dpi = 144
    scale = dpi / 72
    document = pypdfium2.PdfDocument(str(out / entry["path"]))
    try:
        for page in document:
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            band = (int((top - 16) * scale), int((top - 6) * scale))  # where the marks above the grid are
            columns = dark_columns(image, *band)
            for x in cuts_x:
                assert any(abs(c / scale - x) < 1.5 for c in columns), f"no crop mark at x={x:.1f} pt"
            assert all(any(abs(c / scale - x) < 1.5 for x in cuts_x) for c in columns), "a mark off the cut lines"
        front_titles = title_centres(document[0], "Know your rights")
        back_codes = [centre for centre in qr_centres(document[1], scale)]
    finally:
        document.close()
    assert len(front_titles) == 2 * rows and len(back_codes) == 2 * rows

    def cell(x, y):
        return int((x - left) // card_w), int((y - top) // card_h)

    front_cells = {cell(x, y) for x, y in front_titles}
    mirrored_back_cells = {cell(width - x, y) for x, y in back_codes}  # turned over the long edge
    assert front_cells == mirrored_back_cells == {(c, r) for c in range(2) for r in range(rows)}
    # Each back sits exactly behind its front: the card boxes mirror about the sheet's centre.
    assert math.isclose(left + 2 * card_w + left, width)


def title_centres(page, text: str) -> list[tuple[float, float]]:
    textpage = page.get_textpage()
    found, height = [], page.get_height()
    searcher = textpage.search(text)
    while (match := searcher.get_next()) is not None:
        index, count = match
        boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        found.append(((x0 + x1) / 2, height - (y0 + y1) / 2))
    return found


def qr_centres(page, scale: float) -> list[tuple[float, float]]:
    image = page.render(scale=scale, grayscale=True).to_pil()
    centres = []
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        p = result.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        centres.append((sum(xs) / 4 / scale, sum(ys) / 4 / scale))
    return centres


def test_half_sheet_has_two_copies_and_a_cut_line(batch):
    out, documents = batch
    [entry] = pick(documents, "half-sheet", "en", "letter")
    document = pypdfium2.PdfDocument(str(out / entry["path"]))
    try:
        page = document[0]
        assert len(title_centres(page, "Your Family's Rights at School")) == 2
        image = page.render(scale=1, grayscale=True).to_pil().convert("L")
        row = [image.getpixel((x, 396)) for x in range(image.width)]
        dark = sum(1 for v in row if v < 128)
        assert 0.4 * image.width < dark < 0.8 * image.width, "a dashed line across the middle"
    finally:
        document.close()


def test_multilingual_poster_has_its_languages_and_right_to_left_blocks_right_aligned(batch, project):
    out, documents = batch
    [entry] = pick(documents, "poster-multilingual", paper="tabloid")
    assert entry["lang"] == "mul" and len(entry["languages"]) == 12
    reader = PdfReader(out / entry["path"])
    assert str(reader.trailer["/Root"]["/Lang"]) == "mul"
    document = pypdfium2.PdfDocument(str(out / entry["path"]))
    try:
        page = document[0]
        text = page.get_textpage().get_text_range()
        for code in ("es", "pt", "ht", "vi", "so"):
            assert project.languages[code].endonym in text
        spanish = title_centres(page, project.languages["es"].endonym)[0]
        arabic = title_centres(page, project.languages["ar"].endonym)[0]
    finally:
        document.close()
    column_width = (792 - 2 * 43.2 - 8 * PT_PER_MM) / 2
    assert spanish[0] < 43.2 + column_width / 3, "a left-to-right block starts at the left"
    assert arabic[0] > 43.2 + column_width * 2 / 3, "a right-to-left block is right-aligned"


def test_a_new_layout_is_just_new_files(tmp_path):
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    notice = layouts / "notice"
    notice.mkdir()
    (notice / "layout.yaml").write_text(
        'description: "A small notice"\ntemplate: notice.xml.j2\npapers: [letter]\n'
        "styles:\n  h1: {font_size: 30, leading: 36, color: \"#1a1a1a\", bold: true}\n"
        "  body: {font_size: 14, leading: 18, color: \"#1a1a1a\"}\n", encoding="utf-8")
    (notice / "notice.xml.j2").write_text(
        '<document title="{{ t.doc_title }}"><page><body><h1>{{ t.school_heading }}</h1>'
        '<p>{{ t.school_body }}</p><qr resource="idp" size="40mm"/></body></page></document>\n', encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", "--layouts", str(layouts), "--layout", "notice", "--lang", "es", "--lang", "ar", "--out", str(out))
    assert result.returncode == 0, result.stderr
    pdfs = sorted(p.name for p in out.rglob("*.pdf"))
    assert pdfs == ["ar_arabic.pdf", "es_spanish.pdf"]
    assert decode_qr_codes((next(out.rglob("es_spanish.pdf"))).read_bytes()) == ["https://www.immigrantdefenseproject.org/"]


def test_card_overflow_names_layout_language_and_block(data_copy, tmp_path):
    es = data_copy / "languages" / "es.yaml"
    es.write_text(es.read_text(encoding="utf-8").replace('card_statement: "', 'card_statement: "' + "Palabras de más. " * 40, 1), encoding="utf-8")
    result = run_cli("build", "--data", str(data_copy), "--layout", "card", "--lang", "es", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "failed: hartford-public-schools/card/es/letter: text overflows the front-0-0 region" in result.stderr


def test_bleed_adds_a_bleed_area_trim_box_and_crop_marks(tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--layout", "handout", "--lang", "en", "--bleed", "--out", str(out)).returncode == 0
    [pdf] = list(out.rglob("*-bleed.pdf"))
    page = PdfReader(pdf).pages[0]
    trim = [float(v) for v in page.trimbox]
    bleed = [float(v) for v in page.bleedbox]
    assert trim[2] - trim[0] == pytest.approx(612) and trim[3] - trim[1] == pytest.approx(792)
    assert trim[0] - bleed[0] == pytest.approx(9) and float(page.mediabox.width) > bleed[2]  # 1/8 in bleed, marks outside
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=2, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    height = float(page.mediabox.height)
    x, y_top = trim[0], height - trim[3]  # the trim's top-left corner, in image coordinates / 2
    mark = [image.getpixel((round(x * 2), round((y_top - 15) * 2) + dy)) for dy in range(-2, 3)]
    assert min(mark) < 128, "a crop mark above the top-left trim corner"
    assert image.getpixel((round((x - 3) * 2), round((y_top - 3) * 2))) > 200, "nothing printed in the corner itself"


def test_grayscale_is_pure_black_on_white_without_tints(tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--layout", "handout", "--lang", "es", "--grayscale", "--out", str(out)).returncode == 0
    [pdf] = list(out.rglob("*-gray.pdf"))
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    colours = image.getcolors(1 << 20)
    assert all(r == g == b for _, (r, g, b) in colours), "only greys (black text antialiased on white)"
    # Antialiased text spreads over many grey levels; a tint is one level over a large area.
    largest_light_area = max(count for count, (r, g, b) in colours if 200 <= r <= 250)
    assert largest_light_area < 0.005 * image.width * image.height, "no light tint areas that vanish on office printers"
    assert decode_qr_codes(pdf.read_bytes())
