"""Parse: layout XML (a template's output) -> a typed block tree, checked against the vocabulary.

Every element and attribute is checked here, once: an unknown element, a misspelt
attribute or a malformed size is an error naming the template file and line, found by
`check` as well as by `build`. Later stages receive only typed blocks, never XML.
Text is kept as (text, bold) runs; the only inline markup is <b> from the template and
**bold** from data. Nothing else can reach ReportLab's paragraph parser.
"""

from __future__ import annotations

import difflib
import re
import xml.parsers.expat
from dataclasses import dataclass, field

from .errors import Loc
from .layouts import parse_dimension

Runs = tuple[tuple[str, bool], ...]


class LayoutProblem(Exception):
    """A problem with a layout's XML or with fitting it on the page; names the block."""

    def __init__(self, message: str, loc: Loc | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc


# --- the vocabulary -------------------------------------------------------------------------

@dataclass(frozen=True)
class ElementRule:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()  # attributes that are sizes (10pt, 4mm, 0.5in)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


TEXT_TAGS = {"h1": "h1", "h2": "h2", "h3": "h3", "p": "body"}  # element -> default style
REGIONS = ("header", "body", "footer")
BLOCK_TAGS = tuple(TEXT_TAGS) + ("list", "columns", "flow", "box", "qr", "image", "lang", "spacer", "rule")

VOCABULARY: dict[str, ElementRule] = {
    "document": ElementRule(optional=("title", "subject")),
    "page": ElementRule(optional=("margin",), dimensions=("margin",)),
    "header": ElementRule(), "body": ElementRule(), "footer": ElementRule(),
    "frame": ElementRule(required=("x", "y", "width", "height"), optional=("id", "padding", "valign", "style"),
                         dimensions=("x", "y", "width", "height", "padding"), choices={"valign": ("top", "middle")}),
    "cropmarks": ElementRule(),
    "trim": ElementRule(required=("x", "y", "width", "height"), dimensions=("x", "y", "width", "height")),
    "cutline": ElementRule(required=("y",), dimensions=("y",)),
    **{tag: ElementRule(optional=("style", "wrap"), choices={"wrap": ("url",)}) for tag in TEXT_TAGS},
    "b": ElementRule(),
    "list": ElementRule(optional=("style", "bullet")),
    "item": ElementRule(),
    "columns": ElementRule(optional=("widths", "gap", "valign", "mirror"), dimensions=("gap",),
                           choices={"valign": ("top", "middle", "bottom"), "mirror": ("yes", "no")}),
    "column": ElementRule(),
    # Blocks that run down a column and on into the next (newspaper columns), balanced; in a
    # layout with `overflow: continue` what the page cannot hold goes on to the next page.
    "flow": ElementRule(optional=("columns", "gap"), dimensions=("gap",)),
    "box": ElementRule(optional=("style",)),
    # size: the whole code, quiet zone included; symbol: the code without its quiet zone
    # (what a phone must resolve). Exactly one of them. resource: a QR target of
    # data/resources.yaml; language: the web edition's page of that language (needs
    # web_base). Exactly one of them.
    "qr": ElementRule(optional=("resource", "language", "size", "symbol"), dimensions=("size", "symbol")),
    "image": ElementRule(optional=("src", "width", "alt"), dimensions=("width",)),
    "lang": ElementRule(required=("code",)),
    "spacer": ElementRule(required=("height",), optional=("grow",), dimensions=("height", "grow")),
    "rule": ElementRule(optional=("style",)),
}

CHILDREN: dict[str, tuple[str, ...]] = {
    "document": ("page",),
    "page": REGIONS + ("frame", "cropmarks", "cutline"),
    "cropmarks": ("trim",),
    "list": ("item",),
    "columns": ("column",),
    **{tag: BLOCK_TAGS for tag in REGIONS + ("frame", "column", "flow", "box", "lang")},
}
INLINE = {tag: ("b",) for tag in (*TEXT_TAGS, "item")}


# --- the typed tree -------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    line: int  # in the layout XML, for messages

    def describe(self) -> str:
        return f"<{self.tag}>"

    tag = "block"


def _quoted(runs: Runs) -> str:
    words = " ".join("".join(text for text, _ in runs).split())
    return f" \"{words[:50]}\"" if words else ""


@dataclass(frozen=True)
class Text(Block):
    tag: str = "p"
    style: str = "body"
    runs: Runs = ()
    wrap_url: bool = False

    def describe(self) -> str:
        return f"<{self.tag}>{_quoted(self.runs)}"


@dataclass(frozen=True)
class ListBlock(Block):
    style: str = "item"
    bullet: str = "\u2022"
    items: tuple[Runs, ...] = ()
    tag = "list"

    def describe(self) -> str:
        return f"<list>{_quoted(self.items[0]) if self.items else ''}"


@dataclass(frozen=True)
class Columns(Block):
    weights: tuple[float, ...] = ()
    gap: float = 0.0
    valign: str = "top"
    mirror: bool = True
    columns: tuple[tuple[Block, ...], ...] = ()
    tag = "columns"


@dataclass(frozen=True)
class Flow(Block):
    columns: int = 2
    gap: float = 0.0
    children: tuple[Block, ...] = ()
    tag = "flow"


@dataclass(frozen=True)
class Box(Block):
    style: str = "box"
    children: tuple[Block, ...] = ()
    tag = "box"


@dataclass(frozen=True)
class QR(Block):
    resource: str = ""
    size: float = 0.0  # points, quiet zone included; 0 when given as symbol
    symbol: float = 0.0  # points, without the quiet zone; 0 when given as size
    language: str = ""  # a code to this language's web page instead of a resource
    tag = "qr"

    def describe(self) -> str:
        return f"<qr language=\"{self.language}\">" if self.language else f"<qr resource=\"{self.resource}\">"


@dataclass(frozen=True)
class Image(Block):
    src: str = ""
    width: float | None = None
    alt: str = ""  # what the image shows, for the structure tree (none: a decoration)
    tag = "image"


@dataclass(frozen=True)
class Lang(Block):
    code: str = ""
    children: tuple[Block, ...] = ()
    tag = "lang"

    def describe(self) -> str:
        return f"<lang code=\"{self.code}\">"


@dataclass(frozen=True)
class Spacer(Block):
    height: float = 0.0
    grow: float = 0.0
    tag = "spacer"


@dataclass(frozen=True)
class Rule(Block):
    style: str = "rule"
    tag = "rule"


@dataclass(frozen=True)
class Frame(Block):
    id: str = "frame"
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    padding: float = 0.0
    valign: str = "top"
    style: str = ""
    children: tuple[Block, ...] = ()
    tag = "frame"

    def describe(self) -> str:
        return f"<frame id=\"{self.id}\">"


@dataclass(frozen=True)
class Page:
    margin: float
    regions: tuple[tuple[str, tuple[Block, ...]], ...]  # (header|body|footer, blocks), in document order
    frames: tuple[Frame, ...]
    crop_boxes: tuple[tuple[float, float, float, float], ...]  # x, y, w, h from the top left
    cut_lines: tuple[float, ...]  # y from the top


@dataclass(frozen=True)
class DocumentTree:
    title: str
    subject: str
    pages: tuple[Page, ...]


# --- a minimal XML tree with line numbers ----------------------------------------------------

@dataclass
class Node:
    tag: str
    attrib: dict[str, str]
    line: int
    text: str = ""
    tail: str = ""
    children: list["Node"] = field(default_factory=list)


def read_xml(text: str, where: str) -> Node:
    """XML text -> nodes with line numbers; DOCTYPE and entity declarations are refused."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise LayoutProblem(f"{where}: layout XML must not contain a DOCTYPE or entity declarations")
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag, attrib):
        node = Node(tag, dict(attrib), parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def chars(data):
        if not stack:
            return
        parent = stack[-1]
        if parent.children:
            parent.children[-1].tail += data
        else:
            parent.text += data

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        lines = text.splitlines()
        snippet = lines[exc.lineno - 1].strip()[:80] if 0 < exc.lineno <= len(lines) else ""
        raise LayoutProblem(f"{where}: the template produced malformed XML at output line {exc.lineno}, "
                            f"column {exc.offset}: {snippet!r}") from None
    return root[0]


# --- checking and building --------------------------------------------------------------------

def suggestion(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_node(node: Node, parent: str) -> None:
    """The element, its attributes and its children's names against the vocabulary."""
    allowed = CHILDREN.get(parent, ()) + INLINE.get(parent, ())
    if node.tag not in VOCABULARY:
        raise LayoutProblem(f"unknown element <{node.tag}>{suggestion(node.tag, VOCABULARY)}", Loc("", node.line))
    if parent and node.tag not in allowed:
        where = f"<{parent}> may contain only {', '.join('<%s>' % a for a in allowed)}" if allowed else f"<{parent}> may contain only text"
        raise LayoutProblem(f"<{node.tag}> is not allowed here: {where}", Loc("", node.line))
    rule = VOCABULARY[node.tag]
    known = rule.required + rule.optional
    for name, value in node.attrib.items():
        if name not in known:
            options = f"; <{node.tag}> takes {', '.join(known)}" if known else f"; <{node.tag}> takes no attributes"
            raise LayoutProblem(f"<{node.tag}> has an unknown attribute '{name}'{suggestion(name, known)}{options}", Loc("", node.line))
        check_value(node.tag, name, value, node.line)
    for name in rule.required:
        if name not in node.attrib:
            raise LayoutProblem(f"<{node.tag}> needs the attribute {name}=", Loc("", node.line))


def check_value(tag: str, name: str, value: str, line: int) -> None:
    rule = VOCABULARY[tag]
    if name in rule.dimensions and parse_dimension(value) is None:
        raise LayoutProblem(f"<{tag}> needs {name}= as a size such as 4mm, 10pt or 0.5in (got {value!r})", Loc("", line))
    if name in rule.choices and value not in rule.choices[name]:
        raise LayoutProblem(f"<{tag}> {name}= must be one of {', '.join(rule.choices[name])} (got {value!r})", Loc("", line))


def size(node: Node, name: str, default: float | None = None) -> float:
    raw = node.attrib.get(name)
    return default if raw is None else parse_dimension(raw)


def parse_tree(text: str, where: str = "layout XML") -> DocumentTree:
    """Layout XML text -> DocumentTree; raises LayoutProblem (with the XML line) on anything
    outside the vocabulary."""
    root = read_xml(text, where)
    if root.tag != "document":
        raise LayoutProblem(f"the layout XML's root element must be <document>, not <{root.tag}>", Loc("", root.line))
    check_node(root, "")
    _no_text(root)
    pages = []
    for node in root.children:
        check_node(node, "document")
        pages.append(_page(node))
    return DocumentTree(root.attrib.get("title", "").strip(), root.attrib.get("subject", ""), tuple(pages))


def parse_region(text: str, where: str = "layout XML") -> tuple[Block, ...]:
    """One region element (<body>...</body>) on its own -> its blocks, exactly as parse_tree
    gives them inside a <page>. `text` starts with as many line breaks as there are lines
    before the element in its document, so every block keeps its line."""
    node = read_xml(text, where)
    if node.tag not in REGIONS:
        raise LayoutProblem(f"<{node.tag}> is not a region", Loc("", node.line))
    check_node(node, "page")
    return _blocks(node)


def _no_text(node: Node) -> None:
    stray = (node.text + "".join(child.tail for child in node.children)).strip()
    if stray:
        raise LayoutProblem(f"<{node.tag}> may not hold text directly ({stray[:40]!r}); put it in a <p>", Loc("", node.line))


def _page(node: Node) -> Page:
    _no_text(node)
    regions, frames, crops, cuts = [], [], [], []
    for part in node.children:
        check_node(part, "page")
        if part.tag in REGIONS:
            regions.append((part.tag, _blocks(part)))
        elif part.tag == "frame":
            frames.append(_frame(part))
        elif part.tag == "cropmarks":
            _no_text(part)
            for trim in part.children:
                check_node(trim, "cropmarks")
                crops.append(tuple(size(trim, name) for name in ("x", "y", "width", "height")))
        else:
            cuts.append(size(part, "y"))
    return Page(size(node, "margin", 36.0), tuple(regions), tuple(frames), tuple(crops), tuple(cuts))


def _frame(node: Node) -> Frame:
    a = node.attrib
    return Frame(node.line, a.get("id", "frame"), size(node, "x"), size(node, "y"), size(node, "width"), size(node, "height"),
                 size(node, "padding", 0.0), a.get("valign", "top"), a.get("style", ""), _blocks(node))


def _blocks(parent: Node) -> tuple[Block, ...]:
    _no_text(parent)
    blocks = []
    for node in parent.children:
        check_node(node, parent.tag)
        blocks.append(_block(node))
    return tuple(blocks)


def _block(node: Node) -> Block:
    a, tag, line = node.attrib, node.tag, node.line
    if tag in TEXT_TAGS:
        return Text(line, tag, a.get("style", TEXT_TAGS[tag]), inline_runs(node), a.get("wrap") == "url")
    if tag == "list":
        _no_text(node)
        items = []
        for item in node.children:
            check_node(item, "list")
            items.append(inline_runs(item))
        return ListBlock(line, a.get("style", "item"), a.get("bullet", "\u2022"), tuple(items))
    if tag == "columns":
        _no_text(node)
        columns = []
        for column in node.children:
            check_node(column, "columns")
            columns.append(_blocks(column))
        if not columns:
            raise LayoutProblem("<columns> needs at least one <column>", Loc("", line))
        return Columns(line, _weights(a.get("widths"), len(columns), line), size(node, "gap", 0.0),
                       a.get("valign", "top"), a.get("mirror", "yes") == "yes", tuple(columns))
    if tag == "flow":
        count = a.get("columns", "2")
        if not count.isdigit() or not 1 <= int(count) <= 12:
            raise LayoutProblem(f"<flow> columns= must be a whole number from 1 to 12 (got {count!r})", Loc("", line))
        return Flow(line, int(count), size(node, "gap", 0.0), _blocks(node))
    if tag == "box":
        return Box(line, a.get("style", "box"), _blocks(node))
    if tag == "qr":
        if ("size" in a) == ("symbol" in a):
            raise LayoutProblem("<qr> needs exactly one of size= (quiet zone included) or symbol= (without it)", Loc("", line))
        if ("resource" in a) == ("language" in a):
            raise LayoutProblem("<qr> needs exactly one of resource= (a QR target of data/resources.yaml) or language= "
                                "(the web edition's page of a language)", Loc("", line))
        return QR(line, a.get("resource", ""), size(node, "size", 0.0), size(node, "symbol", 0.0), a.get("language", ""))
    if tag == "image":
        src = a.get("src", "").strip()
        if src and "width" not in a:
            raise LayoutProblem("<image> needs width= as a size", Loc("", line))
        return Image(line, src, size(node, "width"), a.get("alt", "").strip())
    if tag == "lang":
        return Lang(line, a["code"], _blocks(node))
    if tag == "spacer":
        return Spacer(line, size(node, "height"), size(node, "grow", 0.0))
    return Rule(line, a.get("style", "rule"))


def _weights(raw: str | None, count: int, line: int) -> tuple[float, ...]:
    try:
        weights = tuple(float(w) for w in (raw or " ".join("1" for _ in range(count))).split())
    except ValueError:
        weights = ()
    if len(weights) != count or min(weights, default=0) <= 0:
        raise LayoutProblem(f"<columns> widths= must give one positive number per column (got {raw!r} for {count} columns)",
                            Loc("", line))
    return weights


def inline_runs(node: Node) -> Runs:
    """Element text -> (text, bold) runs: <b> from the template, **bold** from data.
    Template indentation and YAML line breaks become single spaces; a no-break space
    (French « », before : and ?) is kept, so the line never breaks there."""
    raw = _data_runs(node.text, False)
    for child in node.children:
        check_node(child, node.tag)
        if child.children:
            raise LayoutProblem(f"<{node.tag}> may contain only plain <b> inline, not nested elements", Loc("", child.line))
        raw += _data_runs(child.text, True) + _data_runs(child.tail, False)
    runs: list[tuple[str, bool]] = []
    for value, bold in raw:
        value = _WHITESPACE.sub(" ", value)
        if runs and runs[-1][0].endswith(" ") and value.startswith(" "):
            value = value[1:]
        if not value:
            continue
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + value, bold)
        else:
            runs.append((value, bold))
    if runs:
        runs[0] = (runs[0][0].lstrip(" "), runs[0][1])
        runs[-1] = (runs[-1][0].rstrip(" "), runs[-1][1])
    return tuple((value, bold) for value, bold in runs if value)


