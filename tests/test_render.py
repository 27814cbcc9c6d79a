"""Render stage: data stays text, overflow is caught and named, QR codes meet print rules."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader

from generator.blocks import LayoutProblem, runs_to_markup
from generator.blocktree import parse_tree
from generator.qr import module_size_mm, qr_matrix
from generator.render import render_job
from generator.verify import verify_pdf

from conftest import ROOT


def with_strings(project, lang, **changes):
    language = project.languages[lang]
    strings = dict(language.strings, **changes)
    languages = dict(project.languages, **{lang: dataclasses.replace(language, strings=strings)})
    return dataclasses.replace(project, languages=languages), languages[lang]


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_markup_in_a_translation_prints_as_literal_text(project, tmp_path):
    payloads = {
        "door_1": '<img src="/etc/hostname"/> look',
        "door_2": "<font color=\"[[getattr(pow,Word('__globals__'))['os'].system('touch /tmp/pwned') for Word in [orgTypeFun('Word', (str,), { 'mutated': 1, 'startswith': lambda self, x: False, '__eq__': lambda self,x: self.mutate() and self.mutated < 0 and str(self) == x, 'mutate': lambda self: {setattr(self, 'mutated', self.mutated - 1)}, '__hash__': lambda self: hash(str(self))})]] and 'red'\">exploit</font>",
        "door_3": "a &amp; b &lt;b&gt; {{ 7*7 }}",
    }
    changed, language = with_strings(project, "en", **payloads)
    result = render_job(changed, changed.layouts["handout"], language, "letter")
    reader = PdfReader(io.BytesIO(result.pdf))
    assert not any("/XObject" in (page.get("/Resources") or {}) for page in reader.pages), "no image may be embedded"
    text = re.sub(r"\s+", "", page_text(result.pdf))
    assert re.sub(r"\s+", "", '<img src="/etc/hostname"/>') in text
    assert "exploit</font>" in text and "{{7*7}}" in text and "a&amp;b&lt;b&gt;" in text
    import os

    assert not os.path.exists("/tmp/pwned")


def first_block(xml: str):
    return parse_tree(f"<document><page><body>{xml}</body></page></document>").pages[0].regions[0][1][0]


def test_bold_markup_from_data_becomes_bold_and_nothing_else():
    block = first_block("<p>a **b** &lt;i&gt;c&lt;/i&gt; <b>d</b></p>")
    assert runs_to_markup(block.runs) == "a <b>b</b> &lt;i&gt;c&lt;/i&gt; <b>d</b>"


def test_overflowing_text_fails_naming_the_region_and_block(project):
    changed, language = with_strings(project, "en", legal_body="A very long sentence. " * 120)
    with pytest.raises(LayoutProblem) as caught:
        render_job(changed, changed.layouts["handout"], language, "letter")
    message = str(caught.value)
    assert "overflows the body region" in message
    assert "A very long sentence" in message or "<columns>" in message


def test_qr_codes_meet_print_rules(project, built):
    layout = project.layouts["handout"]
    for resource in project.resources.values():
        matrix = qr_matrix(resource.url)
        assert not any(matrix[0]) and not any(row[0] for row in matrix[:4])  # quiet zone is white
        assert all(not any(row[:4]) and not any(row[-4:]) for row in matrix)
        symbol_pt = layout.min_qr_symbol_mm * 72 / 25.4  # the smallest the handout allows
        size_pt = symbol_pt * len(matrix) / (len(matrix) - 8)
        assert module_size_mm(resource.url, size_pt) >= layout.min_qr_module_mm >= 0.4


def test_qr_error_correction_is_m_or_higher():
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    code.add_data(b"https://www.aclu.org/know-your-rights/immigrants-rights")
    code.make(fit=True)
    assert len(qr_matrix("https://www.aclu.org/know-your-rights/immigrants-rights")) == code.modules_count + 8


def test_qr_too_small_for_its_url_is_refused(project, tmp_path):
    small = re.sub(r'qr resource="(\w+)" (size|symbol)="[^"]*"', r'qr resource="\1" size="12mm"', project.layouts["handout"].template_source)
    assert small != project.layouts["handout"].template_source
    layout = dataclasses.replace(project.layouts["handout"], template_source=small)
    changed = dataclasses.replace(project, layouts={"handout": layout})
    with pytest.raises(LayoutProblem, match="QR code for 'aclu' has 0.2. mm modules"):
        render_job(changed, layout, changed.languages["en"], "letter")
    # Above the module minimum, still below the printed minimum a phone needs: refused too.
    layout = dataclasses.replace(layout, template_source=small.replace('size="12mm"', 'size="22mm"'))
    with pytest.raises(LayoutProblem, match="wide without its quiet zone; the layout needs at least 20.0 mm"):
        render_job(dataclasses.replace(project, layouts={"handout": layout}), layout, changed.languages["en"], "letter")


def test_verify_catches_a_wrong_qr_and_a_wrong_language(project):
    result = render_job(project, project.layouts["handout"], project.languages["es"], "a4")
    assert verify_pdf(result.pdf, pages=1, lang="es", qr_urls=result.qr_urls) == []
    faults = verify_pdf(result.pdf, pages=1, lang="en", qr_urls=["https://example.org/"])
    assert any("/Lang" in f for f in faults) and any("QR codes" in f for f in faults)


@pytest.mark.parametrize("width", [60, 120, 180, 400])
def test_urls_wrap_only_after_separators(project, width):
    from reportlab.lib.styles import ParagraphStyle

    from generator.blocks import URLParagraph
    from generator.fonts import register_family

    regular, _ = register_family("noto-sans", project.fonts.build_dir)
    url = "https://www.aclu.org/know-your-rights/immigrants-rights"
    lines = URLParagraph(url, ParagraphStyle("u", fontName=regular, fontSize=9))._lines(width)
    assert "".join(lines) == url
    assert all(line[-1] in "/.-" for line in lines[:-1]), lines


def test_chinese_lines_never_start_with_a_closing_mark_or_cut_a_number(project):
    from reportlab.lib.textsplit import ALL_CANNOT_START

    from generator.blocks import BlockContext
    from generator.layout import block_context

    language = project.languages["zh-Hant"]
    ctx: BlockContext = block_context(project, project.layouts["handout"], language)
    text = "您可以說：「我選擇保持沉默。」請撥打 800-421-3481 聯絡。" * 3
    block = first_block(f"<p>{text}</p>")
    for width in range(90, 260, 7):
        paragraph = ctx.paragraph(list(block.runs), ctx.paragraph_style("body", block))
        paragraph.wrap(width, 1000)
        lines = ["".join(w.text for w in line.words) for line in paragraph.blPara.lines]
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines[1:]:
            assert line and line[0] not in ALL_CANNOT_START, (width, lines)
        assert all("800-421-3481" in line or "800" not in line for line in lines), (width, lines)


@pytest.mark.parametrize("code", ["en", "es"])  # same font and leading, so only the spacing can differ
def test_a_lang_block_is_spaced_from_its_neighbours_as_its_blocks_are(project, code):
    """A <lang> block is a table cell, which drops its first block's space before and its
    last block's space after; the page keeps them, so wrapping blocks in <lang> moves nothing."""
    from generator.blocks import build_blocks
    from generator.layout import block_context, stack

    ctx = block_context(project, project.layouts["handout"], project.languages["en"])
    inner = "<h2>A heading</h2><p>A paragraph with its space after.</p>"  # h2: space before; body: space after
    plain = parse_tree(f"<document><page><body><p>Above.</p>{inner}<p>Below.</p></body></page></document>")
    wrapped = parse_tree(f'<document><page><body><p>Above.</p><lang code="{code}">{inner}</lang><p>Below.</p></body></page></document>')
    blocks = [build_blocks(tree.pages[0].regions[0][1], ctx) for tree in (plain, wrapped)]
    tops = [[round(placed.y + placed.height, 3) for placed in stack(flowables, 0, 0, 300, 600, "body")] for flowables in blocks]
    assert ctx.style("body", None).space_after > 0 and ctx.style("h2", None).space_before > 0
    assert tops[1][-1] == tops[0][-1], "the paragraph below the <lang> block moved"
    assert tops[1][1] == tops[0][1], "the <lang> block's first heading lost its space before"


