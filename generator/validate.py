"""Validate: loaded YAML -> a checked Project, with every problem collected as file:line:col.

Checks the schema of each data file, then cross-checks: every language has every string the
English source has (same placeholders, balanced markup), every URL is a well-formed https
address, every script has a font, and every character a language prints exists in its font.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .errors import Loc, Problems
from .fontmanifest import FontManifest, FontsNotPrepared, font_files_for, read_font_manifest
from .layouts import read_layouts, read_papers
from .load import Mapping, Scalar, Sequence
from .claims import read_ledger
from .addresses import redirect_safe, unsafe_characters
from .model import Language, Project, Resource, School
from .translations import stale_keys
from .schema import check_keys, date_text, entry_id, expect_mapping, listed_entries, load_mapping, text, text_list

SOURCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")
STATUSES = ("source", "draft", "reviewed")
MAX_URL_LENGTH = 120  # longer URLs need QR codes too dense for a handout


def file_loc(path: Path) -> Loc:
    return Loc(str(path), 1, 1)


def load_project(data_dir: Path, layouts_dir: Path, fonts_dir: Path) -> tuple[Project | None, Problems]:
    """Read and check everything; returns the project (None if unusable) and all problems."""
    problems = Problems()
    data_dir, layouts_dir, fonts_dir = Path(data_dir), Path(layouts_dir), Path(fonts_dir)
    if not data_dir.is_dir():
        problems.error(file_loc(data_dir), "data directory not found")
        return None, problems
    fonts = read_font_manifest(fonts_dir / "manifest.yaml", problems)
    district, web_base_value = read_district(data_dir / "district.yaml", problems)
    resources, allowed_hosts = read_resources(data_dir / "resources.yaml", problems)
    organisations = read_organisations(data_dir / "organisations.yaml", problems)
    schools = read_schools(data_dir / "schools.yaml", data_dir, problems)
    languages = read_languages(data_dir / "languages", fonts, problems)
    papers = read_papers(layouts_dir / "papers.yaml", problems)
    layouts = read_layouts(layouts_dir, papers, problems)
    check_translations(languages, problems)
    web_base = check_addresses(web_base_value, resources, allowed_hosts, languages, schools, problems)
    ledger = read_ledger(data_dir, languages.get(SOURCE_LANGUAGE), problems)
    if fonts is not None:
        check_language_glyphs(languages, fonts, problems)
    if problems.errors or fonts is None:
        return None, problems
    project = Project(
        data_dir=data_dir,
        district=district,
        resources=resources,
        organisations=organisations,
        languages=languages,
        layouts=layouts,
        papers=papers,
        fonts=fonts,
        schools=schools,
        ledger=ledger,
        web_base=web_base,
    )
    return project, problems


# --- district and organisations -------------------------------------------------------

def plain(value, problems: Problems, what: str):
    """Loaded YAML -> plain dicts/lists of text, refusing values YAML would not keep as text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v, problems, f"{what}.{k}") for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v, problems, what) for v in value]
    holder = Mapping(value.loc)
    holder["value"] = value
    return text(holder, "value", problems, required=False, what=what)


def read_district(path: Path, problems: Problems) -> tuple[dict, Scalar | None]:
    """The district's facts, and its web_base as written (checked with the allowed hosts)."""
    root = load_mapping(path, problems, "district.yaml")
    if root is None:
        return {}, None
    check_keys(root, ("name", "welcome_center", "source", "sources"), ("city", "state", "web_base"), "district.yaml", problems)
    center = root.get("welcome_center")
    if center is not None and expect_mapping(center, root.loc, "welcome_center", problems) is not None:
        check_keys(center, ("name", "phone"), (), "welcome_center", problems)
        _phone(center, "phone", problems)
    web_base = root.get("web_base")
    return plain(root, problems, "district"), (web_base if isinstance(web_base, Scalar) else None)


def _phone(entry: Mapping, key: str, problems: Problems) -> None:
    value = entry.get(key)
    if isinstance(value, Scalar) and value.strip() and not re.fullmatch(r"[0-9A-Z+()\- ]{7,30}", value):
        problems.error(value.loc, f"'{key}' is not a phone number: '{value}' (digits, spaces, +, - and () only)")


