"""The catalog staff browse: output/index.html in a real headless Chromium (Debian's),
driven by Playwright. It opens from the file system, with no server and no internet.
Its parent view (every language as a large button) is checked for touch, keyboard,
narrow and wide screens, fonts and axe-core's A/AA rules; languages come from the data."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import run_cli
from generator import catalog
from test_web import Visit, axe_audit




@pytest.fixture(scope="module")
def page(browser, built):
    out, _ = built
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((out / "index.html").as_uri())
    yield page
    page.close()


def visible_languages(page) -> list[str]:
    return page.eval_on_selector_all("section.language:not(.hidden) h2 .english", "els => els.map(e => e.textContent)")


def test_every_language_is_listed_with_its_own_name(page, project):
    assert sorted(visible_languages(page)) == sorted(l.name_en for l in project.languages.values())
    endonyms = page.eval_on_selector_all("section.language h2 span[lang]", "els => els.map(e => e.textContent)")
    assert set(endonyms) == {l.endonym for l in project.languages.values()}


@pytest.mark.parametrize("typed", ["Dari", "دری", "español", "chinese"])
def test_typing_a_filter_narrows_the_list(page, project, typed):
    # Expected: every language whose English name, own name or code contains what was typed
    # (derived from the data, so a district's new language keeps this test true).
    expected = sorted(l.name_en for l in project.languages.values()
                      if typed.casefold() in f"{l.name_en} {l.endonym} {l.code}".casefold())
    assert expected, "the example must match at least one shipped language"
    page.fill("#filter", typed)
    assert sorted(visible_languages(page)) == expected
    cards = page.eval_on_selector_all("section.language:not(.hidden) .card:not(.hidden)", "els => els.length")
    assert cards == 2 * len(expected)  # the handout on Letter and on A4
    page.fill("#filter", "")


def test_no_match_says_what_to_try(page):
    page.fill("#filter", "klingon")
    assert visible_languages(page) == []
    assert page.is_visible("#nothing")
    page.fill("#filter", "")
    assert not page.is_visible("#nothing")


def test_every_link_points_to_an_existing_pdf(page, built):
    out, documents = built
    hrefs = page.eval_on_selector_all("a.open", "els => els.map(e => e.href)")
    assert len(hrefs) == len(documents)
    for href in hrefs:
        path = Path(unquote(urlparse(href).path))
        assert path.is_file() and path.read_bytes()[:5] == b"%PDF-", href
        assert out.resolve() in path.resolve().parents


def test_every_thumbnail_loads(page):
    page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
    # Polled from outside (Playwright's wait_for_function would need eval, which the page's
    # Content-Security-Policy rightly forbids).
    for _ in range(200):
        if page.evaluate("Array.from(document.images).every(img => img.complete)"):
            break
        page.wait_for_timeout(100)
    sizes = page.evaluate("Array.from(document.images).map(img => img.naturalWidth)")
    assert sizes and all(width > 0 for width in sizes)


# --- the parent view ---------------------------------------------------------------------------
# A button in the staff view shows every language as a large button (own name, English name);
# the parent touches theirs and the staff view returns showing that language, handout first.

MIXED_LANGS = ["en", "ar", "my", "es"]  # left-to-right and right-to-left; a shipped font and a system one
MIXED_LAYOUTS = ["card", "half-sheet", "handout"]  # the card sorts before the handout by path
WIDTHS = [(320, 640), (768, 1024), (1024, 768), (1920, 1080)]  # phone, tablet both ways, a screen turned round


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A catalog with several layouts per language (the shared build has handouts only)."""
    from generator.pipeline import Options, build

    out = tmp_path_factory.mktemp("mixed")
    outcome = build(Options(out=out, papers=["letter"], layouts=MIXED_LAYOUTS, langs=MIXED_LANGS), log=lambda *_: None)
    assert not outcome.failed, outcome.failed
    return out


def catalog_url(built) -> str:
    return (built[0] / "index.html").as_uri()


def visible(page, selector: str) -> bool:
    return page.evaluate("s => { const e = document.querySelector(s); return !!e && e.getClientRects().length > 0; }", selector)


def in_parent_view(page) -> bool:
    return visible(page, "#parent-view") and not any(visible(page, s) for s in ("header", ".search", "main.staff"))


def in_staff_view(page) -> bool:
    return not visible(page, "#parent-view") and all(visible(page, s) for s in ("header", ".search", "main.staff"))


