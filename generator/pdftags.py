"""Draw support: the PDF's text layer and structure (tagged PDF), checked against ReportLab 5.1.0,
PDFium 159.0.8149.0 (pypdfium2 5.15.2) and Poppler 22.12 (pdftotext, pdfinfo).

Why this module exists: open-source ReportLab writes neither a structure tree nor
/ActualText. Its shaped text maps conjuncts, reordered vowel signs and joined forms to
nothing or to private-use codes (see rlprivate.assign_private_codes), and our right-to-left
lines are drawn run by run in visual order, so what a viewer extracts is not what the page
says. One mechanism serves both needs, marked content:

- every block's drawing is marked content with an id, `/P <</MCID n>> BDC ... EMC`, that a
  structure element (H1, H2, P, L/LI/LBody, Figure with /Alt and /BBox, Div with /Lang) points to;
- a block of shaped text is `/Span <</MCID n /ActualText (...)>> BDC ... EMC`, the logical
  text as UTF-16BE with a byte-order mark, so extraction returns that; right-to-left lines
  are marked word by word for Poppler (each word a content item of its own, the element
  listing them in reading order) and line by line for PDFium (see "right-to-left lines");
- content items never nest (Poppler's pdfinfo -struct-text ends an item at the first EMC
  inside it);
- everything drawn outside a block (rules, tints, table backgrounds, crop and cut marks)
  is `/Artifact`;
- the catalog gets /StructTreeRoot, /MarkInfo <</Marked true>> and DisplayDocTitle; each
  page /StructParents (its entry in the parent tree).

Blocks say what they are with `mark(flowable, Tag(...))` (blocks.py); the draw stage draws
on a `TaggedCanvas`, which builds the tree while the flowables draw and writes it at save.

ReportLab internals used (re-check on upgrade; tests/test_textlayer.py covers them):
`Canvas._code` (the page's operators: the page-wide artifact sequence is opened at its
start, and a list item's opening operator moves after its bullet), `Canvas._doc`
(PDFDocument: Reference() registers the structure objects, Pages holds the page
dictionaries, info what the Info dictionary says, repeated in the XMP metadata), `PDFPage.__NoDefault__` (the keys a page dictionary writes; ReportLab's list
lacks /StructParents), `Flowable._hAlignAdjust` (where drawOn puts a figure, for its /BBox)
and `PDFTextObject._code` (marked content between the show operators of one text block, so
that cutting a line into words moves no glyph). Everything else is public: `addLiteral`,
`setCatalogEntry`, `setViewerPreference`, `absolutePosition`, `reportlab.pdfbase.pdfdoc`
objects (XMP among them). `IdsAndReferences` and `StructElem` write what ReportLab's
PDFArray and PDFDictionary would, faster, so they read `PDFDocument.idToObjectNumberAndVersion`
and `rl_config.pdfMultiLine` as those do (tests/test_textlayer.py compares the bytes).
"""

from __future__ import annotations

import types
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import XMP, PDFArray, PDFDictionary, PDFName, PDFObject, PDFObjectReference, PDFPage, PDFString
from reportlab.pdfgen.canvas import Canvas

from .rlprivate import RememberingTextObject, install_bullet_labels

CONTENT_ROLES = {"H1", "H2", "H3", "P", "LBody", "Figure"}  # roles whose drawing is their content


@dataclass(frozen=True)
class Tag:
    """What a block is, for the structure tree.

    role: a standard structure type, or "" for a block that is not an element of its own
    (spacers, rules, columns: its children belong to the enclosing element).
    text: the logical text, written as /ActualText (on the element, and around the drawing
    unless the flowable marks its runs itself) when `actual`: the glyphs drawn do not say it. lang: the block's language (BCP 47). alt: a figure's alternative
    text. columns: for columns drawn mirrored (right to left), how many blocks each cell
    holds in drawing order, so that the tree keeps the logical order.
    """

    role: str
    text: str = ""
    actual: bool = False
    lang: str = ""
    alt: str = ""
    columns: tuple[int, ...] = ()
    own_spans: bool = False  # the flowable marks its runs itself (rtl.py); the element still says its text