@pytest.mark.parametrize("source, names", [
    ("<p>{{ t.card_title }}</p>", False),
    ("<p>{{ school.name }}</p>", True),
    ("{% if lang.code == 'en' %}{{ school['phone'] }}{% endif %}", True),
    ("{% for s in [school] %}{{ s.name }}{% endfor %}", True),
    ("{% include 'other.xml.j2' %}", True),  # another template might name it
    ("{% set school_name = 'x' %}<p>{{ school_name }}</p>", False),
])
def test_a_template_names_the_school_or_gives_every_school_the_same_page(project, source, names):
    from generator.template import names_the_school

    layout = dataclasses.replace(project.layouts["card"], template_source=source)
    assert names_the_school(layout) is names
    assert names_the_school(project.layouts["card"]) is False
    assert names_the_school(project.layouts["handout"]) is True


def test_a_shared_document_is_never_served_for_a_changed_layout_or_language(project):
    """The pipeline's memo names the layout and language objects: a changed copy (other
    styles, other strings) under the same name is rendered afresh."""
    from generator.render import render_for_school

    school = next(iter(project.schools.values()))
    layout, language = project.layouts["card"], project.languages["en"]
    first = render_for_school(project, layout, language, "letter", school)
    assert render_for_school(project, layout, language, "letter", school) is first
    styles = {name: dataclasses.replace(style, font_size=style.font_size - 0.5) for name, style in layout.styles.items()}
    smaller = dataclasses.replace(layout, styles=styles, fits=(("normal", styles),) + layout.fits[1:])
    assert render_for_school(project, smaller, language, "letter", school).pdf != first.pdf
    changed, renamed = with_strings(project, "en", card_hint="Keep this card with you.")
    assert render_for_school(project, layout, renamed, "letter", school).pdf != first.pdf


