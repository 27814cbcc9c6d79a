"""Validate helpers: read typed fields out of loaded YAML, reporting problems with file:line:col."""

from __future__ import annotations

import re
from typing import Iterable

from .errors import Loc, Problems
from .load import Mapping, Scalar, Sequence

_YAML_GUESS_HINT = {
    "bool": "YAML reads it as true/false",
    "int": "YAML reads it as a number",
    "float": "YAML reads it as a number",
    "null": "YAML reads it as empty (null)",
    "timestamp": "YAML reads it as a date",
}


def where(value, fallback: Loc) -> Loc:
    return getattr(value, "loc", fallback)


def load_mapping(path, problems: Problems, what: str) -> Mapping | None:
    """A file that must hold a mapping; None (already reported) if unreadable or malformed."""
    from .load import load_yaml

    value = load_yaml(path, problems)
    if value is None:
        return None
    return expect_mapping(value, Loc(str(path), 1, 1), what, problems)


def expect_mapping(value, loc: Loc, what: str, problems: Problems) -> Mapping | None:
    if isinstance(value, Mapping):
        return value
    problems.error(where(value, loc), f"{what} must be a mapping of 'key: value' lines")
    return None


def named_entries(raw, parent: Mapping, what: str, problems: Problems):
    """(name, mapping) for each entry of a section whose values must be mappings
    (font families, scripts, papers, styles); a bad entry is reported and skipped."""
    if raw is None:
        return
    section = expect_mapping(raw, parent.loc, what, problems)
    for name, entry in (section or {}).items():
        entry = expect_mapping(entry, section.key_locs[name], f"'{name}' in {what}", problems)
        if entry is not None:
            yield name, entry


def listed_entries(root: Mapping, key: str, item: str, problems: Problems):
    """The mappings of a section that must be a non-empty list (resources, schools)."""
    entries = root.get(key)
    if not isinstance(entries, Sequence) or not entries:
        problems.error(root.loc_of(key), f"'{key}' must be a list with at least one {item}")
        return
    for entry in entries:
        entry = expect_mapping(entry, entries.loc, f"a {item}", problems)
        if entry is not None:
            yield entry


def entry_id(entry: Mapping, seen, kind: str, what: str, problems: Problems) -> str:
    """The `id` of a listed entry (a resource, a school, a source), refused when an earlier
    entry of the same list has it already."""
    value = text(entry, "id", problems, what=what)
    if value in seen:
        problems.error(entry.loc_of("id"), f"duplicate {kind} id '{value}'")
    return value


def check_keys(mapping: Mapping, required: Iterable[str], optional: Iterable[str], what: str, problems: Problems) -> None:
    required, optional = list(required), list(optional)
    for key in required:
        if key not in mapping:
            problems.error(mapping.loc, f"{what} is missing '{key}'")
    known = set(required) | set(optional)
    for key in mapping:
        if key not in known:
            hint = _closest(key, known)
            problems.error(mapping.key_locs[key], f"unknown key '{key}' in {what}" + (f"; did you mean '{hint}'?" if hint else ""))


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return match[0] if match else None


def text(mapping: Mapping, key: str, problems: Problems, *, required: bool = True, what: str = "") -> str:
    """A text field. Unquoted values YAML would turn into numbers, booleans or dates are refused."""
    value = mapping.get(key)
    label = f"'{key}'" + (f" in {what}" if what else "")
    if value is None:
        if required:
            problems.error(mapping.loc, f"missing {label}")
        return ""
    if not isinstance(value, Scalar):
        problems.error(where(value, mapping.loc), f"{label} must be text, not a list or mapping")
        return ""
    if value.tag == "null":
        if required:
            problems.error(value.loc, f"{label} is empty")
        return ""
    if value.tag != "str":
        problems.error(
            value.loc,
            f"{label} is `{value}`, which {_YAML_GUESS_HINT.get(value.tag, 'YAML does not read as text')}; "
            f'put it in quotes: "{value}"',
        )
        return str(value)
    if required and not value.strip():
        problems.error(value.loc, f"{label} is empty")
    for message in hidden_character_problems(value):
        problems.error(value.loc, f"{label} {message}")
    return str(value)


# Invisible characters that change how text displays (Trojan Source-style direction
# overrides) or that are not text at all. Direction comes from the language file.
_DIRECTION_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def hidden_character_problems(value: str) -> list[str]:
    import unicodedata

    found = []
    for ch in sorted(set(value)):
        if ch in "\n\t":
            continue
        name = unicodedata.name(ch, "")
        if ch in _DIRECTION_CONTROLS:
            found.append(f"contains the invisible direction control U+{ord(ch):04X} {name}; remove it")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            found.append(f"contains the control or unassigned character U+{ord(ch):04X}; remove it")
    return found


def text_list(mapping: Mapping, key: str, problems: Problems, what: str = "") -> list[Scalar]:
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, Sequence):
        problems.error(where(value, mapping.loc), f"'{key}' in {what} must be a list")
        return []
    items = []
    for item in value:
        if not isinstance(item, Scalar) or item.tag != "str":
            problems.error(where(item, value.loc), f"each item of '{key}' must be text (quote it)")
            continue
        items.append(item)
    return items


ISO_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def date_text(mapping: Mapping, key: str, problems: Problems, *, required: bool, what: str) -> str:
    """A date written as quoted text "YYYY-MM-DD" (unquoted, YAML would turn it into a date object)."""
    value = mapping.get(key)
    if isinstance(value, Scalar) and value.tag == "timestamp" and ISO_DATE.match(value):
        return str(value)  # an unquoted ISO date is unambiguous; accept it as text
    result = text(mapping, key, problems, required=required, what=what)
    if result and not ISO_DATE.match(result):
        problems.error(mapping.loc_of(key), f"'{key}' in {what} must be a date written YYYY-MM-DD, not '{result}'")
    return result
