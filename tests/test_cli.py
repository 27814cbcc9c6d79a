"""The command line as staff meet it: a `handouts` command, defaults that work, every
selector narrowing --all alike, options before or after the action, plain `error:` lines."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT, run_cli
from test_batch import FIXTURE_SCHOOLS


def test_handouts_is_a_console_script_and_python_m_generator_still_works():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["handouts"].partition(":")
    import importlib

    from generator.cli import main

    assert getattr(importlib.import_module(module), function) is main
    result = run_cli("list", separate_process=True)
    assert result.returncode == 0 and "handout" in result.stdout


def test_the_readme_uses_the_short_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m generator" not in readme.replace("`python -m generator` works too", "")
    for command in ("handouts build", "handouts schools import", "handouts links check", "handouts translations export"):
        assert command in readme
    assert "Before the semester run" in readme


def manifest(out: Path) -> dict[str, dict]:
    return {d["path"]: d for d in json.loads((out / "manifest.json").read_text())["documents"]}


def test_without_paper_each_layout_uses_its_own_first_paper(tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", "--layout", "poster", "--lang", "es", "--jobs", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [(d["layout"], d["paper"]) for d in manifest(out).values()] == [("poster", "tabloid")]


def test_a_paper_the_layout_cannot_use_is_an_error_that_says_what_to_do(tmp_path):
    result = run_cli("build", "--layout", "poster", "--lang", "es", "--paper", "letter", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    line = next(l for l in result.stderr.splitlines() if "not made for paper" in l)
    assert line.startswith("error: layout 'poster' is not made for paper 'letter'") and "--paper tabloid" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, expected", [
    (["build", "--lang", "xx"], "error: unknown language 'xx'"),
    (["build", "--layout", "postr"], "did you mean --layout poster?"),
    (["build", "--school", "nowhere"], "error: unknown school 'nowhere'"),
    (["build", "--jobs", "many"], "error: argument --jobs: invalid int value"),
    (["translations", "export", "--lang", "esp"], "did you mean --lang es?"),
    (["translations", "export"], "error: translations export writes one language: give --lang CODE"),
])
def test_errors_read_error_and_suggest_the_fix(args, expected, tmp_path):
    result = run_cli(*args, "--out", str(tmp_path / "out")) if args[0] == "build" else run_cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert "command line" not in result.stderr and "0:0" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("before, after", [
    (["translations", "--data", "{data}", "status"], ["translations", "status", "--data", "{data}"]),
    (["translations", "--data", "{data}", "--lang", "es", "export"], ["translations", "export", "--data", "{data}", "--lang", "es"]),
    (["translations", "--format", "xliff", "export", "--lang", "es"], ["translations", "export", "--lang", "es", "--format", "xliff"]),
    (["schools", "--data", "{data}", "export"], ["schools", "export", "--data", "{data}"]),
    (["--data", "{data}", "list"], ["list", "--data", "{data}"]),
])
def test_options_work_before_and_after_the_action(data_copy, before, after):
    fill = lambda args: [a.replace("{data}", str(data_copy)) for a in args]
    # A mark only this copy has, so the output shows the option was honoured, not the default.
    es = data_copy / "languages" / "es.yaml"
    es.write_text(es.read_text(encoding="utf-8").replace("Ayuda legal", "Ayuda legal (copia de prueba)", 1), encoding="utf-8")
    schools = data_copy / "schools.yaml"
    schools.write_text(schools.read_text(encoding="utf-8").replace("name: Hartford Public Schools", "name: Hartford Test Copy"), encoding="utf-8")
    first, second = run_cli(*fill(before)), run_cli(*fill(after))
    assert first.returncode == 0, first.stderr
    assert (first.returncode, first.stdout) == (second.returncode, second.stdout)
    if "--data" in before and "status" not in before and "list" not in before:
        assert "copia de prueba" in first.stdout or "Hartford Test Copy" in first.stdout


def test_links_options_before_and_after_the_action(data_copy):
    # Resources on a name that never resolves (RFC 6761): the check fails the same way, fast.
    set_unresolvable(data_copy)
    first = run_cli("links", "--data", str(data_copy), "--timeout", "2", "check")
    second = run_cli("links", "check", "--data", str(data_copy), "--timeout", "2")
    assert first.returncode == second.returncode == 1
    assert "2 s" in first.stdout and first.stdout == second.stdout


def set_unresolvable(data_dir: Path) -> None:
    path = data_dir / "resources.yaml"
    text = path.read_text(encoding="utf-8")
    for host in ("www.aclu.org", "www.immigrantdefenseproject.org"):
        text = text.replace(host, host.replace(".org", ".invalid"))
    path.write_text(text, encoding="utf-8")


# --- --all narrowed by every selector, and stale outputs removed only within the selection --------

@pytest.fixture
def two_schools(data_copy):
    (data_copy / "schools.yaml").write_text(FIXTURE_SCHOOLS, encoding="utf-8")
    return data_copy


def build_all(data: Path, out: Path, *extra: str):
    return run_cli("build", "--all", "--layout", "handout", "--lang", "en", "--jobs", "2", "--data", str(data), "--out", str(out), *extra)


def test_paper_and_school_narrow_all_like_layout_and_lang(two_schools, tmp_path):
    out = tmp_path / "out"
    result = build_all(two_schools, out, "--paper", "a4")
    assert result.returncode == 0, result.stderr
    assert {(d["school"], d["paper"]) for d in manifest(out).values()} == {("maple-elementary", "a4"), ("oak-middle", "a4")}
    result = build_all(two_schools, out, "--paper", "letter", "--school", "oak-middle")
    assert result.returncode == 0, result.stderr
    assert {(d["school"], d["paper"]) for d in manifest(out).values()} == {
        ("maple-elementary", "a4"), ("oak-middle", "a4"), ("oak-middle", "letter")}
    assert "removed" not in result.stdout


def test_a_narrowed_all_removes_stale_outputs_only_within_its_selection(two_schools, tmp_path):
    out = tmp_path / "out"
    assert build_all(two_schools, out).returncode == 0  # 2 schools x 2 papers
    assert len(manifest(out)) == 4
    text = (two_schools / "schools.yaml").read_text(encoding="utf-8")
    (two_schools / "schools.yaml").write_text(text[: text.index("  - id: oak-middle")], encoding="utf-8")
    # oak-middle is gone from the data, but this run is about maple-elementary's A4 files only.
    result = build_all(two_schools, out, "--paper", "a4", "--school", "maple-elementary")
    assert result.returncode == 0, result.stderr
    assert len(manifest(out)) == 4 and "removed" not in result.stdout
    result = build_all(two_schools, out, "--paper", "a4")  # every school's A4: oak's A4 goes, its Letter stays
    assert sorted(p for p in manifest(out) if p.startswith("oak-middle/")) == ["oak-middle/handout/letter/en_english.pdf"]
    assert "removed (no longer made): oak-middle/handout/a4/en_english.pdf" in result.stdout


def test_no_longer_made_respects_every_selector():
    from generator.pipeline import Options, no_longer_made

    entry = lambda **kw: SimpleNamespace(**{"variant": "plain", "layout": "handout", "lang": "en", "paper": "letter", "school": "a", **kw},
                                        path="/".join(kw.values()) or "base")
    entries = [entry(), entry(paper="a4"), entry(school="b"), entry(lang="es"), entry(layout="card")]
    assert no_longer_made(entries, [], Options(all=True, papers=["a4"])) == {"a4"}
    assert no_longer_made(entries, [], Options(all=True, schools=["b"])) == {"b"}
    assert no_longer_made(entries, [], Options(all=True, langs=["es"], papers=["letter"], schools=["a"])) == {"es"}