def test_a_remembered_font_subset_is_byte_for_byte_what_reportlab_makes(project):
    """Font subset files are made and compressed once per exact glyph list
    (rlprivate.install_subset_memo): each remembered file must be ReportLab's own subset of
    that list, and its compressed form zlib's, and a page made with a warm memo must be the
    page a fresh process makes."""
    import subprocess
    import sys
    import zlib

    from reportlab.pdfbase import pdfmetrics, ttfonts

    from generator import rlprivate

    school = next(iter(project.schools.values()))
    for code in ("en", "ar", "bn"):
        for _ in range(2):
            warm = render_job(project, project.layouts["handout"], project.languages[code], "letter", school).pdf
    faces = {id(font.face): font.face for font in pdfmetrics._fonts.values() if isinstance(font, ttfonts.TTFont)}
    remembered = [(face, key, data) for face in faces.values() for key, data in face.__dict__.get("_subset_files", {}).items()]
    assert len(remembered) >= 6  # regular and bold of three scripts
    for face, key, data in remembered:
        assert data == ttfonts.TTFontFile.makeSubset(face, list(key)), face.filename
        if id(data) in rlprivate._COMPRESSED and rlprivate._COMPRESSED[id(data)][1]:
            assert rlprivate._COMPRESSED[id(data)][1] == zlib.compress(data)
    fresh = subprocess.run([sys.executable, "-c", (
        "import sys; from generator.validate import load_project; from generator.render import render_job; "
        "from pathlib import Path; p, _ = load_project(Path('data'), Path('layouts'), Path('fonts')); "
        "s = next(iter(p.schools.values())); "
        "sys.stdout.buffer.write(render_job(p, p.layouts['handout'], p.languages['bn'], 'letter', s).pdf)")],
        cwd=ROOT, capture_output=True, timeout=120)
    assert fresh.returncode == 0, fresh.stderr.decode()[-2000:]
    assert fresh.stdout == warm


def test_a_cjk_face_kept_small_subsets_exactly_as_the_full_one(project):
    """rlprivate.compact_unshaped_face keeps a CJK face's glyph maps small (the language
    sheet's worker holds six such faces): a subset made from the small face must be the
    subset made from the face as ReportLab parsed it, and the maps must say the same."""
    from reportlab.pdfbase import pdfmetrics, ttfonts

    from generator.fonts import font_files_for
    from generator.rlprivate import GlyphChars, HorizontalMetrics, compact_unshaped_face

    regular = font_files_for(project.fonts, "Hans")[0]
    full, small = ttfonts.TTFont("full-sc", str(regular)).face, ttfonts.TTFont("small-sc", str(regular)).face
    compact_unshaped_face(small)
    assert isinstance(small.glyphToChar, GlyphChars) and isinstance(small.hmetrics, HorizontalMetrics)
    text = project.languages["zh-Hans"].strings["doc_title"] + "龘鼎 Maple 1-555"
    subset = [ord(ch) for ch in dict.fromkeys(text)]
    assert ttfonts.TTFontFile.makeSubset(small, subset) == ttfonts.TTFontFile.makeSubset(full, subset)
    glyphs = [full.charToGlyph[code] for code in subset if code in full.charToGlyph]
    assert all(small.glyphToChar[g] == full.glyphToChar[g] and small.hmetrics[g] == full.hmetrics[g] for g in glyphs)
    assert len(small.glyphToChar) == len(full.glyphToChar) and list(small.glyphPos) == full.glyphPos
    render_job(project, project.layouts["handout"], project.languages["zh-Hans"], "letter")  # registers the family
    assert isinstance(pdfmetrics.getFont("noto-sans-sc").face.hmetrics, HorizontalMetrics)


