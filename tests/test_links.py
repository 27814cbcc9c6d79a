"""`handouts links check` against a local HTTP server the test starts: redirects, a 404, a
timeout, a redirect to another host; and a clear message when nothing can be reached."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_cli
from test_cli import set_unresolvable


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        port = self.server.server_address[1]
        routes = {
            "/ok": (200, None),
            "/moved": (301, "/ok"),
            "/hop1": (302, "/hop2"),
            "/hop2": (307, "/ok"),
            "/gone": (404, None),
            "/loop": (302, "/loop"),
            # 127.0.0.1 and localhost are the same server under two host names.
            "/elsewhere": (301, f"http://localhost:{port}/ok"),
        }
        if self.path == "/slow":
            time.sleep(3)
        status, location = routes.get(self.path, (200, None))
        try:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test): expected

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def check(*urls: str):
    return run_cli("links", "check", "--timeout", "1", "--max-redirects", "3", *urls)


def test_a_good_link_passes_and_redirects_are_reported_hop_by_hop(server):
    result = check(f"{server}/ok", f"{server}/hop1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"302 -> {server}/hop2" in result.stdout and f"307 -> {server}/ok" in result.stdout
    assert f"final address: {server}/ok" in result.stdout
    # A redirect means the page moved: a person should read where it leads now.
    assert f"{server}/hop1: {server}/ok (it now redirects to another page)" in result.stdout
    assert "2 of 2 link(s) answered; 0 failed" in result.stdout


def test_a_404_fails_with_its_status(server):
    result = check(f"{server}/ok", f"{server}/gone")
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "HTTP 404" in result.stdout
    assert "error: 1 of 2 link(s) answered; 1 failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_slow_server_times_out(server):
    started = time.perf_counter()
    result = check(f"{server}/slow")
    assert result.returncode == 1 and "no answer within 1 s" in result.stdout
    assert time.perf_counter() - started < 2.9  # gave up at the timeout, did not wait for the answer


def test_redirects_are_bounded(server):
    result = check(f"{server}/loop")
    assert result.returncode == 1 and "more than 3 redirects" in result.stdout


def test_a_change_of_host_is_reported_and_needs_a_person(server):
    result = check(f"{server}/elsewhere")
    assert result.returncode == 0
    port = server.rsplit(":", 1)[1]
    assert "the host changed: 127.0.0.1 -> localhost" in result.stdout
    assert "(it now leads to another site (localhost))" in result.stdout
    assert f"final address: http://localhost:{port}/ok" in result.stdout


def test_no_network_is_a_clear_message_and_nothing_is_recorded(data_copy):
    set_unresolvable(data_copy)
    before = (data_copy / "resources.yaml").read_bytes()
    result = run_cli("links", "check", "--data", str(data_copy), "--timeout", "2")
    assert result.returncode == 1
    assert "error: none of the 2 link(s) could be reached" in result.stderr and "online" in result.stderr
    assert "Traceback" not in result.stderr
    assert (data_copy / "resources.yaml").read_bytes() == before  # never records verified_on


def test_the_data_links_are_checked_and_unverified_ones_named_for_a_person(data_copy, server, monkeypatch):
    """The QR targets in the data (https, no port) are what `links check` requests; here they
    are answered by the local server through a stand-in for the network layer."""
    from conftest import set_verified_on
    import requests

    set_verified_on(data_copy, "")
    seen = []
    real_get = requests.Session.get

    def local_get(self, url, **kwargs):
        seen.append(url)
        return real_get(self, f"{server}/ok", **kwargs)

    monkeypatch.setattr(requests.Session, "get", local_get)
    result = run_cli("links", "check", "--data", str(data_copy))
    assert result.returncode == 0, result.stderr
    assert seen == ["https://www.aclu.org/know-your-rights/immigrants-rights", "https://www.immigrantdefenseproject.org/"]
    assert "aclu: https://www.aclu.org/know-your-rights/immigrants-rights (no person has recorded verified_on for it yet)" in result.stdout
    assert (data_copy / "resources.yaml").read_text(encoding="utf-8").count('verified_on: ""') == 2
