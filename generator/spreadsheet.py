"""Write (and read back): CSV cells that a spreadsheet shows as text and never evaluates.

Excel, LibreOffice Calc and Google Sheets treat a cell as a formula when its first
character is `=`, `+`, `-` or `@`, and a leading tab, carriage return or NUL can hide
such a character from a reader; a hostile value such as `=HYPERLINK("http://...")` then
runs on the machine of whoever opens the file (OWASP "CSV Injection", ASVS V1.2.10).
Every CSV the tool writes passes its cells through `neutralise_cell`, which puts a single
quote before such a value: spreadsheets take the quote as "this cell is text".

The tool's own import undoes exactly that with `restore_cell`, so export then import
changes nothing, also for a translation that really starts with "-" or "+". To keep the
mapping reversible a value that itself starts with a quote gets a second quote; and
`restore_cell` removes a quote only where `neutralise_cell` could have put it (before a
trigger character or another quote). Any other cell, including one a spreadsheet saved
with a bare `=` or `-` at the start, is read as the literal text it is; nothing is
stripped or evaluated on the way in.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

# The characters that make a spreadsheet evaluate a cell, or that can hide one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
# The prefix spreadsheets read as "text"; it is escaped too, so that the mapping reverses.
QUOTE = "'"
_ESCAPED = FORMULA_TRIGGERS + (QUOTE,)


def neutralise_cell(value: str) -> str:
    """The cell as written to a CSV: text a spreadsheet displays and never evaluates."""
    return QUOTE + value if value.startswith(_ESCAPED) else value


def restore_cell(cell: str) -> str:
    """The value `neutralise_cell` was given; any other cell is returned unchanged."""
    if cell.startswith(QUOTE) and cell[1:].startswith(_ESCAPED):
        return cell[1:]
    return cell


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    """A CSV for spreadsheets: every cell neutralised, CRLF rows, a UTF-8 byte-order mark
    (without it Excel reads the file in the local code page and garbles every script)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_cell(str(value)) for value in row])
    return "\ufeff" + out.getvalue()


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV written by `csv_text` (or saved back by a spreadsheet),
    every cell restored; values are always text."""
    header, numbered = read_csv_rows(text)
    return header, [row for _, row in numbered]


def read_csv_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Like `read_csv`, each row with its row number as the spreadsheet shows it (the
    header is row 1; a cell with line breaks stays one row), so errors can name it.
    Excel set to a language that writes decimal commas saves `;` between cells: a header
    line with semicolons and no commas is read that way."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [[restore_cell(cell) for cell in row] for row in reader]
    if not rows:
        return [], []
    header, body = rows[0], rows[1:]
    return header, [(number, dict(zip(header, row + [""] * (len(header) - len(row)))))
                    for number, row in enumerate(body, start=2) if any(cell.strip() for cell in row)]
