"""The live client against a loopback HTTP server that serves the bundled snapshot's recorded responses: the same
client and parsers as the offline replay, the User-Agent and parameters Wikimedia asks for, retries on a passing
503, and a live run without a contact refused."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from twindata.contract.bundled import default_snapshot
from twindata.contract.errors import TwindataError
from twindata.packages import run_configured as run
from twindata.settings import load_settings

from conftest import release_tables


class RecordedWikimedia(BaseHTTPRequestHandler):
    """Answers like the recorded API did; ``faults`` is a list of statuses to send first."""

    exchanges: list = []
    faults: list = []
    seen: list = []

    def do_GET(self):
        type(self).seen.append((self.path, dict(self.headers)))
        if type(self).faults:
            self.send_response(type(self).faults.pop(0))
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        asked = {k: v for k, v in parse_qsl(urlsplit(self.path).query) if k != "maxlag"}
        for url, body in type(self).exchanges:
            if dict(parse_qsl(urlsplit(url).query)) == asked:
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch, tmp_path):
    snapshot = default_snapshot()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    RecordedWikimedia.exchanges = [(e["url"], (snapshot / e["file"]).read_bytes()) for e in manifest["exchanges"]]
    RecordedWikimedia.faults, RecordedWikimedia.seen = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RecordedWikimedia)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("TWINDATA_WIKIDATA_API", f"{base}/w/api.php")
    monkeypatch.setenv("TWINDATA_COMMONS_API", f"{base}/commons/w/api.php")
    monkeypatch.setenv("TWINDATA_SPARQL_URL", f"{base}/sparql")
    monkeypatch.setenv("TWINDATA_CACHE_DIR", str(tmp_path / "cache"))
    yield RecordedWikimedia
    httpd.shutdown()



def test_live_run_gives_the_same_tables_as_the_offline_replay(server, tmp_path):
    live = run(load_settings(out=tmp_path / "live", live=True, contact="https://example.org/twindata-tests"))
    offline = run(load_settings(out=tmp_path / "offline"))
    assert release_tables(live.publish.path) == release_tables(offline.publish.path)
    assert live.requests == {"wikidata": 2, "commons": 0, "commons_saved": 0, "entities_reused": 0}
    assert len(server.seen) == 2
    path, headers = server.seen[0]
    assert headers["User-Agent"].startswith("twindata/") and "(https://example.org/twindata-tests)" in headers["User-Agent"]
    assert "requests/" in headers["User-Agent"] and "gzip" in headers["Accept-Encoding"]
    params = dict(parse_qsl(urlsplit(path).query))
    assert params["maxlag"] == "5" and params["formatversion"] == "2" and params["action"] == "wbgetentities"


def test_a_passing_503_is_retried(server, tmp_path):
    server.faults = [503, 503]
    result = run(load_settings(out=tmp_path / "r", live=True, contact="ops@example.org"))
    assert result.publish.published and len(server.seen) == 4


def test_live_run_without_contact_is_refused(server, tmp_path, monkeypatch):
    monkeypatch.delenv("TWINDATA_CONTACT", raising=False)
    with pytest.raises(TwindataError, match="contact"):
        run(load_settings(out=tmp_path / "r", live=True))
    assert server.seen == []