def read_resources(path: Path, problems: Problems) -> tuple[dict[str, Resource], set[str]]:
    """The QR targets, and the hosts codes and links may point to."""
    root = load_mapping(path, problems, "resources.yaml")
    if root is None:
        return {}, set()
    check_keys(root, ("allowed_hosts", "resources"), (), "resources.yaml", problems)
    allowed_hosts = {h.lower() for h in text_list(root, "allowed_hosts", problems, "resources.yaml")}
    if not allowed_hosts:
        problems.error(root.loc_of("allowed_hosts"), "resources.yaml needs 'allowed_hosts': the web hosts QR codes may point to")
    out: dict[str, Resource] = {}
    for entry in listed_entries(root, "resources", "resource", problems):
        what = f"resource '{entry.get('id', '?')}'"
        check_keys(entry, ("id", "url", "organisation", "title", "source", "sources", "verified_on"), ("languages",), what, problems)
        rid = entry_id(entry, out, "resource", what, problems)
        url = text(entry, "url", problems, what=what)
        for message in url_problems(url, allowed_hosts):
            problems.error(entry.loc_of("url"), f"{what}: {message}")
        languages, locs = _language_addresses(entry, allowed_hosts, what, problems)
        verified = date_text(entry, "verified_on", problems, required=False, what=what)
        if not verified:
            problems.warning(entry.loc_of("verified_on"), f"{what}: verified_on is empty; a person should open {url} and record the date")
        out[rid] = Resource(
            id=rid,
            url=url,
            organisation=text(entry, "organisation", problems, what=what),
            title=text(entry, "title", problems, what=what),
            source=text(entry, "source", problems, what=what),
            verified_on=verified,
            languages=languages,
            locs={"id": entry.loc_of("id"), **locs},
        )
    return out, allowed_hosts


def _language_addresses(entry: Mapping, allowed_hosts: set[str], what: str,
                        problems: Problems) -> tuple[tuple[tuple[str, str], ...], dict[str, Loc]]:
    """`languages: {es: https://...}`: the resource's own page for readers of a language,
    checked like its main url (which codes exist is checked once the languages are read);
    and where each is written."""
    raw = entry.get("languages")
    if raw is None:
        return (), {}
    block = expect_mapping(raw, entry.loc_of("languages"), f"'languages' in {what}", problems)
    found, locs = [], {}
    for code in block or {}:
        url = text(block, code, problems, what=f"'languages' in {what}")
        for message in url_problems(url, allowed_hosts):
            problems.error(block.loc_of(code), f"{what}, language '{code}': {message}")
        found.append((str(code), url))
        locs[f"languages.{code}"] = block.loc_of(code)
    return tuple(sorted(found)), locs


def check_addresses(web_base_value: Scalar | None, resources: dict[str, Resource], allowed_hosts: set[str],
                    languages: dict[str, Language], schools: dict[str, School], problems: Problems) -> str:
    """Cross-checks of per-language addresses and web_base; the normalised web_base.
    Target names, language codes and school folders share the web edition's address space
    (<web_base>/go/<target>, <web_base>/<code>/, <web_base>/<school>/<code>/), so each must
    be a safe segment and none may take another's place."""
    from .addresses import GO, target_name

    for rid, resource in resources.items():
        for code, _ in resource.languages:
            if code not in languages:
                problems.error(resource.locs[f"languages.{code}"], f"resource '{rid}': 'languages' names '{code}', which "
                               f"data/languages does not have (known: {', '.join(sorted(languages))})")
    web_base = read_web_base(web_base_value, allowed_hosts, problems)
    if not web_base:
        return ""
    owners: dict[str, str] = {}
    for rid, resource in resources.items():
        try:
            names = [(target_name(rid), f"resource '{rid}'")]
        except ValueError:
            problems.error(resource.locs["id"], f"resource '{rid}': with web_base set, its id names the address {GO}/{rid}; "
                           "use lowercase letters, digits and single hyphens only")
            continue
        names += [(target_name(rid, code), f"resource '{rid}' in '{code}'") for code, _ in resource.languages if code in languages]
        for name, what in names:
            if name in owners:
                problems.error(resource.locs["id"], f"{what} would have the address {GO}/{name}, which {owners[name]} has "
                               "already; rename the id")
            owners.setdefault(name, what)
    if GO in languages:
        problems.error(Loc(languages[GO].path, 1, 1), f"with web_base set, '{GO}/' holds the redirects; a language cannot be '{GO}'")
    if GO in schools:
        problems.error(web_base_value.loc, f"with web_base set, '{GO}/' holds the redirects; rename the school '{GO}' in schools.yaml")
    return web_base


WEB_BASE_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)*")


