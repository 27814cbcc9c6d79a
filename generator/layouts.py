"""Load + validate: layouts/ -> Layout objects (template source, paper sizes, text styles).

A layout is a folder `layouts/<name>/` holding `layout.yaml` (description, papers, styles)
and a Jinja2 template. Adding a layout means adding such a folder; no Python changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import Loc, Problems
from .load import Mapping, Scalar
from .model import Layout, Paper, Style
from .schema import check_keys, load_mapping, named_entries, text, text_list

UNITS = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0}
DIMENSION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(pt|mm|cm|in)?\s*$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5
ALIGNS = ("start", "end", "center", "justify")


def parse_dimension(value: str) -> float | None:
    """'12mm', '0.5in', '10pt' or a bare number of points -> points; None if malformed."""
    match = DIMENSION.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * UNITS[match.group(2) or "pt"]


def dimension(entry: Mapping, key: str, problems: Problems, what: str, default: float | None = None) -> float:
    value = entry.get(key)
    if value is None:
        if default is None:
            problems.error(entry.loc, f"missing '{key}' in {what}")
            return 0.0
        return default
    points = parse_dimension(value) if isinstance(value, Scalar) else None
    if points is None or points < 0:
        problems.error(getattr(value, "loc", entry.loc), f"'{key}' in {what} must be a size such as 10pt, 4mm or 0.5in, not '{value}'")
        return default or 0.0
    return points


def read_papers(path: Path, problems: Problems) -> dict[str, Paper]:
    root = load_mapping(path, problems, "papers.yaml")
    papers = {}
    for name, entry in named_entries(root, root, "papers.yaml", problems) if root is not None else ():
        check_keys(entry, ("width", "height"), (), f"paper '{name}'", problems)
        papers[name] = Paper(name, dimension(entry, "width", problems, name), dimension(entry, "height", problems, name))
    return papers


def read_layouts(directory: Path, papers: dict[str, Paper], problems: Problems) -> dict[str, Layout]:
    layouts = {}
    for path in sorted(directory.glob("*/layout.yaml")):
        layout = read_layout(path, papers, problems)
        if layout is not None:
            layouts[layout.name] = layout
    if not layouts:
        problems.error(Loc(str(directory), 1, 1), "no layouts found (layouts/<name>/layout.yaml)")
    return layouts


def read_layout(path: Path, papers: dict[str, Paper], problems: Problems) -> Layout | None:
    name = path.parent.name
    what = f"layout '{name}'"
    root = load_mapping(path, problems, what)
    if root is None:
        return None
    check_keys(root, ("description", "template", "papers", "styles"), ("min_qr_module", "min_qr_symbol", "pages", "fits", "design_paper", "languages", "page_languages", "overflow"), what, problems)
    template_name = text(root, "template", problems, what=what)
    template_path = path.parent / template_name
    source = ""
    if template_name:
        if "/" in template_name or not template_path.is_file():
            problems.error(root.loc_of("template"), f"template file '{template_name}' not found next to layout.yaml")
        else:
            source = template_path.read_text(encoding="utf-8")
            from .blocktree import template_source_problems  # the vocabulary lives with the parser

            for loc, message in template_source_problems(source, str(template_path)):
                problems.error(loc, f"{what}: {message}")
    layout_papers = []
    for paper in text_list(root, "papers", problems, what):
        if paper not in papers:
            problems.error(paper.loc, f"{what}: unknown paper '{paper}' (known: {', '.join(papers)})")
        layout_papers.append(str(paper))
    styles = read_styles(root.get("styles"), root, what, problems)
    fits = [("normal", styles)] + read_fits(root, styles, what, problems)
    min_module = dimension(root, "min_qr_module", problems, what, default=0.4 * UNITS["mm"])
    min_symbol = dimension(root, "min_qr_symbol", problems, what, default=0.0)
    pages = root.get("pages", Scalar("1", root.loc))
    if not (isinstance(pages, Scalar) and pages.isdigit() and int(pages) > 0):
        problems.error(root.loc_of("pages"), f"'pages' in {what} must be a whole number of pages")
        pages = "1"
    return Layout(
        name=name,
        description=text(root, "description", problems, what=what),
        directory=path.parent,
        template_name=template_name,
        template_source=source,
        papers=tuple(layout_papers),
        styles=styles,
        fits=tuple(fits),
        min_qr_module_mm=min_module / UNITS["mm"],
        min_qr_symbol_mm=min_symbol / UNITS["mm"],
        pages=int(pages),
        design_paper=_design_paper(root, papers, what, problems),
        language_mode=_language_mode(root, what, problems),
        page_languages=tuple(str(code) for code in text_list(root, "page_languages", problems, what)),
        path=str(path),
        continues=_overflow(root, what, problems) == "continue",
        pages_loc=root.loc_of("pages") if "pages" in root else root.loc,
    )


OVERFLOWS = ("fail", "continue")


def _overflow(root: Mapping, what: str, problems: Problems) -> str:
    """What happens when the body does not fit: `fail` (the default: every handout is one
    page) or `continue` on further pages, which `check` reports as a warning."""
    value = text(root, "overflow", problems, required=False, what=what) or "fail"
    if value not in OVERFLOWS:
        problems.error(root.loc_of("overflow"), f"{what}: 'overflow' must be one of {', '.join(OVERFLOWS)} (got '{value}')")
    return value


STYLE_KEYS = ("font_size", "leading", "color")
STYLE_OPTIONAL = ("bold", "align", "space_before", "space_after", "background", "border_color", "border_width", "padding")


LANGUAGE_MODES = ("each", "each-but-english", "together")


def _language_mode(root: Mapping, what: str, problems: Problems) -> str:
    mode = text(root, "languages", problems, required=False, what=what) or "each"
    if mode not in LANGUAGE_MODES:
        problems.error(root.loc_of("languages"), f"{what}: 'languages' must be one of {', '.join(LANGUAGE_MODES)}")
    return mode


def _design_paper(root: Mapping, papers: dict, what: str, problems: Problems) -> str:
    name = text(root, "design_paper", problems, required=False, what=what)
    if name and name not in papers:
        problems.error(root.loc_of("design_paper"), f"{what}: design_paper '{name}' is not in papers.yaml")
    return name


def read_fits(root: Mapping, styles: dict[str, Style], what: str, problems: Problems) -> list[tuple[str, dict[str, Style]]]:
    """`fits`: named sets of style overrides, tried in order (each adding to the one before)
    when the page overflows."""
    fits, base = [], root.get("styles")
    for name, overrides in named_entries(root.get("fits"), root, f"'fits' of {what}", problems):
        base = merge_style_overrides(base, overrides, root, f"{what} (fit '{name}')", problems)
        fits.append((name, {**styles, **read_styles(base, root, f"{what} (fit '{name}')", problems)}))
    return fits


def merge_style_overrides(base, overrides, root: Mapping, what: str, problems: Problems) -> Mapping:
    """Entries of `overrides` replace some keys of the base style of the same name."""
    merged = Mapping(getattr(base, "loc", root.loc))
    for name, entry in (base.items() if isinstance(base, Mapping) else []):
        merged[name] = entry
        merged.key_locs[name] = base.key_locs[name]
    for name, override in named_entries(overrides, root, what, problems):
        if not isinstance(base, Mapping) or name not in base or not isinstance(base[name], Mapping):
            problems.error(override.loc, f"style '{name}' in {what} overrides no style of that name")
            continue
        entry = Mapping(override.loc)
        for source in (base[name], override):
            for key, value in source.items():
                entry[key] = value
                entry.key_locs[key] = source.key_locs[key]
        merged[name] = entry
        merged.key_locs[name] = override.loc
    return merged


def read_styles(raw, root: Mapping, what: str, problems: Problems) -> dict[str, Style]:
    styles = {}
    for name, entry in named_entries(raw, root, f"'styles' of {what}", problems):
        where = f"style '{name}' of {what}"
        check_keys(entry, STYLE_KEYS, STYLE_OPTIONAL, where, problems)
        colours = {k: text(entry, k, problems, required=k == "color", what=where) for k in ("color", "background", "border_color")}
        for key, colour in colours.items():
            if colour and not HEX_COLOUR.match(colour):
                problems.error(entry.loc_of(key), f"'{key}' in {where} must be a colour like #1a1a1a, not '{colour}'")
        align = text(entry, "align", problems, required=False, what=where) or "start"
        if align not in ALIGNS:
            problems.error(entry.loc_of("align"), f"'align' in {where} must be one of {', '.join(ALIGNS)}")
        bold = entry.get("bold")
        if bold is not None and getattr(bold, "tag", "") != "bool":
            problems.error(entry.loc_of("bold"), f"'bold' in {where} must be true or false")
        style = Style(
            name=name,
            font_size=dimension(entry, "font_size", problems, where),
            leading=dimension(entry, "leading", problems, where),
            color=colours["color"],
            bold=str(bold).lower() == "true",
            align=align,
            space_before=dimension(entry, "space_before", problems, where, default=0.0),
            space_after=dimension(entry, "space_after", problems, where, default=0.0),
            background=colours["background"],
            border_color=colours["border_color"],
            border_width=dimension(entry, "border_width", problems, where, default=0.0),
            padding=dimension(entry, "padding", problems, where, default=0.0),
        )
        check_contrast(style, entry, where, problems)
        styles[name] = style
    return styles


def relative_luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_contrast(style: Style, entry: Mapping, where: str, problems: Problems) -> None:
    """Text must stay readable on an office laser printer: WCAG contrast of at least 4.5:1."""
    if not HEX_COLOUR.match(style.color or ""):
        return
    background = style.background if HEX_COLOUR.match(style.background or "") else "#ffffff"
    ratio = contrast_ratio(style.color, background)
    if ratio < MIN_CONTRAST:
        problems.error(entry.loc_of("color"), f"{where}: text contrast {ratio:.1f}:1 is below {MIN_CONTRAST}:1; use a darker colour")