def mark(flowable, tag: Tag):
    """Attach `tag` to a flowable: while it draws on a TaggedCanvas, its structure element is open.

    ReportLab draws nested flowables (table cells) itself through `drawOn`, so the hook is an
    instance attribute that shadows the class's `drawOn` and calls it."""
    flowable._tag = tag
    if "drawOn" not in vars(flowable):
        flowable.drawOn = types.MethodType(_tagged_draw_on, flowable)
    return flowable


def _tagged_draw_on(self, canvas, x, y, _sW=0):
    structure = getattr(canvas, "structure", None)
    if structure is None:
        return type(self).drawOn(self, canvas, x, y, _sW)
    structure.open(self._tag, _drawn_box(self, canvas, x, y, _sW) if self._tag.role == "Figure" else None)
    try:
        return type(self).drawOn(self, canvas, x, y, _sW)
    finally:
        structure.close()


def _drawn_box(flowable, canvas, x: float, y: float, shift: float) -> tuple[float, float, float, float]:
    """Where a figure lands on its page (default user space: what a figure's /BBox gives),
    from the canvas's current matrix. Figures (a QR code, an image) have a fixed size, which
    their wrap returns whatever the space offered."""
    width, height = flowable.wrap(0, 0)
    x = flowable._hAlignAdjust(x, shift)  # as Flowable.drawOn places it
    corners = [canvas.absolutePosition(x + dx, y + dy) for dx in (0, width) for dy in (0, height)]
    xs, ys = [round(cx, 2) for cx, _ in corners], [round(cy, 2) for _, cy in corners]
    return min(xs), min(ys), max(xs), max(ys)


@lru_cache(maxsize=4096)
def utf16_hex(text: str) -> str:
    """A PDF text string as a hex string: UTF-16BE with byte-order mark (any script, no escaping).
    Remembered: every school's copy marks the same words (a worker runs one page's copies in a
    row, so a small memory serves; whole paragraphs pass through here too)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


# --- right-to-left lines: one text for Poppler, one for PDFium --------------------------------
#
# Both engines take a line's characters in drawing position order (left to right) and turn it
# back into logical order with their own bidi heuristics, and the two heuristics disagree:
#
# - Poppler (TextOutputDev) places an /ActualText's characters over its glyphs from left to
#   right and reverses each right-to-left section of the line (letters, spaces, marks) as a
#   whole, keeping left-to-right sections (Latin, digits) as they are. Given each
#   right-to-left word reversed (its visual order), with direction marks around neutral
#   characters (poppler_word_text), every word comes back, and on a page it reads right to
#   left every line in order. It honours /ActualText only on /Span marked content with an
#   inline property list.
# - PDFium (cpdf_textpage.cpp, CloseTempLine) cuts the line into segments at every change of
#   bidi class (right-to-left letters, left-to-right letters, weak characters such as digits,
#   vowel marks, ZWNJ, '-' and '/', neutrals) and, when the line has more right-to-left
#   segments than left-to-right ones, emits the segments in reverse order, mirroring brackets.
#   Measured with the pinned build (the published source of November 2025 reverses the
#   letters inside right-to-left segments; this build does not for /ActualText): characters
#   from /ActualText keep their order inside a segment, a tie reads left to right, and a text
#   object PDFium takes as right to left gives its /ActualText reversed. So "I-200" in an
#   Arabic line came back as "-200I", "قاضٍ" as "ٍقاض", and a one-run line in reverse word
#   order. PDFium honours /ActualText on any marked content, the innermost property list
#   winning.
#
# So each word is drawn inside `/Span <</ActualText (word as Poppler needs it)>> BDC`, and
# inside that an inner `/LineText <<...>> BDC`, which Poppler ignores (not a /Span). One text
# object of the line carries in its inner property list the whole line, arranged so that
# PDFium's reordering gives the logical text back (pdfium_line_text); the inner list of every
# other object is empty, so PDFium takes nothing from them. Which object carries it, and
# whether PDFium will reverse it, is decided by line_carrier. tests/test_textlayer.py checks
# both engines in every right-to-left language, word by word and paragraph by paragraph, and
# this model against the pinned PDFium (test_pdfium_reads_back_the_line_text_built_for_it).

MIRRORED = {"(": ")", ")": "(", "[": "]", "]": "[", "{": "}", "}": "{", "<": ">", ">": "<", "«": "»", "»": "«"}
_WEAK = {"AN", "EN", "NSM", "CS", "ES", "ET", "BN"}


def _pdfium_class(ch: str) -> str:
    """PDFium's four classes (CFX_BidiChar): L, R, W (weak, kept left to right) or N."""
    bidi = unicodedata.bidirectional(ch)
    if bidi == "L":
        return "L"
    if bidi in ("R", "AL"):
        return "R"
    return "W" if bidi in _WEAK else "N"


