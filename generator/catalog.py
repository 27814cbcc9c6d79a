"""Write: manifest entries -> output/index.html, a catalog staff open from the file system.

Documents are grouped by language (endonym and English name); a filter box narrows the
list as one types ("Dari", "دری", "poster", a school). No server, no internet, no
external files: the page, its style and its script are one file next to the PDFs. The page
carries a strict Content-Security-Policy (generator/csp.py): only its own script runs.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from .csp import render_protected

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATUS_TEXT = {"source": "Original English", "draft": "Draft translation (not yet reviewed)", "reviewed": "Reviewed translation"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["status_text"] = lambda d: (
        f"Reviewed by {d['reviewed_by']} on {d['reviewed_on']}" if d["translation_status"] == "reviewed" else STATUS_TEXT.get(d["translation_status"], d["translation_status"])
    )
    return env


def language_groups(documents: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for document in documents:
        group = groups.setdefault(document["lang"], {
            "lang": document["lang"], "endonym": document["endonym"], "language": document["language"],
            "direction": document.get("direction", "ltr"), "documents": [],
        })
        group["documents"].append(document)
    # English first (staff read it), then by English name, as a front office would look them up.
    return sorted(groups.values(), key=lambda g: (g["lang"] != "en", g["language"].lower()))


def catalog_date(project) -> str:
    """What the staff page says about the information's date: the oldest verification of
    any source, as English readers write dates, or that no one has checked yet."""
    from .dates import reader_date

    ledger = getattr(project, "ledger", None)
    iso = ledger.information_date(ledger.sources) if ledger else ""
    return reader_date(iso, "en") if iso else "not yet checked by the district (see each page's footer)"


def catalog_html(entries: list, project, web: dict[str, str] | None = None) -> str:
    """Manifest entries -> the catalog page. Entries are ManifestEntry; plain dicts in the
    same shape are accepted too (tests build hostile ones by hand). `web`: language code ->
    the relative link of its web page (written by `build --web`)."""
    documents = [entry.as_dict() if hasattr(entry, "as_dict") else dict(entry) for entry in entries]
    template = _environment().get_template("catalog.html.j2")
    return render_protected(template, {
        "web": web or {},
        "district": project.district.get("name", ""),
        "as_of": catalog_date(project),
        "groups": language_groups(documents),
        "count": len(documents),
    })
