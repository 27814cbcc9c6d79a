"""What a PDF says when read back: its text layer in every script (PDFium and Poppler) and its tags.

Expectations come from the data: every word the page prints (each text block and list item
of the layout's own block tree) must come back from the PDF's text layer, NFKC-normalised,
whitespace removed, for the handout, the bilingual sheet and the card in every language.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from functools import lru_cache

import pikepdf
import pypdfium2
import pytest

from conftest import ROOT
from generator import blocktree as bt
from generator.layout import parse_document
from generator.render import render_job
from generator.validate import load_project

LAYOUTS = ("handout", "bilingual", "card")
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="Poppler (poppler-utils) is not installed; `make test` installs it")


@lru_cache(maxsize=1)
def project():
    # The fixture copy of the data (every language): a translator's change to the shipped
    # data must never fail this test; a change to the drawing must.
    loaded, problems = load_project(ROOT / "tests" / "fixtures" / "data", ROOT / "layouts", ROOT / "fonts")
    assert loaded is not None, "\n".join(map(str, problems.errors))
    return loaded


def scripts() -> dict[str, list[str]]:
    by_script: dict[str, list[str]] = {}
    for code, language in sorted(project().languages.items()):
        by_script.setdefault(language.script, []).append(code)
    return by_script


@lru_cache(maxsize=256)
def rendered(layout_name: str, code: str):
    p = project()
    layout = p.layouts[layout_name]
    return render_job(p, layout, p.languages[code], layout.papers[0])


def page_texts(layout_name: str, code: str) -> list[tuple[str, str]]:
    """(language, text) of every text block and list item the document prints."""
    p = project()
    layout, language = p.layouts[layout_name], p.languages[code]
    result = rendered(layout_name, code)
    tree = parse_document(p, layout, language, layout.papers[0], result.fit, None, None)
    frame = code if layout.language_mode == "each" else "en"
    texts: list[tuple[str, str]] = []

    def walk(blocks, lang):
        for block in blocks:
            if isinstance(block, bt.Text):
                texts.append((lang, "".join(t for t, _ in block.runs)))
            elif isinstance(block, bt.ListBlock):
                texts.extend((lang, "".join(t for t, _ in runs)) for runs in block.items)
            elif isinstance(block, bt.Columns):
                for column in block.columns:
                    walk(column, lang)
            elif isinstance(block, bt.Lang):
                walk(block.children, block.code)
            elif isinstance(block, (bt.Box, bt.Frame)):
                walk(block.children, lang)

    for page in tree.pages:
        for _, blocks in page.regions:
            walk(blocks, frame)
        walk(page.frames, frame)
    return texts


def words(text: str, lang: str) -> set[str]:
    """Words of three or more characters (pairs of letters for Chinese), NFKC, without the
    punctuation around them."""
    text = unicodedata.normalize("NFKC", text)
    if lang.startswith("zh"):
        letters = [c for c in text if not c.isspace()]
        return {a + b for a, b in zip(letters, letters[1:]) if unicodedata.category(a)[0] == unicodedata.category(b)[0] == "L"}
    found = set()
    for word in text.split():
        while word and unicodedata.category(word[0])[0] in "PSZ":
            word = word[1:]
        while word and unicodedata.category(word[-1])[0] in "PSZ":
            word = word[:-1]
        if len(word) >= 3:
            found.add(word)
    return found


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def pdfium_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
        return "\n".join(pages)
    finally:
        document.close()


def poppler_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


EXTRACTORS = {"pdfium": pdfium_text, "poppler": poppler_text}


def missing_words(layout_name: str, code: str, extractor: str) -> list[str]:
    text = squeezed(EXTRACTORS[extractor](rendered(layout_name, code).pdf))
    expected = set().union(*(words(t, lang) for lang, t in page_texts(layout_name, code)))
    assert expected, "the page prints no words?"
    return sorted(w for w in expected if w not in text)


def known_gap(word: str, script: str, extractor: str) -> bool:
    """Poppler only: an Arabic-script word ending in a combining mark (tanwin: قاضٍ) on a page
    Poppler reads as left to right overall (a card or bilingual sheet, mostly English): its
    reordering puts the mark with the neighbouring punctuation. No drawing order avoids it
    (see generator/pdftags.py). Listed, not hidden: test_known_right_to_left_gap_is_still_there
    fails the day it is fixed."""
    return extractor == "poppler" and script == "Arab" and unicodedata.category(word[-1]) == "Mn"


def cases():
    for script, codes in sorted(scripts().items()):
        for extractor in EXTRACTORS:
            yield pytest.param(script, codes, extractor, id=f"{script}-{extractor}")


@pytest.mark.parametrize("script,codes,extractor", list(cases()))
def test_every_printed_word_comes_back(script, codes, extractor):
    """A test per script: handout, bilingual sheet and card in each of its languages."""
    failures = []
    for code in codes:
        for layout_name in LAYOUTS:
            layout = project().layouts[layout_name]
            if code == "en" and layout.language_mode == "each-but-english":
                continue
            missing = [w for w in missing_words(layout_name, code, extractor) if not known_gap(w, script, extractor)]
            if missing:
                failures.append(f"{layout_name}/{code}: {len(missing)} words missing, e.g. {missing[:5]}")
    assert not failures, "\n".join(failures)


@pytest.mark.xfail(strict=True, reason="known gap: Poppler moves a final combining mark next to punctuation on pages it reads left to right")
def test_known_right_to_left_gap_is_still_there():
    assert not missing_words("card", "ar", "poppler")


def unbroken(text: str) -> str:
    """NFKC, without whitespace and without the embedding marks pdftotext writes around runs."""
    return re.sub(r"[\s\u202a-\u202e\u2066-\u2069]+", "", unicodedata.normalize("NFKC", text))


def paragraphs_out_of_order(layout_name: str, code: str, extractor: str) -> list[str]:
    text = unbroken(EXTRACTORS[extractor](rendered(layout_name, code).pdf))
    return [t for _, t in page_texts(layout_name, code) if unbroken(t) not in text]


def order_cases():
    for code, language in sorted(project().languages.items()):
        for extractor in EXTRACTORS:
            # Poppler's own reordering keeps words but not the order of mixed right-to-left
            # lines (punctuation and Latin runs move): PDFium is held to it for every script.
            if extractor == "poppler" and language.direction == "rtl":
                continue
            yield pytest.param(code, extractor, id=f"{code}-{extractor}")


@pytest.mark.parametrize("code,extractor", list(order_cases()))
def test_every_paragraph_comes_back_whole_and_in_order(code, extractor):
    """Not only the words: each paragraph, heading and list item reads in logical order, line
    after line (right-to-left lines included), as copy-and-paste and a search see it."""
    failures = []
    for layout_name in LAYOUTS:
        if code == "en" and project().layouts[layout_name].language_mode == "each-but-english":
            continue
        bad = paragraphs_out_of_order(layout_name, code, extractor)
        if bad:
            failures.append(f"{layout_name}: {len(bad)} out of order, e.g. {bad[0][:60]!r}")
    assert not failures, "\n".join(failures)


def test_measure_from_the_issue_is_at_the_ceiling():
    """The issue's measure (each language's strings, words of 3+ characters, share found in
    the handout's PDFium text) reaches its ceiling: the share of those words the handout
    prints at all (not every string is on the handout)."""
    low = {}
    for code, language in project().languages.items():
        strings = {w for v in language.strings.values() for w in words(v, code)}
        printed = set().union(*(words(t, lang) for lang, t in page_texts("handout", code)))
        text = squeezed(pdfium_text(rendered("handout", code).pdf))
        share = sum(w in text for w in strings) / len(strings)
        ceiling = sum(w in printed or w in text for w in strings) / len(strings)
        if share < ceiling - 1e-9:
            low[code] = (round(share, 2), round(ceiling, 2))
    assert not low, f"(measure, ceiling) below the ceiling: {low}"


def structure(pdf: bytes) -> list[tuple[int, str, str]]:
    """(depth, role, text) of every element `pdfinfo -struct-text` lists."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(["pdfinfo", "-struct-text", handle.name], capture_output=True, text=True, check=True).stdout
    elements, lines = [], out.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith('"'):
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        text = following[1:-1] if following.startswith('"') else ""
        elements.append(((len(line) - len(line.lstrip())) // 2, stripped.split()[0], text))
    return elements


def test_structure_lists_blocks_in_reading_order_with_their_text():
    """English handout: headings, paragraphs, lists and figures, in the template's order."""
    p = project()
    elements = structure(rendered("handout", "en").pdf)
    roles = [role for _, role, _ in elements]
    assert roles[0] == "Document"
    assert {"H1", "H2", "P", "L", "LI", "LBody", "Figure"} <= set(roles)
    en = p.languages["en"].strings
    texts = [squeezed(text) for _, _, text in elements]

    def index_of(string):
        matches = [i for i, text in enumerate(texts) if squeezed(string) in text]
        assert matches, f"{string!r} not in the structure"
        return matches[0]

    assert roles[index_of(en["doc_title"])] == "H1"
    assert roles[index_of(en["door_heading"])] == "H2"
    assert roles[index_of(en["door_2"].replace("**", ""))] == "LBody"
    # The handout's own order: the door advice first (the most urgent part), then the rights.
    order = [index_of(en[key].replace("**", "")) for key in ("doc_title", "door_heading", "door_1", "door_5", "school_heading", "school_body", "fair_heading")]
    assert order == sorted(order), "blocks out of reading order"
    assert roles.count("Figure") == len(rendered("handout", "en").qr_urls)


def test_right_to_left_columns_keep_their_logical_order():
    """The handout's columns are drawn mirrored in Arabic; the tree still reads column one first."""
    ar = project().languages["ar"].strings
    document = pikepdf.open(__import__("io").BytesIO(rendered("handout", "ar").pdf))
    texts = []

    def walk(element):
        if "/ActualText" in element:
            texts.append(str(element.ActualText))
        for kid in element.get("/K", []):
            if isinstance(kid, pikepdf.Dictionary):
                walk(kid)

    walk(document.Root.StructTreeRoot.K)
    position = {key: next(i for i, t in enumerate(texts) if ar[key].replace("**", "") in t) for key in ("doc_title", "welcome_heading", "school_heading")}
    assert position["doc_title"] < position["welcome_heading"] < position["school_heading"]


def test_catalog_marks_figures_languages_and_artifacts():
    document = pikepdf.open(__import__("io").BytesIO(rendered("bilingual", "ar").pdf))
    root = document.Root
    assert root.MarkInfo.Marked is True
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert document.pages[0].StructParents == 0
    figures, langs = [], set()

    def walk(element):
        if element.get("/S") == "/Figure":
            figures.append(str(element.Alt))
        if "/Lang" in element:
            langs.add(str(element.Lang))
        for kid in element.get("/K", []):
            if isinstance(kid, pikepdf.Dictionary):
                walk(kid)

    walk(root.StructTreeRoot.K)
    assert figures and all(alt.startswith("QR code: https://") for alt in figures)
    assert {"en", "ar"} <= langs | {str(root.Lang)}
    # Every painting operator is inside marked content: a block's or an artifact.
    depth, painted_outside = 0, []
    for operands, operator in pikepdf.parse_content_stream(document.pages[0]):
        name = str(operator)
        if name in ("BDC", "BMC"):
            depth += 1
        elif name == "EMC":
            depth -= 1
        elif name in ("f", "S", "B", "b", "f*", "Tj", "TJ", "Do", "sh") and depth == 0:
            painted_outside.append(name)
    assert depth == 0 and not painted_outside


@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_tagged_output_stays_byte_reproducible(layout_name):
    p = project()
    layout = p.layouts[layout_name]
    first = render_job(p, layout, p.languages["ne"], layout.papers[0]).pdf
    second = render_job(p, layout, p.languages["ne"], layout.papers[0]).pdf
    assert first == second