def _pdfium_segments(text: str) -> list[tuple[str, str]]:
    segments: list[tuple[str, str]] = []
    for ch in text:
        kind = _pdfium_class(ch)
        if segments and segments[-1][0] == kind:
            segments[-1] = (kind, segments[-1][1] + ch)
        else:
            segments.append((kind, ch))
    return segments


def pdfium_reads_right_to_left(text: str) -> bool:
    """Whether PDFium takes a line as right to left: more right-to-left segments than
    left-to-right ones (measured: a tie reads left to right)."""
    kinds = [kind for kind, _ in _pdfium_segments(text)]
    return kinds.count("R") > kinds.count("L")


def pdfium_direction(glyphs: str) -> str:
    """"R" or "L" when PDFium surely reads a text object's glyphs (their Unicode) in that
    direction: strong letters of one direction only. "" otherwise: measured, PDFium turned a
    full stop or a ligature (a private-use code, which Unicode calls L) around when it stood
    among right-to-left words, and not when alone, so such objects never carry the line."""
    if any(unicodedata.category(ch) == "Co" for ch in glyphs):
        return ""
    kinds = {kind for kind, _ in _pdfium_segments(glyphs)} & {"L", "R"}
    return kinds.pop() if len(kinds) == 1 else ""


def pdfium_line_text(logical: str) -> str:
    """The string PDFium turns into `logical` when a line's text is read from one /ActualText.

    PDFium walks the segments (in reverse when the line reads right to left), mirroring the
    brackets of those it treats as right to left; this builds the segments it must find so
    that the walk yields `logical`: the same classes, so the same direction and the same walk."""
    rtl = pdfium_reads_right_to_left(logical)
    current = "R" if rtl else "L"
    parts = []
    for kind, text in _pdfium_segments(logical):
        if kind == "R" or (kind == "N" and current == "R"):
            current = "R"
            text = "".join(MIRRORED.get(ch, ch) for ch in text)
        elif kind != "W":
            current = "L"
        parts.append(text)
    return "".join(reversed(parts) if rtl else parts)


def line_carrier(objects: list[tuple[float, object, str, bool]], logical: str) -> tuple[object, str]:
    """Which text object of a right-to-left line gives PDFium the line, and what it says.

    `objects`: (where PDFium places it, key, the Unicode of its glyphs, drawn as one text
    object) for every word's object. The carrier is the first right-to-left object PDFium
    reads (leftmost; else the first left-to-right one) whose own glyphs have one direction:
    PDFium gives the text of a right-to-left object reversed, and, measured on these pages, it
    also turned around objects of neutral glyphs (a full stop, a ligature's private-use code)
    and a Latin word in the Arabic font standing among right-to-left words, though not the
    same objects on a page of their own, so those carry the line only when nothing else can
    (then the leftmost, taken as the line's direction). Returns (key or None, text to write)."""
    ordered = sorted(objects, key=lambda item: item[0])
    candidates = [(key, pdfium_direction(glyphs) if whole else "") for _, key, glyphs, whole in ordered]
    chosen = [c for c in candidates if c[1] == "R"] or [c for c in candidates if c[1] == "L"]
    if not chosen and candidates:
        chosen = [(candidates[0][0], "R" if pdfium_reads_right_to_left(logical) else "L")]
    if not chosen:
        return None, ""
    key, direction = chosen[0]
    text = pdfium_line_text(logical)
    return key, text[::-1] if direction == "R" else text


RLM = "\u200f"  # RIGHT-TO-LEFT MARK: invisible, and a right-to-left character in Poppler's table
LRM = "\u200e"  # LEFT-TO-RIGHT MARK: the same, left to right


