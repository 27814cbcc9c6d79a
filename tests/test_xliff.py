"""XLIFF 1.2 for translation vendors: what a CAT tool reads, the schema's rules, lossless
round trip, stale strings, escaping, safe parsing; and the PO headers msgfmt wants."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import polib
import pytest

from conftest import run_cli
from generator.translations import export_po, source_hash, stale_keys
from generator.xliff import export_xliff, import_xliff
from xliff12_rules import violations


@pytest.mark.parametrize("lang", ["es", "ar", "zh-Hant", "my"])
def test_export_then_import_changes_nothing(project, lang):
    language, source = project.languages[lang], project.languages["en"]
    code, imported = import_xliff(export_xliff(language, source))
    assert code == lang
    assert imported.strings == language.strings and imported.sources == language.sources


def test_the_export_keeps_the_schema_rules_and_a_broken_file_does_not(project):
    text = export_xliff(project.languages["es"], project.languages["en"])
    assert violations(text) == []
    # The check itself must catch what the schema forbids: a bad state, a target before its source.
    assert violations(text.replace('state="translated"', 'state="done"', 1))
    swapped = re.sub(r"(<source>.*?</source>)(\s*)(<target [^>]*>.*?</target>)", r"\3\2\1", text, count=1, flags=re.S)
    assert violations(swapped)


def test_a_real_xliff_reader_sees_source_target_state_context_and_notes(project, tmp_path):
    from translate.storage import xliff

    en, es = project.languages["en"], project.languages["es"]
    path = tmp_path / "es.xlf"
    path.write_text(export_xliff(es, en), encoding="utf-8")
    store = xliff.xlifffile.parsefile(str(path))
    # translate-toolkit names a unit "<file original>\x04<id>"
    units = {unit.getid().split("\x04")[-1]: unit for unit in store.units if not unit.isheader()}
    assert set(units) == set(en.strings)
    assert store.gettargetlanguage() == "es" and store.getsourcelanguage() == "en"
    for key, unit in units.items():
        assert unit.source == en.strings[key] and unit.target == es.strings[key]
        assert unit.get_state_n() == unit.S_TRANSLATED  # every Spanish string is current
    placeholder_key = next(k for k, v in en.strings.items() if "{" in v)
    bold_key = next(k for k, v in en.strings.items() if "**" in v)
    assert "{" in units[placeholder_key].getnotes() and "**" in units[bold_key].getnotes()
    contexts = units["doc_title"].getcontextgroups("handouts")[0]
    assert ("x-key", "doc_title") in contexts and ("x-source-hash", source_hash(en.strings["doc_title"])) in contexts


def _stale_spanish(project, key="legal_heading"):
    en = project.languages["en"]
    changed_en = dataclasses.replace(en, strings=dict(en.strings, **{key: en.strings[key] + " (changed)"}))
    return project.languages["es"], changed_en


def test_stale_strings_are_marked_for_review_and_stay_stale_until_a_translator_confirms(project):
    es, en = _stale_spanish(project)
    assert stale_keys(es, en) == ["legal_heading"]
    text = export_xliff(es, en)
    unit = re.search(r'<trans-unit id="legal_heading".*?</trans-unit>', text, re.S).group()
    assert 'state="needs-review-translation"' in unit
    _, imported = import_xliff(text)
    assert imported.sources["legal_heading"] == es.sources["legal_heading"]  # still stale
    from translate.storage import xliff

    store = xliff.xlifffile(text.encode("utf-8"))
    review = [u.getid().split("\x04")[-1] for u in store.units if u.get_state_n() == u.S_NEEDS_REVIEW]
    assert review == ["legal_heading"]  # what a CAT tool shows as "to review"
    confirmed = text.replace(unit, unit.replace('state="needs-review-translation"', 'state="translated"'))
    _, imported = import_xliff(confirmed)
    assert imported.sources["legal_heading"] == source_hash(en.strings["legal_heading"])


def test_untranslated_strings_need_translation_and_import_leaves_them_alone(project):
    en, es = project.languages["en"], project.languages["es"]
    missing = dataclasses.replace(es, strings={k: v for k, v in es.strings.items() if k != "doc_title"})
    text = export_xliff(missing, en)
    assert re.search(r'<target state="needs-translation"\s*/>|<target state="needs-translation"></target>', text)
    _, imported = import_xliff(text)
    assert "doc_title" not in imported.strings


def test_markup_characters_are_escaped_and_come_back_exactly(project):
    en, es = project.languages["en"], project.languages["es"]
    hostile = '<b>&amp; "quoted" </target><script>x</script> ]]> &lt;'
    odd = dataclasses.replace(es, strings=dict(es.strings, doc_title=hostile))
    text = export_xliff(odd, en)
    assert "<script>" not in text and violations(text) == []
    _, imported = import_xliff(text)
    assert imported.strings["doc_title"] == hostile


@pytest.mark.parametrize("payload, why", [
    ('<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', "DTD"),
    ('<!DOCTYPE x SYSTEM "file:///etc/passwd">', "DTD"),
])
def test_a_file_with_a_dtd_or_entities_is_refused(project, payload, why):
    text = export_xliff(project.languages["es"], project.languages["en"])
    hostile = text.replace('<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0" encoding="UTF-8"?>\n' + payload + "\n")
    with pytest.raises(ValueError, match=why):
        import_xliff(hostile)


def test_the_command_line_round_trip_leaves_the_file_byte_identical(data_copy, tmp_path):
    xlf = tmp_path / "es.xlf"
    # Options before and after the action: both spellings work.
    assert run_cli("translations", "export", "--data", str(data_copy), "--lang", "es", "--format", "xliff", "--out", str(xlf)).returncode == 0
    before = (data_copy / "languages" / "es.yaml").read_bytes()
    result = run_cli("translations", "--data", str(data_copy), "import", str(xlf))
    assert result.returncode == 0, result.stderr
    assert (data_copy / "languages" / "es.yaml").read_bytes() == before


def test_an_xliff_import_that_would_break_the_data_changes_nothing_and_says_why(data_copy, tmp_path):
    xlf = tmp_path / "es.xlf"
    run_cli("translations", "export", "--data", str(data_copy), "--lang", "es", "--out", str(xlf))
    text = xlf.read_text(encoding="utf-8")
    unit = re.search(r'<trans-unit id="footer_as_of".*?</trans-unit>', text, re.S).group()
    xlf.write_text(text.replace(unit, unit.replace("{date}</target>", "{fecha}</target>")), encoding="utf-8")
    assert "{fecha}" in xlf.read_text(encoding="utf-8")
    before = (data_copy / "languages" / "es.yaml").read_bytes()
    result = run_cli("translations", "import", str(xlf), "--data", str(data_copy))
    assert result.returncode == 2 and "placeholders" in result.stderr and "nothing was changed" in result.stderr
    assert (data_copy / "languages" / "es.yaml").read_bytes() == before
    xlf.write_text(text.replace("<body>", "<body><trans-unit>", 1), encoding="utf-8")  # not well-formed
    result = run_cli("translations", "import", str(xlf), "--data", str(data_copy))
    assert result.returncode == 2 and re.search(r"es\.xlf:\d+:\d+: error: cannot import: not well-formed XML", result.stderr)
    assert "Traceback" not in result.stderr and (data_copy / "languages" / "es.yaml").read_bytes() == before


def test_po_export_carries_revision_date_and_last_translator(project, tmp_path):
    po = polib.pofile(export_po(project.languages["es"], project.languages["en"]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d\+0000", po.metadata["PO-Revision-Date"])
    assert po.metadata["Last-Translator"] and po.metadata["Language-Team"]
    if shutil.which("msgfmt"):  # GNU gettext, where installed: its check must not warn
        path = tmp_path / "es.po"
        path.write_text(str(po), encoding="utf-8")
        check = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(path)], capture_output=True, text=True)
        assert check.returncode == 0 and check.stderr == "", check.stderr
