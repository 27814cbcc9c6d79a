"""Validate: sources.yaml + claims.yaml -> the claims ledger: every string, organisation and link tied to a checked source.

Every English string carries its sources or an explicit no-claim mark; every organisation,
the district's contact and every QR target carry their sources. A page's information date
is the date a person last verified the sources that page uses (the oldest of them), and
while any of them is unverified there is no date to print. Strings that give legal advice
are drafts, in English too, until an immigration attorney or accredited representative
has reviewed them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Loc, Problems
from .load import Mapping, Scalar, Sequence
from .schema import check_keys, date_text, entry_id, listed_entries, load_mapping, text, text_list

NO_CLAIM = "no-claim"
LEGAL_ROLES = ("immigration attorney", "accredited representative")


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    address: str  # https address, "seed", or "" when none could be confirmed
    supports: str
    verified_on: str
    verified_by: str
    loc: Loc = Loc("")


@dataclass(frozen=True)
class LegalReview:
    reviewed_by: str = ""
    reviewed_on: str = ""
    role: str = ""

    @property
    def done(self) -> bool:
        return bool(self.reviewed_by and self.reviewed_on and self.role in LEGAL_ROLES)


@dataclass(frozen=True)
class Ledger:
    sources: dict[str, Source] = field(default_factory=dict)
    strings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> source ids; () = no claim
    advice: tuple[str, ...] = ()
    legal_review: LegalReview = LegalReview()
    organisations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # organisation name -> source ids
    district: tuple[str, ...] = ()
    resources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resource id -> source ids
    claims_path: str = ""
    # What each layout's template uses, worked out once (context() asks for every fit tried).
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def information_date(self, source_ids) -> str:
        """The oldest verification among these sources, or "" if any is unverified."""
        dates = [self.sources[sid].verified_on for sid in source_ids if sid in self.sources]
        return "" if not dates or not all(dates) else min(dates)


def read_sources(path: Path, problems: Problems) -> dict[str, Source]:
    root = load_mapping(path, problems, "sources.yaml")
    if root is None:
        return {}
    check_keys(root, ("sources",), (), "sources.yaml", problems)
    sources: dict[str, Source] = {}
    for entry in listed_entries(root, "sources", "source", problems):
        what = f"source '{entry.get('id', '?')}'"
        check_keys(entry, ("id", "publisher", "title", "address", "supports", "verified_on", "verified_by"), (), what, problems)
        sid = entry_id(entry, sources, "source", what, problems)
        address = text(entry, "address", problems, required=False, what=what)
        if address and address != "seed" and not re.match(r"^https?://[^\s]+$", address):
            problems.error(entry.loc_of("address"), f"{what}: address must be a web address, 'seed' or empty, not '{address}'")
        verified_on = date_text(entry, "verified_on", problems, required=False, what=what)
        verified_by = text(entry, "verified_by", problems, required=False, what=what)
        if bool(verified_on) != bool(verified_by):
            problems.error(entry.loc_of("verified_on"), f"{what}: record both verified_on and verified_by (who checked, and when)")
        sources[sid] = Source(sid, text(entry, "publisher", problems, what=what), text(entry, "title", problems, what=what),
                              address, text(entry, "supports", problems, what=what), verified_on, verified_by, entry.loc)
    return sources


def read_claims(path: Path, problems: Problems) -> tuple[dict[str, tuple[str, ...]], dict[str, Loc], tuple[str, ...], LegalReview]:
    root = load_mapping(path, problems, "claims.yaml")
    if root is None:
        return {}, {}, (), LegalReview()
    check_keys(root, ("strings", "advice", "legal_review"), (), "claims.yaml", problems)
    strings, locs = {}, {}
    section = root.get("strings")
    if not isinstance(section, Mapping):
        problems.error(root.loc_of("strings"), "'strings' in claims.yaml must map each English string to its sources or no-claim")
        section = Mapping(root.loc)
    for key, value in section.items():
        locs[key] = section.key_locs[key]
        strings[key] = source_list(value, section.key_locs[key], f"string '{key}'", problems)
    advice = tuple(str(item) for item in text_list(root, "advice", problems, "claims.yaml"))
    review = root.get("legal_review")
    legal = LegalReview()
    if isinstance(review, Mapping):
        what = "legal_review in claims.yaml"
        check_keys(review, ("reviewed_by", "reviewed_on", "role"), (), what, problems)
        legal = LegalReview(text(review, "reviewed_by", problems, required=False, what=what),
                            date_text(review, "reviewed_on", problems, required=False, what=what),
                            text(review, "role", problems, required=False, what=what))
        if legal.role and legal.role not in LEGAL_ROLES:
            problems.error(review.loc_of("role"), f"{what}: role must be one of {', '.join(LEGAL_ROLES)}")
    else:
        problems.error(root.loc_of("legal_review"), "claims.yaml needs legal_review (reviewed_by, reviewed_on, role), empty until a review")
    return strings, locs, advice, legal


def source_list(value, loc: Loc, what: str, problems: Problems) -> tuple[str, ...] | None:
    """[id, ...] or no-claim -> ids (empty for no-claim); None (reported) if neither."""
    if isinstance(value, Scalar) and str(value) == NO_CLAIM:
        return ()
    if isinstance(value, Sequence) and value and all(isinstance(v, Scalar) for v in value):
        return tuple(str(v) for v in value)
    problems.error(getattr(value, "loc", loc), f"{what}: give its sources as a list of source ids, or no-claim")
    return None


def entry_sources(entry: Mapping, what: str, problems: Problems) -> tuple[str, ...]:
    if "sources" not in entry:
        problems.error(entry.loc, f"{what} has no 'sources': list the ids of the sources (data/sources.yaml) that give it")
        return ()
    return source_list(entry["sources"], entry.loc_of("sources"), what, problems) or ()


def read_ledger(data_dir: Path, english, problems: Problems) -> Ledger:
    """Read both files and tie every English string, organisation, contact and link to
    known sources; every gap is reported at its file and line."""
    sources = read_sources(data_dir / "sources.yaml", problems)
    claims_path = data_dir / "claims.yaml"
    strings, locs, advice, legal = read_claims(claims_path, problems)
    ledger_strings: dict[str, tuple[str, ...]] = {}
    if english is not None:
        for key in english.strings:
            if strings.get(key) is None:
                if key not in strings:
                    problems.error(english.string_locs.get(key, Loc(english.path, 1, 1)),
                                   f"en: string '{key}' has no source and no no-claim mark; add it to {claims_path.name}")
                continue
            ledger_strings[key] = strings[key]
        for key in strings:
            if key not in english.strings:
                problems.error(locs[key], f"claims.yaml lists '{key}', which en.yaml does not have")
        for key in advice:
            if key not in english.strings:
                problems.error(Loc(str(claims_path)), f"advice lists '{key}', which en.yaml does not have")
    organisations = organisation_sources(data_dir / "organisations.yaml", problems)
    district = district_sources(data_dir / "district.yaml", problems)
    resources = resource_sources(data_dir / "resources.yaml", problems)
    for what, ids, loc in unknown_references(ledger_strings, locs, organisations, district, resources, sources, data_dir):
        problems.error(loc, f"{what} names unknown source '{ids}'; add it to sources.yaml")
    return Ledger(sources, ledger_strings, advice, legal, {k: v for k, (v, _) in organisations.items()}, district[0],
                  {k: v for k, (v, _) in resources.items()}, str(claims_path))


def unknown_references(strings, locs, organisations, district, resources, sources, data_dir):
    for key, ids in strings.items():
        for sid in ids:
            if sid not in sources:
                yield f"string '{key}'", sid, locs[key]
    for group in (organisations, resources):
        for name, (ids, loc) in group.items():
            for sid in ids:
                if sid not in sources:
                    yield f"'{name}'", sid, loc
    for sid in district[0]:
        if sid not in sources:
            yield "district.yaml", sid, district[1]


def organisation_sources(path: Path, problems: Problems) -> dict[str, tuple[tuple[str, ...], Loc]]:
    root = load_mapping(path, problems, "organisations.yaml")
    found = {}
    for section in ("complaint_offices", "legal_services"):
        entries = (root or {}).get(section)
        for entry in entries if isinstance(entries, Sequence) else []:
            if isinstance(entry, Mapping):
                name = str(entry.get("name", "?"))
                found[name] = (entry_sources(entry, f"organisation '{name}'", problems), entry.loc)
    return found


def district_sources(path: Path, problems: Problems) -> tuple[tuple[str, ...], Loc]:
    root = load_mapping(path, problems, "district.yaml")
    if root is None:
        return (), Loc(str(path))
    return entry_sources(root, "district.yaml (name and Welcome Center phone)", problems), root.loc


def resource_sources(path: Path, problems: Problems) -> dict[str, tuple[tuple[str, ...], Loc]]:
    root = load_mapping(path, problems, "resources.yaml")
    found = {}
    entries = (root or {}).get("resources")
    for entry in entries if isinstance(entries, Sequence) else []:
        if isinstance(entry, Mapping):
            rid = str(entry.get("id", "?"))
            found[rid] = (entry_sources(entry, f"resource '{rid}'", problems), entry.loc)
    return found


# --- what a page uses ------------------------------------------------------------------------

_STRING_USE = re.compile(r"(?:\bt|\ben|\.t)\.([A-Za-z_]\w*)")
_RESOURCE_USE = re.compile(r"resources\.([A-Za-z_]\w*)|resource=\"([A-Za-z_][\w-]*)\"")


def page_source_ids(ledger: Ledger, template_source: str) -> frozenset[str]:
    """Every source a layout's page rests on: those of the strings its template prints, of
    the organisations and district contact it shows, and of its QR targets."""
    key = ("sources", template_source)
    if key not in ledger.memo:
        ledger.memo[key] = _page_source_ids(ledger, template_source)
    return ledger.memo[key]


def _page_source_ids(ledger: Ledger, template_source: str) -> frozenset[str]:
    ids: set[str] = set()
    for key in _STRING_USE.findall(template_source):
        ids.update(ledger.strings.get(key, ()))
    if "organisations" in template_source:
        for sources in ledger.organisations.values():
            ids.update(sources)
    if "district." in template_source:
        ids.update(ledger.district)
    for match in _RESOURCE_USE.finditer(template_source):
        ids.update(ledger.resources.get(match.group(1) or match.group(2), ()))
    return frozenset(ids)


def advice_on_page(ledger: Ledger, template_source: str) -> bool:
    key = ("advice", template_source)
    if key not in ledger.memo:
        ledger.memo[key] = any(name in ledger.advice for name in _STRING_USE.findall(template_source))
    return ledger.memo[key]