def poppler_word_text(word: str, rtl: bool) -> str:
    """What a word's /Span says so that Poppler's `pdftotext` gives the word back whole, and
    on a right-to-left page its line in logical order.

    Poppler (TextOutputDev.cc, reorderText, read at commit 13c95f2 of July 2021; measured
    with pdftotext 22.12) spreads the text over the word's glyphs from left to right, so a
    right-to-left word is given reversed. It then cuts the line into sections by its own
    type table (UnicodeTypeTable.cc: Arabic letters 'R'; vowel marks, tanwin, ZWNJ, spaces,
    brackets and quotation marks neutral 'N'; '.', '،', ':' and digits numeric '#'): a
    left-to-right section runs over every character that is not 'R' and is written as it
    stands, a right-to-left one over every character that is neither 'L' nor '#' and is
    written reversed. So neutral characters went with whichever section reached them first:
    "(warrant)." came back as "( .)warrant", the final mark of "قاضٍ." went with its full
    stop on a page read left to right, guillemets and colons changed sides.

    The cure is an invisible mark that Poppler types strongly: in a right-to-left word every
    character that is not a letter, a mark or a joiner stands between right-to-left marks
    (U+200F, type 'R'), so it forms a section of its own (written in place) or joins the
    right-to-left one; a left-to-right word ending in such a character gets a
    left-to-right mark (U+200E, 'L') after it, so a right-to-left section does not take it.
    Marks and joiners stay inside their word (an RLM there would break it for a search).
    Measured: Poppler returns every paragraph of the four right-to-left handouts in order
    (34 each; 9 to 16 were not), and 46 of the 808 paragraphs of right-to-left handouts,
    bilingual sheets and cards are out of order, down from 173: what is left is on pages
    Poppler reads left to right overall (it writes their right-to-left lines section by
    section from the left). PDFium reads the line's own text (`/LineText`), not these."""
    if not rtl:
        edge = word[-1:] and unicodedata.bidirectional(word[-1]) not in ("L", "EN", "AN")
        return word + LRM if edge else word
    out = []
    for ch in word[::-1]:
        if unicodedata.bidirectional(ch) in ("R", "AL", "NSM", "BN"):  # letters; marks and joiners stay in their word
            out.append(ch)
        else:
            if not out or out[-1] != RLM:
                out.append(RLM)
            out += [ch, RLM]
    return "".join(out)


def span_marks(actual_text: str | None, mcid: int | None, line_text: str | None = None) -> tuple[str, str]:
    """The operators that open and close one marked span: what extraction reads for its glyphs
    (`actual_text`: a shaped block's logical text, or what Poppler reads for a word of a
    right-to-left line; None for glyphs that say their own text, such as spaces), the content
    item it is inside a block (`mcid`), and, for a word of a right-to-left line that has a
    carrier (line_carrier), the inner /LineText list: the whole line for PDFium (`line_text`)
    or nothing ("")."""
    item = "" if mcid is None else f"/MCID {mcid}"
    if actual_text is None:
        return (f"/Span <<{item}>> BDC", "EMC") if item else ("", "")
    opening = f"/Span <<{item} /ActualText {utf16_hex(actual_text)}>> BDC"
    if line_text is None:
        return opening, "EMC"
    inner = f"/LineText <</ActualText {utf16_hex(line_text)}>> BDC" if line_text else "/LineText <<>> BDC"
    return f"{opening} {inner}", "EMC EMC"


# --- building the tree while drawing ------------------------------------------------------------

@dataclass
class Node:
    tag: Tag
    children: list = field(default_factory=list)  # Node, in drawing order until closed
    page: int = -1  # content elements: the page of their drawing
    mcids: list[tuple[tuple, int]] = field(default_factory=list)  # (reading order, marked-content id) of its items
    box: tuple[float, float, float, float] | None = None  # a figure's place on its page
    opening: tuple[int, str] | None = None  # a content element's opening operator: (its index in the page's operators, it)
    label: "Node | None" = None  # a list item's Lbl, which holds its bullet


