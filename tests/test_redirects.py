"""District-owned QR addresses (issue 16): with `web_base` set, every code of every document
decodes to `<web_base>/go/<target>`, and its redirect page and each server map lead to the
right resource; hostile values cannot change the maps; without web_base the codes point
straight at the resources.

Everything runs on a copy of the fixture data with a test host (family-rights.example.org)
and a fixture per-language address on another test host (es.example.org): no real
per-language address is known, so none is invented here.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, run_cli
from generator.addresses import GO, code_address, target_name, targets
from generator.redirects import MAP_FILES, RedirectProblem, redirect_files
from generator.validate import load_project
from generator.verify import decode_qr_codes
from generator.web import write_web

FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"
WEB_BASE = "https://family-rights.example.org/district"
SPANISH_ACLU = "https://es.example.org/aclu-fixture-page"  # a fixture address, on a test host
LANGS = ["en", "es", "ar", "zh-Hant"]
LAYOUTS = ["handout", "poster", "card", "bilingual", "half-sheet", "poster-multilingual"]
PROBLEM = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.+)$", re.M)


def data_with(tmp: Path, web_base: str | None = WEB_BASE, spanish: str | None = SPANISH_ACLU) -> Path:
    """A copy of the fixture data with the test hosts allowed, optionally web_base, and
    optionally a Spanish address for the 'aclu' resource."""
    data = tmp / "data"
    shutil.copytree(FIXTURE_DATA, data)
    resources = data / "resources.yaml"
    text = resources.read_text(encoding="utf-8")
    text = text.replace("allowed_hosts:\n", "allowed_hosts:\n  - family-rights.example.org\n  - es.example.org\n", 1)
    if spanish:
        text = text.replace("    sources: [aclu-immigrants-rights]\n",
                            f"    sources: [aclu-immigrants-rights]\n    languages:\n      es: {spanish}\n", 1)
    resources.write_text(text, encoding="utf-8")
    if web_base:
        with (data / "district.yaml").open("a", encoding="utf-8") as district:
            district.write(f'web_base: "{web_base}/"\n')  # written with a trailing slash: normalised away
    return data


def errors(result) -> list[dict]:
    return [m.groupdict() for m in PROBLEM.finditer(result.stderr)]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def build(data: Path, out: Path, *extra: str):
    args = ["build", "--web", "--data", str(data), "--out", str(out), "--jobs", "2"]
    for layout in LAYOUTS:
        args += ["--layout", layout]
    for lang in LANGS:
        args += ["--lang", lang]
    result = run_cli(*args, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]


# --- following an address, as each server would ----------------------------------------------

class _Redirect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refresh, self.links, self.lang, self.sources = [], [], None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.refresh.append(a["content"])
        if tag == "a":
            self.links.append(a["href"])
        self.sources += [value for name, value in attrs if name in ("src", "srcset", "data", "poster")]


def follow_page(out: Path, address: str) -> str:
    """Where the static redirect page for an address sends the reader (refresh and link agree)."""
    path = urlsplit(address).path[len(urlsplit(WEB_BASE).path):].strip("/")
    page = out / "web" / path / "index.html"
    parser = _Redirect()
    parser.feed(page.read_text(encoding="utf-8"))
    [refresh], [link] = parser.refresh, parser.links
    assert parser.lang and not parser.sources
    assert refresh.startswith("0; url=")
    assert refresh[len("0; url="):] == link
    return link


def apache_map(out: Path) -> list[tuple[re.Pattern, str]]:
    rules = []
    for line in (out / "web" / ".htaccess").read_text(encoding="utf-8").splitlines():
        if line.startswith("RewriteRule"):
            _, pattern, substitution, flags = line.split(" ")
            assert flags == "[R=302,L,NE,QSD]"
            rules.append((re.compile(pattern), re.sub(r"\\([%$])", r"\1", substitution)))
    return rules


def follow_apache(out: Path, address: str) -> str:
    relative = urlsplit(address).path[len(urlsplit(WEB_BASE).path) + 1:]  # .htaccess patterns are relative to web/
    [destination] = [dest for pattern, dest in apache_map(out) if pattern.search(relative)]
    return destination


def nginx_map(out: Path) -> dict[str, str]:
    text = (out / "web" / "nginx-redirects.conf").read_text(encoding="utf-8")
    body = text[text.index("map $uri $family_rights_redirect {") :]
    entries = re.findall(r'^    "([^"]*)" "([^"]*)";$', body, re.M)
    assert body.count(";") == len(entries) + 1  # default + one per entry: nothing else parses as a rule
    return dict(entries)


def netlify_map(out: Path) -> dict[str, str]:
    rules = {}
    for line in (out / "web" / "_redirects").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            source, destination, status = line.split()
            assert status == "302!"
            rules[source] = destination
    return rules


def expected_destination(project, rid: str, lang: str) -> str:
    resource = project.resources[rid]
    return dict(resource.languages).get(lang, resource.url)


# --- with web_base -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def with_base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-base")
    data = data_with(tmp)
    out = tmp / "out"
    documents = build(data, out)
    project, problems = load_project(data, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    return out, documents, project


def test_every_code_decodes_to_a_go_address_that_every_route_leads_to_its_resource(with_base):
    out, documents, project = with_base
    assert {d["layout"] for d in documents} == set(LAYOUTS)
    followed = 0
    apache, nginx, netlify = apache_map(out), nginx_map(out), netlify_map(out)
    for document in documents:
        decoded = decode_qr_codes((out / document["path"]).read_bytes())
        assert decoded and sorted(decoded) == sorted(document["qr"]), document["path"]
        lang = "en" if document["lang"] == "mul" else document["lang"]
        for code in document["qr_codes"]:
            address, destination = code["url"], code["destination"]
            assert address.startswith(f"{WEB_BASE}/{GO}/") and address in decoded
            rid = next(r for r in project.resources if address.endswith(f"/{GO}/{r}") or address.endswith(f"/{GO}/{r}-{lang.lower()}"))
            assert destination == expected_destination(project, rid, lang), (document["path"], address)
            path = urlsplit(address).path
            assert follow_page(out, address) == destination
            assert follow_apache(out, address) == destination
            assert follow_apache(out, address + "/") == destination
            assert nginx[path] == nginx[path + "/"] == destination
            assert netlify[path] == netlify[path + "/"] == destination
            followed += 1
    assert followed >= 2 * len(documents) - 10  # most layouts carry two codes; all were followed
    # one entry per target in every map, and nothing else
    names = [t.name for t in targets(project)]
    assert len(apache) == len(names) and len(nginx) == len(netlify) == 2 * len(names)


def test_a_spanish_page_uses_the_spanish_target(with_base):
    out, documents, project = with_base
    spanish = [d for d in documents if d["lang"] == "es" and d["layout"] in ("handout", "poster", "bilingual")]
    assert spanish
    for document in spanish:
        aclu = [c for c in document["qr_codes"] if "/go/aclu" in c["url"]]
        assert [c["url"] for c in aclu] == [f"{WEB_BASE}/{GO}/aclu-es"]
        assert [c["destination"] for c in aclu] == [SPANISH_ACLU]
    english = [d for d in documents if d["lang"] == "en" and d["layout"] == "handout"]
    assert [c["url"] for c in english[0]["qr_codes"] if "/go/aclu" in c["url"]] == [f"{WEB_BASE}/{GO}/aclu"]


def test_the_printed_address_is_the_encoded_one(with_base):
    from pypdf import PdfReader

    out, documents, _ = with_base
    [handout] = [d for d in documents if d["layout"] == "handout" and d["lang"] == "es"]
    text = "".join(PdfReader(out / handout["path"]).pages[0].extract_text().split())
    for code in handout["qr_codes"]:
        assert code["url"] in text
        assert code["destination"] not in text


def test_the_redirect_page_is_plain_strict_and_loads_nothing(with_base):
    out, _, project = with_base
    for target in targets(project):
        page = (out / "web" / GO / target.name / "index.html").read_text(encoding="utf-8")
        assert "default-src 'none'" in page.replace("&#39;", "'") and "script-src 'none'" in page.replace("&#39;", "'")
        assert '<meta name="referrer" content="no-referrer">' in page
        assert "<script" not in page and "<img" not in page and "<link" not in page
        assert "open this link" in page
        parser = _Redirect()
        parser.feed(page)
        assert parser.links == [target.destination] and parser.lang == "en"
        assert ('hreflang="es"' in page) == (target.lang == "es")


def test_the_language_pages_use_the_district_addresses_too(with_base):
    out, _, _ = with_base
    page = (out / "web" / "es" / "index.html").read_text(encoding="utf-8")
    assert f'href="{WEB_BASE}/{GO}/aclu-es"' in page
    assert f'aria-label="QR code: {WEB_BASE}/{GO}/aclu-es"' in page


def test_removing_web_base_removes_the_redirects(with_base, tmp_path):
    out, _, _ = with_base
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    project, _ = load_project(data_with(tmp_path, web_base=None), ROOT / "layouts", ROOT / "fonts")
    outcome = write_web(copy, project)
    assert not outcome.failed
    assert not (copy / "web" / GO).exists() or not any((copy / "web" / GO).rglob("*.html"))
    assert not any((copy / "web" / name).exists() for name in MAP_FILES)


# --- without web_base --------------------------------------------------------------------------

def test_without_web_base_codes_point_straight_at_the_resources(tmp_path):
    data = data_with(tmp_path, web_base=None)
    out = tmp_path / "out"
    documents = build(data, out)
    project, _ = load_project(data, ROOT / "layouts", ROOT / "fonts")
    for document in documents:
        decoded = decode_qr_codes((out / document["path"]).read_bytes())
        lang = "en" if document["lang"] == "mul" else document["lang"]
        assert sorted(decoded) == sorted(c["url"] for c in document["qr_codes"])
        for code in document["qr_codes"]:
            assert code["url"] == code["destination"]
            assert code["url"] in {expected_destination(project, rid, lang) for rid in project.resources}
    spanish = [d for d in documents if d["lang"] == "es" and d["layout"] == "handout"][0]
    assert SPANISH_ACLU in decode_qr_codes((out / spanish["path"]).read_bytes())  # issue 13: not only English pages
    assert not (out / "web" / GO).exists()
    assert not any((out / "web" / name).exists() for name in MAP_FILES)


def test_without_web_base_or_language_addresses_the_pdfs_are_byte_identical_to_the_plain_data(tmp_path):
    """The new code path, with nothing set, makes exactly the PDFs the fixture data makes."""
    plain_out, copy_out = tmp_path / "plain", tmp_path / "copy"
    data = data_with(tmp_path, web_base=None, spanish=None)  # only the allowed hosts differ
    for source, out in ((FIXTURE_DATA, plain_out), (data, copy_out)):
        result = run_cli("build", "--data", str(source), "--out", str(out), "--layout", "handout", "--layout", "card",
                         "--lang", "es", "--lang", "ar")
        assert result.returncode == 0, result.stderr[-2000:]
    pdfs = sorted(p.relative_to(plain_out) for p in plain_out.rglob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        assert (plain_out / pdf).read_bytes() == (copy_out / pdf).read_bytes(), pdf


# --- bad and hostile values ----------------------------------------------------------------------

HOSTILE_URLS = [
    ('"https://www.aclu.org/x\\nRewriteRule ^(.*)$ https://evil.example.org/ [R=302,L]"', "whitespace or control"),
    ('"https://www.aclu.org/x\\"https://evil.example.org/"', "'\"'"),
    ('"https://www.aclu.org/a b"', "whitespace"),
    ('"javascript:alert(1)"', "https://"),
    ('"https://www.aclu.org/$1"', "'$'"),
    ('"https://www.aclu.org/x;return%20302"', "';'"),
    ('"https://www.aclu.org/x\\\\y"', "misread"),
    ("\"https://www.aclu.org/it's\"", "\"'\""),
    ('"https://www.aclu.org/%{HTTP_HOST}"', "'{'"),
]


@pytest.mark.parametrize("value,why", HOSTILE_URLS)
def test_hostile_urls_are_refused_at_their_line(tmp_path, value, why):
    data = data_with(tmp_path)
    resources = data / "resources.yaml"
    text = resources.read_text(encoding="utf-8")
    resources.write_text(text.replace("url: https://www.aclu.org/know-your-rights/immigrants-rights", f"url: {value}", 1), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", "--web", "--data", str(data), "--out", str(out), "--layout", "handout", "--lang", "en")
    assert result.returncode == 2
    found = [e for e in errors(result) if "resource 'aclu'" in e["message"]]
    assert found and found[0]["path"].endswith("resources.yaml"), result.stderr
    assert int(found[0]["line"]) == line_of(resources, "  - id: aclu") + 1  # the url line
    assert any(why in e["message"] for e in found), (why, found)
    assert not out.exists()


@pytest.mark.parametrize("value", ['"http://es.example.org/x"', '"https://evil.example.org/x"', '"https://es.example.org/a b"',
                                   '"https://es.example.org/$1"'])
def test_hostile_language_addresses_are_refused_at_their_line(tmp_path, value):
    data = data_with(tmp_path)
    resources = data / "resources.yaml"
    resources.write_text(resources.read_text(encoding="utf-8").replace(f"es: {SPANISH_ACLU}", f"es: {value}"), encoding="utf-8")
    result = run_cli("check", "--data", str(data))
    assert result.returncode == 2
    [error] = [e for e in errors(result) if "language 'es'" in e["message"]]
    assert int(error["line"]) == line_of(resources, "      es: ")


def test_a_language_address_for_an_unknown_language_is_refused(tmp_path):
    data = data_with(tmp_path)
    resources = data / "resources.yaml"
    resources.write_text(resources.read_text(encoding="utf-8").replace("      es: ", "      xx: "), encoding="utf-8")
    result = run_cli("check", "--data", str(data))
    assert result.returncode == 2
    [error] = [e for e in errors(result) if "'xx'" in e["message"]]
    assert int(error["line"]) == line_of(resources, "      xx: ") and "data/languages" in error["message"]


@pytest.mark.parametrize("value,why", [
    ("http://family-rights.example.org/", "https://"),
    ("https://not-allowed.example.org/", "allowed_hosts"),
    ("https://family-rights.example.org/x?a=1", "query"),
    ("https://family-rights.example.org/x#top", "query"),
    ("https://family-rights.example.org/a b", "whitespace"),
    ("https://family-rights.example.org/a$1", "path"),
    ("https://family-rights.example.org:8443/", "port"),
])
def test_bad_web_base_is_refused_at_its_line(tmp_path, value, why):
    data = data_with(tmp_path, web_base=None)
    district = data / "district.yaml"
    with district.open("a", encoding="utf-8") as f:
        f.write(f'web_base: "{value}"\n')
    result = run_cli("check", "--data", str(data))
    assert result.returncode == 2
    found = [e for e in errors(result) if "web_base" in e["message"]]
    assert found and found[0]["path"].endswith("district.yaml")
    assert int(found[0]["line"]) == line_of(district, "web_base:")
    assert any(why in e["message"] for e in found), found


@pytest.mark.parametrize("old,new,why", [
    ("  - id: aclu\n", "  - id: ACLU\n", "lowercase"),
    ("  - id: aclu\n", "  - id: aclu/../x\n", "lowercase"),
    ("  - id: idp\n", "  - id: aclu-es\n", "already"),
])
def test_unsafe_or_clashing_target_names_are_refused(tmp_path, old, new, why):
    data = data_with(tmp_path)
    resources = data / "resources.yaml"
    text = resources.read_text(encoding="utf-8")
    assert old in text
    resources.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run_cli("check", "--data", str(data))
    assert result.returncode == 2
    found = [e for e in errors(result) if why in e["message"]]
    assert found and found[0]["path"].endswith("resources.yaml"), result.stderr
    assert int(found[0]["line"]) == line_of(resources, new.strip())


def test_target_names_are_safe_segments():
    assert target_name("aclu") == "aclu" and target_name("aclu", "zh-Hant") == "aclu-zh-hant"
    for bad in ("ACLU", "a_b", "../x", "a b", "", "a--b", "-a"):
        with pytest.raises(ValueError):
            target_name(bad)


@pytest.fixture(scope="module")
def base_project(tmp_path_factory):
    data = data_with(tmp_path_factory.mktemp("hostile"))
    project, problems = load_project(data, ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    return project


def with_destination(project, url: str, lang: str = ""):
    aclu = project.resources["aclu"]
    changed = dataclasses.replace(aclu, languages=(("es", url),)) if lang else dataclasses.replace(aclu, url=url)
    return dataclasses.replace(project, resources={**project.resources, "aclu": changed})


HOSTILE_DESTINATIONS = [
    "https://www.aclu.org/x\nRewriteRule ^(.*)$ https://evil.example.org/ [R=302,L]",
    "https://www.aclu.org/x\r\n/go/idp https://evil.example.org/ 302!",
    'https://www.aclu.org/x" "https://evil.example.org/',
    "https://www.aclu.org/x';return 302 https://evil.example.org;#",
    "https://www.aclu.org/a b",
    "javascript:alert(1)",
    "https://www.aclu.org/$1",
    "https://www.aclu.org/${uri}",
    "https://www.aclu.org/%{HTTP_HOST}",
    "https://www.aclu.org/x\\",
    "https://www.aclu.org/x}\nmap $uri $x {",
    "https://www.aclu.org/:splat",
    "https://www.aclu.org/*",
    "https://www.aclu.org/x#comment",
]


@pytest.mark.parametrize("url", HOSTILE_DESTINATIONS)
@pytest.mark.parametrize("lang", ["", "es"])
def test_the_writer_refuses_hostile_destinations_that_skipped_validation(base_project, url, lang):
    """Defence in depth: a project built in code, around validation, still cannot reach a map."""
    with pytest.raises(RedirectProblem):
        redirect_files(with_destination(base_project, url, lang))


def test_a_hostile_destination_changes_no_file_on_disk(base_project, tmp_path):
    out = tmp_path / "out"
    assert not write_web(out, base_project).failed
    before = {p: p.read_bytes() for p in (out / "web").rglob("*") if p.is_file()}
    outcome = write_web(out, with_destination(base_project, HOSTILE_DESTINATIONS[0]))
    assert outcome.failed and "refusing" in outcome.failed[0]
    after = {p: p.read_bytes() for p in (out / "web").rglob("*") if p.is_file()}
    assert after == before


def test_percent_escapes_and_queries_pass_through_each_map_unchanged(base_project, tmp_path):
    tricky = "https://www.aclu.org/a%20b/%241?x=1&y=(2)+3,4!~@"
    files = redirect_files(with_destination(base_project, tricky))
    out = tmp_path
    for path, text in files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
    address = f"{WEB_BASE}/{GO}/aclu"
    assert follow_page(out, address) == tricky
    assert follow_apache(out, address) == tricky
    assert r"a\%20b/\%241" in files["web/.htaccess"]  # '%' would be a back-reference in a RewriteRule
    assert nginx_map(out)[urlsplit(address).path] == tricky
    assert netlify_map(out)[urlsplit(address).path] == tricky


def test_code_addresses_follow_the_data(base_project):
    assert code_address(base_project, "aclu", "es") == (f"{WEB_BASE}/{GO}/aclu-es", SPANISH_ACLU)
    assert code_address(base_project, "aclu", "ar") == (f"{WEB_BASE}/{GO}/aclu", base_project.resources["aclu"].url)
    plain = dataclasses.replace(base_project, web_base="")
    assert code_address(plain, "aclu", "es") == (SPANISH_ACLU, SPANISH_ACLU)


# --- <qr language="..."> --------------------------------------------------------------------------

LANGUAGE_CODE_LAYOUT = """description: test layout with a code to the family's own language page
template: sheet.xml.j2
papers: [letter]
styles:
  body: {font_size: 11, leading: 14, color: "#000000"}