def test_a_shared_document_is_never_served_after_the_data_it_prints_changed_in_place(project, monkeypatch):
    """The memo's key holds what the template is given besides the school: a district name
    or a string changed in the very objects the project holds makes another document."""
    from generator.render import render_for_school

    school = next(iter(project.schools.values()))
    layout, language = project.layouts["card"], project.languages["es"]
    first = render_for_school(project, layout, language, "letter", school)
    assert render_for_school(project, layout, language, "letter", school) is first
    monkeypatch.setitem(project.district, "name", "Another District")
    renamed = render_for_school(project, layout, language, "letter", school)
    assert renamed.pdf != first.pdf and "Another District" in renamed.title
    monkeypatch.setitem(language.strings, "card_hint", "Guarde esta tarjeta.")
    assert render_for_school(project, layout, language, "letter", school).pdf != renamed.pdf


def test_a_poster_is_laid_out_once_for_its_papers_and_each_paper_is_the_page_a_fresh_render_gives(project, monkeypatch):
    """The poster is designed on Tabloid and scaled onto the other papers, and its template
    never reads the paper: one layout serves the four papers, and each paper's PDF is byte
    for byte what render_job makes on its own. A template that reads the paper is laid out
    for each paper."""
    import generator.render as render

    school = next(iter(project.schools.values()))
    poster, language = project.layouts["poster"], project.languages["ar"]
    laid = []
    real = render.lay_out
    monkeypatch.setattr(render, "lay_out", lambda *a, **k: laid.append(a[3]) or real(*a, **k))
    shared = {paper: render.render_for_school(project, poster, language, paper, school) for paper in poster.papers}
    assert len(poster.papers) == 4 and len(laid) == 1
    for paper in poster.papers:
        assert shared[paper].pdf == render_job(project, poster, language, paper, school).pdf, paper
    assert len({result.pdf for result in shared.values()}) == 4  # four papers, four documents
    laid.clear()
    other = dataclasses.replace(school, id="other-school", name="Other School", phone="555-0100")
    assert render.render_for_school(project, poster, language, "a3", other).pdf != shared["a3"].pdf
    assert laid == ["a3"]  # another school is another page
    laid.clear()
    reads_paper = dataclasses.replace(poster, template_source=poster.template_source.replace(
        "<page margin=\"0.6in\">", "<page margin=\"{{ '0.5in' if paper == 'a3' else '0.6in' }}\">"))
    assert reads_paper.template_source != poster.template_source
    for paper in poster.papers:
        render.render_for_school(project, reads_paper, language, paper, school)
    assert laid == list(poster.papers)


def test_a_template_error_in_a_fit_never_tried_does_not_fail_a_shared_page(project):
    """Finding the shared page's key renders no template: a mistake only a later fit would
    meet must not fail the page when the first fit fits (render_job, and `check`, never meet it)."""
    from generator.render import render_for_school

    card = project.layouts["card"]
    broken = dataclasses.replace(card, template_source=card.template_source + "{% if fit == 'dense' %}{{ nowhere }}{% endif %}")
    school = next(iter(project.schools.values()))
    expected = render_job(project, broken, project.languages["en"], "letter", school)
    assert expected.fit == "normal"
    assert render_for_school(project, broken, project.languages["en"], "letter", school).pdf == expected.pdf


def fresh_project():
    from generator.validate import load_project

    project, problems = load_project(ROOT / "data", ROOT / "layouts", ROOT / "fonts")
    assert project is not None, problems.errors
    return project


