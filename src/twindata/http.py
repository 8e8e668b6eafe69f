"""The one HTTP client for every Wikimedia call, and the snapshot that replays recorded responses through it.

Live runs use requests with urllib3's retry machinery (backoff, Retry-After, a bounded budget) and a descriptive
User-Agent. Offline runs mount a ``SnapshotAdapter`` on the same session, so the same client code and the same
parsers run on both; only the transport differs. Parsing belongs in ``twindata.sources``, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

from twindata import __version__
from twindata.errors import SourceError, TwindataError

WIKIDATA_API = "https://www.wikidata.org/w/api.php"
COMMONS_API = "https://commons.wikimedia.org/w/api.php"
SPARQL_URL = "https://query.wikidata.org/sparql"
LIST_PARAMS = ("ids", "titles")  # parameters holding a '|'-separated batch of ids or titles
VOLATILE_PARAMS = ("maxlag",)  # parameters that do not change an answer's content
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class ClientConfig:
    """How to reach Wikimedia. Defaults are the real endpoints; environment variables override them."""

    wikidata_api: str = WIKIDATA_API
    commons_api: str = COMMONS_API
    sparql_url: str = SPARQL_URL
    contact: str = ""
    timeout: float = 30.0
    max_retries: int = 5
    snapshot: Path | None = None

    @classmethod
    def from_env(cls, **overrides) -> "ClientConfig":
        env = os.environ
        config = cls(
            wikidata_api=env.get("TWINDATA_WIKIDATA_API", WIKIDATA_API),
            commons_api=env.get("TWINDATA_COMMONS_API", COMMONS_API),
            sparql_url=env.get("TWINDATA_SPARQL_URL", SPARQL_URL),
            contact=env.get("TWINDATA_CONTACT", ""),
            timeout=float(env.get("TWINDATA_TIMEOUT", 30)),
            max_retries=int(env.get("TWINDATA_MAX_RETRIES", 5)),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config

    @property
    def user_agent(self) -> str:
        contact = self.contact or "offline replay"
        return f"twindata/{__version__} ({contact}) requests/{requests.__version__}"


@dataclass
class Exchange:
    """One recorded response: what was asked, what came back, and its checksum."""

    url: str
    status: int
    file: str
    sha256: str
    retrieved: str = ""


class Snapshot:
    """A folder of raw API responses (``manifest.json`` + ``responses/``) that can answer requests offline."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        manifest_file = self.folder / "manifest.json"
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TwindataError(f"{manifest_file}: snapshot manifest not found")
        except json.JSONDecodeError as exc:
            raise TwindataError(f"{manifest_file}: line {exc.lineno}: not valid JSON: {exc.msg}")
        self.manifest = manifest
        self.exchanges = [Exchange(**e) for e in manifest["exchanges"]]
        self._keys = [(_request_key(e.url), e) for e in self.exchanges]

    @property
    def snapshot_id(self) -> str:
        return self.manifest.get("snapshot_id", "")

    def find(self, url: str) -> Exchange | None:
        """The recorded exchange answering ``url``: the same path and parameters, whose batch holds every id asked.
        The host is not compared: a snapshot stands in for whichever server the client is pointed at."""
        endpoint, fixed, batch = _request_key(url)
        for (e_endpoint, e_fixed, e_batch), exchange in self._keys:
            if e_endpoint == endpoint and e_fixed == fixed and batch <= e_batch:
                return exchange
        return None

    def body(self, exchange: Exchange) -> bytes:
        data = (self.folder / exchange.file).read_bytes()
        if hashlib.sha256(data).hexdigest() != exchange.sha256:
            raise TwindataError(f"{self.folder / exchange.file}: sha256 differs from manifest.json (snapshot altered)")
        return data


def _request_key(url: str) -> tuple[str, frozenset, frozenset]:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    fixed = frozenset((k, v) for k, v in params if k not in LIST_PARAMS and k not in VOLATILE_PARAMS)
    batch = frozenset((k, item) for k, v in params if k in LIST_PARAMS for item in v.split("|"))
    return parts.path, fixed, batch


class SnapshotMiss(SourceError):
    """The snapshot holds no response for a request."""


class SnapshotAdapter(BaseAdapter):
    """A requests transport that answers from a ``Snapshot`` instead of the network."""

    def __init__(self, snapshot: Snapshot):
        super().__init__()
        self.snapshot = snapshot

    def send(self, request, **kwargs):
        exchange = self.snapshot.find(request.url)
        if exchange is None:
            raise SnapshotMiss(f"snapshot {self.snapshot.folder} has no response for {request.url}")
        response = requests.Response()
        response.status_code = exchange.status
        response._content = self.snapshot.body(exchange)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


@dataclass
class WikimediaClient:
    """GET JSON from a MediaWiki API, live or from a snapshot, counting what it asked."""

    config: ClientConfig
    session: requests.Session = field(init=False)
    requests_made: int = field(init=False, default=0)
    snapshot: Snapshot | None = field(init=False, default=None)

    def __post_init__(self):
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip"})
        if self.config.snapshot is not None:
            self.snapshot = Snapshot(self.config.snapshot)
            adapter = SnapshotAdapter(self.snapshot)
        else:
            if not self.config.contact:
                raise TwindataError("a live run needs a contact for the User-Agent: set TWINDATA_CONTACT or --contact "
                                    "(Wikimedia's User-Agent policy)")
            retry = Retry(total=self.config.max_retries, backoff_factor=1.0, backoff_jitter=0.5,
                          status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                          respect_retry_after_header=True, raise_on_status=False)
            adapter = HTTPAdapter(max_retries=retry, pool_maxsize=1)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    @property
    def live(self) -> bool:
        return self.snapshot is None

    def get(self, api: str, params: dict) -> dict:
        """One MediaWiki API call with format=json&formatversion=2; returns the decoded answer."""
        query = {**params, "format": "json", "formatversion": "2"}
        if self.live:
            query["maxlag"] = "5"
        return self._get_json(api, f"{api}?{urlencode(query)}")

    def sparql(self, query: str) -> dict:
        """One query to the Wikidata Query Service; returns the SPARQL JSON results."""
        api = self.config.sparql_url
        return self._get_json(api, f"{api}?{urlencode({'query': query, 'format': 'json'})}")

    def _get_json(self, api: str, url: str) -> dict:
        self.requests_made += 1
        try:
            response = self.session.get(url, timeout=self.config.timeout)
        except SnapshotMiss:
            raise
        except requests.RequestException as exc:
            raise SourceError(f"{api}: request failed after {self.config.max_retries} retries: {exc.__class__.__name__}: {exc}")
        if response.status_code != 200:
            raise SourceError(f"{api}: HTTP {response.status_code} for {url}")
        try:
            answer = response.json()
        except ValueError:
            raise SourceError(f"{api}: answer is not valid JSON ({len(response.content)} bytes) for {url}")
        if "error" in answer:
            error = answer["error"]
            raise SourceError(f"{api}: API error {error.get('code')}: {error.get('info', '')}")
        return answer
