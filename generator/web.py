"""Write: layout XML of the handout -> accessible HTML pages, one per language (OUT/web/).

The pages carry no text of their own making: the handout layout's template is rendered with
the same strings and data as the PDF, and its block tree (h1/h2/h3, p, list/item, columns,
box, qr, lang) is mapped to semantic HTML. The mapping produces plain values (dicts and
strings); the page shell (generator/templates/web_page.html.j2) turns them into HTML with
Jinja2 autoescape, so a data value is always text, never markup.

What is written:
  web/index.html                  the language chooser (a plain list of links; a filter box
                                  is added by a small script, the list works without it)
  web/<code>/index.html           each language, with the district's contact
  web/<school>/<code>/index.html  each language again for a school whose contact differs
  web/fonts/<code>-*.woff2        subsets of the prepared fonts for scripts phones often lack

Every page is self-contained: one inline style sheet, at most one inline script, fonts from
the same folder tree, a Content-Security-Policy that allows nothing else, and no request
to any other host.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from . import blocktree as bt
from .blocktree import LayoutProblem, parse_tree
from .model import Language, Project, School
from .addresses import GO, code_address, language_page, targets
from .csp import UnsafePage
from .qr import qr_matrix
from .redirects import MAP_FILES, RedirectProblem, redirect_files
from .rtl import BRACKETS, _ltr_spans
from .catalog import information_status
from .template import TemplateProblem, render_template
from .write import atomic_write, inside, output_lock, read_manifest, remove_output

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
WEB_DIR = "web"
WEB_LAYOUT = "handout"  # the layout whose content the web edition carries
WEB_PAPER_FALLBACK = "letter"  # the template needs a paper; the web page ignores sizes
# Scripts that phones often lack a font for: their pages ship a subset of the prepared font.
# (Arabic, Devanagari, Bengali, CJK and Cyrillic are present on current phones.)
WEB_FONT_SCRIPTS = ("Mymr", "Ethi")
LAYOUT_ORDER = ("handout", "bilingual", "half-sheet", "card", "poster")

# A North American phone number as the data writes them ("860-695-8400", "(860) 695-8400").
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")


class WebProblem(Exception):
    """The web edition cannot be made; says which page and why."""


@dataclass
class WebOutcome:
    written: list[str] = field(default_factory=list)  # paths under OUT that changed
    pages: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


# --- layout XML -> plain block values -------------------------------------------------------

def inline(runs: bt.Runs, rtl: bool) -> list[dict]:
    """An element's text as pieces: text, bold, and tel:/mailto: links where the text has a
    phone number or an e-mail address. Links carry dir=ltr so that right-to-left context
    cannot reorder the digits; in right-to-left text, stretches without right-to-left
    letters (a date, "Plyler v. Doe (1982)") are isolated left to right, as in the PDF,
    or Arabic context would print 2026-11-28 as 28-11-2026."""
    pieces: list[dict] = []
    for text, bold in runs:
        for part in _split_contacts(text):
            for piece in (_split_ltr(part) if rtl and "href" not in part else [part]):
                piece["bold"] = bold
                pieces.append(piece)
    return pieces


def _split_ltr(part: dict) -> list[dict]:
    text, pieces, at = part["text"], [], 0
    for first, last in _ltr_spans(text):
        # A bracketed name, "(Immigrant Defense Project)", goes left to right with its
        # brackets, or a line break inside it would mirror them apart.
        while first > at and last + 1 < len(text) and text[first - 1] in BRACKETS and text[last + 1] == BRACKETS[text[first - 1]]:
            first, last = first - 1, last + 1
        if first > at:
            pieces.append({"text": text[at:first]})
        pieces.append({"text": text[first:last + 1], "dir": "ltr"})
        at = last + 1
    if at < len(text):
        pieces.append({"text": text[at:]})
    return pieces


def _split_contacts(text: str) -> list[dict]:
    found = sorted([(m.start(), m.end(), "tel") for m in _PHONE.finditer(text)]
                   + [(m.start(), m.end(), "mailto") for m in _EMAIL.finditer(text)])
    parts, at = [], 0
    for start, end, kind in found:
        if start < at:
            continue  # overlapping matches: the first wins
        if start > at:
            parts.append({"text": text[at:start]})
        value = text[start:end]
        href = "tel:+1" + re.sub(r"\D", "", value)[-10:] if kind == "tel" else "mailto:" + value
        parts.append({"text": value, "href": href, "dir": "ltr"})
        at = end
    if at < len(text):
        parts.append({"text": text[at:]})
    return parts


@dataclass
class Converter:
    """Maps the layout vocabulary to web blocks. Decorative blocks (spacer, rule, image)
    are dropped; a QR code becomes a visible link unless the page already prints its URL."""

    project: Project
    printed_urls: set[str]
    rtl: bool
    lang: str = "en"  # whose addresses the codes use (with web_base, the district's own go/ addresses)

    def blocks(self, blocks: tuple[bt.Block, ...]) -> list[dict]:
        out = []
        for block in blocks:
            converted = self.block(block)
            if converted is not None:
                out.append(converted)
        return out

    def block(self, block: bt.Block) -> dict | None:
        if isinstance(block, bt.Text):
            pieces = inline(block.runs, self.rtl)
            style = "" if block.style == bt.TEXT_TAGS[block.tag] else block.style
            if not pieces:
                return None
            if block.wrap_url:
                return self.url_block("".join(p["text"] for p in pieces), style)
            if block.tag == "p":
                return {"kind": "p", "style": style, "inline": pieces}
            return {"kind": "heading", "level": int(block.tag[1]), "style": style, "inline": pieces}
        if isinstance(block, bt.ListBlock):
            items = [inline(runs, self.rtl) for runs in block.items]
            items = [item for item in items if item]
            return {"kind": "list", "style": block.style, "entries": items} if items else None
        if isinstance(block, bt.Columns):
            columns = [{"kind": "group", "tag": "column", "style": "", "children": self.blocks(column)} for column in block.columns]
            columns = [column for column in columns if column["children"]]
            return {"kind": "group", "tag": "columns", "style": "", "children": columns} if columns else None
        if isinstance(block, bt.Box):
            children = self.blocks(block.children)
            return {"kind": "group", "tag": "box", "style": block.style, "children": children} if children else None
        if isinstance(block, bt.Lang):
            language = self.project.languages.get(block.code)
            if language is None:
                raise LayoutProblem(f"<lang code=\"{block.code}\"> names a language that data/languages does not have")
            inner = Converter(self.project, self.printed_urls, language.direction == "rtl", language.code)
            children = inner.blocks(block.children)
            return {"kind": "lang", "code": language.code, "dir": language.direction, "children": children} if children else None
        if isinstance(block, bt.QR):
            if block.language:
                if not self.project.web_base or block.language not in self.project.languages:
                    raise LayoutProblem(f"{block.describe()} needs web_base in data/district.yaml and a language of data/languages")
                url = language_page(self.project, block.language)
            elif block.resource in self.project.resources:
                url = code_address(self.project, block.resource, self.lang)[0]  # as on the printed page
            else:
                raise LayoutProblem(f"<qr> names resource '{block.resource}', which data/resources.yaml does not define")
            # The code itself, for a reader at a computer to scan with a phone; and the
            # address as a visible link unless the page prints it already.
            return {"kind": "qr", "href": url, "path": qr_path(url), "modules": len(qr_matrix(url)), "link": url not in self.printed_urls}
        return None  # spacers, rules and images are decoration on paper

    def url_block(self, url: str, style: str) -> dict:
        # Only addresses of data/resources.yaml (https, allowed hosts, checked on load) and
        # the district's own go/ addresses for them become links; any other text stays text.
        known = {r.url for r in self.project.resources.values()} | {url for r in self.project.resources.values() for _, url in r.languages}
        if self.project.web_base:
            known |= {f"{self.project.web_base}/{GO}/{t.name}" for t in targets(self.project)}
        if url in known:
            return {"kind": "link", "href": url, "text": url, "style": style}
        return {"kind": "p", "style": style, "inline": [{"text": url, "dir": "ltr"}]}


def qr_path(url: str) -> str:
    """SVG path data of the code's dark modules (numbers only, from the QR matrix)."""
    return "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(qr_matrix(url)) for x, dark in enumerate(row) if dark)


