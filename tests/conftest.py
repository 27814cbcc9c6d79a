"""Shared fixtures: the real project data, one build of every handout, and a CLI runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline import Options, build  # noqa: E402
from generator.validate import load_project  # noqa: E402

LANGUAGES = sorted(p.stem for p in (ROOT / "data" / "languages").glob("*.yaml"))
PAPERS = ["letter", "a4"]


@pytest.fixture(scope="session")
def project():
    project, problems = load_project(ROOT / "data", ROOT / "layouts", ROOT / "fonts")
    assert project is not None, "\n".join(map(str, problems.errors))
    return project


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every handout, built once for the whole test session: (output dir, manifest entries)."""
    out = tmp_path_factory.mktemp("output")
    documents = []
    for paper in PAPERS:
        outcome = build(Options(out=out, papers=[paper], layouts=["handout"]), log=lambda *_: None)
        assert not outcome.failed, outcome.failed
        documents += [entry.as_dict() for entry in outcome.built]
    return out, {(d["lang"], d["paper"]): d for d in documents}


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


# Two schools for tests of the semester batch (not real schools).
FIXTURE_SCHOOLS = """schools:
  - id: maple-elementary
    name: Maple Elementary School (test fixture)
    address: "1 Test Street"
    phone: "555-0100"
    logo: ""
    source: test fixture, not a real school
  - id: oak-middle
    name: Oak Middle School (test fixture)
    address: ""
    phone: ""
    logo: ""
    source: test fixture, not a real school
"""


def run_cli(*args: str, cwd: Path = ROOT, separate_process: bool = False) -> subprocess.CompletedProcess:
    """The command line, as a user runs it. In-process by default (starting Python and
    importing ReportLab for every call was most of the suite's time); end-to-end tests that
    need a real process (signals, a terminal, start-up) ask for one."""
    if separate_process:
        return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    import contextlib
    import io

    from generator.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse refuses a command line this way
            code = exc.code if isinstance(exc.code, int) else 2
    return subprocess.CompletedProcess(["generator", *args], code, out.getvalue(), err.getvalue())


def set_translation_status(data_dir: Path, code: str, status: str) -> None:
    """Make a language draft or reviewed in a test's own copy of the data, whatever the
    shipped data says today (a district reviews translations; tests must not care)."""
    import re

    path = data_dir / "languages" / f"{code}.yaml"
    text = path.read_text(encoding="utf-8")
    reviewed = status == "reviewed"
    text = re.sub(r"(?m)^  status: \w+$", f"  status: {status}", text, count=1)
    text = re.sub(r"(?m)^  reviewed_by: .*$", '  reviewed_by: "Test Reviewer"' if reviewed else '  reviewed_by: ""', text, count=1)
    text = re.sub(r"(?m)^  reviewed_on: .*$", '  reviewed_on: "2026-11-01"' if reviewed else '  reviewed_on: ""', text, count=1)
    path.write_text(text, encoding="utf-8")


def set_verified_on(data_dir: Path, value: str) -> None:
    """Every resource's verified_on, in a test's own copy of the data."""
    import re

    path = data_dir / "resources.yaml"
    path.write_text(re.sub(r'(?m)^(\s+verified_on: ).*$', rf'\g<1>"{value}"', path.read_text(encoding="utf-8")), encoding="utf-8")


# --- Chromium for the page tests: Debian's, never a downloaded one ------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (the catalog, the web edition, redirect pages, hostile data)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
