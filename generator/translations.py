"""Translation workflow: language files <-> gettext PO, CSV and XLIFF (xliff.py) for
translators, and the source hash that tells, for each translated string, which English
text it was made from.

A translation is *stale* when the English string changed after it was translated: its
recorded hash no longer matches the hash of the current English text. Export marks stale
strings (PO: `fuzzy`; CSV: `stale = yes`); a translator updates the text and clears the
mark; import records the hash of the English text the translator confirmed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polib

from .model import Language
from .spreadsheet import csv_text, read_csv

HASH_LENGTH = 10
HASH_PATTERN = re.compile(f"[0-9a-f]{{{HASH_LENGTH}}}")
CSV_COLUMNS = ["key", "english", "translation", "stale", "source_hash"]


def source_hash(english: str) -> str:
    return hashlib.sha256(english.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def stale_keys(language: Language, source: Language) -> list[str]:
    """Keys whose translation was made from an English text that has since changed."""
    return [
        key
        for key, english in source.strings.items()
        if key in language.strings and language.sources.get(key) != source_hash(english)
    ]


@dataclass
class Imported:
    strings: dict[str, str]
    sources: dict[str, str]


class ImportProblem(ValueError):
    """A translator's file that cannot be read, with the line and column to look at."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.line, self.col = line, col


def last_translator(language: Language) -> str:
    """Who last changed the text, as far as the language file says."""
    return language.reviewed_by or language.translated_by or "Family Rights Handouts (translator not recorded)"


def revision_date(language: Language) -> datetime:
    """When the language file last changed: the PO-Revision-Date a translation tool shows."""
    try:
        return datetime.fromtimestamp(Path(language.path).stat().st_mtime, tz=timezone.utc).replace(second=0, microsecond=0)
    except OSError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- gettext PO -----------------------------------------------------------------------------

def export_po(language: Language, source: Language) -> str:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "family-rights-handouts",
        "PO-Revision-Date": revision_date(language).strftime("%Y-%m-%d %H:%M+0000"),
        "Last-Translator": last_translator(language),
        "Language-Team": language.name_en,
        "Language": language.code,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    stale = set(stale_keys(language, source))
    for key, english in source.strings.items():
        entry = polib.POEntry(msgctxt=key, msgid=_po_text(key, english), msgstr=_po_text(key, language.strings.get(key, "")))
        recorded = language.sources.get(key, "")
        entry.comment = f"source-hash: {recorded}" if recorded else ""
        if key in stale:
            entry.flags.append("fuzzy")
        po.append(entry)
    return str(po)


# polib escapes quotes, backslashes, \n, \r, \t, \v and \f, but writes these raw, and its
# reader then takes them for line ends and drops text. Validated data never holds them
# (schema.hidden_character_problems); refusing them here keeps a bad caller from losing text.
_PO_LINE_BREAKS = set("\x1c\x1d\x1e\x85\u2028\u2029")


def _po_text(key: str, text: str) -> str:
    if _PO_LINE_BREAKS & set(text):
        raise ValueError(f"'{key}' contains a line-separator character a PO file cannot keep; remove it")
    return text


def import_po(text: str) -> tuple[str, Imported]:
    try:
        po = polib.pofile(text)
    except (OSError, ValueError) as exc:  # polib says what it could not read
        raise ImportProblem(f"not a readable PO file ({exc})") from None
    strings, sources = {}, {}
    for entry in po:
        if not entry.msgctxt or not entry.msgstr:
            continue  # untranslated: keep whatever the language file has
        strings[entry.msgctxt] = entry.msgstr
        recorded = _recorded_hash(entry.comment)
        # A fuzzy entry is still the old translation: keep the hash it was made from.
        sources[entry.msgctxt] = recorded if "fuzzy" in entry.flags and recorded else source_hash(entry.msgid)
    return po.metadata.get("Language", ""), Imported(strings, sources)


def _recorded_hash(comment: str) -> str:
    for line in (comment or "").splitlines():
        if line.startswith("source-hash:"):
            return line.split(":", 1)[1].strip()
    return ""


# --- CSV (spreadsheets) ---------------------------------------------------------------------

def export_csv(language: Language, source: Language) -> str:
    """Every cell goes through spreadsheet.neutralise_cell: a translation or English text
    that starts with `=`, `+`, `-`, `@` (...) opens as text, never as a formula."""
    stale = set(stale_keys(language, source))
    rows = [CSV_COLUMNS]
    for key, english in source.strings.items():
        rows.append([key, english, language.strings.get(key, ""), "yes" if key in stale else "no", language.sources.get(key, "")])
    return csv_text(rows)