def page_content(project: Project, language: Language, school: School) -> dict:
    """The handout's content for one language and school, as web blocks per region."""
    layout = project.layouts[WEB_LAYOUT]
    paper = layout.papers[0] if layout.papers else WEB_PAPER_FALLBACK
    tree = parse_tree(render_template(project, layout, language, paper, "normal", school), layout.template_name)
    printed = set()

    def collect(blocks):
        for block in blocks:
            if isinstance(block, bt.Text) and block.wrap_url:
                printed.add("".join(text for text, _ in block.runs).strip())
            for child in getattr(block, "children", ()) or ():
                collect((child,))
            for column in (block.columns if isinstance(block, bt.Columns) else ()):
                collect(column)

    for page in tree.pages:
        for _, blocks in page.regions:
            collect(blocks)
    converter = Converter(project, printed, language.direction == "rtl", language.code)
    regions: dict[str, list[dict]] = {"header": [], "body": [], "footer": []}
    for page in tree.pages:
        for name, blocks in page.regions:
            regions[name] += converter.blocks(blocks)
    return {"title": tree.title, **regions}


def block_text(blocks: list[dict]) -> str:
    """Every character the blocks show, for font subsets."""
    out = []
    for block in blocks:
        out += [p["text"] for p in block.get("inline", [])]
        out += [p["text"] for item in block.get("entries", []) for p in item]
        out.append(block.get("text", ""))
        out.append(block_text(block.get("children", [])))
    return "".join(out)


