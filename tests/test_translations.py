"""Translation workflow: source hashes, stale strings, PO/CSV export and import, --strict."""

from __future__ import annotations

import re

import polib
import pytest

from conftest import run_cli, set_translation_status
from generator.translations import export_csv, export_po, import_csv, import_po, source_hash, stale_keys


@pytest.mark.parametrize("lang", ["es", "ar", "zh-Hant", "my"])
@pytest.mark.parametrize("fmt", ["po", "csv"])
def test_export_then_import_is_lossless(project, lang, fmt):
    language, source = project.languages[lang], project.languages["en"]
    if fmt == "po":
        code, imported = import_po(export_po(language, source))
        assert code == lang
    else:
        imported = import_csv(export_csv(language, source))
    assert imported.strings == language.strings
    assert imported.sources == language.sources


def test_import_through_the_command_line_leaves_the_file_byte_identical(data_copy, tmp_path):
    po = tmp_path / "es.po"
    assert run_cli("translations", "--data", str(data_copy), "export", "--lang", "es", "--out", str(po)).returncode == 0
    before = (data_copy / "languages" / "es.yaml").read_bytes()
    result = run_cli("translations", "--data", str(data_copy), "import", str(po))
    assert result.returncode == 0, result.stderr
    assert (data_copy / "languages" / "es.yaml").read_bytes() == before


def stale_report(result) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for code, key in re.findall(r"warning: ([\w-]+): '(\w+)' is stale", result.stderr):
        found.setdefault(code, set()).add(key)
    return found


def test_editing_an_english_string_makes_exactly_the_matching_translations_stale(data_copy, project):
    assert stale_report(run_cli("check", "--data", str(data_copy))) == {}
    en = data_copy / "languages" / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace("You can talk through the closed door.", "You can talk to them through the closed door."), encoding="utf-8")
    report = stale_report(run_cli("check", "--data", str(data_copy)))
    translations = set(project.languages) - {"en"}
    assert report == {code: {"door_1"} for code in translations}


def test_a_translator_updates_a_stale_string_through_po(data_copy, tmp_path):
    en = data_copy / "languages" / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace('legal_heading: "Legal help"', 'legal_heading: "Free and low-cost legal help"'), encoding="utf-8")
    po_path = tmp_path / "es.po"
    run_cli("translations", "--data", str(data_copy), "export", "--lang", "es", "--out", str(po_path))
    po = polib.pofile(str(po_path))
    [entry] = [e for e in po if e.msgctxt == "legal_heading"]
    assert "fuzzy" in entry.flags and [e.msgctxt for e in po if "fuzzy" in e.flags] == ["legal_heading"]
    entry.msgstr = "Ayuda legal gratuita y de bajo costo"
    entry.flags.remove("fuzzy")
    po.save(str(po_path))
    result = run_cli("translations", "--data", str(data_copy), "import", str(po_path))
    assert result.returncode == 0, result.stderr
    check = run_cli("check", "--data", str(data_copy))
    assert "es: 'legal_heading' is stale" not in check.stderr
    assert "ht: 'legal_heading' is stale" in check.stderr
    assert 'legal_heading: "Ayuda legal gratuita y de bajo costo"' in (data_copy / "languages" / "es.yaml").read_text(encoding="utf-8")


def test_an_import_that_would_break_the_data_changes_nothing(data_copy, tmp_path):
    csv_path = tmp_path / "es.csv"
    run_cli("translations", "--data", str(data_copy), "export", "--lang", "es", "--format", "csv", "--out", str(csv_path))
    import csv

    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    [row] = [r for r in rows if r[0] == "footer_as_of"]
    row[2] = row[2].replace("{date}", "{fecha}")  # the translator damaged a placeholder
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = (data_copy / "languages" / "es.yaml").read_bytes()
    result = run_cli("translations", "--data", str(data_copy), "import", str(csv_path), "--lang", "es")
    assert result.returncode == 2 and "placeholders" in result.stderr and "nothing was changed" in result.stderr
    assert (data_copy / "languages" / "es.yaml").read_bytes() == before


def test_status_shows_how_far_each_translation_is(data_copy, project):
    result = run_cli("translations", "--data", str(data_copy), "status")
    assert result.returncode == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["en"][2] == "source" and rows["es"][2] == project.languages["es"].status and rows["es"][3:5] == ["0", "0"]
    assert set(rows) == set(project.languages)


def test_source_hash_is_short_and_stable():
    assert source_hash("Legal help") == source_hash("Legal help") != source_hash("Legal help.")
    assert len(source_hash("x")) == 10


def test_stale_keys_ignore_untouched_strings(project):
    assert stale_keys(project.languages["es"], project.languages["en"]) == []


def test_strict_build_refuses_drafts(data_copy, tmp_path):
    set_translation_status(data_copy, "es", "draft")
    result = run_cli("build", "--strict", "--lang", "es", "--data", str(data_copy), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "es: the translation is a draft" in result.stderr
    assert not (tmp_path / "out").exists()


def test_import_keeps_a_language_files_date_locale(data_copy, tmp_path):
    """Dari sets date_locale (CLDR has no 'prs'); an import rewrote the file without it and
    then refused its own result. It survives, and a second round trip changes nothing."""
    po = tmp_path / "prs.po"
    for _ in range(2):
        assert run_cli("translations", "--data", str(data_copy), "export", "--lang", "prs", "--out", str(po)).returncode == 0
        result = run_cli("translations", "--data", str(data_copy), "import", str(po))
        assert result.returncode == 0, result.stderr
        text = (data_copy / "languages" / "prs.yaml").read_text(encoding="utf-8")
        assert "\ndate_locale: fa_AF\n" in text
        if _ == 0:
            first = text
    assert text == first
