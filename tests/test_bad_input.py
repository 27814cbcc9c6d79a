"""Bad data gets a clear `path:line:col: error: message` and a non-zero exit, and changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli, set_verified_on

PROBLEM_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.+)$", re.M)


def errors_of(result) -> list[dict]:
    return [m.groupdict() for m in PROBLEM_LINE.finditer(result.stderr)]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_missing_string_names_file_line_and_key(data_copy):
    es = data_copy / "languages" / "es.yaml"
    text = es.read_text(encoding="utf-8")
    es.write_text(re.sub(r"\n  qr_idp_caption: .*", "", text), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = [e for e in errors_of(result) if "qr_idp_caption" in e["message"]]
    assert error["path"].endswith("languages/es.yaml")
    assert int(error["line"]) == line_of(es, "strings:")
    assert "missing string 'qr_idp_caption'" in error["message"]


def test_unknown_language_on_the_command_line(tmp_path):
    result = run_cli("build", "--lang", "xx", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "unknown language 'xx'" in result.stderr and "zh-Hant" in result.stderr
    assert not (tmp_path / "out").exists()


def test_language_file_with_unknown_script(data_copy):
    es = data_copy / "languages" / "es.yaml"
    replace_in(es, "script: Latn", "script: Qaaa")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = errors_of(result)
    assert int(error["line"]) == line_of(es, "script: Qaaa") and "no font for script 'Qaaa'" in error["message"]


def test_malformed_yaml_reports_the_line(data_copy):
    district = data_copy / "district.yaml"
    replace_in(district, "city: Hartford", "city: [Hartford")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = errors_of(result)
    assert error["path"].endswith("district.yaml") and "malformed YAML" in error["message"]
    assert int(error["line"]) >= line_of(district, "city: [Hartford")


def test_duplicate_key_is_an_error(data_copy):
    en = data_copy / "languages" / "en.yaml"
    replace_in(en, '  door_5: "', '  door_4: "Twice.\"\n  door_5: "')
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = [e for e in errors_of(result) if "duplicate" in e["message"]]
    assert int(error["line"]) == line_of(en, 'door_4: "Twice.') and "duplicate key 'door_4'" in error["message"]


def test_url_that_is_not_https(data_copy):
    resources = data_copy / "resources.yaml"
    replace_in(resources, "url: https://www.immigrantdefenseproject.org/", "url: http://www.immigrantdefenseproject.org/")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = errors_of(result)
    assert int(error["line"]) == line_of(resources, "url: http://") and "https://" in error["message"]


def test_all_errors_are_reported_at_once(data_copy):
    replace_in(data_copy / "resources.yaml", "url: https://www.aclu.org", "url: ftp://www.aclu.org")
    replace_in(data_copy / "languages" / "ht.yaml", "direction: ltr", "direction: sideways")
    replace_in(data_copy / "district.yaml", 'phone: "860-695-8400"', "phone: 8606958400")
    replace_in(data_copy / "languages" / "es.yaml", "{date}", "{fecha}")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    messages = " | ".join(e["message"] for e in errors_of(result))
    assert "https://" in messages and "direction" in messages and "quotes" in messages
    assert "placeholders" in messages  # cross-checks run even when other files have errors


def test_placeholder_lost_in_translation(data_copy):
    replace_in(data_copy / "languages" / "es.yaml", "{date}", "{fecha}")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    assert any("placeholders ['date']" in e["message"] for e in errors_of(result))


def test_character_missing_from_the_font_names_language_key_and_character(data_copy):
    es = data_copy / "languages" / "es.yaml"
    replace_in(es, 'doc_title: "', 'doc_title: "\u0915 ')  # Devanagari KA: not in Noto Sans (Latin)
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    [error] = errors_of(result)
    assert int(error["line"]) == line_of(es, "doc_title:")
    assert "es: 'doc_title'" in error["message"] and "U+0915 DEVANAGARI LETTER KA" in error["message"]


def test_a_character_no_font_has_in_a_data_file_is_reported_where_it_is_written(data_copy):
    """A school's name with a letter the fonts lack: the error points at that line and column
    of schools.yaml (not at a language file), once per font family that lacks it, and the
    count below the list is the count of the list."""
    schools = data_copy / "schools.yaml"
    replace_in(schools, "name: Hartford Public Schools", "name: Hartford \u0915 Public Schools")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    errors = errors_of(result)
    assert errors and all(e["path"].endswith("schools.yaml") for e in errors), result.stderr
    assert {(int(e["line"]), int(e["col"])) for e in errors} == {(line_of(schools, "Hartford \u0915"), 20)}
    assert all("'\u0915' (U+0915 DEVANAGARI LETTER KA)" in e["message"] and "font, which lacks it" in e["message"] for e in errors)
    families = [re.search(r"set in the (\S+) font", e["message"]).group(1) for e in errors]
    assert len(families) == len(set(families)) and "noto-sans" in families
    assert "noto-sans-devanagari" not in families  # Nepali's font has it
    assert f"nothing was built or changed: {len(errors)} error(s)" in result.stderr


def test_a_character_only_the_template_writes_is_found_in_the_template(tmp_path):
    from generator.pipeline import where_written

    data, template = tmp_path / "data", tmp_path / "page.xml.j2"
    (data / "languages").mkdir(parents=True)
    (data / "schools.yaml").write_text("schools:\n  - name: Maple\n", encoding="utf-8")
    (data / "languages" / "xx.yaml").write_text("strings:\n  a: \u2603\n", encoding="utf-8")
    template.write_text("<p>one</p>\n<p>two \u2603</p>\n", encoding="utf-8")
    assert (where_written(data, template, "\u2603").path, where_written(data, template, "\u2603").line) == (str(template), 2)
    assert where_written(data, None, "\u2603").path.endswith("xx.yaml")  # the languages last
    assert where_written(data, template, "\u2604") is None


def test_bad_data_changes_no_existing_output(data_copy, tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--lang", "en", "--out", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    replace_in(data_copy / "languages" / "en.yaml", 'doc_title: "', 'doc_title: "\u0915 ')
    result = run_cli("build", "--lang", "en", "--data", str(data_copy), "--out", str(out))
    assert result.returncode == 2 and "nothing was built" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_check_passes_on_the_shipped_data():
    from generator.pipeline import Options, load_and_plan

    _, jobs, _ = load_and_plan(Options(all=True), all_papers=True)
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert f"ok: {len(jobs)} documents would be built" in result.stdout and len(jobs) > 0


def test_strict_turns_warnings_into_failures(data_copy):
    # A resource no person has verified yet: a warning, fatal under --strict.
    set_verified_on(data_copy, "")
    assert run_cli("check", "--data", str(data_copy)).returncode == 0
    result = run_cli("check", "--strict", "--data", str(data_copy))
    assert result.returncode == 2
    assert "verified_on is empty" in result.stderr


def test_overflow_fails_the_build_naming_layout_language_paper_and_block(data_copy, tmp_path):
    replace_in(data_copy / "languages" / "es.yaml", 'legal_body: "', 'legal_body: "' + "Texto muy largo. " * 150)
    set_verified_on(data_copy, "")  # two warnings, whatever the shipped data says
    out = tmp_path / "out"
    result = run_cli("build", "--layout", "handout", "--data", str(data_copy), "--out", str(out))
    assert result.returncode == 1
    assert re.search(r"failed: hartford-public-schools/handout/es/letter: text overflows the body region: <\w+>", result.stderr)
    languages = len(list((data_copy / "languages").glob("*.yaml")))
    assert f"built {languages - 1}, up to date 0, warnings 2, failures 1" in result.stderr
    letter = out / "hartford-public-schools" / "handout" / "letter"
    assert not (letter / "es_spanish.pdf").exists()
    assert (letter / "en_english.pdf").exists()  # one failure does not stop the others
