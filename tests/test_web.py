"""The web edition (OUT/web/): every language's page and the chooser, in Debian's Chromium
driven by Playwright, checked with axe-core (npm, pinned in package-lock.json) for the
WCAG 2.0/2.1 A and AA rules; headings from the accessibility tree; keyboard-only
navigation; no horizontal scroll at 320 px; no request to any other host; lang/dir from
the language data. Languages come from data/languages, never from a list here."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import LANGUAGES, PAPERS, ROOT
from generator.catalog import information_status
from generator.validate import load_project
from generator.web import WEB_FONT_SCRIPTS, write_web

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = LANGUAGES + ["index"]
SCHOOL = """schools:
  - id: hartford-public-schools
    name: Hartford Public Schools
    address: ""
    phone: "860-695-8400"
    logo: ""
    source: the district itself (same contact as the district)
  - id: maple-elementary
    name: Maple Elementary School (test fixture)
    address: "1 Test Street"
    phone: "555-010-0199"
    logo: ""
    source: test fixture, not a real school
"""


@pytest.fixture(scope="module")
def web(built, project, tmp_path_factory):
    """The session's handouts (Letter and A4) copied, with the web edition written next to them."""
    source, _ = built
    out = tmp_path_factory.mktemp("web") / "output"
    shutil.copytree(source, out)
    outcome = write_web(out, project)
    assert not outcome.failed, outcome.failed
    return out


def page_path(out: Path, name: str) -> Path:
    return out / "web" / ("index.html" if name == "index" else f"{name}/index.html")



