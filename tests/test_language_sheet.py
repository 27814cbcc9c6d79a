"""The language-identification sheet (layouts/language-sheet) and the <flow> block it is built on:
every language of the data in a box, grouped by script, right-to-left boxes right-aligned, a
second page (and a warning) when the languages outgrow one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from reportlab.platypus import Spacer

from generator import blocktree as bt
from generator.blocks import FlowColumns
from generator.validate import load_project

from conftest import ROOT, run_cli

FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"
LAYOUT = "language-sheet"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="Poppler (poppler-utils) is not installed; `make test` installs it")


def squeezed(text: str) -> str:
    """NFKC, without white space and the bidi marks Poppler puts around right-to-left runs."""
    return re.sub(r"[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]+", "", unicodedata.normalize("NFKC", text))


def words(text: str) -> list[str]:
    """The words of a line, without punctuation around them (Poppler gives right-to-left
    sentences in visual order, so a line is compared word by word; CJK has no spaces, so
    its clauses are the words)."""
    found = []
    for word in re.split(r"[\s。.、，]+", unicodedata.normalize("NFKC", text)):
        word = word.strip("".join(chr(c) for c in range(0x21, 0x40)) + "।۔።")
        if word:
            found.append(word)
    return found


def build_sheets(data: Path, out: Path, *extra: str) -> dict[str, dict]:
    result = run_cli("build", "--layout", LAYOUT, "--all", "--jobs", "1", "--data", str(data), "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    documents = manifest["documents"] if isinstance(manifest, dict) else manifest
    return {d["paper"]: d for d in documents if d["layout"] == LAYOUT}


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheets")
    return out, build_sheets(FIXTURE_DATA, out)


@pytest.fixture(scope="module")
def fixture_project():
    project, problems = load_project(FIXTURE_DATA, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    return project


def test_builds_on_every_declared_paper_on_one_page(sheets, fixture_project):
    out, documents = sheets
    assert sorted(documents) == sorted(fixture_project.layouts[LAYOUT].papers) == ["a4", "letter", "tabloid"]
    for paper, document in documents.items():
        assert document["pages"] == 1, paper
        assert document["lang"] == "mul"
        assert document["path"].endswith(f"/{LAYOUT}/{paper}/mul_all.pdf")
        assert sorted(document["languages"]) == sorted(fixture_project.languages)
        assert not any("continues" in w for w in document["warnings"]), document["warnings"]


@needs_poppler
@pytest.mark.parametrize("paper", ["letter", "a4", "tabloid"])
def test_every_language_has_its_box_with_its_text(sheets, fixture_project, paper):
    out, documents = sheets
    text = squeezed(subprocess.run(["pdftotext", str(out / documents[paper]["path"]), "-"], capture_output=True, check=True).stdout.decode())
    for code, language in fixture_project.languages.items():
        assert squeezed(language.endonym) in text, code
        missing = [w for w in words(language.strings["sheet_point"]) if squeezed(w) not in text]
        assert not missing, (code, missing)
        assert squeezed(language.name_en) in text, code


def word_boxes(pdf: Path) -> list[tuple[str, float, float, float, int, float, float]]:
    """(word, xMin, xMax, height, page, yMin, yMax) of every word Poppler finds (right-to-left
    words in visual order; y from the top of the page)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(w, float(a), float(c), float(d) - float(b), page, float(b), float(d))
            for page, body in enumerate(html.split("<page")[1:]) for a, b, c, d, w in re.findall(pattern, body)]


def find(words, text: str, near: tuple[float, float] | None = None) -> tuple[float, float, int, float, float]:
    """The word's horizontal extent (and page, top, bottom): the tallest occurrence (an
    endonym), or the one that overlaps `near` (the English name under it)."""
    hits = [(h, a, b, page, top, bottom) for w, a, b, h, page, top, bottom in words if w in (text, text[::-1])]
    if near:
        hits = [hit for hit in hits if hit[1] < near[1] and hit[2] > near[0]]
    assert hits, f"{text!r} not found"
    _, a, b, page, top, bottom = max(hits) if not near else min(hits)
    return a, b, page, top, bottom


