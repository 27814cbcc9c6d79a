"""Render support: prepared font files -> ReportLab font families, registered once per process."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .fontmanifest import FontManifest, ScriptFont
from .rlprivate import assign_private_codes, compact_unshaped_face, install_reading_order, install_subset_memo



class FontsNotPrepared(Exception):
    pass


@lru_cache(maxsize=8)
def prepared_files(build_dir: Path) -> dict[str, dict[str, Path]]:
    """family -> style -> prepared file, as recorded by `make fonts`."""
    stamp = build_dir / "prepared.json"
    if not stamp.exists():
        raise FontsNotPrepared("fonts are not prepared: run `make fonts` (or `make`) first")
    families = json.loads(stamp.read_text())["families"]
    return {family: {style: build_dir / f["file"] for style, f in styles.items()} for family, styles in families.items()}


def font_files_for(manifest: FontManifest, script: str) -> list[Path]:
    family = manifest.scripts[script].family
    files = prepared_files(manifest.build_dir).get(family)
    if not files:
        raise FontsNotPrepared(f"font family '{family}' is not prepared: run `make fonts`")
    return [files["regular"], files["bold"]]


LARGE_FAMILY = 8 * 1024 * 1024  # bytes of font files: the CJK families (20 MB a face, 120 MB once parsed)


def large_families(project) -> set[str]:
    """The families a worker should not hold more than one of (pipeline groups jobs by them)."""
    manifest = project.fonts
    files = prepared_files(manifest.build_dir)
    return {family for family in {script.family for script in manifest.scripts.values()}
            if family in files and sum(path.stat().st_size for path in files[family].values()) >= LARGE_FAMILY}


@lru_cache(maxsize=None)
def register_family(family: str, build_dir: Path) -> tuple[str, str]:
    """Register regular + bold under the family name so that <b> picks the bold face."""
    files = prepared_files(build_dir)[family]
    regular, bold = family, f"{family}-bold"
    for name, weight in ((regular, "regular"), (bold, "bold")):
        pdfmetrics.registerFont(TTFont(name, str(files[weight])))
        if not assign_private_codes(name):  # too large to shape (CJK): made small before the next face is parsed
            compact_unshaped_face(pdfmetrics.getFont(name).face)
    addMapping(regular, 0, 0, regular)
    addMapping(regular, 1, 0, bold)
    addMapping(regular, 0, 1, regular)
    addMapping(regular, 1, 1, bold)
    install_reading_order()
    install_subset_memo()
    return regular, bold


def script_font(manifest: FontManifest, script: str) -> tuple[ScriptFont, str, str]:
    info = manifest.scripts[script]
    regular, bold = register_family(info.family, manifest.build_dir)
    return info, regular, bold
