"""Render support: prepared font files -> ReportLab font families, registered once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .fontmanifest import FontManifest, ScriptFont
# Which prepared file a script uses needs no ReportLab; it lives with the manifest (re-exported here).
from .fontmanifest import FontsNotPrepared, font_files_for, large_families, prepared_files  # noqa: F401
from .rlprivate import assign_private_codes, compact_unshaped_face, install_reading_order, install_subset_memo



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