class Structure:
    """The structure elements of one document, as its blocks are drawn."""

    def __init__(self, canvas: "TaggedCanvas"):
        self.canvas = canvas
        self.root = Node(Tag("Document"))
        self.stack = [self.root]
        self.content: Node | None = None  # the block being drawn, whose content items are made now
        self.page = 0
        self.next_mcid = 0
        self.page_mcids: list[list[Node]] = [[]]  # per page, the element of each MCID

    def open(self, tag: Tag, box: tuple[float, float, float, float] | None = None) -> None:
        if tag.role == "LBody":  # a list item's paragraph: LI > LBody, as PDF/UA asks
            self.open(Tag("LI"))
        node = Node(tag, box=box)
        self.stack[-1].children.append(node)
        self.stack.append(node)
        if tag.role in CONTENT_ROLES and self.content is None:
            node.page = self.page
            self.content = node
            self.canvas.addLiteral("EMC")  # the page's artifact sequence pauses while the block draws
            if not tag.own_spans:  # else its runs are content items of their own (content_item)
                mcid = self.content_item(())
                opening = span_marks(tag.text, mcid)[0] if tag.actual and tag.text else f"/{tag.role} <</MCID {mcid}>> BDC"
                node.opening = (len(self.canvas._code), opening)
                self.canvas.addLiteral(opening)

    def close(self) -> None:
        node = self.stack.pop()
        if node is self.content:
            self.content = None
            if not node.tag.own_spans:
                self.canvas.addLiteral("EMC")
            self.canvas.addLiteral("/Artifact BMC")
        if node.tag.columns:
            node.children = _logical_columns(node.children, node.tag.columns)
        if node.tag.role == "LBody":
            self.close()  # its LI

    def labels_bullet(self) -> bool:
        """Whether a bullet drawn now is a list item's Lbl (label): inside a list item's
        paragraph whose content item is still open."""
        node = self.content
        return node is not None and node.tag.role == "LBody" and node.opening is not None

    @contextmanager
    def label(self):
        """While ReportLab draws a list item's bullet (before the item's text): the bullet is
        the item's Lbl (LI > Lbl, LBody, as PDF/UA asks). The LBody's content item was opened
        before the bullet and nothing is painted in it yet, so its opening operator moves to
        after the bullet."""
        node = self.content
        if not self.labels_bullet():
            yield
            return
        code = self.canvas._code
        at, opening = node.opening
        if code[at] != opening:
            raise RuntimeError("a list item's content item was not where it was opened (ReportLab's drawing changed?)")
        del code[at]
        node.opening = None
        code.append(f"/Lbl <</MCID {self.content_item((), label=True)}>> BDC")
        try:
            yield
        finally:
            code.append("EMC")
            code.append(opening)

    def content_item(self, order: tuple, label: bool = False) -> int | None:
        """A new marked-content id for the block being drawn, or None outside any block.

        `order` places the item among the block's others in reading order (a right-to-left
        line draws its words from the left). `label`: the item is a list item's bullet, which
        belongs to the item's Lbl. Content items never nest: Poppler's
        MarkedContentOutputDev (pdfinfo -struct-text) ends an item at the first EMC inside it."""
        node = self.content
        if node is None:
            return None
        if label and node.tag.role == "LBody":
            node = self._label_of(node)
        mcid = self.next_mcid
        self.next_mcid += 1
        self.page_mcids[self.page].append(node)
        node.mcids.append((order, mcid))
        return mcid

    def _label_of(self, body: Node) -> Node:
        """A list item's Lbl, made the first time: before its LBody, in the same LI."""
        if body.label is None:
            item = self.stack[self.stack.index(body) - 1]  # its LI
            body.label = Node(Tag("Lbl"), page=body.page)
            item.children.insert(item.children.index(body), body.label)
        return body.label

    def next_page(self) -> None:
        self.page += 1
        self.next_mcid = 0
        self.page_mcids.append([])


class IdsAndReferences(PDFObject):
    """An array of marked-content ids and object references, written as ReportLab writes a
    PDFArray of them (ten to a line) but each reference formatted once: a right-to-left
    page's parent tree names the same paragraph for each of its words, over a thousand
    entries a page."""

    def __init__(self, items: list):
        self.items = items

    def format(self, document):
        known: dict[str, bytes] = {}
        parts = []
        for item in self.items:
            if isinstance(item, PDFObjectReference):
                text = known.get(item.name)
                if text is None:
                    text = known[item.name] = reference_bytes(item, document)
                parts.append(text)
            else:
                parts.append(b"%d" % item)
        return array_bytes(parts)


