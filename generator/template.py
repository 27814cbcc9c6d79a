"""Render, step 1: a layout's Jinja2 template + one job's data -> layout XML text.

The environment is sandboxed, autoescapes everything (so a data value can never become
an element or attribute of the layout XML) and fails on any undefined name.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from .errors import Loc
from .addresses import resource_addresses
from .claims import advice_on_page, page_source_ids
from .dates import reader_date
from .model import Language, Layout, Project, School

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TemplateProblem(Exception):
    def __init__(self, loc: Loc, message: str):
        super().__init__(f"{loc}: error: {message}")
        self.loc = loc
        self.message = message


def fill(value: str, **values: str) -> str:
    """Fill {name} placeholders of a translated string; unknown names are left visible."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), str(value))


# What ends a sentence in the data's scripts: Latin, Cyrillic and Arabic-script full stops and
# marks, the CJK full stop, the Devanagari danda (Bengali and Nepali), the Myanmar section
# mark, the Ethiopic full stop and the Urdu full stop.
SENTENCE_ENDS = ".!?。！？।॥။።۔؟"
CLOSING_MARKS = "\"'»”’)」』 \u00a0\u202f"  # and the spaces French puts before »
CLAUSE_MARKS = ",，、،;；:：፣፤၊"  # a lead that ends a clause ends with the sentence's stop instead


def bold_part(value: str) -> str:
    """The **bold** lead of a translated string ("**Do not open the door.** You can..."),
    for layouts with room for a few words only; the whole string if it has none. A lead the
    sentence goes on after ("**Do not sign any papers** before you talk to a lawyer.") or
    ends right after ("...**कुनै पनि कागजमा हस्ताक्षर नगर्नुहोस्**।") gets that sentence's own
    full stop, so that it stands as a sentence beside the others in a list."""
    text = str(value)
    match = re.search(r"\*\*(.+?)\*\*", text)
    if not match:
        return text
    lead = match.group(1)
    if lead.rstrip(CLOSING_MARKS)[-1:] in SENTENCE_ENDS:  # 'Say "no."' ends a sentence too
        return f"**{lead}**"
    end = re.search(f"[{re.escape(SENTENCE_ENDS)}]", text[match.end():])
    if not end:
        return f"**{lead}**"
    return f"**{lead.rstrip().rstrip(CLAUSE_MARKS).rstrip()}{end.group(0)}**"  # "..., " -> "...."


def _environment(layout: Layout) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(layout.directory)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fill"] = fill
    env.filters["bold_part"] = bold_part
    return env


_environments: dict[tuple[str, str], jinja2.Template] = {}


