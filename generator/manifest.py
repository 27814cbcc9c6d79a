"""Write support: the typed manifest entry, one per document, shared by pipeline, writer and catalog.

`manifest.json` is the record of what the tool made and what it checked: an entry says
which file, for whom, in which language and paper, from which inputs (input_hash) and how it
was verified. Reading is forgiving (an unreadable entry only means its document is built
again); writing is always the full typed entry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verified:
    """What was checked in this very document, by reading the PDF back."""

    pages: int  # page count, equal to what the layout must fill
    lang: str  # the /Lang the PDF declares
    title: str  # the document title a viewer shows
    fonts: str  # "all embedded and subset (N)"
    qr: str  # "decoded" (rendered at 150 dpi and decoded), or "identical-to <path>" (same drawing, decoded there)
    thumbnail: str = "own"  # "own" (rendered from this document), or "identical-to <path>" (that document's bytes are these)

    @staticmethod
    def from_dict(raw: dict) -> "Verified":
        return Verified(int(raw["pages"]), str(raw["lang"]), str(raw["title"]), str(raw["fonts"]), str(raw["qr"]),
                        str(raw.get("thumbnail", "own")))


@dataclass(frozen=True)
class PrintedCode:
    """A QR code as printed: the address it encodes, the symbol's width without its quiet
    zone and the width of one module, in millimetres on the paper, and where the address
    finally leads (the resource a district-owned `go/` address redirects to; without
    web_base the address itself)."""

    url: str
    symbol_mm: float
    module_mm: float
    destination: str = ""

    @staticmethod
    def from_dict(raw: dict) -> "PrintedCode":
        return PrintedCode(str(raw["url"]), float(raw["symbol_mm"]), float(raw["module_mm"]), str(raw.get("destination", "")))


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    school: str
    school_name: str
    layout: str
    lang: str
    language: str
    endonym: str
    direction: str
    paper: str
    variant: str  # "plain", "bleed", "gray" or "bleed-gray"
    pages: int
    bytes: int
    sha256: str
    qr: tuple[str, ...]
    translation_status: str
    reviewed_by: str
    reviewed_on: str
    title: str
    fit: str
    input_hash: str
    thumbnail: str
    verified: Verified
    languages: tuple[str, ...] = ()  # a page in several languages
    search: str = ""  # extra words the catalog's filter matches
    qr_codes: tuple[PrintedCode, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """The entry as manifest.json holds it. Written field by field: dataclasses.asdict
        deep-copies every value, and a semester run writes 7,680 entries twice (manifest
        and catalog)."""
        raw = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        raw["verified"] = {name: getattr(self.verified, name) for name in _VERIFIED_FIELDS}
        raw["qr"], raw["languages"], raw["warnings"] = list(self.qr), list(self.languages), list(self.warnings)
        raw["qr_codes"] = [{name: getattr(code, name) for name in _CODE_FIELDS} for code in self.qr_codes]
        return raw

    def with_warnings(self, warnings: list[str]) -> "ManifestEntry":
        return dataclasses.replace(self, warnings=tuple(warnings))

    @staticmethod
    def from_dict(raw: dict) -> "ManifestEntry | None":
        """An entry of an existing manifest; None if it is not one this version wrote."""
        try:
            values = {name: raw[name] for name in _ENTRY_FIELDS if name in raw}
            values["verified"] = Verified.from_dict(raw["verified"])
            for name in ("qr", "languages", "warnings"):
                values[name] = tuple(str(v) for v in raw.get(name, ()))
            values["qr_codes"] = tuple(PrintedCode.from_dict(c) for c in raw.get("qr_codes", ()))
            entry = ManifestEntry(**values)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return entry if isinstance(entry.path, str) and isinstance(entry.input_hash, str) else None


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(ManifestEntry))  # read for every entry of a manifest
_VERIFIED_FIELDS = tuple(f.name for f in dataclasses.fields(Verified))
_CODE_FIELDS = tuple(f.name for f in dataclasses.fields(PrintedCode))
