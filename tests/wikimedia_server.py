"""A loopback stand-in for the Wikidata API, the Commons API and the query service, answering from real recorded
entities and imageinfo pages (tests/fixtures, the bundled snapshot), with faults injected on demand.

It serves only 127.0.0.1, stops with its test, and records every request it gets (path, parameters, headers).
"""

from __future__ import annotations

import json
import re
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from twindata.contract.bundled import default_snapshot

from conftest import load_fixture


def recorded_entities() -> dict[str, dict]:
    """Every real entity at hand, by QID: the bundled snapshot's, Bielefeld, the novalue ones, a deleted one."""
    pool = {}
    snapshot = default_snapshot()
    for exchange in json.loads((snapshot / "manifest.json").read_text())["exchanges"]:
        pool.update(json.loads((snapshot / exchange["file"]).read_text())["entities"])
    pool["Q2112"] = load_fixture("wikibase-sdk/Q2112.json")
    empty = load_fixture("wikibase-sdk/empty_values.json")
    pool[empty["id"]] = empty
    pool.update(load_fixture("wptools/wikidata_wbgetentities_Q483718_novalue_fv2.json")["entities"])
    pool.update(load_fixture("wptools/wikidata_wbgetentities_Q10908976_missing_fv2.json")["entities"])
    return pool


def recorded_pages() -> dict[str, dict]:
    """Commons imageinfo page objects by title, from the recorded answers."""
    pages = {}
    for name in ("commons_imageinfo_Foobar.jpg.json", "commons_imageinfo_Helene_Fischer_2010.jpg.json",
                 "commons_imageinfo_Apple_Lisa2-IMG_1517.jpg.json"):
        for page in load_fixture(f"wmde-commons/{name}")["query"]["pages"].values():
            pages[page["title"]] = page
    for page in load_fixture("wptools/enwiki_imageinfo_Douglas_adams_portrait_cropped_fv2.json")["query"]["pages"]:
        pages[page["title"]] = page
    return pages


