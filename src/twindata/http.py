"""The one HTTP client for every Wikimedia call, and the snapshot that replays recorded responses through it.

Live runs use requests with urllib3's retry machinery (backoff, Retry-After, a bounded budget) and a descriptive
User-Agent. Offline runs mount a ``SnapshotAdapter`` on the same session, so the same client code and the same
parsers run on both; only the transport differs. Parsing belongs in ``twindata.sources``, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from twindata import __version__
from twindata.errors import SourceError, TwindataError
from twindata.fsutil import read_json

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
    cache_dir: Path | None = None
    commons_freshness_days: float = 7.0

    @classmethod
    def from_env(cls, **overrides) -> "ClientConfig":
        env = os.environ
        config = cls(
            wikidata_api=env.get("TWINDATA_WIKIDATA_API", WIKIDATA_API),
            commons_api=env.get("TWINDATA_COMMONS_API", COMMONS_API),
            sparql_url=env.get("TWINDATA_SPARQL_URL", SPARQL_URL),
            contact=env.get("TWINDATA_CONTACT", ""),
            timeout=_number("TWINDATA_TIMEOUT", 30.0, float),
            max_retries=_number("TWINDATA_MAX_RETRIES", 5, int),
            cache_dir=Path(env["TWINDATA_CACHE_DIR"]) if env.get("TWINDATA_CACHE_DIR") else None,
            commons_freshness_days=_number("TWINDATA_COMMONS_FRESHNESS_DAYS", 7.0, float),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config

    @property
    def user_agent(self) -> str:
        contact = self.contact or "offline replay"
        return f"twindata/{__version__} ({contact}) requests/{requests.__version__}"


def _number(name: str, default, kind):
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = -1
    if number < 0:
        raise TwindataError(f"environment variable {name} = {value!r}: not a non-negative {kind.__name__}")
    return number


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
        manifest = read_json(manifest_file, "snapshot manifest")
        self.manifest = manifest
        try:
            self.exchanges = [Exchange(**{k: e[k] for k in ("url", "status", "file", "sha256")},
                                       retrieved=e.get("retrieved", "")) for e in manifest["exchanges"]]
        except (KeyError, TypeError) as exc:
            raise TwindataError(f"{manifest_file}: not a snapshot manifest (each exchange needs url, status, file, "
                                f"sha256; missing {exc})")
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
        try:
            data = (self.folder / exchange.file).read_bytes()
        except FileNotFoundError:
            raise TwindataError(f"{self.folder / exchange.file}: response file listed in manifest.json is missing")
        if hashlib.sha256(data).hexdigest() != exchange.sha256:
            raise TwindataError(f"{self.folder / exchange.file}: sha256 differs from manifest.json (snapshot altered)")
        return data


def _request_key(url: str) -> tuple[str, frozenset, frozenset]:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    fixed = frozenset((k, v) for k, v in params if k not in LIST_PARAMS and k not in VOLATILE_PARAMS)
    batch = frozenset((k, item) for k, v in params if k in LIST_PARAMS for item in v.split("|"))
    return parts.path, fixed, batch


def write_snapshot(recorder: "Recorder", folder: Path, extra: dict | None = None) -> str:
    """Write what ``recorder`` kept as a snapshot folder (staged beside it, then renamed); return its id.

    The id is the sha256 over the sorted request keys and response checksums, so the same answers always make the
    same id; response files are named by their own sha256."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise TwindataError(f"{folder}: exists and is not empty; a snapshot is never overwritten")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        (staging / "responses").mkdir()
        exchanges = []
        for exchange, body in recorder.exchanges:
            (staging / exchange.file).write_bytes(body)
            exchanges.append(asdict(exchange))
        lines = sorted(f"{e['url']} {e['sha256']}" for e in exchanges)
        snapshot_id = "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
        manifest = {"snapshot_id": snapshot_id, **(extra or {}), "exchanges": exchanges}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()
        staging.chmod(0o755)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return snapshot_id


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


class PoliteRetry(Retry):
    """urllib3's Retry, except that the first retry waits too: a server that says 429 or 503 without Retry-After
    gets backoff_factor seconds (plus jitter) before the first retry, then the usual exponential backoff."""

    def get_backoff_time(self) -> float:
        wait = super().get_backoff_time()
        if wait == 0 and self.history:
            wait = self.backoff_factor + random.random() * self.backoff_jitter
        return wait


class Recorder:
    """Keeps every usable answer a client received, as received, to write a snapshot from."""

    def __init__(self):
        self.exchanges: list[tuple[Exchange, bytes]] = []

    def add(self, url: str, status: int, body: bytes, retrieved: str | None = None) -> None:
        digest = hashlib.sha256(body).hexdigest()
        retrieved = retrieved or datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.exchanges.append((Exchange(url, status, f"responses/{digest}.json", digest, retrieved), body))


