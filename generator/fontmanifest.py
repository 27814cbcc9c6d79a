"""Load + validate: fonts/manifest.yaml -> which font file each script uses, and from where."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import Problems
from .load import Mapping
from .schema import check_keys, expect_mapping, load_mapping, named_entries, text

STYLES = ("regular", "bold")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str
    licence: str


@dataclass(frozen=True)
class FontSource:
    package: str
    file: str
    face: str = ""
    convert: str = ""
    add_latin_from: str = ""  # a family whose Latin letters are merged in at set-up


@dataclass(frozen=True)
class ScriptFont:
    family: str
    shaping: bool
    line_break: str  # "words" or "cjk"
    leading: float = 1.0  # multiplies the layout's line spacing


@dataclass(frozen=True)
class FontManifest:
    packages: dict[str, Package]
    families: dict[str, dict[str, FontSource]]
    scripts: dict[str, ScriptFont]
    build_dir: Path = Path("fonts/build")  # where `make fonts` put the prepared files


def read_font_manifest(path: Path, problems: Problems) -> FontManifest | None:
    root = load_mapping(path, problems, "the font manifest")
    if root is None:
        return None
    check_keys(root, ("packages", "families", "scripts"), (), "the font manifest", problems)
    packages = _packages(root.get("packages"), root, problems)
    families = _families(root.get("families"), root, packages, problems)
    scripts = _scripts(root.get("scripts"), root, families, problems)
    return FontManifest(packages, families, scripts, Path(path).parent / "build")


def _packages(raw, root: Mapping, problems: Problems) -> dict[str, Package]:
    out = {}
    for name, entry in named_entries(raw, root, "'packages'", problems):
        what = f"package '{name}'"
        check_keys(entry, ("version", "sha256", "licence"), (), what, problems)
        sha = text(entry, "sha256", problems, what=what)
        if sha and not re.fullmatch(r"[0-9a-f]{64}", sha):
            problems.error(entry.loc_of("sha256"), f"sha256 of {what} must be 64 lowercase hex digits")
        out[name] = Package(name, text(entry, "version", problems, what=what), sha, text(entry, "licence", problems, what=what))
    return out


def _families(raw, root: Mapping, packages: dict, problems: Problems) -> dict[str, dict[str, FontSource]]:
    out: dict[str, dict[str, FontSource]] = {}
    for family, styles in named_entries(raw, root, "'families'", problems):
        check_keys(styles, STYLES, (), f"font family '{family}'", problems)
        out[family] = {}
        for style in STYLES:
            entry = expect_mapping(styles.get(style), styles.loc, f"{family} {style}", problems) if style in styles else None
            if entry is None:
                continue
            what = f"font {family} {style}"
            check_keys(entry, ("package", "file"), ("face", "convert", "add_latin_from"), what, problems)
            package = text(entry, "package", problems, what=what)
            if package and package not in packages:
                problems.error(entry.loc_of("package"), f"{what} names unknown package '{package}'")
            convert = text(entry, "convert", problems, required=False, what=what)
            if convert not in ("", "truetype"):
                problems.error(entry.loc_of("convert"), f"{what}: convert must be 'truetype' or absent")
            out[family][style] = FontSource(
                package,
                text(entry, "file", problems, what=what),
                text(entry, "face", problems, required=False, what=what),
                convert,
                text(entry, "add_latin_from", problems, required=False, what=what),
            )
    for family, styles in out.items():
        for style, source in styles.items():
            if source.add_latin_from and source.add_latin_from not in out:
                problems.error(section_loc(raw, root), f"font {family} {style}: add_latin_from names unknown family '{source.add_latin_from}'")
    return out


def section_loc(raw, root: Mapping):
    return getattr(raw, "loc", root.loc)


def _scripts(raw, root: Mapping, families: dict, problems: Problems) -> dict[str, ScriptFont]:
    out = {}
    for script, entry in named_entries(raw, root, "'scripts'", problems):
        what = f"script '{script}'"
        check_keys(entry, ("family",), ("shaping", "line_break", "leading"), what, problems)
        family = text(entry, "family", problems, what=what)
        if family and family not in families:
            problems.error(entry.loc_of("family"), f"{what} uses unknown font family '{family}'")
        shaping = entry.get("shaping")
        if shaping is not None and getattr(shaping, "tag", "") != "bool":
            problems.error(entry.loc_of("shaping"), f"'shaping' in {what} must be true or false")
        line_break = text(entry, "line_break", problems, required=False, what=what) or "words"
        if line_break not in ("words", "cjk"):
            problems.error(entry.loc_of("line_break"), f"'line_break' in {what} must be 'words' or 'cjk'")
        leading = entry.get("leading", "1")
        try:
            leading_scale = float(leading)
        except ValueError:
            problems.error(entry.loc_of("leading"), f"'leading' in {what} must be a number such as 1.2")
            leading_scale = 1.0
        out[script] = ScriptFont(family, str(shaping).lower() == "true", line_break, leading_scale)
    return out


# --- the prepared files (`make fonts`) ---------------------------------------------------------

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