# --- schools, documents, fonts ----------------------------------------------------------------

def district_school(project: Project) -> School:
    """The district as the page's contact: the template prints no school line for it."""
    district = project.district
    return School(id="", name=district.get("name", ""), address="", phone=(district.get("welcome_center") or {}).get("phone", ""), logo="")


def contact_differs(school: School, project: Project) -> bool:
    district = district_school(project)
    return (school.name, school.address, school.phone, school.logo) != (district.name, district.address, district.phone, district.logo)


def documents_for(entries: list[dict], code: str, schools: list[str]) -> list[dict]:
    """The printable PDFs of one language, from the manifest, for the first of `schools`
    that has any (the district's page uses a school whose contact is the district's)."""
    for school in schools:
        found = [e for e in entries if e.get("lang") == code and e.get("school") == school]
        if found:
            order = {name: i for i, name in enumerate(LAYOUT_ORDER)}
            return sorted(found, key=lambda e: (order.get(e["layout"], len(order)), e["layout"], e["paper"], e.get("variant", "")))
    return []


def document_links(documents: list[dict], depth: int) -> list[dict]:
    up = "../" * depth
    return [{
        "href": up + quote(d["path"]),
        "layout": d["layout"].replace("-", " ").capitalize(),
        "paper": d["paper"].upper() if d["paper"] in ("a4", "a3") else d["paper"].capitalize(),
        "variant": d.get("variant", ""),
        "size_kb": max(1, round(d.get("bytes", 0) / 1024)),
    } for d in documents]


def web_font(project: Project, language: Language, text: str) -> dict | None:
    """A WOFF2 subset of the language's prepared fonts (regular, bold) for the characters
    its pages show, or None for scripts phones have fonts for."""
    if language.script not in WEB_FONT_SCRIPTS:
        return None
    return {"family": f"Handout {language.script}", "faces": font_subsets(project, language.script, text)}


