"""Write: the district's own QR addresses, `<web_base>/go/<target>` -> the resource (OUT/web/).

With `web_base` set (data/district.yaml), every QR code encodes a short address on the
district's host (generator/addresses.py). The web edition then carries, for each target:

  web/go/<target>/index.html   an immediate redirect (meta refresh) and the destination as a
                               visible link, for servers without the maps and for browsers
                               that block the refresh; no request to any other host
and three server redirect maps, beside the pages, so that a server answers with a real 302:

  web/.htaccess                Apache (mod_rewrite, in the directory that serves web_base)
  web/nginx-redirects.conf     nginx: a `map` to include in the http block
  web/_redirects               Netlify-style: one `from to status` rule per line

A 302, not a 301: browsers remember a 301 for good, and a moved page must stay one line
of data. Destinations come only from data/resources.yaml, where they were validated (https,
an allowed host, only REDIRECT_SAFE characters); still, every value is checked again here
and refused, never written, if it could be read as syntax by any of these files: each map is
a small language in which a space, a quote, a newline, a '$' or a backslash could add a rule,
a second destination or a variable.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from .addresses import GO, SAFE_SEGMENT, Target, redirect_safe, targets
from .csp import render_protected
from .model import Project

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
WEB_DIR = "web"
MAP_FILES = (".htaccess", "nginx-redirects.conf", "_redirects")
NGINX_VARIABLE = "$family_rights_redirect"
MADE_BY = "Made by Family Rights Handouts (`handouts build --web`) from data/resources.yaml: change the data, not this file."


class RedirectProblem(ValueError):
    """A redirect that must not be written; names the target and why."""


def checked(target: Target) -> Target:
    """The target, if its name is a plain path segment and its destination an https address
    made only of characters no page or map reads as syntax; else RedirectProblem."""
    if not SAFE_SEGMENT.fullmatch(target.name):
        raise RedirectProblem(f"{GO}/{target.name!r}: a target name must be lowercase letters, digits and single hyphens")
    url = target.destination
    if not url.startswith("https://") or not redirect_safe(url) or not urlsplit(url).hostname:
        raise RedirectProblem(f"{GO}/{target.name}: refusing to write the destination {url!r}: only https addresses without "
                              "spaces, quotes, '$', backslashes or other map syntax may be redirected to")
    return target


def base_path(project: Project) -> str:
    """The path of web_base on its host, without a trailing slash ("" for a host's root)."""
    return urlsplit(project.web_base).path.rstrip("/")


def refresh_content(url: str) -> str:
    return f"0; url={url}"


def redirect_page(env: jinja2.Environment, project: Project, target: Target) -> str:
    resource = project.resources[target.resource]
    return render_protected(env.get_template("web_redirect.html.j2"), {
        "title": resource.title, "organisation": resource.organisation, "district": project.district.get("name", ""),
        "destination": target.destination, "hreflang": target.lang,
    }, images=("'none'",), refresh=refresh_content(target.destination))


def apache_rules(found: list[Target]) -> str:
    """mod_rewrite rules relative to the directory the file sits in (web_base), so the
    file works whatever path web_base has. In a substitution '%N' and '$N' are
    back-references: '%' is escaped, '$' never gets this far. NE keeps the percent-escapes
    as written, QSD drops a query the reader's request carried."""
    lines = [f"# {MADE_BY}", "# Sends <web_base>/go/<target> to its resource with a 302.", "<IfModule mod_rewrite.c>",
             "RewriteEngine On"]
    for target in found:
        lines.append(f"RewriteRule ^{GO}/{target.name}/?$ {target.destination.replace('%', chr(92) + '%')} [R=302,L,NE,QSD]")
    lines.append("</IfModule>")
    return "\n".join(lines) + "\n"


def nginx_map(project: Project, found: list[Target]) -> str:
    """A `map` from the request path to its destination. Keys and values are quoted; inside
    quotes nginx still reads '$name' as a variable and '\\' as an escape, and neither can
    reach this file."""
    prefix = base_path(project)
    lines = [f"# {MADE_BY}",
             "# Include it in the http {} block: include /path/to/web/nginx-redirects.conf;",
             f"# and in the server {{}} that serves {project.web_base}/:",
             f"#     if ({NGINX_VARIABLE}) {{ return 302 {NGINX_VARIABLE}; }}",
             f"map $uri {NGINX_VARIABLE} {{", '    default "";']
    for target in found:
        for path in (f"{prefix}/{GO}/{target.name}", f"{prefix}/{GO}/{target.name}/"):
            lines.append(f'    "{path}" "{target.destination}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def netlify_rules(project: Project, found: list[Target]) -> str:
    """`from to status` separated by whitespace, as Netlify reads `_redirects` at the root of
    the published site; '!' applies the rule although go/<target>/index.html exists."""
    prefix = base_path(project)
    lines = [f"# {MADE_BY}"]
    for target in found:
        for path in (f"{prefix}/{GO}/{target.name}", f"{prefix}/{GO}/{target.name}/"):
            lines.append(f"{path}  {target.destination}  302!")
    return "\n".join(lines) + "\n"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def redirect_files(project: Project) -> dict[str, str]:
    """Every redirect page and map: path under OUT -> text. Empty without web_base."""
    if not project.web_base:
        return {}
    found = [checked(target) for target in targets(project)]
    env = _environment()
    files = {f"{WEB_DIR}/{GO}/{t.name}/index.html": redirect_page(env, project, t) for t in found}
    files[f"{WEB_DIR}/.htaccess"] = apache_rules(found)
    files[f"{WEB_DIR}/nginx-redirects.conf"] = nginx_map(project, found)
    files[f"{WEB_DIR}/_redirects"] = netlify_rules(project, found)
    return files
