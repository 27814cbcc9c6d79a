"""What the pages say: the door advice of 2026 in the English handout, its most urgent points
in every shorter format and language, the corrected school-rights wording, and no stale
translation. Languages and layouts are read from the data and layout folders, so a district
adding a language or marking one reviewed changes nothing here."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from pypdf import PdfReader

from conftest import LANGUAGES
from generator.render import render_job
from generator.template import bold_part, render_template
from generator.translations import source_hash, stale_keys

TRANSLATIONS = [code for code in LANGUAGES if code != "en"]


def squeeze(text: str) -> str:
    """Compare without whitespace or soft hyphenation: line breaks fall differently per paper."""
    return re.sub(r"\s+", "", text).lower()


def page_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module", params=["letter", "a4"])
def english_handout(request, project) -> str:
    pdf = render_job(project, project.layouts["handout"], project.languages["en"], request.param).pdf
    return squeeze(page_text(pdf))


# Each point of the door advice the issue lists, as words that must be on the English handout.
DOOR_POINTS = {
    "do not open the door": ["Do not open the door", "talk through the closed door"],
    "ask to see a judge's warrant": ["warrant", "under the door", "window", "names a court", "signed by a judge"],
    "an ICE form is not a judge's warrant": ["I-200", "I-205", "not a judge"],
    "a closed door may not stop them (2026 memo, contested)": ["may not stop them", "January 2026", "force their way in",
                                                                "final removal order", "challenged in court"],
    "if they come in: do not resist or run, no consent, write down, lawyer": [
        "do not resist or run", "I do not consent to this entry or search", "write down what happened", "call a lawyer"],
    "stay silent about birthplace and status": ["right to remain silent", "where you were born", "status",
                                                "I choose to remain silent"],
    "do not lie or show false papers; carry required papers": ["Do not lie", "false papers", "papers you must carry"],
    "sign nothing": ["Do not sign any papers"],
    "no free government lawyer; point to legal help": ["government does not give you a free lawyer", "Legal help"],
    "school emergency contacts": ["emergency contacts at school", "trusted adult"],
}


@pytest.mark.parametrize("point", sorted(DOOR_POINTS))
def test_the_english_handout_carries_each_point_of_the_door_advice(english_handout, point):
    for words in DOOR_POINTS[point]:
        assert squeeze(words) in english_handout, f"{point}: {words!r} is not on the handout"


def test_the_english_handout_does_not_promise_what_the_law_does_not(english_handout):
    # The protection of "sensitive locations" was rescinded (2025-01-20): no page may say
    # enforcement is barred at schools, and a lawyer is not free in immigration cases.
    for words in ("sensitive location", "protected area", "barred", "right to a free lawyer",
                  "right to speak to a lawyer", "If no judge signed it, you do not have to let them in"):
        assert squeeze(words) not in english_handout, words


def test_school_rights_wording_is_fixed(project, english_handout):
    en = project.languages["en"].strings
    # Plyler sets no ages; the ages are Connecticut's rule, said in their own sentence.
    sentences = re.split(r"(?<=[.!?])\s+", en["school_body"].replace("**", ""))
    [plyler] = [s for s in sentences if "Plyler" in s]
    [ages] = [s for s in sentences if "5 to 21" in s]
    assert plyler != ages and "Connecticut" in ages and "21" not in plyler
    # FERPA is no blanket promise: directory information and court orders are named.
    for words in ("FERPA", "directory information", "unless a parent says no", "court order", "subpoena"):
        assert squeeze(words) in english_handout, words
    assert squeeze("Schools must keep student records private") not in english_handout
    # The seed says discrimination "may include" citizenship or immigration status.
    assert squeeze("This may include citizenship or immigration status") in english_handout
    assert squeeze("including because of citizenship") not in english_handout
    # TDD/TTY explained in plain words.
    assert squeeze("TDD/TTY (for deaf or hard-of-hearing callers)") in english_handout


def words_per_sentence(text: str) -> list[int]:
    return [len(s.split()) for s in re.split(r"(?<=[.!?])\s+", text.replace("**", "")) if s.strip()]


@pytest.mark.parametrize("key", ["report_body", "fair_body", "school_body", "records_body", "door_2", "door_force",
                                 "door_inside", "door_3", "door_papers", "door_5"])
def test_english_sentences_stay_short(project, key):
    # Plain language (about 6th grade): no sentence longer than 25 words.
    longest = max(words_per_sentence(project.languages["en"].strings[key]))
    assert longest <= 25, f"{key}: a sentence of {longest} words"


# The minimum every shorter format carries, in every language: do not open the door; do not
# resist or run; stay silent; sign nothing; call for help.
MINIMUM = ["door_1", "door_inside", "door_3", "door_4", "door_5"]
SHORT_FORMATS = ["poster", "half-sheet", "bilingual"]


def layout_languages(project, layout_name):
    layout = project.layouts[layout_name]
    return [code for code in LANGUAGES if not (layout.language_mode == "each-but-english" and code == "en")]


@pytest.mark.parametrize("text, lead", [
    ("**Do not open the door.** You can talk through the closed door.", "**Do not open the door.**"),
    ("**Do not sign any papers** before you talk to a lawyer.", "**Do not sign any papers.**"),
    ("**Не подписывайте никаких бумаг**, пока не поговорите с адвокатом.", "**Не подписывайте никаких бумаг.**"),
    ("वकिलसँग कुरा गर्नुअघि **कुनै पनि कागजमा हस्ताक्षर नगर्नुहोस्**।", "**कुनै पनि कागजमा हस्ताक्षर नगर्नुहोस्।**"),
    ("在与律师谈话之前，**不要签署任何文件**。", "**不要签署任何文件。**"),
    ("**کسی بھی کاغذ پر دستخط نہ کریں** جب تک آپ وکیل سے بات نہ کر لیں۔", "**کسی بھی کاغذ پر دستخط نہ کریں۔**"),
    ("**Call a lawyer** now", "**Call a lawyer**"),  # no full stop anywhere: nothing is made up
    ('**Say: "I do not consent."** Then write it down.', '**Say: "I do not consent."**'),
    ("**Dites : « Je ne consens pas. »** Puis notez-le.", "**Dites : « Je ne consens pas. »**"),
    ("**Keep your child's emergency contacts up to date,** so a trusted adult can come.", "**Keep your child's emergency contacts up to date.**"),
    ("**及时更新紧急联系人，**以便可信的成年人接孩子。", "**及时更新紧急联系人。**"),
    ("No bold lead here.", "No bold lead here."),
])
def test_a_short_format_prints_the_bold_lead_as_a_sentence_of_its_own(text, lead):
    """A poster, card or half-sheet lists the bold leads only; each ends as the sentence it
    comes from ends, so "Do not sign any papers" is not the one item left without its stop."""
    assert bold_part(text) == lead


@pytest.mark.parametrize("layout_name", SHORT_FORMATS)
def test_shorter_formats_carry_the_minimum_in_every_language(project, layout_name):
    layout = project.layouts[layout_name]
    for code in layout_languages(project, layout_name):
        language = project.languages[code]
        xml = render_template(project, layout, language, layout.papers[0])
        for key in MINIMUM:
            assert str(escape(bold_part(language.strings[key]))) in xml, f"{layout_name}/{code}: {key}"


def test_the_multilingual_poster_carries_the_minimum_in_each_of_its_languages(project):
    layout = project.layouts["poster-multilingual"]
    languages = [project.languages[code] for code in layout.page_languages]
    xml = render_template(project, layout, project.languages["en"], layout.papers[0], page_languages=languages)
    english = project.languages["en"].strings["door_short"]
    assert str(escape(english)) in xml
    for words in ("Do not open the door", "do not resist or run", "Stay silent", "Sign nothing", "Call a lawyer"):
        assert words in english
    for language in languages:
        assert str(escape(language.strings["door_short"])) in xml, language.code


def test_the_english_short_formats_print_the_minimum(project):
    en = project.languages["en"]
    wanted = [bold_part(en.strings[key]).replace("**", "") for key in MINIMUM]
    for layout_name in ("poster", "half-sheet"):
        layout = project.layouts[layout_name]
        text = squeeze(page_text(render_job(project, layout, en, layout.papers[0]).pdf))
        for words in wanted:
            assert squeeze(words) in text, f"{layout_name}: {words!r}"


# --- every language follows the English ----------------------------------------------------

@pytest.mark.parametrize("code", TRANSLATIONS)
def test_no_translation_is_stale_or_missing(project, code):
    source = project.languages["en"]
    language = project.languages[code]
    assert not [key for key in source.strings if key not in language.strings], "missing strings"
    assert stale_keys(language, source) == [], f"{code}: stale strings; translate them and import or stamp"


@pytest.mark.parametrize("code", TRANSLATIONS)
def test_new_strings_are_translated_not_copied_english(project, code):
    """A translation recorded as made from the current English must not just be the English
    (names, numbers and URLs aside, every door sentence has words of its own)."""
    source = project.languages["en"]
    language = project.languages[code]
    for key in ("door_2", "door_force", "door_inside", "door_papers", "door_5", "school_contacts", "door_short",
                "records_body", "card_statement", "card_hint"):
        if language.sources.get(key) == source_hash(source.strings[key]):
            assert language.strings[key] != source.strings[key], f"{code}: '{key}' is the English text"