def import_csv(text: str) -> Imported:
    """Reverses export_csv exactly; cells are text, whatever they start with."""
    header, rows = read_csv(text)
    if header != CSV_COLUMNS:
        raise ValueError(f"the CSV must have the columns {', '.join(CSV_COLUMNS)}")
    strings, sources = {}, {}
    for row in rows:
        if not row["translation"]:
            continue
        strings[row["key"]] = row["translation"]
        stale = row["stale"].strip().lower() in ("yes", "y", "true", "1")
        sources[row["key"]] = _checked_hash(row["source_hash"]) if stale and row["source_hash"] else source_hash(row["english"])
    return Imported(strings, sources)


def _checked_hash(recorded: str) -> str:
    # A recorded hash is copied into the language file: it must be one, not text.
    if not HASH_PATTERN.fullmatch(recorded):
        raise ValueError(f"source_hash {recorded[:40]!r} is not a source hash ({HASH_LENGTH} hex digits); leave it as exported")
    return recorded


# --- writing language files -----------------------------------------------------------------

def _quoted(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar; non-ASCII stays readable.
    return json.dumps(value, ensure_ascii=False)


def render_language_file(language: Language, source: Language, header: str) -> str:
    """The canonical text of a language file: header comment, fields, strings, sources."""
    lines = [header.rstrip("\n")] if header.strip() else []
    lines += [
        f"code: {language.code}",
        f"name_en: {_quoted(language.name_en)}",
        f"endonym: {_quoted(language.endonym)}",
        f"script: {language.script}",
        f"direction: {language.direction}",
    ]
    if language.date_locale and language.date_locale != language.code:  # set by hand where CLDR lacks the code
        lines += [f"# CLDR has no date format for \"{language.code}\"; dates are written as in {language.date_locale}.",
                  f"date_locale: {language.date_locale}"]
    lines += [
        "translation:",
        f"  status: {language.status}",
    ]
    if language.status != "source":
        lines += [
            f"  translated_by: {_quoted(language.translated_by)}",
            f"  reviewed_by: {_quoted(language.reviewed_by)}",
            f"  reviewed_on: {_quoted(language.reviewed_on)}",
        ]
    lines += ["", "strings:"]
    order = list(source.strings) + [k for k in language.strings if k not in source.strings]
    lines += [f"  {key}: {_quoted(language.strings[key])}" for key in order if key in language.strings]
    if language.status != "source":
        lines += ["", "# The hash of the English text each string was translated from (managed by", "# `python -m generator translations`; do not edit by hand).", "sources:"]
        lines += [f"  {key}: {_quoted(language.sources[key])}" for key in order if key in language.sources]
    return "\n".join(lines) + "\n"


def header_of(path: Path) -> str:
    """The comment lines at the top of a language file, kept when the file is rewritten."""
    header = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    return "\n".join(header) + ("\n" if header else "")


# --- commands -----------------------------------------------------------------------------

def updated_language(language: Language, imported: Imported) -> Language:
    from dataclasses import replace

    strings = dict(language.strings, **imported.strings)
    sources = dict(language.sources, **imported.sources)
    return replace(language, strings=strings, sources=sources)


def stamped_language(language: Language, source: Language) -> Language:
    """Record that every string now matches the current English (after a translator checked)."""
    from dataclasses import replace

    sources = {key: source_hash(source.strings[key]) for key in language.strings if key in source.strings}
    return replace(language, sources=sources)


def status_rows(languages: dict[str, Language]) -> list[dict]:
    source = languages["en"]
    rows = []
    for code, language in sorted(languages.items()):
        rows.append({
            "code": code,
            "endonym": language.endonym,
            "status": language.status,
            "reviewed": f"{language.reviewed_by} {language.reviewed_on}".strip(),
            "missing": len(source.strings.keys() - language.strings.keys()),
            "stale": 0 if language is source else len(stale_keys(language, source)),
        })
    return rows


# --- the formats, by name (the command line picks one) ----------------------------------------

def _export_xliff(language: Language, source: Language) -> str:
    from .xliff import export_xliff

    return export_xliff(language, source)


def _import_xliff(text: str) -> tuple[str, Imported]:
    from .xliff import import_xliff

    return import_xliff(text)


EXPORTERS = {"po": export_po, "csv": export_csv, "xliff": _export_xliff}
IMPORTERS = {"po": import_po, "csv": lambda text: ("", import_csv(text)), "xliff": _import_xliff}