def read_web_base(value: Scalar | None, allowed_hosts: set[str], problems: Problems) -> str:
    """district.yaml's optional `web_base`: an https address on a host of allowed_hosts,
    with no query or fragment and a plain path; returned without a trailing slash.
    (That it is text was checked with the rest of the district.)"""
    if value is None or value.tag != "str" or not value.strip():
        return ""
    raw = str(value)
    normalised = raw.rstrip("/")
    found = url_problems(normalised + "/", allowed_hosts)
    parts = urlsplit(raw)
    if parts.query or parts.fragment or "?" in raw or "#" in raw:
        found.append("must not have a query (?...) or fragment (#...): codes add /go/<target> to it")
    elif not WEB_BASE_PATH.fullmatch(parts.path.rstrip("/")):
        found.append(f"its path '{parts.path}' may hold only letters, digits and . _ ~ - between slashes")
    for message in found:
        problems.error(value.loc, f"web_base: {message} (the district's own address for its QR codes, such as "
                       "https://www.example-district.org/family-rights)")
    return "" if found else normalised


def url_problems(url: str, allowed_hosts: set[str] | None = None) -> list[str]:
    """Why a URL may not be printed or encoded in a QR code; empty if it is fine."""
    if not url:
        return []
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return [f"URL contains whitespace or control characters: {url!r}"]
    parts = urlsplit(url)
    found = []
    if parts.scheme != "https":
        found.append(f"URL must start with https:// (got '{url}')")
    if parts.username or parts.password:
        found.append("URL must not contain a user name or password")
    host = parts.hostname or ""
    if not re.fullmatch(r"([a-z0-9-]+\.)+[a-z]{2,}", host):
        found.append(f"URL has no valid host name: '{url}'")
    elif allowed_hosts is not None and host not in allowed_hosts:
        found.append(f"host '{host}' is not in allowed_hosts; add it there only after checking the site")
    try:
        port = parts.port
    except ValueError:
        port = "invalid"
    if port is not None:
        found.append("URL must not name a port")
    if not found and not redirect_safe(url):
        odd = unsafe_characters(url)
        found.append(f"URL contains {', '.join(repr(ch) for ch in odd)}, which a QR redirect or a server's redirect map could "
                     "misread; percent-encode it or leave it out (a '%' must start a two-digit escape; no '#' fragment)")
    if len(url) > MAX_URL_LENGTH:
        found.append(f"URL is {len(url)} characters; keep it under {MAX_URL_LENGTH} so the QR code stays scannable")
    return found


def read_organisations(path: Path, problems: Problems) -> dict:
    root = load_mapping(path, problems, "organisations.yaml")
    if root is None:
        return {}
    check_keys(root, ("complaint_offices", "legal_services"), (), "organisations.yaml", problems)
    for office in root.get("complaint_offices") or []:
        if expect_mapping(office, root.loc, "a complaint office", problems) is not None:
            what = f"complaint office '{office.get('id', '?')}'"
            check_keys(office, ("id", "name", "phone", "sources"), ("tdd", "language_help", "email", "web"), what, problems)
            for key in ("phone", "tdd", "language_help"):
                _phone(office, key, problems)
    for service in root.get("legal_services") or []:
        if expect_mapping(service, root.loc, "a legal service", problems) is not None:
            check_keys(service, ("name", "sources"), ("detail",), f"legal service '{service.get('name', '?')}'", problems)
    return plain(root, problems, "organisations")


def read_schools(path: Path, data_dir: Path, problems: Problems) -> dict[str, School]:
    root = load_mapping(path, problems, "schools.yaml")
    if root is None:
        return {}
    check_keys(root, ("schools",), (), "schools.yaml", problems)
    schools: dict[str, School] = {}
    for entry in listed_entries(root, "schools", "school", problems):
        what = f"school '{entry.get('id', '?')}'"
        check_keys(entry, ("id", "name", "source"), ("address", "phone", "logo"), what, problems)
        sid = entry_id(entry, schools, "school", what, problems)
        if sid and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sid):
            problems.error(entry.loc_of("id"), f"{what}: id must be lowercase letters, digits and hyphens (it names folders)")
        _phone(entry, "phone", problems)
        logo = text(entry, "logo", problems, required=False, what=what)
        if logo:
            from .blocks import LayoutProblem, safe_image_path

            try:
                safe_image_path(data_dir, logo)
            except LayoutProblem as exc:
                problems.error(entry.loc_of("logo"), f"{what}: {exc}")
        schools[sid] = School(sid, text(entry, "name", problems, what=what), text(entry, "address", problems, required=False, what=what),
                              text(entry, "phone", problems, required=False, what=what), logo)
    return schools


# --- languages ---------------------------------------------------------------------------

