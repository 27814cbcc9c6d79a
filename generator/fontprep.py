"""Set-up: pinned Debian font packages -> checked, prepared TrueType files in fonts/build/.

Run once by `make` (idempotent). Each package is fetched with `apt-get download` at the
exact version in fonts/manifest.yaml and refused unless its sha256 matches. CFF-outline
faces (Noto CJK) are converted to TrueType outlines, because ReportLab embeds only those.
Every prepared face is saved without TrueType hinting (see without_hinting).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from .errors import DataError, Problems
from .fontmanifest import FontManifest, FontSource, read_font_manifest

ROOT = Path(__file__).resolve().parent.parent
FONTS_DIR = ROOT / "fonts"
CACHE_DIR = FONTS_DIR / "cache"
BUILD_DIR = FONTS_DIR / "build"
STAMP = BUILD_DIR / "prepared.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def deb_path(name: str, version: str) -> Path:
    return CACHE_DIR / f"{name}_{version.replace(':', '%3a')}_all.deb"


def fetch_package(name: str, version: str, sha256: str) -> Path:
    """Download one pinned package into the cache, unless a good copy is already there."""
    target = deb_path(name, version)
    if target.exists() and sha256_file(target) == sha256:
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        spec = f"{name}={version}"
        result = _apt_download(spec, tmp)
        if result.returncode != 0 and os.geteuid() == 0:
            # A new machine may have no package lists yet.
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            result = _apt_download(spec, tmp)
        if result.returncode != 0:
            raise SystemExit(
                f"fonts: cannot download Debian package {spec}:\n{result.stderr.strip()}\n"
                "This set-up needs apt-get and Debian 12 (bookworm) package lists."
            )
        downloaded = next(Path(tmp).glob("*.deb"))
        actual = sha256_file(downloaded)
        if actual != sha256:
            raise SystemExit(
                f"fonts: {spec} has sha256 {actual}, but fonts/manifest.yaml pins {sha256}. "
                "Refusing to use it; if the upgrade is deliberate, update the manifest."
            )
        os.replace(downloaded, target)
    return target


def _apt_download(spec: str, directory: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["apt-get", "download", "-qq", spec], cwd=directory, capture_output=True, text=True
    )


def deb_members(deb: Path, wanted: set[str]) -> dict[str, bytes]:
    """Read files out of a .deb (an `ar` archive holding data.tar.*) without dpkg."""
    data = deb.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise SystemExit(f"fonts: {deb} is not a Debian package")
    pos, found = 8, {}
    while pos < len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                for member in tar:
                    path = member.name.lstrip("./")
                    if path in wanted and member.isfile():
                        found[path] = tar.extractfile(member).read()
    missing = wanted - found.keys()
    if missing:
        raise SystemExit(f"fonts: {deb.name} lacks {', '.join(sorted(missing))}")
    return found


def convert_cff_to_truetype(font_bytes: bytes, face: str, out: Path) -> None:
    """Pick `face` from a collection and rewrite its CFF outlines as TrueType (glyf) outlines."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTCollection, TTFont, newTable

    fonts = TTCollection(io.BytesIO(font_bytes)).fonts if font_bytes[:4] == b"ttcf" else [TTFont(io.BytesIO(font_bytes))]
    font = next((f for f in fonts if f["name"].getDebugName(1) == face), None)
    if font is None:
        names = ", ".join(f["name"].getDebugName(1) for f in fonts)
        raise SystemExit(f"fonts: face '{face}' not found; the file has: {names}")
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        width, _ = hmtx.metrics[name]
        hmtx.metrics[name] = (width, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")  # TrueType's version; save_prepared sets its hinting limits
    maxp.tableVersion = 0x00010000
    maxp.maxComponentElements = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names: 65k CJK names would only add bulk
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    save_prepared(font, out)


LATIN_UNICODES = (
    list(range(0x20, 0x7F)) + list(range(0xA0, 0x250)) + list(range(0x2010, 0x2030)) + [0x2039, 0x203A, 0x20AC, 0x2122, 0x2212]
)


def merge_latin(script_font: bytes, latin_font: bytes, out: Path) -> None:
    """Add the Latin letters of `latin_font` to a script face (the script face wins on overlaps)."""
    from fontTools import subset
    from fontTools.merge import Merger, Options
    from fontTools.ttLib import TTFont

    latin = TTFont(io.BytesIO(latin_font))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=LATIN_UNICODES)
    subsetter.subset(latin)
    with tempfile.TemporaryDirectory() as tmp:
        script_path, latin_path = Path(tmp) / "script.ttf", Path(tmp) / "latin.ttf"
        script_path.write_bytes(script_font)
        latin.save(latin_path)
        with _overlaps_quiet():
            merged = Merger(options=Options(drop_tables=["vmtx", "vhea", "MATH"])).merge([str(script_path), str(latin_path)])
    script_head = TTFont(io.BytesIO(script_font))["head"]
    merged["head"].created, merged["head"].modified = script_head.created, script_head.modified
    save_prepared(merged, out)


def copy_face(font_bytes: bytes, out: Path) -> None:
    """A face used as it ships (Noto Sans), but for its hinting."""
    from fontTools.ttLib import TTFont

    save_prepared(TTFont(io.BytesIO(font_bytes)), out)


