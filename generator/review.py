"""Write: the validated project -> a review packet a district signs off (text and PDF); and recorded verifications -> data files.

The packet lists everything a person must check before a semester's printing: every
English claim beside its sources and their verification state, every phone number,
address and web address with what to check, the legal review of the advice, and each
language's translation status and stale strings. Recording a verification edits the YAML
in place (ruamel.yaml's round trip keeps comments and order); the command line writes it
only after the whole project still validates with the change.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from .claims import LEGAL_ROLES, Ledger
from .model import Project
from .schema import ISO_DATE
from .translations import stale_keys
from .write import atomic_write


class ReviewProblem(Exception):
    """A verification that cannot be recorded; says why and what to do."""


# --- the packet ------------------------------------------------------------------------------

def packet_sections(project: Project) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each part of the packet, in plain text."""
    ledger: Ledger = project.ledger
    english = project.languages["en"]
    sections = []

    lines = []
    for sid, source in sorted(ledger.sources.items()):
        state = f"verified {source.verified_on} by {source.verified_by}" if source.verified_on else "NOT VERIFIED"
        where = source.address or "no public address confirmed yet: find one"
        lines.append(f"[{'x' if source.verified_on else ' '}] {sid}: {source.publisher}, \"{source.title}\" ({where}); {state}")
        lines.append(f"      supports: {source.supports}")
    sections.append(("1. Sources (read each; record with `review verify --source ID --by NAME --on DATE`)", lines))

    lines = []
    for key, text in english.strings.items():
        ids = ledger.strings.get(key, ())
        if not ids:
            continue
        states = ", ".join(f"{sid} ({ledger.sources[sid].verified_on or 'not verified'})" for sid in ids)
        advice = " [LEGAL ADVICE]" if key in ledger.advice else ""
        lines.append(f"{key}{advice}: \"{text}\"")
        lines.append(f"      sources: {states}")
    no_claim = sorted(key for key in english.strings if ledger.strings.get(key) == ())
    lines.append(f"Marked no-claim (headings, labels, instructions): {', '.join(no_claim)}")
    sections.append(("2. Every English claim and its sources", lines))

    lines = [f"District: {project.district.get('name', '')}; Welcome Center phone {project.district.get('welcome_center', {}).get('phone', '')}: "
             "call it and check that it is answered as the Welcome Center."]
    for office in project.organisations.get("complaint_offices", []):
        lines.append(f"{office.get('name')}: phone {office.get('phone')}, TDD {office.get('tdd') or '-'}, language help "
                     f"{office.get('language_help') or '-'}, e-mail {office.get('email') or '-'}, web {office.get('web') or '-'}: "
                     "check each number and address on the office's own site.")
    for service in project.organisations.get("legal_services", []):
        detail = f" ({service.get('detail')})" if service.get("detail") else ""
        lines.append(f"{service.get('name')}{detail}: check that it still gives free or low-cost immigration legal help.")
    for rid, resource in sorted(project.resources.items()):
        state = f"opened {resource.verified_on}" if resource.verified_on else "NOT OPENED BY A PERSON"
        lines.append(f"QR code '{rid}': {resource.url}: open it on a phone; check it is {resource.title}; {state}.")
        for code, url in resource.languages:
            lines.append(f"QR code '{rid}' on pages in '{code}': {url}: open it on a phone; check it is {resource.title} "
                         f"for readers of that language; {state}.")
    if project.web_base:
        lines.append(f"The codes encode the district's own addresses ({project.web_base}/go/...): after publishing the web "
                     "edition, scan one code of each kind and check that it arrives at the page named above.")
    for school in project.schools.values():
        if school.name != project.district.get("name"):
            lines.append(f"School {school.name}: address {school.address or '-'}, phone {school.phone or '-'}: check both.")
    sections.append(("3. Phone numbers, addresses and web addresses", lines))

    review = ledger.legal_review
    state = (f"reviewed {review.reviewed_on} by {review.reviewed_by} ({review.role})" if review.done
             else "NOT REVIEWED: the advice is a draft, in English too")
    lines = [f"Legal review of the advice: {state}.",
             f"Needs an {' or '.join(LEGAL_ROLES)}; record with `review legal --by NAME --on DATE --role ROLE`.",
             f"Advice strings: {', '.join(ledger.advice)}"]
    sections.append(("4. Legal review", lines))

    lines = []
    for code, language in sorted(project.languages.items()):
        if code == "en":
            continue
        stale = stale_keys(language, english)
        status = f"reviewed {language.reviewed_on} by {language.reviewed_by}" if language.status == "reviewed" else language.status
        lines.append(f"{code} {language.name_en} ({language.endonym}): {status}; "
                     + (f"stale strings: {', '.join(stale)}" if stale else "no stale strings"))
    sections.append(("5. Translations", lines))
    return sections