def read_languages(directory: Path, fonts: FontManifest | None, problems: Problems) -> dict[str, Language]:
    languages: dict[str, Language] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        problems.error(file_loc(directory), "no language files (data/languages/<code>.yaml) found")
    for path in files:
        language = read_language(path, fonts, problems)
        if language is not None:
            languages[language.code] = language
    if SOURCE_LANGUAGE not in languages and files and not (directory / f"{SOURCE_LANGUAGE}.yaml").exists():
        problems.error(file_loc(directory / f"{SOURCE_LANGUAGE}.yaml"), "the English source file en.yaml is missing")
    return languages


def _date_locale(root: Mapping, code: str, what: str, problems: Problems) -> str:
    """The CLDR locale whose date format the pages use: `date_locale` if the file sets it
    (for a language CLDR lacks, or knows only partly), else the language code itself."""
    from .dates import known_locale

    chosen = text(root, "date_locale", problems, required=False, what=what) or code
    if not known_locale(chosen):
        problems.error(root.loc_of("date_locale") if "date_locale" in root else root.loc_of("code"),
                       f"{what}: CLDR (Babel) has no date format for '{chosen}'; set date_locale to the closest locale "
                       "its readers use (for example fa_AF for Dari)")
    return chosen


def read_language(path: Path, fonts: FontManifest | None, problems: Problems) -> Language | None:
    root = load_mapping(path, problems, path.name)
    if root is None:
        return None
    what = path.name
    check_keys(root, ("code", "name_en", "endonym", "script", "direction", "translation", "strings"), ("sources", "date_locale"), what, problems)
    code = text(root, "code", problems, what=what)
    if code and code != path.stem:
        problems.error(root.loc_of("code"), f"code '{code}' does not match the file name; rename the file to {code}.yaml")
    if code and not BCP47.match(code):
        problems.error(root.loc_of("code"), f"'{code}' is not a BCP 47 language tag such as 'es' or 'zh-Hant'")
    script = text(root, "script", problems, what=what)
    if script and fonts is not None and script not in fonts.scripts:
        known = ", ".join(sorted(fonts.scripts))
        problems.error(root.loc_of("script"), f"no font for script '{script}' in fonts/manifest.yaml (known: {known})")
    direction = text(root, "direction", problems, what=what)
    if direction and direction not in ("ltr", "rtl"):
        problems.error(root.loc_of("direction"), "direction must be 'ltr' or 'rtl'")
    status, translated_by, reviewed_by, reviewed_on = read_translation_status(root, path, problems)
    strings, locs = read_strings(root, problems, what)
    sources = {}
    if "sources" in root and expect_mapping(root["sources"], root.loc, f"'sources' in {what}", problems) is not None:
        sources = {key: text(root["sources"], key, problems, what=f"'sources' in {what}") for key in root["sources"]}
    return Language(
        date_locale=_date_locale(root, code or path.stem, what, problems),
        sources=sources,
        code=code or path.stem,
        name_en=text(root, "name_en", problems, what=what),
        endonym=text(root, "endonym", problems, what=what),
        script=script,
        direction=direction,
        status=status,
        translated_by=translated_by,
        reviewed_by=reviewed_by,
        reviewed_on=reviewed_on,
        strings=strings,
        string_locs=locs,
        path=str(path),
    )


def read_translation_status(root: Mapping, path: Path, problems: Problems) -> tuple[str, str, str, str]:
    block = expect_mapping(root.get("translation"), root.loc, "'translation'", problems) if "translation" in root else None
    if block is None:
        return "draft", "", "", ""
    what = f"'translation' in {path.name}"
    check_keys(block, ("status",), ("translated_by", "reviewed_by", "reviewed_on"), what, problems)
    status = text(block, "status", problems, what=what)
    if status and status not in STATUSES:
        problems.error(block.loc_of("status"), f"status must be one of {', '.join(STATUSES)}, not '{status}'")
    if status == "source" and path.stem != SOURCE_LANGUAGE:
        problems.error(block.loc_of("status"), f"only {SOURCE_LANGUAGE}.yaml is the source; a translation is 'draft' or 'reviewed'")
    reviewed = status == "reviewed"
    reviewed_by = text(block, "reviewed_by", problems, required=reviewed, what=what)
    reviewed_on = date_text(block, "reviewed_on", problems, required=reviewed, what=what)
    return status, text(block, "translated_by", problems, required=False, what=what), reviewed_by, reviewed_on


def read_strings(root: Mapping, problems: Problems, what: str) -> tuple[dict[str, str], dict[str, Loc]]:
    block = root.get("strings")
    if block is None or expect_mapping(block, root.loc, f"'strings' in {what}", problems) is None:
        return {}, {}
    strings, locs = {}, {}
    for key in block:
        strings[key] = text(block, key, problems, what=what)
        locs[key] = block.loc_of(key)
        if strings[key].count("**") % 2:
            problems.error(locs[key], f"'{key}': unbalanced ** (bold markup opens and closes with **)")
    locs[""] = root.key_locs.get("strings", block.loc)  # where to report a missing string
    return strings, locs


