"""Write: manifest entries -> output/index.html, a catalog staff open from the file system.

Documents are grouped by language (endonym and English name), the handout first in each;
a filter box narrows the list as one types ("Dari", "دری", "poster", a school). A parent
view shows every language as a large button, by its own name and its English name; the
parent touches theirs and the staff view comes back showing that language only. No
server, no internet, no external files: the page, its style (with the fonts for language
names, as data: URIs) and its script are one file next to the PDFs. The page carries a
strict Content-Security-Policy (generator/csp.py): only its own script runs.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from .csp import render_protected
from .model import MULTILINGUAL

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Scripts every system has fonts for. A language name in any other script, a district's new
# one included, gets a subset of the font its PDFs use: even Debian's Chromium here has no
# Hangul, Devanagari, Bengali, Myanmar or Ethiopic. Regular weight only (bold is synthesised):
# a CJK face takes 0.45 s to subset, paid once per process when the catalog changes.
SYSTEM_SCRIPTS = ("Latn", "Cyrl")
STATUS_TEXT = {"source": "Original English", "draft": "Draft translation (not yet reviewed)", "reviewed": "Reviewed translation"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["endonym_fonts"] = ""  # code-made @font-face rules; see endonym_fonts()
    env.globals["stamp"] = catalog_stamp()
    env.filters["status_text"] = lambda d: (
        f"Reviewed by {d['reviewed_by']} on {d['reviewed_on']}" if d["translation_status"] == "reviewed" else STATUS_TEXT.get(d["translation_status"], d["translation_status"])
    )
    return env


def language_groups(documents: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for document in documents:
        group = groups.setdefault(document["lang"], {
            "lang": document["lang"], "endonym": document["endonym"], "language": document["language"],
            "direction": document.get("direction", "ltr"), "documents": [], "face": 0,
            # A parent chooses one language; a page in all of them is found by any name instead.
            "one_language": document["lang"] != MULTILINGUAL,
        })
        group["documents"].append(document)
    for group in groups.values():
        # The handout first: it is what a parent at the counter is given. The rest keep their order.
        group["documents"].sort(key=lambda d: d["layout"] != "handout")
    # English first (staff read it), then by English name, as a front office would look them up.
    return sorted(groups.values(), key=lambda g: (g["lang"] != "en", g["language"].lower()))


def endonym_fonts(groups: list[dict], project) -> str:
    """@font-face rules, fonts as data: URIs, for language names in scripts a system may lack a
    font for; sets each such group's "face" (its number). Only numbers and base64 reach this
    CSS: no name from the data."""
    rules = []
    for number, (script, members) in enumerate(sorted(groups_by_font(groups, project).items()), start=1):
        for weight, data in _font_subsets(project, script, "".join(g["endonym"] for g in members)).items():
            rules.append(f'@font-face{{font-family:"Endonym {number}";font-weight:{int(weight)};'
                         f'src:url(data:font/woff2;base64,{base64.b64encode(data).decode("ascii")}) format("woff2")}}')
        rules.append(f'.endonym[data-face="{number}"]{{font-family:"Endonym {number}",system-ui,sans-serif}}')
        for group in members:
            group["face"] = number
    return "".join(rules)


def groups_by_font(groups: list[dict], project) -> dict[str, list[dict]]:
    """The language groups whose names are set in a font of their own, by script."""
    fonts, languages = getattr(project, "fonts", None), getattr(project, "languages", {})
    by_script: dict[str, list[dict]] = {}
    for group in groups:
        language = languages.get(group["lang"])
        script = language.script if language else ""
        if fonts and script in fonts.scripts and script not in SYSTEM_SCRIPTS:
            by_script.setdefault(script, []).append(group)
    return by_script


_SUBSETS: dict[tuple, dict[str, bytes]] = {}


def _font_subsets(project, script: str, text: str) -> dict[str, bytes]:
    """The web edition's subsets, made once per process for the same fonts and characters (the
    catalog is written again after the web edition, with the same names), or made ahead by
    endonym_subsets_ahead."""
    from .web import font_subsets  # (web imports this module)

    key = _subset_key(project, script, text)
    if key not in _SUBSETS:
        _SUBSETS[key] = font_subsets(project, script, text, weights=("400",))
    return _SUBSETS[key]


def _subset_key(project, script: str, text: str) -> tuple:
    """A subset holds the glyphs of a set of characters: the order they come in is no part of it."""
    from .fontmanifest import font_files_for

    files = tuple((str(path), path.stat().st_mtime_ns) for path in font_files_for(project.fonts, script))
    return script, "".join(sorted(set(text))), files


def endonym_subsets_ahead(project, codes: list[str]) -> list[tuple[tuple, dict[str, bytes]]]:
    """The subsets a catalog listing these languages will set their names in, made before the
    catalog is (by a process of their own while the documents are made: a CJK face takes half
    a second), with this process's others; keep_subsets hands them to the process that writes
    the catalog."""
    groups = [{"lang": code, "endonym": project.languages[code].endonym} for code in sorted(set(codes))
              if code in project.languages]
    for script, members in sorted(groups_by_font(groups, project).items()):
        _font_subsets(project, script, "".join(g["endonym"] for g in members))
    return list(_SUBSETS.items())


def keep_subsets(made: list[tuple[tuple, dict[str, bytes]]]) -> None:
    for key, faces in made:
        _SUBSETS.setdefault(key, faces)


@lru_cache(maxsize=1)
def catalog_stamp() -> str:
    """What the catalog is made by (this module, its template, its policy): written into the
    page, so that a page older code wrote is replaced even by a run where no document changed."""
    digest = hashlib.sha256()
    for path in (Path(__file__), TEMPLATE_DIR / "catalog.html.j2", Path(__file__).with_name("csp.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def catalog_current(path: Path) -> bool:
    """The catalog exists and was written by this code."""
    try:
        with path.open("rb") as page:
            head = page.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="Family Rights Handouts catalog {catalog_stamp()}">'.encode() in head


def information_status(project) -> str:
    """What the staff page and the web edition's index say of the information's date: as of
    the oldest verification of any source, as English readers write dates, or that no one
    has checked it yet (a sentence either way, never "as of" without a date)."""
    from .dates import reader_date

    ledger = getattr(project, "ledger", None)
    iso = ledger.information_date(ledger.sources) if ledger else ""
    if iso:
        return f"Information as of {reader_date(iso, 'en')}"
    return "Information not yet checked by the district (see each page's footer)"


def catalog_html(entries: list, project, web: dict[str, str] | None = None) -> str:
    """Manifest entries -> the catalog page. Entries are ManifestEntry; plain dicts in the
    same shape are accepted too (tests build hostile ones by hand). `web`: language code ->
    the relative link of its web page (written by `build --web`)."""
    documents = [entry.as_dict() if hasattr(entry, "as_dict") else dict(entry) for entry in entries]
    groups = language_groups(documents)
    env = _environment()
    env.globals["endonym_fonts"] = Markup(endonym_fonts(groups, project))
    template = env.get_template("catalog.html.j2")
    return render_protected(template, {
        "web": web or {},
        "district": project.district.get("name", ""),
        "information": information_status(project),
        "groups": groups,
        "count": len(documents),
    }, fonts=("data:",) if env.globals["endonym_fonts"] else ())