class LoopbackWikimedia:
    """Start with ``with LoopbackWikimedia() as server``; point TWINDATA_* at ``server.base``."""

    def __init__(self):
        self.entities = recorded_entities()
        self.pages = recorded_pages()
        self.faults: list[tuple] = []  # each consumed by the next request: ("status", code, headers), ("maxlag",),
        #                                ("truncate",), ("garbage",), ("stall", seconds), ("redirect",)
        self.split_imageinfo_after: int | None = None  # answer a batch in two parts, with "continue"
        self.requests: list[tuple[str, dict, dict]] = []
        self.sparql_partitions: dict[str, list[dict]] = {}  # country code -> SPARQL bindings of its P190 statements
        self.paging: str | None = None  # "ignore_limit" or "ignore_offset": a query service that pages wrongly
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def __enter__(self) -> LoopbackWikimedia:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server.handle(self)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def env(self) -> dict[str, str]:
        return {"TWINDATA_WIKIDATA_API": f"{self.base}/wikidata/w/api.php",
                "TWINDATA_COMMONS_API": f"{self.base}/commons/w/api.php",
                "TWINDATA_SPARQL_URL": f"{self.base}/sparql", "TWINDATA_CONTACT": "https://example.org/twindata-tests"}

    def count(self, prefix: str) -> int:
        return sum(1 for path, _, _ in self.requests if path.startswith(prefix))

    # ---- answering
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = dict(parse_qsl(parts.query))
        self.requests.append((parts.path, params, dict(h.headers)))
        if self.faults:
            fault = self.faults.pop(0)
            kind = fault[0]
            if kind == "status":
                return self._send(h, fault[1], b"", fault[2] if len(fault) > 2 else {})
            if kind == "maxlag":
                body = {"error": {"code": "maxlag", "info": "Waiting for 10.64.48.23: 7 seconds lagged.",
                                  "host": "10.64.48.23", "lag": 7, "type": "db"}}
                return self._send(h, 200, json.dumps(body).encode(), {"Retry-After": "5", "X-Database-Lag": "7"})
            if kind == "stall":
                self._stop.wait(fault[1])
            if kind == "redirect":
                return self._send(h, 301, b"", {"Location": h.path.replace("/w/api.php", "/moved/w/api.php", 1)})
            if kind == "redirect_to":  # to another origin
                return self._send(h, 302, b"", {"Location": fault[1] + h.path})
            if kind == "gzip_bomb":  # a small gzip body that inflates to fault[1] bytes
                import gzip
                return self._send(h, 200, gzip.compress(b" " * fault[1], compresslevel=9), {"Content-Encoding": "gzip"})
            if kind == "drip":  # the headers, then one byte every fault[1] seconds
                body = self._answer(parts.path, params)
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                for i in range(len(body)):
                    if self._stop.wait(fault[1]):
                        return
                    try:
                        h.wfile.write(body[i:i + 1])
                        h.wfile.flush()
                    except OSError:
                        return
                return
            body = self._answer(parts.path, params)
            if kind == "truncate":
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body[: len(body) // 2])
                h.wfile.flush()
                h.close_connection = True
                return
            if kind == "garbage":
                return self._send(h, 200, body[: len(body) // 2])
            return self._send(h, 200, body)
        return self._send(h, 200, self._answer(parts.path, params))

    def _send(self, h, status: int, body: bytes, headers: dict | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def _answer(self, path: str, params: dict) -> bytes:
        if path.endswith("/sparql"):
            query = params.get("query", "")
            code = re.search(r'wdt:P297 "([A-Z]{2})"', query)
            if code and "p:P190" in query:
                limit = int(re.search(r"LIMIT (\d+)", query).group(1))
                offset = int(re.search(r"OFFSET (\d+)", query).group(1))
                rows = self.sparql_partitions.get(code.group(1), [])
                if self.paging != "ignore_limit":  # a service that ignores LIMIT sends every row each time
                    start = 0 if self.paging == "ignore_offset" else offset
                    rows = rows[start:start + limit]
                return json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}, ensure_ascii=False).encode()
            return json.dumps({"head": {"vars": ["country", "code"]}, "results": {"bindings": []}}).encode()
        if params.get("action") == "wbgetentities":
            ids = params["ids"].split("|")
            entities = {q: self.entities.get(q, {"id": q, "missing": ""}) for q in ids}
            return json.dumps({"entities": entities, "success": 1}, ensure_ascii=False).encode()
        if params.get("prop") == "imageinfo":
            return json.dumps(self._imageinfo(params), ensure_ascii=False).encode()
        return json.dumps({"error": {"code": "badvalue", "info": f"unknown request {params}"}}).encode()

    def _imageinfo(self, params: dict) -> dict:
        titles = params["titles"].split("|")
        normalized = [{"from": t, "to": t.replace("_", " ")} for t in titles if "_" in t]
        pages = []
        for title in (t.replace("_", " ") for t in titles):
            page = self.pages.get(title)
            pages.append(json.loads(json.dumps(page)) if page else {"ns": 6, "title": title, "missing": True})
        answer: dict = {"batchcomplete": True, "query": {"pages": pages}}
        if normalized:
            answer["query"]["normalized"] = normalized
        split = self.split_imageinfo_after
        if split is not None and len(pages) > split:
            if "iicontinue" in params:
                for page in pages[:split]:
                    page.pop("imageinfo", None)
            else:
                for page in pages[split:]:
                    page.pop("imageinfo", None)
                answer["continue"] = {"iicontinue": pages[split]["title"].removeprefix("File:"), "continue": "||"}
                del answer["batchcomplete"]
        return answer


def sparql_bindings(rows: list[dict]) -> list[dict]:
    """SPARQL JSON bindings as WDQS gives them for P190 statements, rebuilt from real rows of the bundled world
    snapshot (schemas/input-wikidata-p190.json) that carry both QIDs."""
    out = []
    for i, r in enumerate(rows):
        def uri(value):
            return {"type": "uri", "value": value}

        def lit(value):
            return {"type": "literal", "value": str(value), "xml:lang": "en"}
        b = {"st": uri(f"http://www.wikidata.org/entity/statement/{r['subject_qid']}-{i:08d}"),
             "s": uri(f"http://www.wikidata.org/entity/{r['subject_qid']}"), "sLabel": lit(r["subject_label"]),
             "p": uri(f"http://www.wikidata.org/entity/{r['partner_qid']}"), "pLabel": lit(r["partner_label"]),
             "rank": uri("http://wikiba.se/ontology#NormalRank"), "refs": {"type": "literal", "value": "0"}}
        if r["subject_latitude"] is not None:
            b["scoord"] = {"type": "literal", "value": f"Point({r['subject_longitude']} {r['subject_latitude']})"}
        out.append(b)
    return out


def http_date(seconds_from_now: float) -> str:
    import time
    return formatdate(time.time() + seconds_from_now, usegmt=True)