def packet_text(project: Project, today: date) -> str:
    out = [f"Review packet: {project.district.get('name', '')}, made {today.isoformat()}",
           "Sign off each part before `build --all --strict`. A box [x] is verified.", ""]
    for heading, lines in packet_sections(project):
        out += [heading, "-" * len(heading), *lines, ""]
    out += ["Signed (name, role, date): ______________________________________", ""]
    return "\n".join(out)


def packet_pdf(project: Project, today: date) -> bytes:
    """The same packet as a PDF to print and sign. Every value is escaped before ReportLab's
    paragraph parser sees it."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from .fonts import register_family

    regular, bold = register_family("noto-sans", project.fonts.build_dir)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=8)
    story = [Paragraph(escape(f"Review packet: {project.district.get('name', '')}"), title),
             Paragraph(escape(f"Made {today.isoformat()}. Sign off each part before the official run (build --all --strict)."), body)]
    for heading, lines in packet_sections(project):
        story.append(Paragraph(escape(heading), head))
        story += [Paragraph(escape(line), body) for line in lines]
    story += [Spacer(1, 24), Paragraph("Signed (name, role, date): ____________________________________________", body)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=letter, invariant=1, title="Review packet", lang="en",
                      initialFontName=regular).build(story)
    return buffer.getvalue()


def write_packet(project: Project, out_dir: Path, today: date | None = None) -> list[Path]:
    today = today or date.today()
    text_path, pdf_path = out_dir / "review-packet.txt", out_dir / "review-packet.pdf"
    atomic_write(text_path, packet_text(project, today).encode("utf-8"))
    atomic_write(pdf_path, packet_pdf(project, today))
    return [text_path, pdf_path]


# --- recording a verification -------------------------------------------------------------------

def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the data files' own style: "  - id: ..."
    return yaml


def check_date(on: str) -> None:
    if not ISO_DATE.match(on):
        raise ReviewProblem(f"--on must be a date written YYYY-MM-DD, not '{on}'")
    if date.fromisoformat(on) > date.today():
        raise ReviewProblem(f"--on {on} is in the future; record the day the check was made")


def verified_source_text(path: Path, source_id: str, by: str, on: str) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    for entry in data.get("sources", []):
        if entry.get("id") == source_id:
            entry["verified_on"], entry["verified_by"] = Q(on), Q(by)
            break
    else:
        known = ", ".join(str(e.get("id")) for e in data.get("sources", []))
        raise ReviewProblem(f"no source '{source_id}' in {path.name}; known: {known}")
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def verified_resource_text(path: Path, resource_id: str, on: str) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    for entry in data.get("resources", []):
        if entry.get("id") == resource_id:
            entry["verified_on"] = Q(on)
            break
    else:
        raise ReviewProblem(f"no resource '{resource_id}' in {path.name}")
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def legal_review_text(path: Path, by: str, on: str, role: str) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

    if role not in LEGAL_ROLES:
        raise ReviewProblem(f"--role must be one of: {', '.join(LEGAL_ROLES)} (a qualified reviewer of legal advice)")
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["legal_review"]["reviewed_by"], data["legal_review"]["reviewed_on"], data["legal_review"]["role"] = Q(by), Q(on), Q(role)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
