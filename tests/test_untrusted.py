"""Untrusted data stays data: hostile input gets the project's own clear error, never code,
file reads, crashes or lost output."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from PIL import Image

from conftest import ROOT, run_cli
from generator.blocks import LayoutProblem, safe_image_path
from generator.errors import Problems
from generator.load import load_yaml
from generator.plan import slug
from generator.validate import url_problems
from generator.write import Placer, inside


def test_reportlab_is_hardened_at_start_up():
    import generator  # noqa: F401
    from reportlab import rl_config
    from reportlab.lib.colors import toColor

    assert rl_config.toColorCanUse is None and rl_config.trustedHosts == []
    with pytest.raises(ValueError):
        toColor("[__import__('os').system('true') for x in [1]] and 'red'")
    assert toColor("#1f3a5f").hexval() == "0x1f3a5f"


@pytest.mark.parametrize(
    "url,why",
    [
        ("http://www.aclu.org/", "https://"),
        ("https://user:secret@www.aclu.org/", "password"),
        ("https://www.aclu.org/ x", "whitespace"),
        ("https://www.aclu.org/\u202e", "control"),
        ("https://evil.example.org/", "allowed_hosts"),
        ("https://www.aclu.org:8443/", "port"),
        ("https://www.aclu.org:x/", "port"),
        ("javascript:alert(1)", "https://"),
        ("https://www.aclu.org/" + "a" * 200, "scannable"),
    ],
)
def test_bad_urls_are_refused(url, why):
    problems = url_problems(url, {"www.aclu.org"})
    assert problems and any(why in p for p in problems), problems


def test_good_url_passes():
    assert url_problems("https://www.aclu.org/know-your-rights/immigrants-rights", {"www.aclu.org"}) == []


def test_a_50_mb_file_is_refused_at_once(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "w") as fh:
        fh.write("a: \"")
        fh.write("x" * 50_000_000)
        fh.write("\"\n")
    problems = Problems()
    started = time.perf_counter()
    assert load_yaml(path, problems) is None
    assert time.perf_counter() - started < 0.5
    assert "limit" in problems.errors[0].message


@pytest.mark.parametrize("char,what", [("\u202e", "direction control"), ("\x07", "control"), ("\u2066", "direction control")])
def test_hidden_characters_in_a_translation_are_errors(data_copy, char, what):
    es = data_copy / "languages" / "es.yaml"
    es.write_text(es.read_text(encoding="utf-8").replace('doc_title: "', f'doc_title: "{char.encode("unicode_escape").decode()}', 1), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    assert "'doc_title' in es.yaml contains the" in result.stderr and what in result.stderr


def test_output_paths_stay_inside_the_output_directory(tmp_path):
    assert inside(tmp_path, "handout/letter/es_spanish.pdf") == (tmp_path / "handout/letter/es_spanish.pdf").resolve()
    for evil in ("../x.pdf", "/etc/passwd", "handout/../../x.pdf"):
        with pytest.raises(ValueError):
            inside(tmp_path, evil)
    assert slug("../../etc/passwd") == "etc-passwd"


def test_a_batch_places_its_files_where_inside_does_and_refuses_what_it_refuses(tmp_path):
    out = tmp_path / "out"
    (out / "handout" / "letter").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "handout" / "letter" / "ar_arabic.pdf").symlink_to(tmp_path / "elsewhere" / "x.pdf")
    (out / "linked").symlink_to(tmp_path / "elsewhere")
    place = Placer(out)
    for good in ("handout/letter/es_spanish.pdf", "handout/letter/fr_french.pdf", "index.pdf", "poster/a3/en.pdf",
                 "thumbnails/handout/letter/es_spanish.png", "handout/letter/..", "handout/letter/", "handout/./letter/x.pdf"):
        assert place(good) == inside(out, good)
    for evil in ("../x.pdf", "/x.pdf", "/etc/passwd", "handout/../../x.pdf", "handout/letter/ar_arabic.pdf", "linked/y.pdf"):
        with pytest.raises(ValueError):
            inside(out, evil)
        with pytest.raises(ValueError):
            place(evil)
    assert slug("Chinese (Traditional)") == "chinese-traditional"


def test_language_code_cannot_become_a_path(data_copy):
    bad = data_copy / "languages" / "es.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("code: es", 'code: "../../es"'), encoding="utf-8")
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2 and "BCP 47" in result.stderr


class TestImages:
    def make_png(self, path: Path) -> Path:
        Image.new("RGB", (40, 20), "navy").save(path)
        return path

    def test_a_real_png_inside_the_data_directory_is_accepted(self, tmp_path):
        (tmp_path / "logos").mkdir()
        self.make_png(tmp_path / "logos" / "school.png")
        assert safe_image_path(tmp_path, "logos/school.png").name == "school.png"

    @pytest.mark.parametrize("src", ["/etc/hostname", "../outside.png", "logos/../../outside.png"])
    def test_files_outside_the_data_directory_are_refused(self, tmp_path, src):
        data = tmp_path / "data"
        data.mkdir()
        self.make_png(tmp_path / "outside.png")
        with pytest.raises(LayoutProblem, match="outside the data directory"):
            safe_image_path(data, src)

    def test_a_symlink_out_of_the_data_directory_is_refused(self, tmp_path):
        data = tmp_path / "data"
        data.mkdir()
        (data / "logo.png").symlink_to("/etc/hostname")
        with pytest.raises(LayoutProblem, match="outside the data directory"):
            safe_image_path(data, "logo.png")

    def test_a_file_that_only_pretends_to_be_png_is_refused(self, tmp_path):
        (tmp_path / "logo.png").write_text("not an image")
        with pytest.raises(LayoutProblem, match="not a PNG or JPEG"):
            safe_image_path(tmp_path, "logo.png")
        (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
        with pytest.raises(LayoutProblem, match="damaged"):
            safe_image_path(tmp_path, "cut.png")


def test_every_pdf_passes_qpdf_check_and_opens_in_pdfium(built):
    out, documents = built
    for entry in documents.values():
        path = out / entry["path"]
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == [], path  # qpdf's structural check
        document = pypdfium2.PdfDocument(str(path))
        assert len(document) == 1
        document.close()


def _pdfs_are_whole(out: Path) -> None:
    for path in out.rglob("*.pdf"):
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == [], path
    manifest = out / "manifest.json"
    if manifest.exists():
        for entry in json.loads(manifest.read_text())["documents"]:
            assert (out / entry["path"]).is_file()


def test_sigkill_during_a_build_leaves_only_whole_files_and_the_rerun_completes(tmp_path):
    """Kills land while files are being written: every run is forced to rebuild (an
    up-to-date run would write nothing and prove nothing)."""
    out = tmp_path / "out"
    languages = ["en", "es", "ar", "zh-Hant", "my", "ne", "ru", "am"]
    command = [sys.executable, "-m", "generator", "build", "--layout", "handout", "--jobs", "1", "--out", str(out)] + [
        a for code in languages for a in ("--lang", code)]
    started_at = time.monotonic()
    assert subprocess.run(command + ["--force"], cwd=ROOT, capture_output=True).returncode == 0  # a good earlier output
    duration = time.monotonic() - started_at  # kills are spread over a run's real length on this machine
    count = len(list(out.rglob("*.pdf")))
    kills_mid_run = 0
    # Where the writing happens within a run moves with the machine's load, so the kill times
    # close in on it: a kill that found nothing rewritten comes too early, one that found
    # everything rewritten too late.
    early, late = 0.3 * duration, 1.2 * duration
    for attempt in range(12):
        delay = early + (late - early) * (0.5 if attempt < 10 else 0.3 + 0.4 * (attempt - 10))
        started = out / "manifest.json"
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*.pdf")}
        process = subprocess.Popen(command + ["--force"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        rewritten = sum(1 for p, m in before.items() if p.stat().st_mtime_ns != m)
        if rewritten == 0:
            early = delay
        elif rewritten == count:
            late = delay
        else:
            kills_mid_run += 1  # killed after some files were replaced, before the rest
            early, late = early + (delay - early) * 0.5, late - (late - delay) * 0.5  # the next lands nearby
        _pdfs_are_whole(out)
        assert len(list(out.rglob("*.pdf"))) == count  # nothing good was lost
        assert started.exists()
        if kills_mid_run >= 3:
            break
    assert kills_mid_run >= 2, "the kills must land while the build is writing files"
    final = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    _pdfs_are_whole(out)
    assert not list(out.rglob("*.tmp")), "temporary files of killed runs are cleaned up"


def test_a_second_writer_is_refused_while_the_first_holds_the_output(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run_cli("build", "--lang", "en", "--out", str(out))
    assert result.returncode == 1 and "another build is writing" in result.stderr


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    from generator import write

    target = tmp_path / "doc.pdf"
    target.write_bytes(b"%PDF-old")

    def crash(*_args):
        raise KeyboardInterrupt  # as if the process were stopped mid-write

    monkeypatch.setattr(write.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write.atomic_write(target, b"%PDF-new but never finished")
    assert target.read_bytes() == b"%PDF-old"
    assert list(tmp_path.iterdir()) == [target]


def test_an_interrupted_batch_write_keeps_every_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    from generator import write

    targets = [tmp_path / "a.pdf", tmp_path / "sub" / "a.png"]
    targets[0].write_bytes(b"%PDF-old")

    def crash(*_args):
        raise KeyboardInterrupt  # stopped after writing, before the data reached the disk

    monkeypatch.setattr(write.os, "sync", crash)
    with pytest.raises(KeyboardInterrupt):
        write.atomic_write_all([(targets[0], b"%PDF-new"), (targets[1], b"PNG-new")])
    assert targets[0].read_bytes() == b"%PDF-old" and not targets[1].exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.pdf"]
    monkeypatch.undo()
    write.atomic_write_all([(targets[0], b"%PDF-new"), (targets[1], b"PNG-new")])
    assert targets[0].read_bytes() == b"%PDF-new" and targets[1].read_bytes() == b"PNG-new"
