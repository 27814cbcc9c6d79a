"""What the tool says is true: it runs in a terminal, print variants keep each other, every
school's copy is verified and has its own thumbnail, `check` finds what `build` would, the
layout stage needs no canvas, and a document's bytes depend only on its inputs."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SCHOOLS, ROOT, run_cli

TWO_SCHOOLS = FIXTURE_SCHOOLS


def manifest(out: Path) -> dict[str, dict]:
    return {d["path"]: d for d in json.loads((out / "manifest.json").read_text())["documents"]}


def run_in_terminal(args: list[str], timeout: float = 240) -> tuple[int, str]:
    """Run the command line with a pseudo-terminal as stdin, stdout and stderr, as a person
    typing it would: the progress bar and everything else that only a terminal triggers."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a usual terminal's size
    process = subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=ROOT, stdin=slave, stdout=slave,
                               stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            process.kill()
            raise AssertionError("the command hung in a terminal")
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_build_in_a_terminal_shows_a_progress_bar_and_succeeds(tmp_path):
    code, output = run_in_terminal(["build", "--layout", "handout", "--lang", "en", "--lang", "es", "--jobs", "1",
                                    "--out", str(tmp_path / "out")])
    assert "Traceback" not in output, output
    assert code == 0, output
    assert re.search(r"100%\|.*\| 2/2", output), output  # the terminal's progress bar reached the end
    assert "built 2," in output


def test_build_without_a_terminal_logs_a_line_per_tenth(tmp_path):
    result = run_cli("build", "--layout", "handout", "--lang", "en", "--lang", "es", "--jobs", "1", "--out", str(tmp_path / "out"))
    assert result.returncode == 0
    assert "[2/2] 100%" in result.stderr and "\r" not in result.stderr


@pytest.fixture
def schools_data(data_copy):
    (data_copy / "schools.yaml").write_text(TWO_SCHOOLS, encoding="utf-8")
    return data_copy


def test_print_variants_keep_each_other(schools_data, tmp_path):
    out = tmp_path / "out"
    base = ["build", "--all", "--layout", "handout", "--lang", "en", "--jobs", "1", "--data", str(schools_data), "--out", str(out)]
    assert run_cli(*base).returncode == 0
    assert run_cli(*base, "--grayscale").returncode == 0
    assert run_cli(*base, "--bleed").returncode == 0
    again = run_cli(*base)  # what `make` runs: it must not delete the other variants
    assert again.returncode == 0 and "removed" not in again.stdout
    entries = manifest(out)
    variants = {(e["school"], e["paper"], e["variant"]) for e in entries.values()}
    assert variants == {(s, p, v) for s in ("maple-elementary", "oak-middle") for p in ("letter", "a4")
                        for v in ("plain", "gray", "bleed")}
    for path in entries:
        assert (out / path).is_file()
    catalog = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{path}"' in catalog for path in entries)
    # A variant's own stale outputs are still removed: a school dropped from the data
    # loses its grayscale copies when the grayscale run is made.
    (schools_data / "schools.yaml").write_text(TWO_SCHOOLS[: TWO_SCHOOLS.index("  - id: oak-middle")], encoding="utf-8")
    result = run_cli(*base, "--grayscale")
    removed = [line for line in result.stdout.splitlines() if line.startswith("removed")]
    assert len(removed) == 2 and all("oak-middle" in line and "-gray.pdf" in line for line in removed)
    assert any(e["school"] == "oak-middle" and e["variant"] == "plain" for e in manifest(out).values())