class Visit:
    """A page opened in a fresh context, with every request and console message recorded."""

    def __init__(self, browser, url: str, width: int = 1280, **context):
        self.context = browser.new_context(viewport={"width": width, "height": 800}, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.goto(url)
        self.page.evaluate("document.fonts.ready.then(() => true)")

    def __enter__(self):
        return self.page

    def __exit__(self, *_):
        self.context.close()


# --- axe-core --------------------------------------------------------------------------------

def axe_audit(page) -> tuple[list[str], int]:
    """The WCAG 2.0/2.1 A and AA violations axe-core finds on the page as it is now, and how
    many rules passed. The page must be opened with bypass_csp=True: its own policy rightly
    refuses the injected axe script (the policy is tested on its own)."""
    assert AXE.is_file(), "axe-core is not installed: run `make axe` (npm ci)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    problems = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]]
    return problems, len(result["passes"])


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_a_or_aa_violation(browser, web, name):
    with Visit(browser, page_path(web, name).as_uri(), bypass_csp=True) as page:
        problems, passes = axe_audit(page)
    assert problems == [], "\n".join(problems)
    assert passes >= 15  # axe really ran its rules on this page


# --- structure -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", LANGUAGES)
def test_lang_and_dir_come_from_the_language_data(browser, web, project, code):
    language = project.languages[code]
    with Visit(browser, page_path(web, code).as_uri()) as page:
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [code, language.direction]
        assert page.title().startswith(language.strings["doc_title"])


def headings(page) -> list[tuple[int, str]]:
    """Headings as the accessibility tree exposes them (level and name)."""
    tree = page.locator("body").aria_snapshot()
    return [(int(level), name) for name, level in re.findall(r'heading "?(.*?)"? \[level=(\d)\]', tree)]


@pytest.mark.parametrize("name", PAGES)
def test_one_h1_and_headings_in_order(browser, web, name):
    with Visit(browser, page_path(web, name).as_uri()) as page:
        found = headings(page)
    assert found and found[0][0] == 1, found
    assert [level for level, _ in found].count(1) == 1, found
    for (before, _), (after, title) in zip(found, found[1:]):
        assert after <= before + 1, f"heading level jumps from {before} to {after} at {title!r}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_page_carries_the_handout_strings(browser, web, project, code):
    language, t = project.languages[code], project.languages[code].strings
    with Visit(browser, page_path(web, code).as_uri()) as page:
        text = " ".join(page.inner_text("body").split())
        lists = page.eval_on_selector_all("main ul:not(.print ul)", "els => els.map(e => e.children.length)")
        tel = page.eval_on_selector_all("a[href^='tel:']", "els => els.map(e => e.getAttribute('href'))")
        mail = page.eval_on_selector_all("a[href^='mailto:']", "els => els.map(e => e.getAttribute('href'))")
    plain = lambda s: " ".join(s.replace("**", "").split())  # noqa: E731
    for key in ("doc_title", "door_heading", "door_1", "door_5", "legal_heading", "disclaimer", "qr_aclu_caption"):
        assert plain(t[key]) in text, key
    from generator.template import context

    footer = context(project, project.layouts["handout"], language, project.layouts["handout"].papers[0])
    assert plain(footer["information_line"]) in text  # the footer rules: the information date (or not yet checked)
    assert plain(footer["status_line"]) in text  # and the translation status
    assert 5 in lists  # the five door steps are one real list
    assert "tel:+1" + re.sub(r"\D", "", project.district["welcome_center"]["phone"]) in tel
    assert {f"mailto:{o['email']}" for o in project.organisations["complaint_offices"]} <= set(mail)


@pytest.mark.parametrize("code", LANGUAGES)
def test_page_links_its_printable_pdfs(browser, web, code):
    with Visit(browser, page_path(web, code).as_uri()) as page:
        hrefs = page.eval_on_selector_all("a[href$='.pdf']", "els => els.map(e => e.href)")
    assert len(hrefs) == len(PAPERS), hrefs  # this build made the handout on each paper
    for href in hrefs:
        path = Path(unquote(urlparse(href).path))
        assert path.is_file() and path.read_bytes()[:5] == b"%PDF-", href
        assert f"/{code}_" in href


def test_chooser_lists_every_language_by_its_own_name(browser, web, project):
    with Visit(browser, page_path(web, "index").as_uri(), java_script_enabled=False) as page:
        links = page.eval_on_selector_all("ul.languages a", "els => els.map(e => [e.getAttribute('href'), e.innerText])")
        assert page.is_hidden("#filter-box")  # without JavaScript: the plain list, no dead filter box
        intro = page.inner_text("main > p")
    assert sorted(href for href, _ in links) == sorted(f"{code}/index.html" for code in LANGUAGES)
    # The sources' date, or plainly that no one has checked them yet.
    assert intro == f"{project.district['name']}. Choose your language. {information_status(project)}."
    for href, label in links:
        language = project.languages[href.split("/")[0]]
        assert language.endonym in label and language.name_en in label
        assert (web / "web" / href).is_file()


@pytest.mark.parametrize("typed,expected", [("Dari", ["prs"]), ("دری", ["prs"]), ("burmese", ["my"])])
def test_chooser_filter_narrows_the_list(browser, web, typed, expected):
    with Visit(browser, page_path(web, "index").as_uri()) as page:
        page.fill("#filter", typed)
        shown = page.eval_on_selector_all("ul.languages li:not([hidden]) a", "els => els.map(e => e.getAttribute('href'))")
    assert shown == [f"{code}/index.html" for code in expected]


# --- keyboard, reflow, print -----------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_keyboard_alone_reaches_every_link_with_visible_focus(browser, web, name):
    with Visit(browser, page_path(web, name).as_uri()) as page:
        links = page.eval_on_selector_all("a[href]", "els => els.map((e, i) => { e.dataset.n = i; return i; })")
        reached, unseen = set(), []
        for _ in range(len(links) + 5):
            page.keyboard.press("Tab")
            focused = page.evaluate("""() => { const e = document.activeElement;
                const s = getComputedStyle(e);
                return e && e.dataset.n !== undefined ? [Number(e.dataset.n), s.outlineStyle, parseFloat(s.outlineWidth)] : null; }""")
            if focused:
                reached.add(focused[0])
                if focused[1] == "none" or focused[2] < 2:
                    unseen.append(focused)
        first = page.evaluate("document.querySelector('a[href]').className")
    assert reached == set(links), f"not reached by Tab: {sorted(set(links) - reached)}"
    assert unseen == [], f"focus not visible on: {unseen}"
    assert first == "skip"  # the skip link comes first


@pytest.mark.parametrize("width", [320, 640])  # 320 px: a small phone; 640 px: 1280 px at 200 % zoom
@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scroll(browser, web, name, width):
    with Visit(browser, page_path(web, name).as_uri(), width=width) as page:
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"{name} at {width}px is {sizes[0]}px wide"


def test_skip_link_appears_on_focus_and_leads_to_the_content(browser, web):
    with Visit(browser, page_path(web, "en").as_uri()) as page:
        hidden = page.evaluate("document.querySelector('.skip').getBoundingClientRect().bottom")
        page.keyboard.press("Tab")
        shown = page.evaluate("document.querySelector('.skip').getBoundingClientRect().top")
        page.keyboard.press("Enter")
        target = page.evaluate("document.activeElement.id")
    assert hidden <= 0 <= shown and target == "content"


def test_print_stylesheet_leaves_out_navigation(browser, web):
    with Visit(browser, page_path(web, "es").as_uri()) as page:
        page.emulate_media(media="print")
        assert page.is_hidden(".skip") and page.is_hidden("nav.top") and page.is_hidden("section.print")
        assert page.is_visible("h1") and page.is_visible(".page-footer")


# --- privacy and the Content-Security-Policy ---------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_no_request_to_any_other_host(browser, web, name):
    visit = Visit(browser, page_path(web, name).as_uri())
    try:
        visit.page.wait_for_load_state("networkidle")
        requests, console = list(visit.requests), list(visit.console)
    finally:
        visit.context.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert not [m for m in console if m.startswith("error")], console  # no refused style, font or script


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c in ("my", "am", "ti")] or LANGUAGES[:1])
def test_shipped_fonts_load_from_the_page_folder(browser, web, project, code):
    language = project.languages[code]
    visit = Visit(browser, page_path(web, code).as_uri())
    try:
        loaded = visit.page.evaluate("Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family)")
        requests = list(visit.requests)
    finally:
        visit.context.close()
    if language.script in WEB_FONT_SCRIPTS:
        assert loaded and any(url.endswith(f"/web/fonts/{code}-400.woff2") for url in requests), (loaded, requests)
    else:
        assert not any(url.endswith(".woff2") for url in requests)


