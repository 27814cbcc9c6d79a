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
    loaded, problems = load_project(ROOT / "data", ROOT / "layouts", ROOT / "fonts")
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
            missing = missing_words(layout_name, code, extractor)
            if missing:
                failures.append(f"{layout_name}/{code}: {len(missing)} words missing, e.g. {missing[:5]}")
    assert not failures, "\n".join(failures)