def array_bytes(parts: list[bytes], IND=b"\n ") -> bytes:
    """Formatted elements as PDFArray.format joins them (ten to a line unless ReportLab's
    multi-line setting is on), without formatting each again (a right-to-left page's arrays
    hold over a thousand content ids)."""
    if (PDFArray.multiline and rl_config.pdfMultiLine) or PDFArray.multiline == "forced":
        return b"[ " + IND.join(parts) + b" ]"
    for at in reversed(range(10, len(parts), 10)):
        parts.insert(at, IND)
    return b"[ " + b" ".join(parts) + b" ]"


def reference_bytes(reference: PDFObjectReference, document) -> bytes:
    """`n v R`, as PDFObjectReference.format writes it, without its string round trip."""
    return b"%d %d R" % document.idToObjectNumberAndVersion[reference.name]


@lru_cache(maxsize=None)
def _name_bytes(name: str) -> bytes:
    return _encoded(PDFName(name))


@lru_cache(maxsize=None)
def _encoded(name: str) -> bytes:  # the few names a structure tree uses (roles, types)
    return name.encode("extpdfdoc")


class StructElem(PDFDictionary):
    """A structure element's dictionary, written byte for byte as ReportLab writes any
    PDFDictionary (keys sorted, names escaped, entries joined as pdfMultiLine says), with
    its keys, names and references formatted once each instead of through pdfdoc.format:
    a card sheet has some two hundred elements, and ReportLab's per-entry formatting was
    the top of save's profile. Any other value (strings, arrays, dictionaries) is left to
    pdfdoc.format."""

    def format(self, document, IND=b"\n "):
        entries = []
        for key in sorted(self.dict):
            value = self.dict[key]
            if isinstance(value, PDFObjectReference):
                text = reference_bytes(value, document)
            elif isinstance(value, str):  # a name, as PDFName returned it
                text = _encoded(value)
            else:
                text = pdfdoc.format(value, document)
            entries.append(_name_bytes(key) + b" " + text)
        if (self.multiline and rl_config.pdfMultiLine) or self.multiline == "forced":
            return b"<<\n" + IND.join(entries) + b"\n>>"
        for at in reversed(range(6, len(entries), 6)):  # ReportLab breaks the line every six entries
            entries.insert(at, b"\n ")
        return b"<<\n" + b" ".join(entries) + b"\n>>"


def _logical_columns(children: list[Node], counts: tuple[int, ...]) -> list[Node]:
    """Children drawn cell by cell from the left in a mirrored (right-to-left) row -> the
    columns' logical order, first column first."""
    if sum(counts) != len(children):
        return children  # not drawn as measured; keep drawing order rather than guess
    cells, start = [], 0
    for count in counts:
        cells.append(children[start:start + count])
        start += count
    return [child for cell in reversed(cells) for child in cell]


_STRUCT_ELEM = PDFName("StructElem")
_role_name = lru_cache(maxsize=None)(PDFName)


def _elements(node: Node) -> list[Node]:
    """A node's children with role-less nodes replaced by their own children."""
    out = []
    for child in node.children:
        if child.tag.role:
            out.append(child)
        else:
            out += _elements(child)
    return out


def xmp_packet(described: dict[str, str], lang: str) -> str:
    """The document's XMP metadata: what its Info dictionary says (title, author, subject,
    creator, producer) and its language, as PDF/UA asks (a dc:title in the catalog's
    /Metadata). No pdfuaid claim: the files are not validated as PDF/UA (README). No dates,
    so the bytes stay a function of the inputs. Values are escaped: data never becomes markup."""
    def text(key: str) -> str:
        return escape(described.get(key, ""))

    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
            '<dc:format>application/pdf</dc:format>\n'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text("title")}</rdf:li></rdf:Alt></dc:title>\n'
            f'<dc:creator><rdf:Seq><rdf:li>{text("author")}</rdf:li></rdf:Seq></dc:creator>\n'
            f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text("subject")}</rdf:li></rdf:Alt></dc:description>\n'
            f'<dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>\n'
            f'<xmp:CreatorTool>{text("creator")}</xmp:CreatorTool>\n'
            f'<pdf:Producer>{text("producer")}</pdf:Producer>\n'
            '</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>')


