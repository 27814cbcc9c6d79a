"""What a person relies on in every handout, for every language and paper size."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from conftest import LANGUAGES, PAPERS
from generator.pipeline import Options, build
from generator.verify import decode_qr_codes, pdf_facts

PAPER_POINTS = {"letter": (612, 792), "a4": (595.3, 841.9)}
CASES = [(lang, paper) for lang in LANGUAGES for paper in PAPERS]


def pdf_bytes(built, lang, paper) -> bytes:
    out, documents = built
    return (out / documents[(lang, paper)]["path"]).read_bytes()


def squeeze(text: str) -> str:
    """Line breaks fall differently per language; compare text without whitespace."""
    return re.sub(r"\s+", "", text)


def test_every_language_and_paper_is_built(built):
    _, documents = built
    assert set(documents) == set(CASES)


@pytest.mark.parametrize("lang,paper", CASES)
def test_exactly_one_page_of_the_right_size(built, lang, paper):
    reader = PdfReader(io.BytesIO(pdf_bytes(built, lang, paper)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(PAPER_POINTS[paper], abs=0.5)


def shaped(project, lang) -> bool:
    """Scripts drawn through HarfBuzz shaping: their conjunct and joined-form glyphs have no
    single Unicode character, so PDF text extraction cannot give the words back exactly."""
    return project.fonts.scripts[project.languages[lang].script].shaping


@pytest.mark.parametrize("lang,paper", CASES)
def test_text_contains_the_language_key_strings(built, project, lang, paper):
    text = squeeze(PdfReader(io.BytesIO(pdf_bytes(built, lang, paper))).pages[0].extract_text())
    strings = project.languages[lang].strings
    for key in ("doc_title", "door_heading", "school_heading", "welcome_heading", "disclaimer"):
        if not shaped(project, lang):
            assert squeeze(strings[key].replace("**", "")) in text, key
    assert "860-695-8400" in text
    for resource in project.resources.values():
        assert squeeze(resource.url) in text  # printed as text beside its QR code


@pytest.mark.parametrize("lang,paper", CASES)
def test_each_qr_code_decodes_to_exactly_its_url_at_150_dpi(built, project, lang, paper):
    decoded = decode_qr_codes(pdf_bytes(built, lang, paper), dpi=150)
    assert sorted(decoded) == sorted(r.url for r in project.resources.values())


@pytest.mark.parametrize("lang,paper", CASES)
def test_fonts_embedded_lang_and_title_set(built, project, lang, paper):
    facts = pdf_facts(pdf_bytes(built, lang, paper))
    assert facts["fonts"], "no fonts at all?"
    assert all(embedded for _, embedded in facts["fonts"].values()), facts["fonts"]
    assert all("+" in base for base, _ in facts["fonts"].values()), "fonts should be subset"
    assert facts["lang"] == lang
    assert project.languages[lang].strings["doc_title"] in facts["title"]


def test_two_builds_are_byte_identical(tmp_path, built):
    out = tmp_path / "again"
    outcome = build(Options(out=out, papers=["letter"], layouts=["handout"]), log=lambda *_: None)
    assert not outcome.failed
    first_out, documents = built
    for lang in LANGUAGES:
        path = documents[(lang, "letter")]["path"]
        assert (out / path).read_bytes() == (first_out / path).read_bytes(), path


def test_manifest_lists_every_document(built, project):
    import json

    out, documents = built
    manifest = json.loads((out / "manifest.json").read_text())
    entries = {(d["lang"], d["paper"]): d for d in manifest["documents"]}
    assert set(entries) == set(CASES)
    import hashlib

    for entry in entries.values():
        assert set(entry) >= {"path", "layout", "lang", "paper", "pages", "sha256", "qr", "translation_status"}
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
        assert entry["pages"] == 1 and len(entry["qr"]) == 2
        assert not entry["path"].startswith("/") and ".." not in entry["path"]
    assert entries[("en", "letter")]["translation_status"] == "source"
    assert entries[("es", "letter")]["translation_status"] == project.languages["es"].status


@pytest.mark.parametrize("lang", LANGUAGES)
def test_draft_status_is_printed_in_the_footer(built, project, lang):
    text = squeeze(PdfReader(io.BytesIO(pdf_bytes(built, lang, "letter"))).pages[0].extract_text())
    language = project.languages[lang]
    if language.status == "draft" and not shaped(project, lang):
        assert squeeze(language.strings["status_draft"]) in text
        assert squeeze("Draft translation, not yet reviewed") in text  # staff read English
    if not shaped(project, lang):
        assert squeeze(language.endonym) in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # dates as the reader writes them, never ISO
