"""The validated project: plain, immutable values that every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from pathlib import Path

from .errors import Loc
from .fontmanifest import FontManifest

# BCP 47's tag for a page in several languages (the multilingual poster, the language sheet).
MULTILINGUAL = "mul"

if TYPE_CHECKING:
    from .claims import Ledger


@dataclass(frozen=True)
class Language:
    code: str
    name_en: str
    endonym: str
    script: str
    direction: str  # "ltr" or "rtl"
    status: str  # "source", "draft" or "reviewed"
    translated_by: str
    reviewed_by: str
    reviewed_on: str
    strings: dict[str, str]
    string_locs: dict[str, Loc]
    path: str
    sources: dict[str, str] = field(default_factory=dict)  # key -> hash of the English it was made from
    date_locale: str = ""  # the CLDR locale of its dates


@dataclass(frozen=True)
class Resource:
    id: str
    url: str
    organisation: str
    title: str
    source: str
    verified_on: str
    languages: tuple[tuple[str, str], ...] = ()  # (language code, its own address), where a language has one
    locs: dict[str, Loc] = field(default_factory=dict, repr=False, compare=False)  # "id", "languages.<code>": for messages


@dataclass(frozen=True)
class School:
    id: str
    name: str
    address: str
    phone: str
    logo: str  # path inside the data directory, or ""


@dataclass(frozen=True)
class Paper:
    name: str
    width: float  # points
    height: float


@dataclass(frozen=True)
class Style:
    name: str
    font_size: float
    leading: float
    color: str
    bold: bool = False
    align: str = "start"
    space_before: float = 0.0
    space_after: float = 0.0
    background: str = ""
    border_color: str = ""
    border_width: float = 0.0
    padding: float = 0.0


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    directory: Path
    template_name: str
    template_source: str
    papers: tuple[str, ...]
    styles: dict[str, Style]
    fits: tuple[tuple[str, dict[str, Style]], ...]  # style sets tried in order until the page fits
    min_qr_module_mm: float
    min_qr_symbol_mm: float
    pages: int
    path: str
    design_paper: str = ""  # drawn on this paper's size and scaled onto the others
    language_mode: str = "each"  # "each", "each-but-english" (bilingual) or "together" (one page, many)
    page_languages: tuple[str, ...] = ()  # for "together": the languages on the page by default
    max_languages: int = 12
    # `overflow: continue`: the body goes on to further pages when it needs them (`pages` is
    # then what the layout is made for; more is a warning), instead of failing as an overflow.
    continues: bool = False
    pages_loc: Loc | None = None  # where layout.yaml sets `pages` (warnings about the page count point there)

    @property
    def every_language(self) -> bool:
        """`page_languages: [all]`: one page with every language of the data, however many."""
        return self.page_languages == ("all",)


@dataclass(frozen=True)
class Project:
    data_dir: Path
    district: dict
    resources: dict[str, Resource]
    organisations: dict
    languages: dict[str, Language]
    layouts: dict[str, Layout]
    papers: dict[str, Paper]
    fonts: FontManifest
    schools: dict[str, School] = field(default_factory=dict)
    ledger: "Ledger" = None  # the claims ledger: sources, what each string rests on, legal review
    web_base: str = ""  # district.yaml's web_base, normalised (no trailing slash); "" when unset


@dataclass(frozen=True)
class PrintOptions:
    """--bleed adds a bleed area and crop marks for print shops; --grayscale prints pure
    black on white, with no tints that vanish on an office printer."""

    bleed: bool = False
    grayscale: bool = False

    def suffix(self) -> str:
        """The file-name mark of a print variant: '', '-bleed', '-gray' or '-bleed-gray'."""
        return "".join(part for flag, part in ((self.bleed, "-bleed"), (self.grayscale, "-gray")) if flag)

    @property
    def name(self) -> str:
        return self.suffix().strip("-") or "plain"