# Compiled once: re's own cache lookup (with its flag enum) was a tenth of a header's parse.
_WHITESPACE = re.compile(r"[ \t\r\n]+")
_BOLD_MARKER = re.compile(r"\*\*(.+?)\*\*", re.S)


def _data_runs(value: str | None, bold: bool) -> list[tuple[str, bool]]:
    """Split data text at **bold** markers; inside a bold element everything is bold."""
    parts = _BOLD_MARKER.split(value or "")
    return [(part, bold or index % 2 == 1) for index, part in enumerate(parts) if part]


def walk_blocks(tree: DocumentTree):
    """Every block of the tree, nested ones included, in document order."""
    def walk(blocks):
        for block in blocks:
            yield block
            yield from walk(getattr(block, "children", ()))
            if isinstance(block, Columns):  # a Flow's `columns` is a count, not blocks
                for column in block.columns:
                    yield from walk(column)

    for page in tree.pages:
        for _, blocks in page.regions:
            yield from walk(blocks)
        yield from walk(page.frames)


def texts_by_language(tree: DocumentTree, code: str) -> dict[str, str]:
    """Every character the page prints, split by the <lang> block it is in (for the glyph
    check). The title is metadata, never drawn."""
    texts: dict[str, str] = {}

    def walk(blocks, code):
        for block in blocks:
            if isinstance(block, Text):
                texts[code] = texts.get(code, "") + "".join(t for t, _ in block.runs)
            elif isinstance(block, ListBlock):
                texts[code] = texts.get(code, "") + "".join(t for runs in block.items for t, _ in runs) + block.bullet
            elif isinstance(block, Columns):
                for column in block.columns:
                    walk(column, code)
            elif isinstance(block, Lang):
                walk(block.children, block.code)
            elif isinstance(block, (Box, Flow, Frame)):
                walk(block.children, code)

    texts[code] = ""
    for page in tree.pages:
        for _, blocks in page.regions:
            walk(blocks, code)
        walk(page.frames, code)
    return texts


