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
        outcome = build(Options(out=out, paper=paper, layouts=["handout"]), log=lambda *_: None)
        assert not outcome.failed, outcome.failed
        documents += [entry.as_dict() for entry in outcome.built]
    return out, {(d["lang"], d["paper"]): d for d in documents}


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