@dataclass
class WikimediaClient:
    """GET JSON from a MediaWiki API or the query service, live or from a snapshot, counting what it asked.

    Live, one ``urllib3.Retry`` budget covers each logical request: connection errors, read timeouts and the statuses
    429/500/502/503/504 are retried inside urllib3 (Retry-After honoured, else exponential backoff with jitter);
    answers that arrive whole but unusable (a ``maxlag`` error, a truncated body) spend the same budget through the
    same ``Retry`` object. One connection per host, so never two requests in flight to one host.
    """

    config: ClientConfig
    recorder: Recorder | None = None
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
            adapter = HTTPAdapter(max_retries=self.retry_policy(), pool_connections=4, pool_maxsize=1, pool_block=True)
        self.adapter = adapter
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def retry_policy(self) -> Retry:
        return PoliteRetry(total=self.config.max_retries, backoff_factor=1.0, backoff_max=60, backoff_jitter=1.0,
                     status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                     respect_retry_after_header=True, raise_on_status=False)

    @property
    def live(self) -> bool:
        return self.snapshot is None

    def get(self, api: str, params: dict) -> dict:
        """One MediaWiki API call with format=json&formatversion=2 (and maxlag=5 live); the decoded answer."""
        query = {**params, "format": "json", "formatversion": "2"}
        if self.live:
            query["maxlag"] = "5"
        return self._get_json(api, f"{api}?{urlencode(query)}")

    def get_continued(self, api: str, params: dict, done: Callable[[list[dict]], bool]) -> list[dict]:
        """A MediaWiki query and its ``continue`` answers, until ``done(answers)`` or nothing is left to continue."""
        answers = [self.get(api, params)]
        while "continue" in answers[-1] and not done(answers):
            answers.append(self.get(api, {**params, **answers[-1]["continue"]}))
        return answers

    def sparql(self, query: str) -> dict:
        """One query to the Wikidata Query Service; returns the SPARQL JSON results."""
        api = self.config.sparql_url
        return self._get_json(api, f"{api}?{urlencode({'query': query, 'format': 'json'})}")

    def _get_json(self, api: str, url: str) -> dict:
        state = self.retry_policy() if self.live else None
        while True:
            spent = len(state.history) if state is not None else 0
            if state is not None:
                self.adapter.max_retries = state  # the budget left for this request
            try:
                response = self.session.get(url, timeout=self.config.timeout)
            except SnapshotMiss:
                raise
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                self.requests_made += 1
                state = self._spend(state, api, url, "a truncated answer", error=_inner(exc))
                continue
            except requests.RequestException as exc:
                if not isinstance(_inner(exc), MaxRetryError):  # a bad URL, say: nothing was retried
                    raise SourceError(f"{api}: request failed: {type(exc).__name__}: {exc}")
                self.requests_made += 1 + self.config.max_retries
                raise SourceError(f"{api}: no answer after {self.config.max_retries + 1} tries: {_reason(exc)} ({url})")
            if state is not None and getattr(response.raw, "retries", None) is not None:
                state = response.raw.retries  # urllib3's own retries of this request are spent from the same budget
            self.requests_made += 1 + (len(state.history) - spent if state is not None else 0)
            if response.status_code != 200:
                tries = len(state.history) + 1 if state is not None else 1
                raise SourceError(f"{api}: HTTP {response.status_code} after {tries} tries, giving up ({url})")
            try:
                answer = response.json()
            except ValueError:
                state = self._spend(state, api, url, f"an answer that is not JSON ({len(response.content)} bytes)",
                                    response=response)
                continue
            error = answer.get("error") if isinstance(answer, dict) else None
            if error and error.get("code") == "maxlag":
                state = self._spend(state, api, url, f"maxlag ({error.get('lag', '?')} s replication lag)",
                                    response=response)
                continue
            if error:
                raise SourceError(f"{api}: API error {error.get('code')}: {error.get('info', '')} ({url})")
            if self.recorder is not None:
                self.recorder.add(url, response.status_code, response.content)
            return answer

    def _spend(self, state: Retry | None, api: str, url: str, fault: str, response=None, error=None) -> Retry:
        """Count one retry of an unusable answer against the request's budget, then wait as urllib3 would."""
        if state is None:  # a snapshot does not change on a second asking
            raise SourceError(f"{api}: the snapshot holds {fault} for {url}")
        raw = response.raw if response is not None else None
        try:
            state = state.increment("GET", url, response=raw, error=error)
        except MaxRetryError:
            raise SourceError(f"{api}: {fault}, still after {len(state.history) + 1} tries, giving up ({url})")
        state.sleep(raw)
        return state


def _inner(exc: Exception) -> Exception:
    """The urllib3 error inside a requests exception."""
    inner = exc.args[0] if exc.args else exc
    return inner if isinstance(inner, Exception) else exc


def _reason(exc: Exception) -> str:
    inner = _inner(exc)
    reason = getattr(inner, "reason", inner)
    return f"{type(reason).__name__}: {reason}"
