"""Verify (links, before the semester run): request every QR target and report where it leads now.

A printed QR code lives for a semester; the page behind it can move or vanish. This
check requests each address with a real HTTP client (requests), a timeout, and at most a
few redirects, followed one by one so that every hop and any change of host is seen. It
never records `verified_on`: an answer of 200 says a server replied, not that the page
still says what the handout promises. A person has to read it; the check says which
links need that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

USER_AGENT = "family-rights-handouts link check (a school district's printed QR codes)"
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class LinkResult:
    name: str  # the resource id, or the address given on the command line
    url: str
    status: int | None = None
    final_url: str = ""
    hops: list[tuple[int, str]] = field(default_factory=list)  # (status, where it sent us)
    error: str = ""
    unreachable: bool = False  # no answer at all (name lookup, connection): maybe no network

    @property
    def failed(self) -> bool:
        return bool(self.error) or self.status is None or self.status >= 400

    @property
    def host_changed(self) -> bool:
        return bool(self.final_url) and _host(self.final_url) != _host(self.url)

    @property
    def moved(self) -> bool:
        return bool(self.final_url) and self.final_url != self.url


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_link(name: str, url: str, timeout: float, max_redirects: int, session: requests.Session | None = None) -> LinkResult:
    """Follow `url` hop by hop; never raises for a problem of the link's own."""
    session = session or requests.Session()
    result = LinkResult(name, url)
    current = url
    try:
        for _ in range(max_redirects + 1):
            # GET, not HEAD: some servers answer HEAD differently or not at all. The body is
            # not read (stream) and the connection is closed at once.
            with session.get(current, allow_redirects=False, timeout=timeout, stream=True,
                             headers={"User-Agent": USER_AGENT}) as response:
                status, location = response.status_code, response.headers.get("Location", "")
            if status in REDIRECTS and location:
                target = urljoin(current, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    result.status, result.final_url = status, current
                    result.error = f"redirects to {target!r}, which is not a web address"
                    return result
                result.hops.append((status, target))
                current = target
                continue
            result.status, result.final_url = status, current
            if status >= 400:
                result.error = f"HTTP {status} {response.reason or ''}".strip()
            return result
        result.final_url = current
        result.error = f"more than {max_redirects} redirects (last: {current})"
    except requests.Timeout:
        result.error = f"no answer within {timeout:g} s"
    except requests.exceptions.SSLError as exc:
        result.error = f"the secure connection failed ({_reason(exc)})"
    except requests.ConnectionError as exc:
        result.error, result.unreachable = f"cannot connect ({_reason(exc)})", True
    except requests.RequestException as exc:
        result.error = f"request failed ({_reason(exc)})"
    return result


def _reason(exc: Exception) -> str:
    """The innermost cause, shortly: 'Name or service not known', 'Connection refused'."""
    text = str(exc)
    for marker in ("Failed to resolve", "Name or service not known", "Temporary failure in name resolution",
                   "Connection refused", "Network is unreachable", "No route to host", "certificate verify failed"):
        if marker in text:
            return marker
    return text[-160:]


def check_links(targets: list[tuple[str, str]], timeout: float, max_redirects: int) -> list[LinkResult]:
    with requests.Session() as session:
        session.trust_env = True  # a proxy set for the office network is honoured
        return [check_link(name, url, timeout, max_redirects, session) for name, url in targets]


def no_network(results: list[LinkResult]) -> bool:
    """Every link failed before any server answered: the machine is probably offline."""
    return bool(results) and all(result.unreachable for result in results)


def describe(result: LinkResult) -> list[str]:
    """The report lines for one link."""
    head = f"{result.name}: {result.url}"
    if result.error and result.status is None:
        return [f"FAIL  {head}", f"      {result.error}"]
    lines = [f"{'FAIL' if result.failed else 'ok  '}  {head}", f"      status {result.status}" + (f" ({result.error})" if result.error else "")]
    for status, target in result.hops:
        lines.append(f"      {status} -> {target}")
    if result.moved:
        lines.append(f"      final address: {result.final_url}")
    if result.host_changed:
        lines.append(f"      the host changed: {_host(result.url)} -> {_host(result.final_url)}")
    return lines


def look_again(result: LinkResult, verified_on: str | None) -> str:
    """Why a person should open this link and read the page again ('' if there is no reason).
    `verified_on` None: an address given on the command line, not a QR target in the data."""
    if result.failed:
        return "it does not answer as it should"
    if result.host_changed:
        return f"it now leads to another site ({_host(result.final_url)})"
    if result.moved:
        return "it now redirects to another page"
    if verified_on == "":
        return "no person has recorded verified_on for it yet"
    return ""