HINTING_TABLES = ("fpgm", "prep", "cvt ", "cvar", "hdmx", "LTSH", "VDMX")  # the programs and the metrics they give


def without_hinting(font) -> None:
    """Drop the TrueType hinting programs (the outlines, advances and layout tables stay
    exactly as they are, so every line breaks where it did). Hinting fits outlines to a
    coarse pixel grid; our pages are printed at 300 dpi or more and read zoomed on screens,
    where it changes a pixel here and there (a mean of one grey level in 255 at 100 dpi).
    But PDFium, the renderer of Chrome and of the pipeline's QR check and thumbnail, runs
    each glyph's program when it first draws it in a document (40 % of a handout's
    thumbnail time), and the programs were a sixth of every PDF's bytes. The CJK faces,
    converted from CFF, never had any."""
    for tag in HINTING_TABLES:
        if tag in font:
            del font[tag]
    font["glyf"].removeHinting()
    maxp = font["maxp"]
    if maxp.tableVersion >= 0x00010000:
        maxp.maxZones = 1
        for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                      "maxStackElements", "maxSizeOfInstructions"):
            setattr(maxp, field, 0)


def save_prepared(font, out: Path) -> None:
    """Every prepared face leaves here: without hinting, and the same bytes on every machine."""
    without_hinting(font)
    font.recalcTimestamp = False
    tmp = out.with_suffix(".tmp")
    font.save(tmp)
    os.replace(tmp, out)


@contextmanager
def _overlaps_quiet():
    """fontTools reports each character both faces map as a dropped mapping of the Latin
    face's glyph: that is merge_latin's rule (the script face wins), not a problem to show
    in the terminal. Every other message of the merge still shows."""
    def shown(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Dropped mapping from codepoint")

    logger = logging.getLogger("fontTools.merge")
    logger.addFilter(shown)
    try:
        yield
    finally:
        logger.removeFilter(shown)


def _prepare_one(job: tuple[str, str, FontSource, bytes, bytes | None]) -> tuple[str, str, str]:
    family, style, source, data, latin = job
    out = BUILD_DIR / f"{family}-{style}.ttf"
    if source.convert == "truetype":
        convert_cff_to_truetype(data, source.face, out)
    elif latin is not None:
        merge_latin(data, latin, out)
    else:
        copy_face(data, out)
    return family, style, out.name


def manifest_digest(manifest_path: Path) -> str:
    """Hash of what decides the prepared files (packages and families, not script settings)."""
    import yaml

    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    relevant = {"packages": manifest.get("packages"), "families": manifest.get("families"), "v": 6}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def up_to_date(manifest_path: Path) -> bool:
    if not STAMP.exists():
        return False
    stamp = json.loads(STAMP.read_text())
    if stamp.get("manifest") != manifest_digest(manifest_path):
        return False
    return all((BUILD_DIR / f["file"]).exists() for styles in stamp["families"].values() for f in styles.values())


def prepare(manifest_path: Path = FONTS_DIR / "manifest.yaml", jobs: int | None = None) -> None:
    if up_to_date(manifest_path):
        STAMP.touch()  # newer than the manifest, so make does not ask again
        print("fonts: up to date")
        return
    problems = Problems()
    manifest = read_font_manifest(manifest_path, problems)
    if problems.errors or manifest is None:
        raise DataError(problems)
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    (BUILD_DIR / "licences").mkdir(exist_ok=True)
    work = _collect_work(manifest)
    print(f"fonts: preparing {len(work)} font files (CJK conversion takes a minute or two) ...", flush=True)
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        done = list(pool.map(_prepare_one, work))
    families: dict[str, dict[str, dict]] = {}
    for family, style, name in done:
        families.setdefault(family, {})[style] = {"file": name, "sha256": sha256_file(BUILD_DIR / name)}
    stamp = {"manifest": manifest_digest(manifest_path), "families": families}
    tmp = STAMP.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, STAMP)
    print(f"fonts: prepared {len(done)} files in {BUILD_DIR}")


def _collect_work(manifest: FontManifest) -> list:
    wanted: dict[str, set[str]] = {}
    for styles in manifest.families.values():
        for source in styles.values():
            wanted.setdefault(source.package, set()).add(source.file)
    for name, pkg in manifest.packages.items():
        wanted.setdefault(name, set()).add(pkg.licence)
    contents: dict[str, dict[str, bytes]] = {}
    for name, pkg in manifest.packages.items():
        deb = fetch_package(name, pkg.version, pkg.sha256)
        contents[name] = deb_members(deb, wanted[name])
        (BUILD_DIR / "licences" / f"{name}.copyright.txt").write_bytes(contents[name][pkg.licence])
    def latin_for(source: FontSource, style: str) -> bytes | None:
        if not source.add_latin_from:
            return None
        latin = manifest.families[source.add_latin_from][style]
        return contents[latin.package][latin.file]

    return [
        (family, style, source, contents[source.package][source.file], latin_for(source, style))
        for family, styles in manifest.families.items()
        for style, source in styles.items()
    ]


if __name__ == "__main__":
    try:
        prepare()
    except DataError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
