"""The catalog staff browse: output/index.html in a real headless Chromium (Debian's),
driven by Playwright. It opens from the file system, with no server and no internet."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(built):
    from playwright.sync_api import sync_playwright

    out, _ = built
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((out / "index.html").as_uri())
        yield page
        browser.close()


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