"""


def layouts_with(tmp: Path, guarded: bool) -> Path:
    layouts = tmp / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    sheet = layouts / "langcode"
    sheet.mkdir()
    (sheet / "layout.yaml").write_text(LANGUAGE_CODE_LAYOUT, encoding="utf-8")
    code = '<qr language="{{ lang.code }}" symbol="25mm"/>'
    if guarded:
        code = "{% if web_base %}" + code + "{% endif %}"
    (sheet / "sheet.xml.j2").write_text(
        '<document title="{{ t.doc_title }}">\n<page margin="0.5in">\n<body>\n<p>{{ t.doc_title }}</p>\n'
        f"{code}\n</body>\n</page>\n</document>\n", encoding="utf-8")
    return layouts


def test_a_language_code_without_web_base_fails_check_at_the_template_line(tmp_path):
    layouts = layouts_with(tmp_path, guarded=False)
    data = data_with(tmp_path, web_base=None)
    result = run_cli("check", "--data", str(data), "--layouts", str(layouts))
    assert result.returncode == 2
    found = [e for e in errors(result) if "web_base" in e["message"]]
    assert found and found[0]["path"].endswith("langcode/sheet.xml.j2") and found[0]["line"] == "5", result.stderr
    assert "set web_base" in found[0]["message"]


def test_a_guarded_language_code_is_left_out_without_web_base_and_decodes_with_it(tmp_path):
    layouts = layouts_with(tmp_path, guarded=True)
    plain = run_cli("build", "--data", str(data_with(tmp_path / "a", web_base=None)), "--layouts", str(layouts),
                    "--layout", "langcode", "--lang", "es", "--out", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr[-2000:]
    [pdf] = (tmp_path / "plain").rglob("es_*.pdf")
    assert decode_qr_codes(pdf.read_bytes()) == []
    out = tmp_path / "based"
    based = run_cli("build", "--web", "--data", str(data_with(tmp_path / "b")), "--layouts", str(layouts),
                    "--layout", "langcode", "--lang", "es", "--lang", "ar", "--out", str(out))
    assert based.returncode == 0, based.stderr[-2000:]
    for code in ("es", "ar"):
        [pdf] = out.rglob(f"langcode/letter/{code}_*.pdf")
        assert decode_qr_codes(pdf.read_bytes()) == [f"{WEB_BASE}/{code}/"]
        assert (out / "web" / code / "index.html").is_file()  # the page the code leads to exists
    documents = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert {c["destination"] for d in documents for c in d["qr_codes"]} == {f"{WEB_BASE}/es/", f"{WEB_BASE}/ar/"}


# --- the redirect page in a browser ---------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False])
def test_the_redirect_page_sends_the_browser_on_and_asks_no_other_host(browser, with_base, javascript):
    """Opened from the file system, the page goes straight to its destination; the only
    request that is not a file of the page is the destination itself (answered here, offline)."""
    out, _, project = with_base
    for target in targets(project):
        context = browser.new_context(java_script_enabled=javascript)
        page = context.new_page()
        requests, console = [], []
        page.on("console", lambda message: console.append(message.text))
        context.route(re.compile(r"^(?!file:).*"), lambda route: (requests.append(route.request.url),
                      route.fulfill(status=200, content_type="text/html", body="<title>arrived</title>")))
        with page.expect_navigation(url=target.destination, timeout=10_000):
            page.goto((out / "web" / GO / target.name / "index.html").as_uri())
        assert page.url == target.destination and page.title() == "arrived"
        assert requests == [target.destination], requests
        assert not [line for line in console if "Content Security Policy" in line]
        context.close()


def test_the_redirect_page_link_works_when_the_refresh_is_blocked(browser, with_base):
    out, _, project = with_base
    target = targets(project)[0]
    context = browser.new_context()
    page = context.new_page()
    requests = []
    context.route(re.compile(r"^(?!file:).*"), lambda route: (requests.append(route.request.url), route.abort()))
    html = (out / "web" / GO / target.name / "index.html").read_text(encoding="utf-8")
    page.set_content(html.replace('<meta http-equiv="refresh"', '<meta data-blocked="refresh"'))  # as a browser that ignores it
    link = page.get_by_role("link", name=target.destination)
    assert link.is_visible() and link.get_attribute("href") == target.destination
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.href") == target.destination  # reached by keyboard
    assert requests == []  # nothing loaded on its own
    context.close()


# --- real servers (optional: Debian's apache2 and nginx, when installed) --------------------------

APACHE_CONF = """ServerName localhost
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
Listen 127.0.0.1:{port}
PidFile {root}/apache.pid
ErrorLog {root}/apache-error.log
User nobody
Group nogroup
DocumentRoot {root}/empty
Alias {prefix} {root}/web
<Directory {root}/web>
  AllowOverride All
  Require all granted