def check_translations(languages: dict[str, Language], problems: Problems) -> None:
    """Every translation has exactly the English keys, with the same placeholders."""
    source = languages.get(SOURCE_LANGUAGE)
    if source is None:
        return
    for language in languages.values():
        if language is source:
            continue
        for key, english in source.strings.items():
            if key not in language.strings:
                problems.error(language.string_locs[""], f"{language.code}: missing string '{key}' (English: \"{english[:60]}\")")
                continue
            want, got = set(PLACEHOLDER.findall(english)), set(PLACEHOLDER.findall(language.strings[key]))
            if want != got:
                problems.error(
                    language.string_locs[key],
                    f"{language.code}: '{key}' must contain the placeholders {sorted(want) or 'none'}, found {sorted(got) or 'none'}",
                )
        for key in language.strings.keys() - source.strings.keys():
            problems.warning(language.string_locs[key], f"{language.code}: string '{key}' is not in en.yaml and is never used")
        for key in stale_keys(language, source):
            problems.warning(
                language.string_locs[key],
                f"{language.code}: '{key}' is stale: it was translated from an older English text "
                f"(English now: \"{source.strings[key][:60]}\"); update it, then re-import or run `translations stamp`",
            )


# --- glyph coverage ----------------------------------------------------------------------

def check_language_glyphs(languages: dict[str, Language], fonts: FontManifest, problems: Problems) -> None:
    """Every character of every string must be in the language's fonts."""
    for language in languages.values():
        if language.script not in fonts.scripts:
            continue  # already reported
        try:
            paths = font_files_for(fonts, language.script)
        except FontsNotPrepared as exc:
            problems.error(Loc(language.path, 1, 1), f"{language.code}: {exc}")
            continue
        texts = {key: value.replace("**", "") for key, value in language.strings.items()}
        check_glyph_coverage(language, texts, paths, problems)


@lru_cache(maxsize=4)  # a CJK face's set is 7 MB: a worker keeps those of the scripts it is on
def font_characters(font_path: str) -> frozenset[int]:
    """Every character a prepared font maps. Decoding a CJK font's cmap takes a quarter of
    a second, so the set is kept beside the font, keyed by the font file's sha256. Hashing
    the 120 MB of fonts costs a tenth of a second per run, so a file whose size and
    modification time are those recorded with the hash is not read again (as make does)."""
    import json

    from fontTools.ttLib import TTFont

    path = Path(font_path)
    cache = path.with_name(f".{path.name}.chars.json")
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns]
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached, dict):
        cached = {}
    if cached.get("stat") == stamp and "characters" in cached:
        return frozenset(cached["characters"])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if cached.get("sha256") == digest and "characters" in cached:
        _save_characters(cache, digest, stamp, cached["characters"])
        return frozenset(cached["characters"])
    with TTFont(font_path, lazy=True) as font:
        characters = frozenset(font.getBestCmap())
    _save_characters(cache, digest, stamp, sorted(characters))
    return characters


def _save_characters(cache: Path, digest: str, stamp: list[int], characters: list[int]) -> None:
    import json

    from .write import atomic_write

    try:
        atomic_write(cache, json.dumps({"sha256": digest, "stat": stamp, "characters": characters}).encode("utf-8"))
    except OSError:
        pass  # a read-only fonts directory only costs the time


def lacking_characters(characters: set[str], font_paths: list[Path]) -> set[str]:
    """The characters (line breaks aside) that one of the fonts lacks. Each font's set is
    asked, not their intersection: intersecting two CJK faces' sets (40,000 characters
    each) cost 2 ms a page and another 7 MB."""
    fonts = [font_characters(str(path)) for path in font_paths]
    return {ch for ch in characters if ch not in "\n\t" and not (fonts and all(ord(ch) in chars for chars in fonts))}


def check_glyph_coverage(language: Language, texts: dict[str, str], font_paths: list[Path], problems: Problems) -> None:
    """Fail on any character the language's fonts lack: ReportLab would drop it silently."""
    lacking = lacking_characters(set("".join(texts.values())), font_paths)
    if not lacking:
        return
    for key, value in texts.items():
        for ch in sorted(set(value) & lacking):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            loc = language.string_locs.get(key, Loc(language.path, 1, 1))
            problems.error(loc, f"{language.code}: '{key}' contains '{ch}' (U+{ord(ch):04X} {name}), which its font lacks")
