"""Load (schools from a spreadsheet): a CSV of schools <-> data/schools.yaml, checked row by row.

Districts keep their school list in a spreadsheet. `schools import` reads the CSV Excel
saves (UTF-8 with or without a byte-order mark, `,` or `;` between cells), checks every
row and names each bad one by its row number, gives each school without an `id` one
made from its name (the same name always gives the same id, so file names stay put
from one semester to the next), and only when every row is good writes the schools
file, keeping its header comment. `schools export` writes the same columns back, each
cell neutralised for spreadsheets (spreadsheet.py), so export then import changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .plan import slug
from .schema import hidden_character_problems
from .spreadsheet import csv_text, read_csv_rows

REQUIRED = ("name", "address", "phone")
OPTIONAL = ("id", "logo", "source")
COLUMNS = ("id", "name", "address", "phone", "logo", "source")  # the order export writes
ID_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PHONE_PATTERN = re.compile(r"[0-9A-Z+()\- ]{7,30}")  # as validate._phone
MAX_TEXT = 200
MAX_ROWS = 5000


@dataclass
class SchoolsFromCsv:
    schools: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "row 4: ..." lines


def decode(raw: bytes) -> str:
    """Excel's "CSV UTF-8" starts with a byte-order mark, other tools write none: both are fine."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 (byte {exc.start}); in Excel choose Save As > 'CSV UTF-8 (Comma delimited)'") from None


def schools_from_csv(text: str, csv_name: str, data_dir: Path) -> SchoolsFromCsv:
    result = SchoolsFromCsv()
    header, rows = read_csv_rows(text)
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in columns]
    unknown = [name for name in columns if name not in REQUIRED + OPTIONAL]
    doubled = sorted({name for name in columns if columns.count(name) > 1})
    if missing or unknown or doubled or not header:
        why = "; ".join(filter(None, [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(repr(n) for n in unknown)}" if unknown else "",
            f"column(s) {', '.join(doubled)} appear twice" if doubled else "",
        ]))
        result.problems.append(f"row 1: {why}; the first row must name the columns {', '.join(REQUIRED)} "
                               f"and may add {', '.join(OPTIONAL)}")
        return result
    if not rows:
        result.problems.append("the file has no school rows under its header")
        return result
    if len(rows) > MAX_ROWS:
        result.problems.append(f"the file has {len(rows)} rows; at most {MAX_ROWS} schools are supported")
        return result
    seen: dict[str, int] = {}
    for number, raw in rows:
        row = {name.strip().lower(): value.strip() for name, value in raw.items()}
        school, problems = _school(row, csv_name, data_dir)
        sid = school.get("id", "")
        if sid in seen:
            how = "given" if row.get("id") else f"made from the name '{school['name']}'"
            problems.append(f"id '{sid}' ({how}) is already row {seen[sid]}'s; give one of them a different id")
        elif sid:
            seen[sid] = number
        result.problems += [f"row {number}: {message}" for message in problems]
        result.schools.append(school)
    return result


def _school(row: dict[str, str], csv_name: str, data_dir: Path) -> tuple[dict[str, str], list[str]]:
    problems = []
    for column in COLUMNS:
        value = row.get(column, "")
        problems += [f"{column} {message}" for message in hidden_character_problems(value)]
        if len(value) > MAX_TEXT:
            problems.append(f"{column} is {len(value)} characters; keep it under {MAX_TEXT}")
        if "\n" in value:
            problems.append(f"{column} has a line break inside the cell; write it on one line")
    name = row.get("name", "")
    if not name:
        problems.append("name is empty; every school needs its name")
    sid = row.get("id", "") or slug(name)
    if row.get("id") and not ID_PATTERN.fullmatch(row["id"]):
        problems.append(f"id '{row['id']}' must be lowercase letters, digits and hyphens (it names folders), "
                        f"for example '{slug(row['id'])}'; or leave it empty to make one from the name")
    phone = row.get("phone", "")
    if phone and not PHONE_PATTERN.fullmatch(phone):
        problems.append(f"phone '{phone}' is not a phone number (digits, spaces, +, - and () only, 7 to 30 of them)")
    logo = row.get("logo", "")
    if logo:
        from .blocks import LayoutProblem, safe_image_path

        try:
            safe_image_path(data_dir, logo)
        except LayoutProblem as exc:
            problems.append(f"logo: {exc}")
    school = {
        "id": sid,
        "name": name,
        "address": row.get("address", ""),
        "phone": phone,
        "logo": logo,
        # Every fact carries where it came from; without a source column, that is the spreadsheet.
        "source": row.get("source", "") or f"spreadsheet {csv_name}",
    }
    return school, problems


def schools_yaml(schools: list[dict[str, str]], header: str) -> str:
    """The schools file: its header comment, then every school with every field quoted
    (a JSON string is a YAML double-quoted scalar: `no`, `012` or `1.5` stay text)."""
    lines = [header.rstrip("\n")] if header.strip() else []
    lines.append("schools:")
    for school in schools:
        first = True
        for column in COLUMNS:
            lines.append(f"{'  - ' if first else '    '}{column}: {json.dumps(school[column], ensure_ascii=False)}")
            first = False
    return "\n".join(lines) + "\n"


def schools_csv(path: Path) -> str:
    """data/schools.yaml as the CSV `schools import` reads."""
    from .errors import Problems
    from .schema import listed_entries, load_mapping

    problems = Problems()
    root = load_mapping(path, problems, "schools.yaml")
    if root is None or problems.errors:
        raise ValueError("; ".join(str(p) for p in problems.errors) or f"{path} is empty")
    rows = [list(COLUMNS)]
    for entry in listed_entries(root, "schools", "school", problems):
        rows.append([str(entry.get(column) or "") for column in COLUMNS])
    return csv_text(rows)