def focused(page) -> str:
    """The focused element, as '#id' or 'tag.class[data-lang]'."""
    return page.evaluate("""() => { const e = document.activeElement; if (e.id) return '#' + e.id;
        return e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + (e.dataset.lang ? '[' + e.dataset.lang + ']' : ''); }""")


def until(page, check, what: str):
    """Polled from outside (the page's policy refuses Playwright's eval-based waiting)."""
    for _ in range(50):
        if check():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def shown_cards(page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all("section.language:not(.hidden) .card:not(.hidden)", """els => els.map(e =>
        [e.closest('section').dataset.lang, e.querySelector('.format').textContent.trim().toLowerCase()])""")


def test_the_parent_view_has_a_button_per_language_with_both_names(browser, built, project):
    with Visit(browser, catalog_url(built)) as page:
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        buttons = page.eval_on_selector_all("#parent-view button.choice", """els => els.map(b => {
            const own = b.querySelector('.endonym'), english = b.querySelector('.english');
            return {code: b.dataset.lang, own: own.textContent, lang: own.lang, dir: own.dir, english: english.textContent,
                    name: b.innerText.replace(/\\s+/g, ' ').trim()}; })""")
    expected = {code for code, _ in built[1]}
    assert sorted(b["code"] for b in buttons) == sorted(expected)
    for button in buttons:
        language = project.languages[button["code"]]
        assert (button["own"], button["lang"], button["dir"], button["english"]) == (
            language.endonym, language.code, language.direction, language.name_en)
        assert language.endonym in button["name"] and language.name_en in button["name"]


def test_switching_views_and_back_by_button_by_escape_and_by_history(browser, built):
    with Visit(browser, catalog_url(built)) as page:
        assert in_staff_view(page)
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        assert focused(page) == "#parent-title"
        page.click("#parent-back")
        until(page, lambda: in_staff_view(page), "the staff view after Back")
        assert focused(page) == "#to-parent"
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view again")
        page.keyboard.press("Escape")
        until(page, lambda: in_staff_view(page), "the staff view after Escape")
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view a third time")
        page.go_back()  # a tablet's own Back gesture
        until(page, lambda: in_staff_view(page), "the staff view after the browser's Back")
        assert page.url == catalog_url(built)  # still the catalog, not the page before it


@pytest.mark.parametrize("code", MIXED_LANGS)
def test_choosing_a_language_shows_only_it_with_the_handout_first(browser, mixed, project, code):
    with Visit(browser, (mixed / "index.html").as_uri()) as page:
        before = [fmt for lang, fmt in shown_cards(page) if lang == code]
        page.fill("#filter", "some earlier search")
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        page.click(f"#parent-view button.choice[data-lang='{code}']")
        until(page, lambda: in_staff_view(page), "the staff view")
        shown = shown_cards(page)
        note = page.inner_text("#chosen")
        name_attrs = page.evaluate("() => { const n = document.getElementById('chosen-name'); return [n.lang, n.dir]; }")
        assert page.input_value("#filter") == ""
        assert focused(page) == "#chosen"
        page.click("#show-all")
        until(page, lambda: len(shown_cards(page)) == len(MIXED_LANGS) * len(MIXED_LAYOUTS), "every document again")
        assert focused(page) == "#filter"
    language = project.languages[code]
    assert {lang for lang, _ in shown} == {code}
    assert [fmt for _, fmt in shown] == ["handout"] + [f for f in before if f != "handout"]
    assert sorted(fmt for _, fmt in shown) == sorted(layout.replace("-", " ") for layout in MIXED_LAYOUTS)
    assert language.endonym in note and language.name_en in note
    assert name_attrs == [code, language.direction]


def tab_until(page, target: str, limit: int = 80, key: str = "Tab") -> None:
    for _ in range(limit):
        if focused(page) == target:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{target} not reached with {key} (at {focused(page)})")


def focus_ring(page) -> tuple[str, float]:
    return page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")


@pytest.mark.parametrize("key", ["Enter", " "])
def test_the_keyboard_alone_chooses_a_language_and_every_stop_shows_focus(browser, built, project, key):
    last = sorted(code for code, _ in built[1])[-1]  # the farthest to reach, whichever the data holds
    with Visit(browser, catalog_url(built)) as page:
        assert focused(page) == "#filter"  # the catalog opens ready to type
        tab_until(page, "#to-parent", key="Shift+Tab")
        style, width = focus_ring(page)
        assert style != "none" and width >= 2
        page.keyboard.press(key)
        until(page, lambda: in_parent_view(page), "the parent view")
        assert focused(page) == "#parent-title"
        page.keyboard.press("Tab")
        assert focused(page).startswith("button.choice")  # the first language follows the heading
        tab_until(page, f"button.choice[{last}]")
        style, width = focus_ring(page)
        assert style != "none" and width >= 2
        page.keyboard.press(key)
        until(page, lambda: in_staff_view(page), "the staff view")
        assert {lang for lang, _ in shown_cards(page)} == {last}
        assert focused(page) == "#chosen"
        page.keyboard.press("Tab")
        assert focused(page) == "#show-all"
        page.keyboard.press(key)
        until(page, lambda: len({lang for lang, _ in shown_cards(page)}) == len(project.languages), "every language")
        # and back out of the parent view by keyboard: Shift+Tab from the heading reaches Back
        tab_until(page, "#to-parent", key="Shift+Tab")
        page.keyboard.press(key)
        until(page, lambda: in_parent_view(page), "the parent view")
        page.keyboard.press("Shift+Tab")
        assert focused(page) == "#parent-back"
        page.keyboard.press(key)
        until(page, lambda: in_staff_view(page), "the staff view")
        assert focused(page) == "#to-parent"


@pytest.mark.parametrize("width,height", WIDTHS)
def test_the_buttons_are_large_apart_and_fit_on_phones_tablets_and_screens(browser, built, width, height):
    with Visit(browser, catalog_url(built), width=width) as page:
        page.set_viewport_size({"width": width, "height": height})
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        boxes = page.eval_on_selector_all("#parent-view button", """els => els.map(b => { const r = b.getBoundingClientRect();
            return {x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height, fits: b.scrollWidth <= b.clientWidth,
                    choice: b.classList.contains('choice')}; })""")
        page_fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page_fits, "the parent view scrolls sideways"
    assert all(b["w"] >= 44 and b["h"] >= 44 for b in boxes), boxes
    assert all(b["fits"] for b in boxes), "a language name overflows its button"
    choices = [b for b in boxes if b["choice"]]
    assert all(b["h"] >= 88 for b in choices)  # large: twice the minimum target
    for i, a in enumerate(choices):  # at least 12 px between any two buttons
        for b in choices[i + 1:]:
            gap = max(b["x"] - (a["x"] + a["w"]), a["x"] - (b["x"] + b["w"]), b["y"] - (a["y"] + a["h"]), a["y"] - (b["y"] + b["h"]))
            assert gap >= 12, (a, b)


def test_nothing_is_requested_from_any_host(browser, built):
    visit = Visit(browser, catalog_url(built))
    with visit as page:
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        page.click("#parent-view button.choice >> nth=-1")
        until(page, lambda: in_staff_view(page), "the staff view")
        page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
        until(page, lambda: page.evaluate("Array.from(document.images).every(img => img.complete)"), "the thumbnails")
        fonts = page.evaluate("Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family)")
    schemes = {urlparse(url).scheme for url in visit.requests}
    assert schemes <= {"file", "data"}, visit.requests  # the page, its thumbnails, its own data: fonts
    assert any(url.endswith(".png") for url in visit.requests)  # requests really were recorded
    assert fonts and all(family.startswith("Endonym") for family in fonts)
    assert not [m for m in visit.console if m.startswith("error")], visit.console


@pytest.mark.parametrize("view", ["staff", "parent", "chosen"])
def test_axe_finds_no_wcag_a_or_aa_violation_in_either_view(browser, built, view):
    with Visit(browser, catalog_url(built), bypass_csp=True) as page:
        if view != "staff":
            page.click("#to-parent")
            until(page, lambda: in_parent_view(page), "the parent view")
        if view == "chosen":
            page.click("#parent-view button.choice >> nth=0")
            until(page, lambda: in_staff_view(page), "the staff view")
        problems, passes = axe_audit(page)
    assert problems == [], "\n".join(problems)
    assert passes >= 15


# --- language names render in every script; a new language needs no change ------------------

def face_cmaps(html: str) -> dict[str, set[int]]:
    """The characters of each font face the page carries (as data: URIs in its style)."""
    from fontTools.ttLib import TTFont

    found = re.findall(r'font-family:"Endonym (\d+)";font-weight:400;src:url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)', html)
    return {number: set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()) for number, data in found}