</Directory>
"""
NGINX_CONF = """daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {root}/t1; proxy_temp_path {root}/t2; fastcgi_temp_path {root}/t3;
  uwsgi_temp_path {root}/t4; scgi_temp_path {root}/t5;
  include {root}/web/nginx-redirects.conf;
  server {{
    listen 127.0.0.1:{port};
    if ($family_rights_redirect) {{ return 302 $family_rights_redirect; }}
    location {prefix}/ {{ alias {root}/web/; }}
  }}
}}
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(port: int, path: str) -> tuple[int, str]:
    import http.client
    import time

    for _ in range(50):  # the server may still be starting
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.getheader("Location") or ""
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise AssertionError(f"no server on port {port}")


@pytest.mark.skipif(not (Path("/usr/sbin/apache2").exists() and Path("/usr/sbin/nginx").exists()),
                    reason="Debian's apache2 and nginx are not installed (apt-get install apache2 nginx-light)")
@pytest.mark.parametrize("server", ["apache", "nginx"])
def test_real_servers_answer_every_go_address_with_a_302_to_its_resource(with_base, base_project, server):
    import subprocess
    import tempfile

    out, _, project = with_base
    tricky = "https://www.aclu.org/a%20b/%241?x=1&y=(2)"
    cases = [(project, out / "web"), (with_destination(base_project, tricky), None)]
    prefix = urlsplit(WEB_BASE).path
    for case_project, web in cases:
        root = Path(tempfile.mkdtemp(prefix="h16-server-"))  # readable by the server's own user
        try:
            root.chmod(0o755)
            if web is not None:
                shutil.copytree(web, root / "web")
            else:
                for path, text in redirect_files(case_project).items():
                    (root / path).parent.mkdir(parents=True, exist_ok=True)
                    (root / path).write_text(text, encoding="utf-8")
            (root / "empty").mkdir()
            subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
            port = _free_port()
            if server == "apache":
                (root / "httpd.conf").write_text(APACHE_CONF.format(port=port, root=root, prefix=prefix), encoding="utf-8")
                command = ["/usr/sbin/apache2", "-d", str(root), "-f", str(root / "httpd.conf"), "-X"]
            else:
                (root / "nginx.conf").write_text(NGINX_CONF.format(port=port, root=root, prefix=prefix), encoding="utf-8")
                command = ["/usr/sbin/nginx", "-c", str(root / "nginx.conf"), "-p", str(root)]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for target in targets(case_project):
                    path = f"{prefix}/{GO}/{target.name}"
                    for asked in (path, path + "/", path + "?from=poster"):
                        assert _ask(port, asked) == (302, target.destination), (server, asked)
                assert _ask(port, f"{prefix}/{GO}/nothing")[0] == 404
                assert _ask(port, f"{prefix}/{GO}/aclux")[0] == 404  # no prefix matches
            finally:
                process.terminate()
                process.wait(timeout=10)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_verification_refuses_a_code_whose_address_leads_elsewhere(base_project):
    from types import SimpleNamespace

    from generator.pipeline import redirect_faults

    good = SimpleNamespace(qr_urls=[f"{WEB_BASE}/{GO}/aclu-es", f"{WEB_BASE}/es/"], qr_destinations=[SPANISH_ACLU, f"{WEB_BASE}/es/"])
    assert redirect_faults(base_project, good) == []
    wrong = SimpleNamespace(qr_urls=[f"{WEB_BASE}/{GO}/aclu"], qr_destinations=[SPANISH_ACLU])
    assert redirect_faults(base_project, wrong)
    unknown = SimpleNamespace(qr_urls=[f"{WEB_BASE}/{GO}/nothing"], qr_destinations=[SPANISH_ACLU])
    assert "nowhere" in redirect_faults(base_project, unknown)[0]
    plain = dataclasses.replace(base_project, web_base="")
    assert redirect_faults(plain, SimpleNamespace(qr_urls=[SPANISH_ACLU], qr_destinations=[SPANISH_ACLU])) == []
    assert redirect_faults(plain, SimpleNamespace(qr_urls=[f"{WEB_BASE}/{GO}/aclu"], qr_destinations=[SPANISH_ACLU]))


def test_the_redirect_page_passes_axe(browser, with_base):
    from test_web import AXE, WCAG_TAGS

    assert AXE.is_file(), "axe-core is not installed: run `make axe` (npm ci)"
    out, _, project = with_base
    target = targets(project)[0]
    context = browser.new_context(bypass_csp=True)  # the audit script is refused by the page's policy otherwise
    page = context.new_page()
    context.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
    html = (out / "web" / GO / target.name / "index.html").read_text(encoding="utf-8")
    page.set_content(html.replace('<meta http-equiv="refresh"', '<meta data-blocked="refresh"'))  # stay to be audited
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    context.close()
    assert [v["id"] for v in result["violations"]] == [] and len(result["passes"]) >= 8
