"""Render support: line breaking for Chinese text (between characters, with kinsoku rules).

ReportLab's CJK wrapper lets one closing mark hang past the line end but pushes a second
one (as in `。」`) alone onto the next line, and can split Latin words and phone numbers.
This breaker picks, for each line, the last break point where no closing mark would start
a line, no opening mark would end one, and no Latin word or number would be cut.
"""

from __future__ import annotations

from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.platypus.paragraph import Paragraph, ParaLines, _handleBulletWidth, cjkU, makeCJKParaLine

FUZZ = 1e-6


def _joined(left: str, right: str) -> bool:
    """True where a line must not break between `left` and `right`."""
    if right in ALL_CANNOT_START or left in ALL_CANNOT_END:
        return True
    # Inside a run of Latin letters, digits or punctuation ("Plyler", "800-421-3481").
    return ord(left) < 0x2E80 and ord(right) < 0x2E80 and not left.isspace() and not right.isspace()


def _break_before(glyphs: list, start: int, overflow: int) -> int:
    """Where to end the line that overflows at glyph `overflow` (index of the first glyph not to fit)."""
    if overflow < len(glyphs) and glyphs[overflow] in ALL_CANNOT_START and (
        overflow + 1 == len(glyphs) or not _joined(glyphs[overflow], glyphs[overflow + 1])
    ):
        return overflow + 1  # one closing mark may hang into the space the style keeps free
    for candidate in range(overflow, start, -1):
        if not _joined(glyphs[candidate - 1], glyphs[candidate]):
            return candidate
    return max(overflow, start + 1)  # no good break at all: cut rather than overflow


def cjk_lines(frags, max_widths, calc_bounds) -> ParaLines:
    glyphs = [cjkU(ch, frag, "utf8") for frag in frags for ch in (frag.text or "")]
    lines, start = [], 0
    while start < len(glyphs):
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        used, end = 0.0, start
        while end < len(glyphs) and (used + glyphs[end].width <= max_width + FUZZ or end == start):
            used += glyphs[end].width
            end += 1
        if end < len(glyphs):
            end = _break_before(glyphs, start, end)
        while end > start + 1 and glyphs[end - 1].isspace():
            end -= 1  # trailing spaces are not drawn
        width = sum(g.width for g in glyphs[start:end])
        lines.append(makeCJKParaLine(glyphs[start:end], max_width, width, max_width - width, False, calc_bounds))
        start = end
        while start < len(glyphs) and glyphs[start].isspace():
            start += 1
    return ParaLines(kind=1, lines=lines)


class CJKParagraph(Paragraph):
    """A Paragraph whose CJK line breaking follows the rules above."""

    def breakLinesCJK(self, maxWidths):
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        self.height = 0
        if any(hasattr(f, "cbDefn") or hasattr(f, "lineBreak") for f in self.frags) or self.style.endDots:
            return super().breakLinesCJK(maxWidths)
        if hasattr(self, "blPara") and getattr(self, "_splitpara", 0):
            return self.blPara
        _handleBulletWidth(self.bulletText, self.style, maxWidths)
        auto_leading = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        return cjk_lines(self.frags, maxWidths, auto_leading not in ("", "off"))