def test_every_school_copy_is_verified_and_has_its_own_thumbnail(schools_data, tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", "--all", "--layout", "handout", "--lang", "en", "--paper", "letter", "--jobs", "1",
                     "--data", str(schools_data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    letter = {e["school"]: e for e in manifest(out).values() if e["paper"] == "letter"}
    maple, oak = letter["maple-elementary"], letter["oak-middle"]
    assert maple["thumbnail"] != oak["thumbnail"]
    assert (out / maple["thumbnail"]).read_bytes() != (out / oak["thumbnail"]).read_bytes()  # each shows its school
    for entry in (maple, oak):
        verified = entry["verified"]
        assert verified["pages"] == 1 and verified["lang"] == "en" and verified["title"] == entry["title"]
        assert verified["fonts"].startswith("all embedded")
    decoded = [e for e in letter.values() if e["verified"]["qr"] == "decoded"]
    assert len(decoded) >= 1
    for entry in letter.values():
        qr = entry["verified"]["qr"]
        assert qr == "decoded" or qr == f"identical-to {decoded[0]['path']}"


def test_a_qr_code_drawn_differently_is_decoded_not_assumed(project, monkeypatch):
    """Sharing a decode between documents rests on the drawings being byte-identical: a code
    whose drawing differs is decoded on its own, and a broken one fails even when an
    identical-looking document was verified before it."""
    from generator import qr
    from generator.pipeline import run_job
    from generator.plan import select
    from generator.errors import Problems

    jobs = select(project, ["handout"], ["en"], ["letter"], [], Problems())
    decoded: dict[str, str] = {}
    first = run_job(project, jobs[0], decoded)
    assert not first.error and first.entry.verified.qr == "decoded"
    second = run_job(project, jobs[0], decoded)
    assert second.entry.verified.qr == f"identical-to {jobs[0].output}"

    original = qr.qr_matrix.__wrapped__

    def damaged(url):
        matrix = [list(row) for row in original(url)]
        for row in matrix[4:20]:  # wipe most of the symbol: it no longer decodes
            row[4:20] = [False] * 16
        return tuple(tuple(row) for row in matrix)

    monkeypatch.setattr(qr, "qr_matrix", damaged)
    broken = run_job(project, jobs[0], decoded)
    assert "QR codes do not decode" in broken.error


# --- check finds what build would (typed parse and pure layout) ---------------------------

@pytest.fixture
def layouts_copy(tmp_path):
    import shutil

    target = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", target)
    return target


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_check_fails_for_a_translation_that_overflows(data_copy):
    edit(data_copy / "languages" / "es.yaml", 'legal_body: "', 'legal_body: "' + "Texto muy largo. " * 150)
    result = run_cli("check", "--data", str(data_copy))
    assert result.returncode == 2
    line = next(l for l in result.stderr.splitlines() if "/handout/es/letter" in l)
    assert line.startswith(str(data_copy / "languages" / "es.yaml").removeprefix(str(Path.cwd()) + "/"))
    assert re.search(r"text overflows the body region: <\w+>", line), line


def test_check_fails_for_a_misspelt_attribute_at_the_template_line(layouts_copy):
    template = layouts_copy / "handout" / "handout.xml.j2"
    line = edit(template, '<p style="tagline">', '<p styel="tagline">')
    result = run_cli("check", "--layouts", str(layouts_copy))
    assert result.returncode == 2
    assert re.search(rf"handout\.xml\.j2:{line}:\d+: error: .*unknown attribute 'styel' \(did you mean 'style'\?\)", result.stderr)


def test_check_fails_for_an_unknown_element_at_the_template_line(layouts_copy):
    template = layouts_copy / "poster" / "poster.xml.j2"
    line = edit(template, "<rule", "<rul")
    result = run_cli("check", "--layouts", str(layouts_copy))
    assert result.returncode == 2
    assert re.search(rf"poster\.xml\.j2:{line}:\d+: error: .*unknown element <rul> \(did you mean 'rule'\?\)", result.stderr)


def test_check_fails_for_a_bad_frame_size_made_by_the_template(layouts_copy):
    """A size computed by Jinja is only known once rendered: `check` renders and parses
    every document, and names the template line that writes the element."""
    template = layouts_copy / "card" / "card.xml.j2"
    line = edit(template, 'id="front-{{ r }}-{{ c }}" x="{{ left + c * card_w }}pt"', 'id="front-{{ r }}-{{ c }}" x="{{ left + c * card_w }}oops"')
    result = run_cli("check", "--layouts", str(layouts_copy))
    assert result.returncode == 2
    assert re.search(rf"card\.xml\.j2:{line}:1: error: .*/card/es/letter: <frame> needs x= as a size", result.stderr)


def test_layout_places_every_block_without_a_canvas(project, monkeypatch):
    import reportlab.pdfgen.canvas

    from generator.layout import CropMarks, Placed, lay_out

    def no_canvas(*_args, **_kwargs):
        raise AssertionError("the layout stage must not draw")

    monkeypatch.setattr(reportlab.pdfgen.canvas, "Canvas", no_canvas)
    for code in ("en", "ar"):
        laid_out = lay_out(project, project.layouts["handout"], project.languages[code], "letter")
        width, height = laid_out.size
        placed = [item for item in laid_out.pages[0].items if isinstance(item, Placed)]
        assert placed and laid_out.fit in [name for name, _ in project.layouts["handout"].fits]
        for item in placed:  # inside the 0.5 in margins, top to bottom in order
            assert 36 - 1e-6 <= item.x and item.x + item.avail_width <= width - 36 + 1e-6
            assert 36 - 1e-6 <= item.y and item.y + item.height <= height - 36 + 1e-6
        tops = [item.y + item.height for item in placed]
        assert tops == sorted(tops, reverse=True) or code == "ar"
    card = lay_out(project, project.layouts["card"], project.languages["en"], "letter")
    assert [type(i) for i in card.pages[0].items if isinstance(i, CropMarks)] == [CropMarks]


def test_a_documents_bytes_do_not_depend_on_what_the_process_drew_before(tmp_path):
    """Shaped scripts draw glyphs no character maps to; their codes must not come from a
    counter shared with the documents drawn earlier in the same process."""
    alone, after = tmp_path / "alone", tmp_path / "after"
    common = ["build", "--layout", "handout", "--paper", "letter", "--jobs", "1"]
    assert run_cli(*common, "--lang", "ne", "--out", str(alone), separate_process=True).returncode == 0
    others = [a for code in ("bn", "my", "ar", "ps", "ne") for a in ("--lang", code)]
    assert run_cli(*common, *others, "--out", str(after), separate_process=True).returncode == 0
    name = "hartford-public-schools/handout/letter/ne_nepali.pdf"
    found = list(alone.rglob("ne_nepali.pdf"))
    assert found, "the Nepali handout was built"
    relative = found[0].relative_to(alone)
    assert (alone / relative).read_bytes() == (after / relative).read_bytes(), name


def test_a_manifest_entry_is_written_whole_and_read_back_equal():
    """What the manifest records of a document (every field, the verification, each printed
    code, the warnings) is read back by the next run as the same entry: an incremental build
    trusts it."""
    import dataclasses

    from generator.manifest import ManifestEntry, PrintedCode, Verified

    values = {field.name: f"<{field.name}> \"é\"" for field in dataclasses.fields(ManifestEntry)}
    values.update(pages=1, bytes=2048, qr=("https://a.example/x", "https://b.example/y"), languages=("en", "ar"),
                  verified=Verified(1, "ar", "title", "all embedded (2)", "identical-to x/y.pdf", "own"),
                  qr_codes=(PrintedCode("https://a.example/x", 25.0, 0.76, "https://c.example/"),),
                  warnings=("resource 'aclu': verified_on is empty",))
    entry = ManifestEntry(**values)
    raw = json.loads(json.dumps(entry.as_dict()))
    assert ManifestEntry.from_dict(raw) == entry
    assert raw == json.loads(json.dumps(dataclasses.asdict(entry)))  # the shape every earlier manifest had
    assert raw["verified"]["qr"] == "identical-to x/y.pdf" and raw["qr_codes"][0]["module_mm"] == 0.76