def font_subsets(project: Project, script: str, text: str, weights: tuple[str, ...] = ("400", "700")) -> dict[str, bytes]:
    """WOFF2 subsets of the script's prepared fonts (regular "400", bold "700", those asked)
    holding the glyphs `text` needs, with every layout feature so that shaping still works."""
    from fontTools import subset

    from .fontmanifest import font_files_for

    faces = {}
    for weight, path in zip(("400", "700"), font_files_for(project.fonts, script)):
        if weight not in weights:
            continue
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]  # shaping (Myanmar medials and reordering) needs them all
        options.hinting = False
        options.name_IDs = ["*"]  # keep copyright and licence names (SIL OFL)
        options.notdef_outline = True
        font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text + " ")
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
        faces[weight] = buffer.getvalue()
    return faces


# --- HTML ------------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(styles: list[str] = (), scripts: list[str] = (), fonts: bool = False) -> str:
    """The page's policy: nothing may load except the inline styles and scripts given
    (allowed by their sha256, so an injected one cannot run) and, if asked, fonts from the
    page's own origin. Shared in spirit with the catalog's; one function to merge later."""
    directives = ["default-src 'none'", "base-uri 'none'", "form-action 'none'"]
    if styles:
        directives.append("style-src " + " ".join(csp_hash(s) for s in styles))
    if scripts:
        directives.append("script-src " + " ".join(csp_hash(s) for s in scripts))
    if fonts:
        directives.append("font-src 'self'")
    return "; ".join(directives)