def line_start(pdf: Path, name: tuple[float, float, int, float, float], above: bool) -> float:
    """Where the leftmost glyph of a line starts (its origin, from PDFium, glyph by glyph):
    the English name Poppler found (`name`), or with `above` the line just above it (the
    endonym). Poppler's own box of a shaped word begins at the first glyph drawn, and shaped
    words are drawn in reading order (glyphorder.py), so a glyph standing left of it
    (Burmese ြ) would not count."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    from test_scripts import glyph_text_only

    a, _, page_index, top, bottom = name
    low, high = (top - 3 * (bottom - top), top) if above else (top, bottom)
    document = pypdfium2.PdfDocument(glyph_text_only(pdf.read_bytes()))
    try:
        page = document[page_index]
        height = page.get_height()
        textpage = page.get_textpage()
        starts = []
        for index in range(textpage.count_chars()):
            x, y = ctypes.c_double(), ctypes.c_double()
            pdfium.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
            if low <= height - y.value <= high and a - 12 < x.value < a + 12 and not textpage.get_text_range(index, 1).isspace():
                starts.append(x.value)
        assert starts, f"no glyphs found near {name}"
        return min(starts)
    finally:
        document.close()


@needs_poppler
@pytest.mark.parametrize("paper", ["letter", "tabloid"])
def test_right_to_left_boxes_are_right_aligned(sheets, fixture_project, paper):
    """The endonym and the English name of a box share their right edge in a right-to-left
    box and their left edge (where their first glyph stands) in a left-to-right one."""
    out, documents = sheets
    pdf = out / documents[paper]["path"]
    words = word_boxes(pdf)
    rtl = [l for l in fixture_project.languages.values() if l.direction == "rtl"]
    assert len(rtl) >= 3
    for language in fixture_project.languages.values():
        if language.name_en == language.endonym:
            continue
        endonym = find(words, language.endonym.split()[0] if language.direction == "ltr" else language.endonym)
        name = find(words, language.name_en.split()[0], near=endonym)
        if language.direction == "rtl":
            assert abs(endonym[1] - name[1]) < 1.5, (language.code, endonym, name)
            assert abs(endonym[0] - name[0]) > 3, (language.code, endonym, name)
        else:
            assert abs(line_start(pdf, name, above=True) - line_start(pdf, name, above=False)) < 1.5, (language.code, endonym, name)


def copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    return data


def add_language(data: Path, code: str, endonym: str, name_en: str, base: str = "fr") -> None:
    """A new language file: a copy of another with its own code and names (no code change)."""
    text = (data / "languages" / f"{base}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^code: .*$", f"code: {code}", text, count=1)
    text = re.sub(r"(?m)^name_en: .*$", f'name_en: "{name_en}"', text, count=1)
    text = re.sub(r"(?m)^endonym: .*$", f'endonym: "{endonym}"', text, count=1)
    text = re.sub(r"(?m)^direction: ", f"date_locale: {base}\ndirection: ", text, count=1)
    (data / "languages" / f"{code}.yaml").write_text(text, encoding="utf-8")


@needs_poppler
def test_a_new_language_file_adds_its_box(tmp_path):
    data = copy_data(tmp_path)
    add_language(data, "fr-CA", "Québécois", "Canadian French")
    documents = build_sheets(data, tmp_path / "out", "--paper", "letter")
    assert "fr-CA" in documents["letter"]["languages"]
    words = word_boxes(tmp_path / "out" / documents["letter"]["path"])
    assert find(words, "Québécois") and find(words, "Canadian")


MANY = ["AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR", "PY", "SV", "UY", "VE", "GQ",
        "BZ", "PH", "US", "IC", "EA", "CH", "BE", "LU", "MC", "CA"]


def many_languages(tmp_path: Path) -> Path:
    data = copy_data(tmp_path)
    for region in MANY:
        base = "fr" if region in ("CH", "BE", "LU", "MC", "CA") else "es"
        add_language(data, f"{base}-{region}", f"{'Français' if base == 'fr' else 'Español'} {region}", f"Test language {region}", base)
    return data


def test_many_languages_continue_on_a_second_page_with_a_warning(tmp_path):
    data = many_languages(tmp_path)
    check = run_cli("check", "--data", str(data))
    assert check.returncode == 0, check.stderr
    warnings = [line for line in check.stderr.splitlines() if "continues onto 2 pages" in line]
    for paper in ("letter", "a4"):
        assert any(f"{LAYOUT}/mul/{paper}:" in line for line in warnings), check.stderr
    assert all("language-sheet/layout.yaml" in line and ": warning:" in line for line in warnings)
    assert "pages: 2" in warnings[0]  # says how to make two pages intended
    # --strict turns warnings into failures (the fixture's drafts fail it as well).
    strict = run_cli("check", "--strict", "--data", str(data))
    assert strict.returncode == 2 and "continues onto 2 pages" in strict.stderr

    documents = build_sheets(data, tmp_path / "out", "--paper", "letter")
    letter = documents["letter"]
    assert letter["pages"] == 2 and letter["verified"]["pages"] == 2
    assert any("continues onto 2 pages" in w for w in letter["warnings"])
    text = subprocess.run(["pdftotext", str(tmp_path / "out" / letter["path"]), "-"], capture_output=True).stdout.decode() \
        if shutil.which("pdftotext") else ""
    if text:  # every box is printed once, over the two pages, and the header is on both
        assert text.count("Test language") == len(MANY)
        assert text.count("Point to your language") == 2


def test_declaring_two_pages_silences_the_warning(tmp_path):
    data = many_languages(tmp_path)
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    spec = layouts / LAYOUT / "layout.yaml"
    spec.write_text(spec.read_text().replace("\npages: 1\n", "\npages: 2\n"))
    check = run_cli("check", "--strict", "--data", str(data), "--layouts", str(layouts))
    assert "continues onto" not in check.stderr, check.stderr


def test_the_catalog_lists_the_sheet(sheets):
    out, documents = sheets
    catalog = (out / "index.html").read_text(encoding="utf-8")
    for document in documents.values():
        assert f'href="{document["path"]}"' in catalog
    assert "Dari" in catalog and "دری" in catalog  # found by any of its languages' names


def test_overflow_setting_is_checked(tmp_path):
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    spec = layouts / LAYOUT / "layout.yaml"
    spec.write_text(spec.read_text().replace("overflow: continue", "overflow: spill"))
    check = run_cli("check", "--data", str(FIXTURE_DATA), "--layouts", str(layouts))
    assert check.returncode == 2
    assert re.search(r"language-sheet/layout\.yaml:\d+:\d+: error: .*'overflow' must be one of fail, continue \(got 'spill'\)", check.stderr), check.stderr


# --- the <flow> block ------------------------------------------------------------------------

def blocks(*heights: float, heading_at: tuple[int, ...] = ()) -> list:
    items = []
    for index, height in enumerate(heights):
        spacer = Spacer(10, height)
        spacer._keep_with_next = index in heading_at
        items.append(spacer)
    return items


def test_flow_balances_its_columns():
    flow = FlowColumns(blocks(*[10] * 9), 3, gap=6)
    width, height = flow.wrap(312, 1000)
    assert (width, height) == (312, 30)
    assert flow._columns == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert flow.column_width(312) == 100


def test_flow_keeps_a_heading_with_the_block_after_it():
    # Balanced at 30 pt, the heading (index 2) would end the first column.
    flow = FlowColumns(blocks(10, 10, 5, 10, 10, 10), 2, gap=0)
    flow.wrap(200, 1000)
    assert flow._columns == [[0, 1, 2], [3, 4, 5]]  # an ordinary block may end a column
    flow = FlowColumns(blocks(10, 10, 5, 10, 10, 10, heading_at=(2,)), 2, gap=0)
    flow.wrap(200, 1000)
    assert all(column[-1] != 2 for column in flow._columns), flow._columns


def test_flow_splits_what_a_page_cannot_hold():
    flow = FlowColumns(blocks(*[10] * 10), 2, gap=0)
    first, rest = flow.split(200, 30)
    assert len(first.items) == 6 and len(rest.items) == 4
    assert first.wrap(200, 30)[1] <= 30
    assert flow.split(200, 60) == [flow]  # everything fits: nothing to split
    assert FlowColumns(blocks(50), 2, gap=0).split(200, 30) == []  # not even one block: move on whole
    heading_last = FlowColumns(blocks(10, 10, 10, 10, 10, 5, 10, heading_at=(5,)), 1, gap=0)
    first, rest = heading_last.split(200, 57)
    assert len(first.items) == 5 and rest.items[0]._keep_with_next


def test_flow_in_the_vocabulary():
    tree = bt.parse_tree('<document><page><body><flow columns="3" gap="4mm"><h2>A</h2><box><p>x</p></box></flow></body></page></document>')
    flow = tree.pages[0].regions[0][1][0]
    assert isinstance(flow, bt.Flow) and flow.columns == 3 and round(flow.gap, 2) == round(4 * 72 / 25.4, 2)
    for bad, message in (('<flow columns="0">', "columns= must be a whole number"), ('<flow columns="x">', "columns= must be a whole number"),
                         ('<flow gap="wide">', "gap= as a size"), ('<flow colums="2">', "did you mean 'columns'")):
        with pytest.raises(bt.LayoutProblem, match=message):
            bt.parse_tree(f"<document><page><body>{bad}<p>x</p></flow></body></page></document>")
    problems = bt.template_source_problems('<flow columns="2" gapp="1mm"></flow>', "t.xml.j2")
    assert problems and "unknown attribute 'gapp'" in problems[0][1]


def test_with_web_base_every_box_has_a_code_to_its_own_language_page(tmp_path):
    """With the district's own web address, each box carries a code that leads to that
    language's web page (and only then: the plain sheet above has none)."""
    from test_redirects import WEB_BASE, data_with
    from generator.verify import decode_qr_codes

    data = data_with(tmp_path, spanish=None)
    out = tmp_path / "out"
    result = run_cli("build", "--layout", LAYOUT, "--paper", "tabloid", "--all", "--jobs", "1", "--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    codes = sorted(path.stem for path in (data / "languages").glob("*.yaml"))
    sheet = next(out.rglob(f"{LAYOUT}/tabloid/*.pdf"))
    assert sorted(decode_qr_codes(sheet.read_bytes())) == sorted(f"{WEB_BASE}/{code}/" for code in codes)


def test_without_web_base_the_sheet_has_no_codes(sheets):
    from generator.verify import decode_qr_codes

    out, documents = sheets
    for document in documents.values():
        assert decode_qr_codes((out / document["path"]).read_bytes()) == []
