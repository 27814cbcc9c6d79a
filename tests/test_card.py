"""The wallet card works at the door: the statement in English for the officer, the family's
language beside it marked as the translation, the most urgent actions and where to get help on
the back, a draft mark while the translation is a draft, and no type under 7 pt. Languages
come from the data folder, so adding or reviewing a language changes nothing here."""

from __future__ import annotations

import io
import re

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from markupsafe import escape
from pypdf import PdfReader

from conftest import LANGUAGES, ROOT
from generator.render import render_job
from generator.template import bold_part, render_template, status_line
from generator.validate import load_project
from generator.verify import decode_qr_codes

PAPERS = ["letter", "a4"]
MIN_PT = 7.0


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


@pytest.fixture(scope="module")
def cards(project):
    """Every language's card sheet on both papers: {(lang, paper): pdf bytes}."""
    return {(code, paper): render_job(project, project.layouts["card"], project.languages[code], paper).pdf
            for code in LANGUAGES for paper in PAPERS}


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def shaped(project, code) -> bool:
    return project.fonts.scripts[project.languages[code].script].shaping


@pytest.mark.parametrize("paper", PAPERS)
def test_every_language_fits_on_two_pages(cards, paper):
    for code in LANGUAGES:
        assert len(PdfReader(io.BytesIO(cards[(code, paper)])).pages) == 2, code


def test_the_somali_card_speaks_to_the_officer_in_english_and_carries_the_somali_translation(project, cards):
    front, _ = pages_text(cards[("so", "letter")])
    text = squeeze(front)
    for words in ("remain silent", "do not consent", "search", "will not sign anything without a lawyer",
                  "warrant signed by a judge", "under the door"):
        assert squeeze(words) in text, words
    somali = project.languages["so"].strings
    assert squeeze(somali["card_statement"]) in text
    assert squeeze("Translation (Somali)") in text
    assert squeeze(somali["card_hint"]) in text


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_every_translated_card_front_has_english_then_the_marked_translation(project, code):
    """Checked on the layout text, which is script-independent (shaped scripts do not extract
    back from a PDF exactly); the English order on the page is checked below for Latin ones."""
    language = project.languages[code]
    xml = render_template(project, project.layouts["card"], language, "letter")
    front = xml.split("<page>")[1]
    english = str(escape(project.languages["en"].strings["card_statement"]))
    label = f"{project.languages['en'].strings['card_translation_label']} ({language.name_en})"
    translation = str(escape(language.strings["card_statement"]))
    assert english in front and label in front and translation in front
    assert front.index(english) < front.index(label) < front.index(translation)
    assert str(escape(language.strings["card_hint"])) in front


def test_the_english_card_front_is_english_only(project, cards):
    front, _ = pages_text(cards[("en", "letter")])
    assert squeeze(project.languages["en"].strings["card_statement"]) in squeeze(front)
    assert "Translation" not in front
    assert front.count("To the officer") == 10  # one per card, 10 on Letter


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_back_holds_actions_help_qr_date_status_and_disclaimer(project, code):
    language = project.languages[code]
    xml = render_template(project, project.layouts["card"], language, "a4")
    back = xml.split("<page>")[2]
    strings = language.strings
    for key in ("door_1", "door_inside", "door_3", "door_4"):
        assert str(escape(bold_part(strings[key]))) in back, key
    from generator.template import context

    page = context(project, project.layouts["card"], language, "a4")
    for value in (project.district["welcome_center"]["phone"], strings["legal_heading"],
                  project.organisations["legal_services"][0]["name"],
                  page["information_line_own"], page["status_line_own"], strings["disclaimer"]):
        assert str(escape(value)) in back, value
    assert '<qr resource="aclu"' in back


@pytest.mark.parametrize("paper", PAPERS)
def test_back_qr_codes_decode_and_the_english_back_says_what_it_is(project, cards, paper):
    pdf = cards[("en", paper)]
    urls = decode_qr_codes(pdf)  # only the backs carry codes: one per card
    assert urls == [project.resources["aclu"].url] * (10 if paper == "letter" else 8)
    _, back = pages_text(pdf)
    text = squeeze(back)
    for words in ("Do not open the door", "do not resist or run", "remain silent", "Do not sign any papers",
                  "860-695-8400", "Legal help", "general information, not legal advice"):
        assert squeeze(words) in text, words


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_a_draft_card_says_it_is_a_draft_on_both_sides(project, cards, code):
    language = project.languages[code]
    draft = project.languages["en"].strings["status_draft"]
    xml = render_template(project, project.layouts["card"], language, "letter")
    _, front_xml, back_xml = xml.split("<page>")
    is_draft = language.status == "draft"
    assert (draft.lower() in front_xml) == is_draft
    # The back says it in the family's language (the front says it in English for staff;
    # the back has no room for both beside the date and the disclaimer).
    own_draft = language.strings["status_draft"]
    assert (str(escape(status_line(language, language))) in back_xml)
    assert (str(escape(own_draft)) in back_xml) == is_draft
    if not shaped(project, code):  # and on the printed sheet, where text extracts exactly
        front, back = pages_text(cards[(code, "letter")])
        assert (squeeze(own_draft) in squeeze(back)) == is_draft
        assert (squeeze(draft.lower()) in squeeze(front)) == is_draft


def test_a_reviewed_card_carries_no_draft_mark(data_copy):
    path = data_copy / "languages" / "so.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  status: draft$", "  status: reviewed", text)
    text = re.sub(r'(?m)^  reviewed_by: ""$', '  reviewed_by: "A. Reviewer"', text)
    text = re.sub(r'(?m)^  reviewed_on: ""$', '  reviewed_on: "2026-12-01"', text)
    path.write_text(text, encoding="utf-8")
    project, problems = load_project(data_copy, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    front, back = pages_text(render_job(project, project.layouts["card"], project.languages["so"], "letter").pdf)
    assert "draft" not in (front + back).lower()
    assert squeeze("A. Reviewer") in squeeze(back)


def test_no_card_style_in_any_fit_is_under_7_pt(project):
    layout = project.layouts["card"]
    for fit, styles in layout.fits:
        for name, style in styles.items():
            assert style.font_size >= MIN_PT, f"{fit}/{name}: {style.font_size} pt"


def font_sizes(pdf: bytes) -> set[float]:
    document = pypdfium2.PdfDocument(pdf)
    sizes = set()
    try:
        for page in document:
            textpage = page.get_textpage()
            for index in range(textpage.count_chars()):
                if textpage.get_text_range(index, 1).strip():
                    sizes.add(round(pdfium_c.FPDFText_GetFontSize(textpage.raw, index), 2))
    finally:
        document.close()
    return sizes


@pytest.mark.parametrize("code", ["en", "so", "ar", "my", "zh-Hans", "am"])
def test_no_text_on_a_card_sheet_is_under_7_pt(project, cards, code):
    if code not in project.languages:
        pytest.skip(f"{code} is not in the data")
    for paper in PAPERS:
        smallest = min(font_sizes(cards[(code, paper)]))
        assert smallest >= MIN_PT - 0.01, f"{code}/{paper}: text at {smallest} pt"