def compiled(layout: Layout) -> jinja2.Template:
    key = (str(layout.directory), layout.template_source)
    if key not in _environments:
        path = str(layout.directory / layout.template_name)
        try:
            _environments[key] = _environment(layout).from_string(layout.template_source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(Loc(path, exc.lineno or 1, 1), f"template syntax: {exc.message}") from None
    return _environments[key]


def names_the_school(layout: Layout) -> bool:
    """Whether a school's data can change what the template gives: it names `school`, or it
    includes, imports or extends another template (which might). A template that does
    neither gives the same XML for every school (the wallet card), so the batch makes that
    document once per language and paper and every school's copy is the same bytes."""
    return names_any(layout, ("school",))


def names_the_paper(layout: Layout) -> bool:
    """Whether the paper can change what the template gives (`paper`, `page`, or another
    template). One that does not gives the same XML on every paper: a layout designed on one
    paper and scaled onto the others (the poster) is then laid out once for all of them."""
    return names_any(layout, ("paper", "page"))


def names_any(layout: Layout, names: tuple[str, ...]) -> bool:
    key = (str(layout.directory), layout.template_source, names)
    if key not in _names:
        try:
            tree = _environment(layout).parse(layout.template_source)
        except jinja2.TemplateSyntaxError:
            return True  # reported as a template problem where it is compiled
        _names[key] = (bool(set(names) & meta.find_undeclared_variables(tree))
                       or any(True for _ in meta.find_referenced_templates(tree)))
    return _names[key]


_names: dict[tuple[str, str, tuple[str, ...]], bool] = {}


def date_of(language: Language, iso: str) -> str:
    return reader_date(iso, language.date_locale or language.code)


def status_line(language: Language, source: Language, advice_unreviewed: bool = False) -> str:
    """The translation status every footer prints: in the language, and for a draft also in
    English, so that staff who read only English know what they hand out. An English page
    whose advice no immigration lawyer has reviewed yet says so: it is a draft too."""
    strings = language.strings
    if language.status == "reviewed":
        return fill(strings["status_reviewed"], reviewer=language.reviewed_by, date=date_of(language, language.reviewed_on))
    if language.status == "draft":
        english = "" if language is source else f" / {source.strings['status_draft']}"
        return strings["status_draft"] + english
    return strings["status_advice_draft"] if advice_unreviewed else strings["status_source"]


def information_line(language: Language, source: Language, iso_date: str) -> str:
    """"Information as of <date>", the date as the reader writes it; or, while a source the
    page uses is unverified, "Not yet checked by the district" (also in English)."""
    if iso_date:
        return fill(language.strings["footer_as_of"], date=date_of(language, iso_date))
    english = "" if language is source else f" / {source.strings['info_unchecked']}"
    return language.strings["info_unchecked"] + english


def script_name(code: str) -> str:
    """An ISO 15924 script code's English name from CLDR ("Arab" -> "Arabic"), for layouts
    that group languages by script; the code itself if CLDR does not know it."""
    from babel import Locale

    return Locale("en").scripts.get(code, code)


def language_context(language: Language) -> dict:
    return {
        "code": language.code,
        "endonym": language.endonym,
        "name_en": language.name_en,
        "direction": language.direction,
        "script": language.script,
        "script_name": script_name(language.script),
        "status": language.status,
        "translated_by": language.translated_by,
        "reviewed_by": language.reviewed_by,
        "reviewed_on": language.reviewed_on,
        "reviewed_on_en": reader_date(language.reviewed_on, "en") if language.reviewed_on else "",
    }


def context(project: Project, layout: Layout, language: Language, paper: str, fit: str = "normal",
            school: School | None = None, page_languages: list[Language] | None = None) -> dict:
    source = project.languages["en"]
    iso_date = project.ledger.information_date(page_source_ids(project.ledger, layout.template_source))
    advice_unreviewed = advice_on_page(project.ledger, layout.template_source) and not project.ledger.legal_review.done
    school = school or next(iter(project.schools.values()))
    return {
        "languages": [dict(language_context(l), t=l.strings) for l in page_languages or []],
        "school": {"id": school.id, "name": school.name, "address": school.address, "phone": school.phone, "logo": school.logo},
        "t": language.strings,
        "en": source.strings,
        "lang": language_context(language),
        "district": project.district,
        "organisations": project.organisations,
        # url: what the page prints and its codes encode (the district's own address with web_base)
        "resources": resource_addresses(project, language.code),
        "web_base": project.web_base,  # "" when unset, so that layouts can write {% if web_base %}
        "paper": paper,
        "page": {"width": project.papers[paper].width, "height": project.papers[paper].height},
        "fit": fit,
        "information_line": information_line(language, source, iso_date),
        "information_line_en": information_line(source, source, iso_date),
        "information_line_own": information_line(language, language, iso_date),  # no English beside it (cards)
        "status_line": status_line(language, source, advice_unreviewed),
        "status_line_en": status_line(source, source, advice_unreviewed),
        "status_line_own": status_line(language, language, advice_unreviewed),  # no English beside it (card backs)
        "advice_unreviewed": advice_unreviewed,
    }


def render_template(project: Project, layout: Layout, language: Language, paper: str, fit: str = "normal",
                    school: School | None = None, page_languages: list[Language] | None = None) -> str:
    template = compiled(layout)
    path = str(layout.directory / layout.template_name)
    try:
        return template.render(context(project, layout, language, paper, fit, school, page_languages))
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, layout)
        raise TemplateProblem(Loc(path, line, 1), f"{exc.message} (language {language.code}); add it to the data or fix the template") from None
    except jinja2.TemplateError as exc:
        raise TemplateProblem(Loc(path, _template_line(exc, layout), 1), f"template error: {exc}") from None


def _template_line(exc: BaseException, layout: Layout) -> int:
    """Jinja rewrites tracebacks so that template frames carry template line numbers."""
    tb, line = exc.__traceback__, 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in ("<template>", str(Path(layout.directory) / layout.template_name)):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