# --- the template source, checked before anything is rendered ----------------------------------

_JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
_TAG = re.compile(r"<(/?)([A-Za-z_][\w.-]*)([^<>]*)>", re.S)
_ATTRIBUTE = re.compile(r"([A-Za-z_][\w.-]*)\s*=\s*(\"[^\"]*\"|'[^']*')")


def template_source_problems(source: str, path: str) -> list[tuple[Loc, str]]:
    """Elements and attributes written in a template, checked at the template's own lines:
    a misspelt attribute is reported even in a branch no document takes."""
    masked = _JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    found = []
    for match in _TAG.finditer(masked):
        closing, tag, rest = match.groups()
        line = masked.count("\n", 0, match.start()) + 1
        if tag not in VOCABULARY:
            found.append((Loc(path, line, match.start(2) - masked.rfind("\n", 0, match.start()) ), f"unknown element <{tag}>{suggestion(tag, VOCABULARY)}"))
            continue
        if closing:
            continue
        rule = VOCABULARY[tag]
        known = rule.required + rule.optional
        for attribute in _ATTRIBUTE.finditer(rest):
            name, value = attribute.group(1), attribute.group(2)[1:-1]
            at = match.start(3) + attribute.start()
            loc = Loc(path, masked.count("\n", 0, at) + 1, at - masked.rfind("\n", 0, at))
            if name not in known:
                found.append((loc, f"<{tag}> has an unknown attribute '{name}'{suggestion(name, known)}"))
            elif value.strip() and source[match.start(3) + attribute.start(2):match.start(3) + attribute.end(2)] == attribute.group(2):
                try:  # a literal value (no Jinja inside) can be checked here already
                    check_value(tag, name, value, loc.line)
                except LayoutProblem as exc:
                    found.append((loc, exc.message))
    return found


def template_line(source: str, line_in_output: int, output: str, tag: str) -> int:
    """The template line that most likely wrote an element of the output: the first template
    line that opens the same element with the same attributes, else the first that opens it."""
    lines = output.splitlines()
    if not 0 < line_in_output <= len(lines):
        return 1
    wanted = lines[line_in_output - 1]
    names = re.findall(r"\s([A-Za-z_][\w-]*)=", wanted[wanted.find("<" + tag):]) if tag else []
    first = 0
    for number, text in enumerate(source.splitlines(), 1):
        if tag and f"<{tag}" in text:
            first = first or number
            if all(f" {name}=" in text for name in names):
                return number
    return first or 1