def test_policy_refuses_injected_scripts_and_other_hosts(browser, web):
    text = page_path(web, "en").read_text(encoding="utf-8")
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1))
    assert policy.startswith("default-src 'none'") and "unsafe-inline" not in policy and "http" not in policy
    assert '<meta name="referrer" content="no-referrer">' in text
    with Visit(browser, page_path(web, "en").as_uri()) as page:
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.body.append(s); }")
        assert page.evaluate("window.injected === undefined")
        # the page's own style (allowed by its hash) is in force: the skip link sits off screen
        assert page.evaluate("getComputedStyle(document.querySelector('.skip')).position") == "absolute"


# --- data, schools, catalog --------------------------------------------------------------------

def test_school_with_its_own_contact_gets_its_own_pages(data_copy, tmp_path):
    (data_copy / "schools.yaml").write_text(SCHOOL, encoding="utf-8")
    project, problems = load_project(data_copy, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    out = tmp_path / "out"
    outcome = write_web(out, project)
    assert not outcome.failed
    assert not (out / "web" / "hartford-public-schools").exists()  # same contact as the district
    for code in LANGUAGES:
        school_page = (out / "web" / "maple-elementary" / code / "index.html").read_text(encoding="utf-8")
        assert "Maple Elementary School (test fixture)" in school_page and "1 Test Street" in school_page
        assert 'href="tel:+15550100199"' in school_page
        assert "Maple Elementary" not in (out / "web" / code / "index.html").read_text(encoding="utf-8")
    assert 'href="maple-elementary/en/index.html"' in (out / "web" / "index.html").read_text(encoding="utf-8")
    # a school removed from the data loses its pages at the next run
    (data_copy / "schools.yaml").write_text(SCHOOL.split("  - id: maple-elementary")[0], encoding="utf-8")
    project, _ = load_project(data_copy, ROOT / "layouts", ROOT / "fonts")
    outcome = write_web(out, project)
    assert not (out / "web" / "maple-elementary").exists() and outcome.removed


def test_data_is_text_never_markup(data_copy, tmp_path):
    path = data_copy / "languages" / "es.yaml"
    payload = '<script>alert(1)</script><a href=\\"javascript:x\\">x</a>'
    source = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'(\n  doc_title: ")', lambda m: m.group(1) + payload, source, count=1), encoding="utf-8")
    project, problems = load_project(data_copy, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    out = tmp_path / "out"
    assert not write_web(out, project).failed
    page = (out / "web" / "es" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page and 'href="javascript' not in page


def test_second_run_writes_nothing(web, project):
    assert write_web(web, project).written == []


def test_catalog_links_each_language_web_page(web, project):
    catalog = (web / "index.html").read_text(encoding="utf-8")
    for code in project.languages:
        assert f'href="web/{code}/index.html"' in catalog
