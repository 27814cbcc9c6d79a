"""Plan support: the address each QR code encodes, and where it finally leads.

Without `web_base` (data/district.yaml) a code encodes the resource's own address: its
address in the page's language when data/resources.yaml gives one (`languages:`), else its
main `url`. With `web_base`, the district owns what it prints: a code encodes the short
address `<web_base>/go/<target>` on the district's own host, and the web edition writes the
redirect from there to the resource (generator/redirects.py), so that a moved page is one
line of data, not a reprint. One target per resource (`go/aclu`) and one per resource and
language that has its own address (`go/aclu-es`).

Target names and language codes become path segments and map keys; they are derived from
validated ids and language codes and must match SAFE_SEGMENT. Destinations become HTML
attributes, a meta refresh URL and entries of three server maps; REDIRECT_SAFE is the one
character set all of those accept without an escape that could go wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Project, Resource

GO = "go"  # the folder of the redirect pages under web_base (OUT/web/go/<target>/)
SAFE_SEGMENT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# After "https://", RFC 3986 characters minus those any of the contexts would read as
# syntax: no quotes or whitespace, no '$' or '\\' (nginx and Apache variables and escapes),
# no '{}' '<>' '|' '^' '`' '[]', no ';' (nginx), no '*' or ':' (a _redirects splat or
# placeholder), no '#' (a comment start in the maps). A '%' must start a percent-escape
# (Apache's substitution escapes it, see redirects.py).
SAFE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/?@!&()+,=%")
REDIRECT_SAFE = re.compile(r"https://(?:[A-Za-z0-9\-._~/?@!&()+,=]|%[0-9A-Fa-f]{2})+")


@dataclass(frozen=True)
class Target:
    """One redirect: `<web_base>/go/<name>` leads to `destination`."""

    name: str
    resource: str
    lang: str  # "" for the resource's main address
    destination: str


def target_name(resource_id: str, lang: str = "") -> str:
    """'aclu' -> 'aclu'; ('aclu', 'zh-Hant') -> 'aclu-zh-hant'. ValueError when the result is
    not a safe path segment (validation refuses such ids before this is reached)."""
    name = resource_id + (f"-{lang.lower()}" if lang else "")
    if not SAFE_SEGMENT.fullmatch(name):
        raise ValueError(f"'{name}' is not a safe address segment (lowercase letters, digits and single hyphens)")
    return name


def redirect_safe(url: str) -> bool:
    """An https address every page and map can carry as it is."""
    return bool(REDIRECT_SAFE.fullmatch(url))


def unsafe_characters(url: str) -> list[str]:
    """The characters after the scheme that keep an https address from being redirect_safe."""
    rest = url.split("://", 1)[-1]
    return sorted(set(rest) - SAFE_CHARACTERS) or (["%"] if "%" in rest else [])


def destination(resource: Resource, lang: str) -> tuple[str, str]:
    """(the address a reader of `lang` is sent to, the language of that address or "")."""
    own = dict(resource.languages).get(lang)
    return (own, lang) if own else (resource.url, "")


def code_address(project: Project, resource_id: str, lang: str) -> tuple[str, str]:
    """(the address a code for this resource encodes on a page in `lang`, its final destination)."""
    resource = project.resources[resource_id]
    url, used = destination(resource, lang)
    if not project.web_base:
        return url, url
    return f"{project.web_base}/{GO}/{target_name(resource.id, used)}", url


def language_page(project: Project, code: str) -> str:
    """The web edition's page of a language, `<web_base>/<code>/` (only with web_base)."""
    return f"{project.web_base}/{code}/"


def targets(project: Project) -> list[Target]:
    """Every redirect the web edition writes, by name."""
    found = []
    for resource in project.resources.values():
        found.append(Target(target_name(resource.id), resource.id, "", resource.url))
        for lang, url in resource.languages:
            found.append(Target(target_name(resource.id, lang), resource.id, lang, url))
    return sorted(found, key=lambda t: t.name)


def resource_addresses(project: Project, lang: str) -> dict[str, dict]:
    """What a template sees as `resources`: per resource its organisation and title, `url`
    (the address printed and encoded on a page in `lang`) and `destination`."""
    out = {}
    for rid, r in project.resources.items():
        address, final = code_address(project, rid, lang)
        out[rid] = {"url": address, "destination": final, "organisation": r.organisation, "title": r.title}
    return out