class TaggedCanvas(Canvas):
    """A canvas that writes a tagged PDF: marked content, artifacts and the structure tree."""

    def __init__(self, *args, lang: str = "", **kwargs):
        super().__init__(*args, lang=lang, **kwargs)
        self.document_lang = lang
        self.structure = Structure(self)
        install_bullet_labels()
        self.setViewerPreference("DisplayDocTitle", "true")

    logs_formatting = True  # its text objects log what they format when asked (rlprivate.RedrawnParagraph)

    def beginText(self, x=0, y=0, direction=None):
        # Shaped words recur in every school's copy: formatted once (rlprivate), same bytes.
        return RememberingTextObject(self, x, y, direction=direction)

    def showPage(self):
        # All the page's drawing is an artifact except the blocks' sequences inside it.
        self._code.insert(0, "/Artifact BMC")
        self._code.append("EMC")
        page_index = self.structure.page
        super().showPage()
        page = self._doc.Pages.pages[-1]
        page.__NoDefault__ = PDFPage.__NoDefault__ + ["StructParents"]
        page.StructParents = page_index
        self.structure.next_page()

    def save(self):
        if len(self._code):
            self.showPage()
        self._write_structure()
        info = self._doc.info  # what the Info dictionary will say, defaults included
        packet = xmp_packet({key: getattr(info, key) for key in ("title", "author", "subject", "creator", "producer")},
                            self.document_lang)
        self.setCatalogEntry("Metadata", XMP(creator=lambda document: packet.encode("utf-8")))
        super().save()

    # --- the objects ---------------------------------------------------------------------

    def _write_structure(self) -> None:
        doc = self._doc
        pages = [doc.Reference(page) for page in doc.Pages.pages]
        refs: dict[int, PDFObjectReference] = {}
        dicts: dict[int, StructElem] = {}

        def register(node: Node) -> None:  # every element an object first: parents and children refer to each other
            dicts[id(node)] = StructElem()
            refs[id(node)] = doc.Reference(dicts[id(node)])
            for child in _elements(node):
                register(child)

        register(self.structure.root)
        root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        root_ref = doc.Reference(root)

        def fill(node: Node, parent_ref, inherited_lang: str) -> None:
            tag = node.tag
            entries = {"Type": _STRUCT_ELEM, "S": _role_name(tag.role), "P": parent_ref}
            lang = tag.lang or inherited_lang
            if lang and lang != inherited_lang:
                entries["Lang"] = PDFString(lang)
            if tag.alt:
                entries["Alt"] = PDFString(tag.alt)
            if node.box:  # the tagged-PDF rules ask it of every figure drawn on a page
                entries["A"] = PDFDictionary({"O": PDFName("Layout"), "BBox": PDFArray(list(node.box))})
            if tag.actual and tag.text:  # what assistive technology and pdfinfo -struct-text read
                entries["ActualText"] = PDFString(tag.text)
            kids = [refs[id(child)] for child in _elements(node)]
            if node.page >= 0:
                entries["Pg"] = pages[node.page]
                kids = [mcid for _, mcid in sorted(node.mcids)] + kids
            if kids:
                entries["K"] = IdsAndReferences(kids)
            dicts[id(node)].dict.update(entries)
            for child in _elements(node):
                fill(child, refs[id(node)], lang)

        fill(self.structure.root, root_ref, self.document_lang)
        nums = []
        for index, nodes in enumerate(self.structure.page_mcids[:len(pages)]):
            nums += [index, IdsAndReferences([refs[id(node)] for node in nodes])]
        parent_tree = PDFDictionary({"Nums": PDFArray(nums)})
        root.dict.update({"K": refs[id(self.structure.root)], "ParentTree": doc.Reference(parent_tree),
                          "ParentTreeNextKey": len(pages)})
        self.setCatalogEntry("StructTreeRoot", root)
        self.setCatalogEntry("MarkInfo", {"Marked": "true"})