def _read_asset(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def font_css(font: dict | None, depth: int, code: str) -> str:
    """@font-face rules for a shipped subset. Only code-made names reach this CSS."""
    if not font:
        return ""
    up = "../" * (depth - 1)  # from web/<code>/ or web/<school>/<code>/ up to web/
    rules = [f"@font-face{{font-family:\"{font['family']}\";font-weight:{weight};font-display:swap;"
             f"src:url(\"{up}fonts/{code}-{weight}.woff2\") format(\"woff2\")}}" for weight in font["faces"]]
    rules.append(f"body{{font-family:\"{font['family']}\",system-ui,sans-serif}}")
    return "".join(rules)


def render_page(env: jinja2.Environment, project: Project, language: Language, content: dict, documents: list[dict],
                depth: int, school: School | None, font: dict | None) -> str:
    style = _read_asset("web.css") + font_css(font, depth, language.code)
    return env.get_template("web_page.html.j2").render(
        lang=language, content=content, documents=document_links(documents, depth), school=school,
        chooser="../" * (depth - 1) + "index.html", district=project.district.get("name", ""),
        style=Markup(style), csp=content_security_policy([style], fonts=bool(font)),
    )


def ordered_languages(project: Project) -> list[Language]:
    # English first (district staff read it), then by English name, as in the catalog.
    return sorted(project.languages.values(), key=lambda l: (l.code != "en", l.name_en.lower()))


def index_font_css(fonted: list[str]) -> str:
    """The chooser shows every endonym: it borrows each shipped subset (which holds the
    language's own name) for that language's entry. Codes are validated language codes."""
    return "".join(f"@font-face{{font-family:\"Handout {code}\";font-display:swap;src:url(\"fonts/{code}-400.woff2\") format(\"woff2\")}}"
                   f".endonym[lang=\"{code}\"]{{font-family:\"Handout {code}\",system-ui,sans-serif}}" for code in fonted)


def render_index(env: jinja2.Environment, project: Project, schools: list[School], fonted: list[str]) -> str:
    style, script = _read_asset("web.css") + index_font_css(fonted), _read_asset("web_chooser.js")
    return env.get_template("web_index.html.j2").render(
        languages=ordered_languages(project), schools=schools, district=project.district.get("name", ""),
        title=project.languages["en"].strings["doc_title"],  # the English handout's own title
        information=information_status(project),
        style=Markup(style), script=Markup(script), csp=content_security_policy([style], [script], fonts=bool(fonted)),
    )


# --- write -----------------------------------------------------------------------------------

def web_files(project: Project, entries: list[dict]) -> dict[str, bytes]:
    """Every file of the web edition: path under OUT -> bytes."""
    env = _environment()
    files: dict[str, bytes] = {}
    district_like = sorted(s.id for s in project.schools.values() if not contact_differs(s, project))
    own_pages = [s for _, s in sorted(project.schools.items()) if contact_differs(s, project)]
    for language in ordered_languages(project):
        pages = [(district_school(project), None, f"{WEB_DIR}/{language.code}/index.html", district_like)]
        pages += [(s, s, f"{WEB_DIR}/{s.id}/{language.code}/index.html", [s.id]) for s in own_pages]
        contents = []
        for contact, school, path, school_ids in pages:
            try:
                contents.append(page_content(project, language, contact))
            except (TemplateProblem, LayoutProblem) as exc:
                raise WebProblem(f"{path}: {exc}") from None
        text = "".join(block_text(c["header"] + c["body"] + c["footer"]) + c["title"] for c in contents)
        font = web_font(project, language, text)
        if font:
            for weight, data in font["faces"].items():
                files[f"{WEB_DIR}/fonts/{language.code}-{weight}.woff2"] = data
        for (contact, school, path, school_ids), content in zip(pages, contents):
            depth = path.count("/")
            documents = documents_for(entries, language.code, school_ids)
            files[path] = render_page(env, project, language, content, documents, depth, school, font).encode("utf-8")
    fonted = sorted(name.split("/")[-1].rsplit("-", 1)[0] for name in files if name.endswith("-400.woff2"))
    files[f"{WEB_DIR}/index.html"] = render_index(env, project, own_pages, fonted).encode("utf-8")
    try:  # with web_base: web/go/<target>/index.html and the server redirect maps
        files.update({path: text.encode("utf-8") for path, text in redirect_files(project).items()})
    except (RedirectProblem, UnsafePage) as exc:
        raise WebProblem(f"{WEB_DIR}/{GO}/: {exc}") from None
    return files


def write_web(out: Path, project: Project) -> WebOutcome:
    """Write the web edition into OUT/web/ under the output lock. Unchanged files are not
    rewritten; files of pages no longer made (a school removed) are deleted."""
    outcome = WebOutcome()
    try:
        with output_lock(out):
            files = web_files(project, [entry.as_dict() for entry in read_manifest(out)])
            for relative, data in files.items():
                target = inside(out, relative)
                if not target.is_file() or target.read_bytes() != data:
                    atomic_write(target, data)
                    outcome.written.append(relative)
            outcome.pages = sum(1 for name in files if name.endswith(".html"))
            web = out / WEB_DIR
            for path in sorted(web.rglob("*")):
                relative = path.relative_to(out).as_posix()
                if path.is_file() and (path.suffix in (".html", ".woff2") or path.name in MAP_FILES) and relative not in files:
                    remove_output(out, relative)
                    outcome.removed.append(relative)
            if outcome.written or outcome.removed:
                refresh_catalog(out, project)
    except WebProblem as exc:
        outcome.failed.append(str(exc))
    return outcome


def refresh_catalog(out: Path, project: Project) -> None:
    """The catalog links each language's web page; rewrite it now that the pages exist."""
    from .write import write_catalog

    if (out / "index.html").exists():
        write_catalog(out, read_manifest(out), project)


def build_web(options, project: Project) -> WebOutcome:
    """The command line's one call, after the PDFs: the pages from the same validated
    project the build used (read once, never again)."""
    if WEB_LAYOUT not in project.layouts:
        return WebOutcome(failed=[f"the web edition needs the '{WEB_LAYOUT}' layout in {options.layouts_dir}"])
    return write_web(options.out, project)
