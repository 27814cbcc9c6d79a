"""`handouts schools import|export`: a district's spreadsheet of schools, checked row by row,
written only when every row is good; export then import changes nothing."""

from __future__ import annotations

import codecs

import pytest

from conftest import run_cli
from generator.load import load_yaml
from generator.errors import Problems

GOOD = (
    "name,address,phone,source\r\n"
    '"Maple Elementary School (fixture)","1 Test Street, Springfield",555-0100,test fixture\r\n'
    "Oak Middle School (fixture),,,test fixture\r\n"
)


def schools_in(data_dir):
    root = load_yaml(data_dir / "schools.yaml", Problems())
    return [{k: str(v) for k, v in entry.items()} for entry in root["schools"]]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_import_with_or_without_bom_derives_stable_ids_and_keeps_the_header_comment(data_copy, tmp_path, bom):
    csv_path = tmp_path / "schools.csv"
    csv_path.write_bytes(bom + GOOD.encode("utf-8"))
    header = [l for l in (data_copy / "schools.yaml").read_text(encoding="utf-8").splitlines() if l.startswith("#")]
    result = run_cli("schools", "import", str(csv_path), "--data", str(data_copy))
    assert result.returncode == 0, result.stderr
    schools = schools_in(data_copy)
    assert [s["id"] for s in schools] == ["maple-elementary-school-fixture", "oak-middle-school-fixture"]
    assert schools[0]["address"] == "1 Test Street, Springfield" and schools[0]["phone"] == "555-0100"
    assert (data_copy / "schools.yaml").read_text(encoding="utf-8").splitlines()[: len(header)] == header
    assert run_cli("check", "--data", str(data_copy)).returncode == 0


def test_export_then_import_changes_nothing(data_copy, tmp_path):
    csv_path = tmp_path / "schools.csv"
    (tmp_path / "in.csv").write_text(GOOD, encoding="utf-8")
    run_cli("schools", "import", str(tmp_path / "in.csv"), "--data", str(data_copy))
    before = (data_copy / "schools.yaml").read_bytes()
    assert run_cli("schools", "--data", str(data_copy), "export", "--out", str(csv_path)).returncode == 0
    assert csv_path.read_bytes().startswith(codecs.BOM_UTF8)  # Excel opens it as UTF-8
    assert run_cli("schools", "import", str(csv_path), "--data", str(data_copy)).returncode == 0
    assert (data_copy / "schools.yaml").read_bytes() == before


def test_the_shipped_schools_survive_export_and_import(data_copy, tmp_path):
    before = schools_in(data_copy)
    csv_path = tmp_path / "schools.csv"
    run_cli("schools", "export", "--data", str(data_copy), "--out", str(csv_path))
    assert run_cli("schools", "import", str(csv_path), "--data", str(data_copy)).returncode == 0
    assert schools_in(data_copy) == [dict({"logo": ""}, **s) for s in before]


def test_bad_rows_are_named_by_row_number_and_nothing_is_written(data_copy, tmp_path):
    csv_path = tmp_path / "schools.csv"
    csv_path.write_text(
        "name,address,phone,id\r\n"
        "Good School,,555-0100,\r\n"
        '"Bad Phone School",,call us,\r\n'  # row 3
        ",1 Nameless Road,,\r\n"  # row 4
        "Another,,,Not An Id\r\n"  # row 5
        "Good  School!,,,\r\n",  # row 6: the same id as row 2
        encoding="utf-8")
    before = (data_copy / "schools.yaml").read_bytes()
    result = run_cli("schools", "import", str(csv_path), "--data", str(data_copy))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert any("row 3: phone 'call us' is not a phone number" in l for l in lines)
    assert any("row 4: name is empty" in l for l in lines)
    assert any("row 5: id 'Not An Id' must be lowercase" in l for l in lines)
    assert any("row 6: id 'good-school'" in l and "row 2" in l for l in lines)
    assert not any("row 2:" in l for l in lines)
    assert "nothing was changed" in result.stderr and "Traceback" not in result.stderr
    assert (data_copy / "schools.yaml").read_bytes() == before


@pytest.mark.parametrize("content, expected", [
    ("school,address\r\nX,Y\r\n", "row 1: missing column(s) name, phone"),
    (b"name,address,phone\r\nCaf\xe9,,\r\n", "not UTF-8"),
])
def test_a_wrong_file_says_what_to_fix(data_copy, tmp_path, content, expected):
    csv_path = tmp_path / "schools.csv"
    csv_path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = run_cli("schools", "import", str(csv_path), "--data", str(data_copy))
    assert result.returncode == 2 and expected in result.stderr


def test_a_formula_cell_is_kept_as_text_and_exported_neutralised(data_copy, tmp_path):
    csv_path = tmp_path / "schools.csv"
    csv_path.write_text('name,address,phone\r\n"=HYPERLINK(""http://x"")",,\r\n', encoding="utf-8")
    assert run_cli("schools", "import", str(csv_path), "--data", str(data_copy)).returncode == 0
    assert schools_in(data_copy)[0]["name"] == '=HYPERLINK("http://x")'
    out = run_cli("schools", "export", "--data", str(data_copy)).stdout
    assert "'=HYPERLINK" in out  # a spreadsheet shows it as text


def test_excel_semicolon_csv_is_read(data_copy, tmp_path):
    csv_path = tmp_path / "schools.csv"
    csv_path.write_bytes(codecs.BOM_UTF8 + "name;address;phone\r\nÉcole Érable;2 Rue Test;555-0101\r\n".encode("utf-8"))
    result = run_cli("schools", "import", str(csv_path), "--data", str(data_copy))
    assert result.returncode == 0, result.stderr
    assert schools_in(data_copy)[0]["id"] == "ecole-erable"