def placed_flowables(laid_out):
    from generator.layout import Placed

    return [item.flowable for page in laid_out.pages for item in page.items if isinstance(item, Placed)]


def test_blocks_every_copy_shares_are_built_once_and_each_copy_is_the_page_a_fresh_render_gives():
    """A box, list or columns that every school's copy prints is built once (blocks.built_once)
    and the very flowable serves the next copy. The half-sheet's columns are the same blocks on
    A4 and Letter (only the frame around them is wider), so one table serves both papers: the
    Letter page made after the A4 one, and another school's handout made after the first,
    must each be the page a fresh process makes, QR codes recorded for verification included."""
    from generator.layout import lay_out

    project = fresh_project()
    schools = list(project.schools.values())
    other = dataclasses.replace(schools[0], id="other-school", name="Other School", phone="555-0100")
    half, handout, language = project.layouts["half-sheet"], project.layouts["handout"], project.languages["pt"]
    a4, letter = lay_out(project, half, language, "a4", schools[0]), lay_out(project, half, language, "letter", schools[0])
    assert {id(f) for f in placed_flowables(a4)} & {id(f) for f in placed_flowables(letter)}, "the columns are shared"
    first = lay_out(project, handout, language, "letter", schools[0])
    second = lay_out(project, handout, language, "letter", other)
    assert {id(f) for f in placed_flowables(first)} & {id(f) for f in placed_flowables(second)}, "the body is shared"
    made_after = {"letter": render_job(project, half, language, "letter", schools[0]),
                  "second": render_job(project, handout, language, "letter", other)}

    alone = fresh_project()
    for name, result in made_after.items():
        if name == "letter":
            fresh = render_job(alone, alone.layouts["half-sheet"], alone.languages["pt"], "letter", schools[0])
        else:
            fresh = render_job(alone, alone.layouts["handout"], alone.languages["pt"], "letter", other)
        assert result.pdf == fresh.pdf, name
        assert (result.qr_urls, result.qr_printed, result.qr_destinations) == \
               (fresh.qr_urls, fresh.qr_printed, fresh.qr_destinations), name
        assert result.qr_urls and (name != "letter" or len(result.qr_urls) == 2), name  # both flyers' codes


def test_the_body_parsed_once_gives_the_tree_the_whole_text_gives(project):
    """Every school's copy differs in its header only, so a page's <body> is parsed once per
    exact text and line and set into the tree of the rest: the tree must be the one parsing
    the whole text gives, for every layout and fit, and a problem anywhere is still named as
    the whole text's parse names it."""
    from generator import layout as stage
    from generator.template import render_template

    language = project.languages["ar"]
    schools = list(project.schools.values())
    other = dataclasses.replace(schools[0], id="other-school", name="Other School", address="", phone="")
    split = 0
    for layout in project.layouts.values():
        for fit, _ in layout.fits:
            page_languages = None if layout.language_mode == "each" else list(project.languages.values())
            trees = []
            for school in (schools[0], other):
                text = render_template(project, layout, language, layout.papers[0], fit, school, page_languages)
                split += stage.body_apart(text) is not None
                trees.append(stage.parsed_tree(text, "x"))
                assert trees[-1] == parse_tree(text, "x"), (layout.name, fit)
    assert split >= 8  # the handout's, poster's and bilingual page's fits at least

    text = render_template(project, project.layouts["handout"], language, "letter", "normal", schools[0])
    head, tail = text.split("</body>")
    broken = head + "<bogus/></body>" + tail
    line = broken[:broken.index("<bogus")].count("\n") + 1
    with pytest.raises(LayoutProblem) as whole:
        parse_tree(broken, "x")
    with pytest.raises(LayoutProblem) as ours:
        stage.parsed_tree(broken, "x")
    assert ours.value.message == whole.value.message and ours.value.loc == whole.value.loc
    assert whole.value.loc.line == line
    commented = text.replace("<body>", "<!-- <body> --><body>", 1)
    assert stage.body_apart(commented) is None and stage.parsed_tree(commented, "x") == parse_tree(commented, "x")
    quoted = '<document><page><header><p><![CDATA[<body></body>]]></p></header></page></document>'
    assert stage.body_apart(quoted) is None
    assert stage.parsed_tree(quoted, "x") == parse_tree(quoted, "x")
