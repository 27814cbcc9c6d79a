"""Write: HTML pages with a strict Content-Security-Policy, for every page the tool writes.

The pages are made from untrusted data (school names, language names, translations).
Autoescaping keeps that data text; the policy is the second wall, for the day escaping
fails: the browser then runs only the page's own inline scripts, identified by the
SHA-256 of their text, loads nothing from any host, runs no inline event handler or
`javascript:` URL, embeds no plugin, has no `<base>` or form target, and sends no
referrer. The policy travels inside the page (`<meta http-equiv>`) because staff open
the pages from the file system, where no server sends headers.

How a page template takes part: its inline scripts and styles are Jinja blocks whose
names start with `script` and `style` (`<script>{% block script %}...{% endblock %}</script>`),
and its `<head>` starts with

    <meta http-equiv="Content-Security-Policy" content="{{ content_security_policy }}">
    <meta name="referrer" content="no-referrer">

`render_protected` renders those blocks alone, with no data at all, and hashes exactly
that text: so data can never become part of an allowed script, and the hashes always
match the page that is written (nothing is hard-coded). It then renders the page and
refuses to return one that contains any other script, style, event handler or
script URL.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Iterable

import jinja2

# Images the catalog shows are its own thumbnails, next to the page; nothing else.
DEFAULT_IMAGES = ("'self'",)
# Attributes that hold a URL a browser may follow or load.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "cite", "background", "srcset"}
# Elements a page made by this tool never needs, each a way round the policy or an escape.
FORBIDDEN_ELEMENTS = {"base", "object", "embed", "iframe", "frame", "frameset", "form", "applet", "link"}
SCRIPT_SCHEME = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)


class UnsafePage(ValueError):
    """A rendered page holds something its policy would have to block."""


def source_hash(text: str) -> str:
    """A CSP hash source for an inline script or style: 'sha256-<base64>' of its UTF-8 text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: Iterable[str], styles: Iterable[str], images: Iterable[str] = DEFAULT_IMAGES,
                            fonts: Iterable[str] = ()) -> str:
    """The policy for a page whose only active content is these inline scripts and styles.
    `fonts`: where its style sheet may take fonts from (none unless asked)."""
    script_sources = " ".join(sorted({source_hash(s) for s in scripts})) or "'none'"
    style_sources = " ".join(sorted({source_hash(s) for s in styles})) or "'none'"
    return "; ".join([
        "default-src 'none'",
        f"script-src {script_sources}",
        f"style-src {style_sources}",
        f"img-src {' '.join(images)}",
        *([f"font-src {' '.join(fonts)}"] if fonts else []),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        # The page's script writes text only; no string may ever become markup through it.
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ])


def trusted_blocks(template: jinja2.Template, prefix: str) -> list[str]:
    """The text of the template's blocks named prefix*, rendered with no data: they are
    part of the reviewed template, and a block that reaches for data fails here. (They
    see the environment's globals: code-made text only, such as the catalog's font faces.)"""
    context = template.new_context({})
    return ["".join(render(context)) for name, render in sorted(template.blocks.items()) if name.startswith(prefix)]


def render_protected(template: jinja2.Template, context: dict, images: Iterable[str] = DEFAULT_IMAGES,
                     fonts: Iterable[str] = (), refresh: str | None = None) -> str:
    """The page, rendered from data, carrying the policy that allows its own scripts and
    styles only; UnsafePage if the result would need anything else. `refresh`: the one
    `<meta http-equiv="refresh">` content a redirect page may carry (the template puts it
    in the context as `refresh`)."""
    scripts, styles = trusted_blocks(template, "script"), trusted_blocks(template, "style")
    policy = content_security_policy(scripts, styles, images, fonts)
    html = template.render(dict(context, content_security_policy=policy, **({"refresh": refresh} if refresh else {})))
    check_page(html, policy, scripts, styles, refresh)
    return html


def check_page(html: str, policy: str, scripts: Iterable[str], styles: Iterable[str], refresh: str | None = None) -> None:
    """Refuse a page whose active content is not exactly the allowed scripts and styles
    (and, for a redirect page, exactly one refresh to the expected address)."""
    checker = _Checker(policy, set(scripts), set(styles), refresh)
    checker.feed(html)
    checker.close()
    if checker.problems:
        raise UnsafePage("the page would carry active content its policy must block: " + "; ".join(checker.problems[:5]))
    if not checker.policy_seen:
        raise UnsafePage("the page has no Content-Security-Policy <meta> at the top of its <head>")
    if refresh is not None and checker.refreshes != 1:
        raise UnsafePage("a redirect page must carry exactly one refresh to its address")


class _Checker(HTMLParser):
    def __init__(self, policy: str, scripts: set[str], styles: set[str], refresh: str | None = None):
        super().__init__(convert_charrefs=False)
        self.policy, self.scripts, self.styles, self.refresh = policy, scripts, styles, refresh
        self.refreshes = 0
        self.policy_seen = False
        self.problems: list[str] = []
        self._raw: str | None = None  # text of the <script> or <style> being read
        self._raw_tag = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "content-security-policy":
            if self.policy_seen or attributes.get("content") != self.policy:
                self.problems.append("a second or different Content-Security-Policy")
            self.policy_seen = True
        elif (tag == "meta" and self.refresh is not None and (attributes.get("http-equiv") or "").lower() == "refresh"
              and attributes.get("content") == self.refresh and self.policy_seen):
            self.refreshes += 1
        elif tag == "meta" and attributes.get("http-equiv"):
            self.problems.append(f"<meta http-equiv={attributes['http-equiv']!r}>")
        if tag in ("script", "style"):
            if not self.policy_seen:
                self.problems.append(f"<{tag}> before the policy")
            if "src" in attributes:
                self.problems.append("<script src=...>")
            self._raw, self._raw_tag = "", tag
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            elif name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            elif name in URL_ATTRIBUTES and value and SCRIPT_SCHEME.match(value):
                self.problems.append(f"script URL in {name}= on <{tag}>")

    def handle_data(self, data):
        if self._raw is not None:
            self._raw += data

    def handle_endtag(self, tag):
        if self._raw is not None and tag == self._raw_tag:
            allowed = self.scripts if tag == "script" else self.styles
            if self._raw not in allowed:
                self.problems.append(f"an inline <{tag}> that is not the template's own")
            self._raw = None