def system_cmap(family: str) -> set[int]:
    from fontTools.ttLib import TTFont

    path = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True).stdout
    return set(TTFont(path, fontNumber=0).getBestCmap())


def letters(text: str) -> set[int]:
    return {ord(c) for c in text if unicodedata.category(c) not in ("Zs", "Cf")}


@pytest.mark.parametrize("view", ["staff", "parent"])
def test_every_language_name_is_drawn_from_a_font_that_has_its_letters(browser, built, project, view):
    """What Chromium really used for each name (DevTools' platform fonts): a face the page
    carries, or a system font whose character map holds every letter; never a missing glyph."""
    html = (built[0] / "index.html").read_text(encoding="utf-8")
    faces = face_cmaps(html)
    scope = "#parent-view" if view == "parent" else "main.staff h2"
    with Visit(browser, catalog_url(built)) as page:
        if view == "parent":
            page.click("#to-parent")
            until(page, lambda: in_parent_view(page), "the parent view")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": f"{scope} .endonym"})["nodeIds"]
        names = page.eval_on_selector_all(f"{scope} .endonym", "els => els.map(e => [e.lang, e.textContent, e.dataset.face || ''])")
        used = [cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"] for node in nodes]
    assert sorted(code for code, _, _ in names) == sorted({code for code, _ in built[1]})
    assert faces, "the page carries no font for language names"
    for (code, text, face), fonts in zip(names, used):
        script = project.languages[code].script
        if face:
            assert all(f["isCustomFont"] for f in fonts), (code, fonts)  # no letter fell back to a system font
            assert letters(text) <= faces[face], (code, sorted(letters(text) - faces[face]))
        else:
            assert script in catalog.SYSTEM_SCRIPTS, f"{code} ({script}) has no font of its own on the page"
            covered = set().union(*(system_cmap(f["familyName"]) for f in fonts))
            assert letters(text) <= covered, (code, fonts)


def test_a_new_language_gets_its_button_and_font_with_no_other_change(browser, data_copy, tmp_path):
    # A district adds Tigre (Ethiopic script) by copying a language file: no code, no template.
    source = (data_copy / "languages" / "ti.yaml").read_text(encoding="utf-8")
    new = re.sub(r"^code: .*$", "code: tig", source, count=1, flags=re.M)
    new = re.sub(r"^name_en: .*$", 'name_en: "Tigre (test fixture)"', new, count=1, flags=re.M)
    new = re.sub(r"^endonym: .*$", 'endonym: "ትግሬ"', new, count=1, flags=re.M)
    (data_copy / "languages" / "tig.yaml").write_text(new, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", "--data", str(data_copy), "--lang", "tig", "--lang", "ti", "--layout", "half-sheet",
                     "--paper", "letter", "--out", str(out))
    assert result.returncode == 0, result.stderr
    faces = face_cmaps((out / "index.html").read_text(encoding="utf-8"))
    with Visit(browser, (out / "index.html").as_uri()) as page:
        page.click("#to-parent")
        until(page, lambda: in_parent_view(page), "the parent view")
        face = page.get_attribute("button.choice[data-lang='tig'] .endonym", "data-face")
        assert page.inner_text("button.choice[data-lang='tig']").split() == ["ትግሬ", "Tigre", "(test", "fixture)"]
        page.click("button.choice[data-lang='tig']")
        until(page, lambda: in_staff_view(page), "the staff view")
        assert {lang for lang, _ in shown_cards(page)} == {"tig"}
    assert face and letters("ትግሬ") <= faces[face]


def test_the_name_fonts_made_during_a_parallel_build_are_the_ones_the_catalog_sets(project, monkeypatch):
    """While workers make the documents, another process subsets the fonts for the language
    names (pipeline.catalog_fonts_ahead); the catalog written at the end takes those and
    subsets nothing itself, and its faces are the ones it would have made. The catalog orders
    languages by English name, the run by code: a district's Tigre (tig) comes before
    Tigrinya (ti) in one and after it in the other, and is still found."""
    from dataclasses import replace
    from types import SimpleNamespace

    from generator import web

    ti = project.languages["ti"]
    languages = {"ti": ti, "tig": replace(ti, code="tig", name_en="Tigre (test fixture)", endonym="ትግሬ")}
    other = next(l for l in sorted(project.languages.values(), key=lambda l: l.code)
                 if l.script not in catalog.SYSTEM_SCRIPTS + ("Hans", "Hant", "Kore", ti.script))  # CJK faces take seconds
    languages[other.code] = other
    fake = SimpleNamespace(district={"name": "D"}, fonts=project.fonts, languages=languages)
    documents = [{"lang": code, "endonym": language.endonym, "language": language.name_en, "direction": "ltr",
                  "school_name": "S", "layout": "handout", "paper": "letter", "thumbnail": "t.png", "path": f"{code}.pdf",
                  "translation_status": "draft", "reviewed_by": "", "reviewed_on": ""} for code, language in languages.items()]
    monkeypatch.setattr(catalog, "_SUBSETS", {})
    made_here = catalog.catalog_html(documents, fake)

    monkeypatch.setattr(catalog, "_SUBSETS", {})
    ahead = catalog.endonym_subsets_ahead(fake, sorted(languages) + ["no-such-language"])
    monkeypatch.setattr(catalog, "_SUBSETS", {})
    catalog.keep_subsets(ahead)

    def subset_again(*args, **kwargs):
        raise AssertionError("the catalog subset a font that was made ahead")

    monkeypatch.setattr(web, "font_subsets", subset_again)
    assert catalog.catalog_html(documents, fake) == made_here
    assert len(ahead) == 2 and made_here.count("@font-face") == 2


# --- data stays text ---------------------------------------------------------------------------

def test_a_hostile_language_name_never_reaches_the_style_or_the_script(project):
    from dataclasses import replace
    from types import SimpleNamespace

    from generator import csp

    hostile = 'ትግርኛ"}</style><script>window.__pwned=1</script>{x:url(http://example.invalid/f)}'
    fake = SimpleNamespace(district={"name": "D"}, fonts=project.fonts,
                           languages={"ti": replace(project.languages["ti"], endonym=hostile)})
    document = {"lang": "ti", "endonym": hostile, "language": "Tigrinya</button><b>", "direction": "ltr", "school_name": "S",
                "layout": "handout", "paper": "letter", "thumbnail": "t.png", "path": "ti.pdf",
                "translation_status": "draft", "reviewed_by": "", "reviewed_on": ""}
    html = catalog.catalog_html([document], fake)
    [style] = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    [script] = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert "pwned" not in style + script and "example.invalid" not in style and "@font-face" in style
    # the filter's words, the heading and the button: each time escaped text
    assert html.count("window.__pwned") == 3 and "<script>window" not in html and "</style><" not in html
    assert "Tigrinya</button>" not in html and "Tigrinya&lt;/button&gt;&lt;b&gt;</span></button>" in html
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert "font-src data:" in policy and csp.source_hash(style).strip("'") in policy


def test_a_catalog_older_code_wrote_is_replaced_even_when_no_document_changed(tmp_path):
    out = tmp_path / "out"
    args = ("build", "--lang", "es", "--layout", "half-sheet", "--paper", "letter", "--out", str(out))
    assert run_cli(*args).returncode == 0
    page = out / "index.html"
    current = page.read_text(encoding="utf-8")
    assert catalog.catalog_current(page) and 'id="parent-view"' in current
    page.write_text(current.replace(catalog.catalog_stamp(), "0" * 16), encoding="utf-8")  # as an older version left it
    assert run_cli(*args).returncode == 0
    assert page.read_text(encoding="utf-8") == current
    written = page.stat().st_mtime_ns
    assert run_cli(*args).returncode == 0  # nothing changed: nothing written
    assert page.stat().st_mtime_ns == written


def test_documents_in_every_language_get_no_parent_button_and_no_unreadable_heading(tmp_path):
    """The language sheet is one document for every language ("mul"): staff find it by any
    language's name, but a parent chooses one language, and no font draws a heading that
    lists every script's name."""
    from html.parser import HTMLParser

    out = tmp_path / "out"
    result = run_cli("build", "--layout", "half-sheet", "--layout", "language-sheet", "--lang", "es", "--lang", "ar",
                     "--paper", "letter", "--out", str(out))
    assert result.returncode == 0, result.stderr

    class Choices(HTMLParser):
        def __init__(self):
            super().__init__()
            self.buttons, self.endonym_langs = [], []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "button" and "choice" in (attrs.get("class") or "").split():
                self.buttons.append(attrs["data-lang"])
            if tag == "span" and "endonym" in (attrs.get("class") or "").split() and attrs.get("lang"):
                self.endonym_langs.append(attrs["lang"])

    page = Choices()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    assert sorted(page.buttons) == ["ar", "es"]
    assert "mul" not in page.endonym_langs
    assert 'data-lang="mul"' in (out / "index.html").read_text(encoding="utf-8")  # the sheet is still listed
