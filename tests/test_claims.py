"""Every claim sourced, every printed date a person's check, advice reviewed by a lawyer, and a
review packet a district can sign."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2

from conftest import run_cli, set_translation_status

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def source_ids(data: Path) -> list[str]:
    return re.findall(r"(?m)^  - id: (\S+)$", (data / "sources.yaml").read_text(encoding="utf-8"))


def verify_everything(data: Path, on: str = "2026-11-20") -> None:
    for sid in source_ids(data):
        assert run_cli("review", "--data", str(data), "verify", "--source", sid, "--by", "Test Checker", "--on", on).returncode == 0
    for rid in re.findall(r"(?m)^  - id: (\S+)$", (data / "resources.yaml").read_text(encoding="utf-8")):
        assert run_cli("review", "--data", str(data), "verify", "--resource", rid, "--on", on).returncode == 0


def unverify_everything(data: Path) -> None:
    for name in ("sources.yaml",):
        path = data / name
        text = re.sub(r'(?m)^(\s+verified_(on|by): ).*$', r'\1""', path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    claims = data / "claims.yaml"
    claims.write_text(re.sub(r'(?m)^(  (reviewed_by|reviewed_on|role): ).*$', r'\1""', claims.read_text(encoding="utf-8")), encoding="utf-8")


def page_texts(pdf: Path) -> list[str]:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_a_string_without_source_or_no_claim_fails_check_at_its_line(data_copy):
    claims = data_copy / "claims.yaml"
    claims.write_text(re.sub(r"(?m)^  door_force: .*\n", "", claims.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    en = data_copy / "languages" / "en.yaml"
    assert re.search(rf"en\.yaml:{line_of(en, '  door_force:')}:\d+: error: en: string 'door_force' has no source", result.stderr), result.stderr


def test_an_unknown_source_and_an_organisation_without_sources_fail_check(data_copy):
    claims = data_copy / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace("door_4: [aclu-door]", "door_4: [no-such-source]"), encoding="utf-8")
    organisations = data_copy / "organisations.yaml"
    text = organisations.read_text(encoding="utf-8")
    organisations.write_text(text.replace("  - name: Connecticut Legal Services\n    detail: \"\"\n    sources: [seed]\n",
                                          "  - name: Connecticut Legal Services\n    detail: \"\"\n"), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    assert re.search(rf"claims\.yaml:{line_of(claims, 'door_4:')}:\d+: error: string 'door_4' names unknown source 'no-such-source'", result.stderr)
    assert "organisation 'Connecticut Legal Services' has no 'sources'" in result.stderr


def test_an_unverified_page_says_so_and_strict_refuses_it(data_copy, tmp_path):
    unverify_everything(data_copy)
    out = tmp_path / "out"
    result = run_cli("build", "--data", str(data_copy), "--layout", "handout", "--layout", "card", "--lang", "en", "--lang", "es",
                     "--paper", "letter", "--out", str(out))
    assert result.returncode == 0, result.stderr
    unchecked = {"en": "Not yet checked by the district", "es": "Todavía no revisado por el distrito"}
    for pdf in out.rglob("*.pdf"):
        text = " ".join(page_texts(pdf))
        assert unchecked[pdf.name.split("_")[0]] in " ".join(text.split()), pdf
        assert not ISO_DATE.search(text), pdf
    english = " ".join(page_texts(next(out.rglob("handout/letter/en_english.pdf"))))
    assert "Draft: the advice is not yet reviewed by an immigration" in english
    strict = run_cli("build", "--strict", "--data", str(data_copy), "--layout", "handout", "--lang", "en", "--out", str(tmp_path / "strict"))
    assert strict.returncode == 2
    assert "source 'aclu-door'" in strict.stderr and "is not verified" in strict.stderr
    assert "the door advice has no legal review yet" in strict.stderr


def test_a_recorded_verification_prints_the_date_as_the_reader_writes_it(data_copy, tmp_path):
    for path in (data_copy / "languages").glob("*.yaml"):  # only the languages this test reads
        if path.stem not in ("en", "es", "zh-Hans"):
            path.unlink()
    unverify_everything(data_copy)
    sources_before = (data_copy / "sources.yaml").read_text(encoding="utf-8")
    verify_everything(data_copy, on="2026-11-20")
    # The file keeps its comments and order: only the verification lines changed.
    after = (data_copy / "sources.yaml").read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(sources_before.splitlines(), after.splitlines()) if a != b]
    assert len(sources_before.splitlines()) == len(after.splitlines())
    assert changed and all(re.match(r"\s+verified_(on|by): ", b) for _, b in changed)
    legal = run_cli("review", "--data", str(data_copy), "legal", "--by", "A. Lawyer", "--on", "2026-11-21", "--role", "immigration attorney")
    assert legal.returncode == 0, legal.stderr
    set_translation_status(data_copy, "es", "reviewed")
    out = tmp_path / "out"
    result = run_cli("build", "--data", str(data_copy), "--layout", "handout", "--lang", "en", "--lang", "es", "--lang", "zh-Hans",
                     "--paper", "letter", "--out", str(out))
    assert result.returncode == 0, result.stderr
    texts = {pdf.name.split("_")[0]: " ".join(page_texts(pdf)) for pdf in out.rglob("*.pdf")}
    assert "Information as of November 20, 2026" in texts["en"]
    assert "Original English text" in texts["en"] and "not yet reviewed by an immigration" not in texts["en"]
    assert "20 de noviembre de 2026" in texts["es"] and "1 de noviembre de 2026" in texts["es"]  # as of, and reviewed on
    assert "2026年11月20日" in texts["zh-Hans"]
    for name, text in texts.items():
        assert not ISO_DATE.search(text), name
    (data_copy / "languages" / "zh-Hans.yaml").unlink()  # a draft: --strict would rightly refuse it
    strict = run_cli("build", "--strict", "--data", str(data_copy), "--layout", "handout", "--lang", "en", "--lang", "es",
                     "--paper", "letter", "--out", str(tmp_path / "strict"))
    assert strict.returncode == 0, strict.stderr


def test_a_legal_review_needs_a_qualified_role_and_a_real_date(data_copy):
    before = (data_copy / "claims.yaml").read_bytes()
    wrong_role = run_cli("review", "--data", str(data_copy), "legal", "--by", "X", "--on", "2026-11-21", "--role", "paralegal")
    assert wrong_role.returncode == 2 and "immigration attorney, accredited representative" in wrong_role.stderr
    future = run_cli("review", "--data", str(data_copy), "legal", "--by", "X", "--on", "2999-01-01", "--role", "immigration attorney")
    assert future.returncode == 2 and "future" in future.stderr
    unknown = run_cli("review", "--data", str(data_copy), "verify", "--source", "nope", "--by", "X", "--on", "2026-11-21")
    assert unknown.returncode == 2 and "no source 'nope'" in unknown.stderr
    assert (data_copy / "claims.yaml").read_bytes() == before


def test_the_review_packet_lists_every_source_contact_and_language(data_copy, tmp_path):
    result = run_cli("review", "--data", str(data_copy), "packet", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "review-packet.txt").read_text(encoding="utf-8")
    for sid in source_ids(data_copy):
        assert f"{sid}:" in text
    for phone in re.findall(r'"(\d{3}-\d{3}-\d{4})"', (data_copy / "organisations.yaml").read_text(encoding="utf-8")):
        assert phone in text
    for code in (p.stem for p in (data_copy / "languages").glob("*.yaml") if p.stem != "en"):
        assert re.search(rf"(?m)^{re.escape(code)} ", text), code
    assert "Legal review of the advice:" in text and "[LEGAL ADVICE]" in text
    pdf_text = " ".join(page_texts(tmp_path / "review-packet.pdf"))
    assert "Review packet" in pdf_text and "Legal review of the advice" in pdf_text


def test_dates_follow_cldr_and_a_language_cldr_lacks_must_name_a_locale(data_copy):
    from generator.dates import reader_date

    assert reader_date("2026-11-28", "fr_HT") == "28 novembre 2026"
    assert reader_date("2026-11-28", "en") == "November 28, 2026"
    prs = data_copy / "languages" / "prs.yaml"
    prs.write_text(re.sub(r"(?m)^date_locale: .*\n", "", prs.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2 and "CLDR (Babel) has no date format for 'prs'" in result.stderr
