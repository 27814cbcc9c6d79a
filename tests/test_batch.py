"""The semester batch: incremental, parallel, failures isolated, stale outputs removed,
manifest complete, and a strict mode for the official run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURE_SCHOOLS, ROOT, run_cli, set_translation_status, set_verified_on

LANGS = ["--lang", "en", "--lang", "es", "--lang", "ar"]


@pytest.fixture
def batch_data(data_copy):
    """Two fixture schools; Spanish and Arabic drafts and both links unverified, as the tests
    below need, whatever the shipped data says by now."""
    (data_copy / "schools.yaml").write_text(FIXTURE_SCHOOLS, encoding="utf-8")
    for code in ("es", "ar"):
        set_translation_status(data_copy, code, "draft")
    set_verified_on(data_copy, "")
    return data_copy


def build(data: Path, out: Path, *extra: str):
    return run_cli("build", "--all", "--jobs", "2", "--layout", "handout", "--data", str(data), "--out", str(out), *LANGS, *extra)


def summary(result) -> dict[str, int]:
    line = [l for l in (result.stdout + result.stderr).splitlines() if l.startswith("built ")][-1]
    return {k: int(v) for v, k in [p.split(" ")[::-1] for p in line.split(" in ")[0].replace("up to date", "up_to_date").split(", ")]}


def manifest(out: Path) -> dict[str, dict]:
    return {d["path"]: d for d in json.loads((out / "manifest.json").read_text())["documents"]}


def test_full_run_then_nothing_to_do_then_only_the_changed_language(batch_data, tmp_path):
    out = tmp_path / "out"
    first = build(batch_data, out)
    assert first.returncode == 0, first.stderr
    assert summary(first) == {"built": 12, "up_to_date": 0, "warnings": 2, "failures": 0}  # 2 schools x 3 languages x 2 papers
    again = build(batch_data, out)
    assert summary(again)["built"] == 0 and summary(again)["up_to_date"] == 12
    es = batch_data / "languages" / "es.yaml"
    es.write_text(es.read_text(encoding="utf-8").replace("Ayuda legal", "Ayuda jurídica", 1), encoding="utf-8")
    before = manifest(out)
    changed = build(batch_data, out)
    assert summary(changed)["built"] == 4 and summary(changed)["up_to_date"] == 8
    after = manifest(out)
    rebuilt = {p for p in after if after[p]["input_hash"] != before[p]["input_hash"]}
    assert rebuilt == {p for p in after if after[p]["lang"] == "es"}
    forced = build(batch_data, out, "--force")
    assert summary(forced)["built"] == 12


def test_a_damaged_output_file_is_rebuilt(batch_data, tmp_path):
    out = tmp_path / "out"
    build(batch_data, out)
    victim = next(out.rglob("en_english.pdf"))
    victim.write_bytes(victim.read_bytes()[:1000])
    result = build(batch_data, out)
    assert summary(result)["built"] == 1
    assert victim.read_bytes().startswith(b"%PDF-") and len(victim.read_bytes()) > 1000


def test_one_failing_job_does_not_stop_the_others_nor_replace_good_output(batch_data, tmp_path):
    out = tmp_path / "out"
    build(batch_data, out)
    good = {p: (out / p).read_bytes() for p in manifest(out)}
    es = batch_data / "languages" / "es.yaml"
    es.write_text(es.read_text(encoding="utf-8").replace('legal_body: "', 'legal_body: "' + "Texto larguísimo. " * 200, 1), encoding="utf-8")
    en = batch_data / "languages" / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace("Legal help", "Free legal help", 1), encoding="utf-8")
    result = build(batch_data, out)
    assert result.returncode == 1
    counts = summary(result)
    assert counts["failures"] == 4 and counts["built"] == 8  # es fails everywhere; en and ar rebuild (English changed)
    failures = [l for l in result.stderr.splitlines() if l.startswith("failed: ")]
    assert len(failures) == 4 and all("/es/" in l and "overflows" in l for l in failures)
    for path, content in good.items():
        if "/es_" in path:
            assert (out / path).read_bytes() == content  # the earlier good file is kept


def test_outputs_no_job_makes_any_more_are_removed(batch_data, tmp_path):
    out = tmp_path / "out"
    build(batch_data, out)
    assert any(p.startswith("oak-middle/") for p in manifest(out))
    text = (batch_data / "schools.yaml").read_text(encoding="utf-8")
    (batch_data / "schools.yaml").write_text(text[: text.index("  - id: oak-middle")], encoding="utf-8")
    result = build(batch_data, out)
    assert result.returncode == 0
    assert not any(p.startswith("oak-middle/") for p in manifest(out))
    assert not (out / "oak-middle").exists() and not (out / "thumbnails" / "oak-middle").exists()
    assert "removed (no longer made): oak-middle/handout/a4/ar_arabic.pdf" in result.stdout


def test_manifest_records_school_input_hash_and_warnings(batch_data, tmp_path):
    out = tmp_path / "out"
    build(batch_data, out)
    entries = manifest(out)
    entry = entries["maple-elementary/handout/letter/es_spanish.pdf"]
    assert entry["school"] == "maple-elementary" and entry["school_name"].startswith("Maple Elementary")
    from generator.validate import load_project

    project, _ = load_project(batch_data, ROOT / "layouts", ROOT / "fonts")
    assert len(entry["input_hash"]) == 64 and entry["fit"] in [name for name, _ in project.layouts["handout"].fits]
    assert any("verified_on is empty" in w for w in entry["warnings"])
    assert (out / entry["thumbnail"]).read_bytes()[:4] == b"\x89PNG"


def test_the_school_contact_is_printed_and_the_district_help_stays(batch_data, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "out"
    build(batch_data, out)
    text = PdfReader(out / "maple-elementary/handout/letter/en_english.pdf").pages[0].extract_text()
    assert "Maple Elementary School" in text and "1 Test Street" in text and "555-0100" in text
    assert "860-695-8400" in text  # the Welcome Center, the district's fallback contact


def test_strict_fails_on_drafts_old_links_and_warnings(batch_data, tmp_path):
    result = build(batch_data, tmp_path / "out", "--strict")
    assert result.returncode == 2
    assert "the translation is a draft" in result.stderr and "verified_on is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_strict_refuses_a_link_checked_more_than_180_days_ago(project):
    import dataclasses
    from datetime import date

    from generator.errors import Problems
    from generator.pipeline import refuse_unverified_links

    old = dataclasses.replace(project.resources["aclu"], verified_on="2026-01-01")
    fresh = dataclasses.replace(project.resources["idp"], verified_on="2026-11-01")
    changed = dataclasses.replace(project, resources={"aclu": old, "idp": fresh})
    problems = Problems()
    refuse_unverified_links(changed, problems, today=date(2026, 11, 28))
    assert [p.message.split(":")[0] for p in problems.errors] == ["resource 'aclu'"]


# --- a document no school changes is made once per worker -----------------------------------------

def test_every_schools_card_is_the_same_verified_document_made_once_per_worker(batch_data, tmp_path, monkeypatch):
    """The card never names the school: each school's copy is the same bytes, still
    verified and written for that school; with one worker the sheet is drawn once."""
    import generator.render as render

    drawn = []
    real_draw = render.draw
    monkeypatch.setattr(render, "draw", lambda *args: drawn.append(args[0].title) or real_draw(*args))
    out = tmp_path / "out"
    result = run_cli("build", "--all", "--jobs", "1", "--layout", "card", "--paper", "letter", "--lang", "es",
                     "--data", str(batch_data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    cards = {d["school"]: d for d in manifest(out).values()}
    assert sorted(cards) == ["maple-elementary", "oak-middle"]
    assert len(drawn) == 1, drawn
    maple, oak = (out / cards[s]["path"] for s in ("maple-elementary", "oak-middle"))
    assert maple.read_bytes() == oak.read_bytes()
    first, second = sorted(cards.values(), key=lambda e: e["verified"]["thumbnail"] != "own")
    assert first["verified"]["thumbnail"] == "own"
    assert second["verified"]["thumbnail"] == f"identical-to {first['path']}"  # the same bytes, rendered once
    assert (out / first["thumbnail"]).read_bytes() == (out / second["thumbnail"]).read_bytes()
    for entry in cards.values():
        assert entry["verified"]["pages"] == 2 and entry["verified"]["qr"].startswith(("decoded", "identical-to"))
        assert (out / entry["thumbnail"]).stat().st_size > 0


def test_a_page_that_names_the_school_is_made_for_each_school(batch_data, tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", "--all", "--jobs", "1", "--layout", "handout", "--paper", "letter", "--lang", "en",
                     "--data", str(batch_data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    entries = manifest(out).values()
    handouts = {d["school"]: (out / d["path"]).read_bytes() for d in entries}
    assert handouts["maple-elementary"] != handouts["oak-middle"]
    assert all(d["verified"]["thumbnail"] == "own" for d in entries)


def test_every_schools_copy_of_a_page_is_one_task_a_poster_with_all_its_papers(project):
    """A worker gets every school's copy of a page as one task (it learns the page once);
    a poster's task holds all its papers, school by school (it is laid out once for them);
    other pages go paper by paper, so that the paragraphs a worker keeps were measured at the
    width its next page needs."""
    from generator.model import PrintOptions
    from generator.pipeline import batch_tasks
    from generator.plan import Job

    def job(school, layout, lang, paper):
        return Job(school, layout, lang, paper, f"{school}/{layout}/{paper}/{lang}.pdf", "hash", PrintOptions())

    jobs = ([job(s, "poster", l, p) for s in ("b", "a") for l in ("fr", "es") for p in ("tabloid", "a3")]
            + [job(s, "card", "es", p) for s in ("b", "a") for p in ("letter", "a4")])
    tasks = [[(j.layout, j.lang, j.school, j.paper) for j in task] for task in batch_tasks(project, jobs)]
    assert tasks == [[("card", "es", "a", "a4"), ("card", "es", "b", "a4")],
                     [("card", "es", "a", "letter"), ("card", "es", "b", "letter")],
                     [("poster", "es", "a", "a3"), ("poster", "es", "a", "tabloid"),
                      ("poster", "es", "b", "a3"), ("poster", "es", "b", "tabloid")],
                     [("poster", "fr", "a", "a3"), ("poster", "fr", "a", "tabloid"),
                      ("poster", "fr", "b", "a3"), ("poster", "fr", "b", "tabloid")]]


def test_a_task_holds_at_most_max_task_documents_and_never_splits_a_schools_poster(project, monkeypatch):
    from generator import pipeline
    from generator.model import PrintOptions
    from generator.plan import Job

    monkeypatch.setattr(pipeline, "MAX_TASK", 3)
    jobs = [Job(s, "poster", "es", p, f"{s}/{p}.pdf", "hash", PrintOptions()) for s in "abc" for p in ("tabloid", "a3")]
    jobs += [Job(s, "card", "es", "letter", f"{s}/card.pdf", "hash", PrintOptions()) for s in "abcdefg"]
    sizes = [[(j.layout, j.school) for j in task] for task in pipeline.batch_tasks(project, jobs)]
    assert sizes == [[("card", s) for s in "abc"], [("card", s) for s in "def"], [("card", "g")],
                     [("poster", "a"), ("poster", "a"), ("poster", "b"), ("poster", "b")], [("poster", "c"), ("poster", "c")]]


def test_a_run_with_nothing_to_do_never_loads_the_renderer(batch_data, tmp_path):
    """The district's rerun after a semester's batch checks every document and makes none:
    it must not pay for importing ReportLab, PDFium, pikepdf and qrcode (a third of that run's
    time). A real process, as a user runs it."""
    import subprocess
    import sys

    out = tmp_path / "out"
    assert build(batch_data, out).returncode == 0
    probe = ("import sys; from generator.cli import main; code = main(sys.argv[1:]); "
             "print('LOADED', sorted(m for m in ('reportlab.platypus', 'pypdfium2', 'pikepdf', 'qrcode') if m in sys.modules)); "
             "sys.exit(code)")
    command = [sys.executable, "-c", probe, "build", "--all", "--jobs", "2", "--layout", "handout", "--data", str(batch_data),
               "--out", str(out), *LANGS]
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert summary(again) == {"built": 0, "up_to_date": 12, "warnings": 2, "failures": 0}
    assert "LOADED []" in again.stdout, again.stdout


def test_a_build_runs_the_cycle_collector_less_often_and_gives_its_settings_back(batch_data, tmp_path, monkeypatch):
    """While a build runs, the cycle collector looks through what it keeps alive (the
    manifest, the caches) less often (pipeline.fewer_collections; forked workers inherit
    it). The process's own settings come back after the build, and after an error too."""
    import gc

    import generator.pipeline as pipeline

    seen = []
    real_run_job = pipeline.run_job
    monkeypatch.setattr(pipeline, "run_job", lambda *args: seen.append(gc.get_threshold()) or real_run_job(*args))
    before = gc.get_threshold()
    assert before != pipeline.BUILD_GC_THRESHOLDS
    result = run_cli("build", "--jobs", "1", "--layout", "handout", "--paper", "letter", "--lang", "es",
                     "--data", str(batch_data), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert seen and set(seen) == {pipeline.BUILD_GC_THRESHOLDS}
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError):
        with pipeline.fewer_collections():
            raise RuntimeError("a document's bug")
    assert gc.get_threshold() == before
