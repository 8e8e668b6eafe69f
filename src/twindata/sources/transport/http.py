"""The one HTTP client for every Wikimedia call.

Live runs use requests with urllib3's retry machinery (backoff, Retry-After, a bounded budget) and a descriptive
User-Agent. Offline runs mount a ``SnapshotAdapter`` (``twindata.sources.transport.snapshots``) on the same session, so the same
client code and the same parsers run on both; only the transport differs. Parsing belongs in ``twindata.sources``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from twindata.contract.errors import SourceError, TwindataError
from twindata.settings import Settings
from twindata.sources.transport.bounded import bounded_get
from twindata.sources.transport.snapshots import Recorder, Snapshot, SnapshotAdapter, SnapshotMiss

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_ANSWER_BYTES = 256 << 20  # a decoded answer larger than this is refused (a gzip bomb inflates no further)
ANSWER_TIMEOUTS = 4  # the whole answer within this many times the timeout, however slowly it arrives
MAX_RETRY_AFTER = 300  # seconds: a server asking a longer wait (Retry-After) ends the run instead of stalling it


class PoliteRetry(Retry):
    """urllib3's Retry, except that the first retry waits too: a server that says 429 or 503 without Retry-After
    gets backoff_factor seconds (plus jitter) before the first retry, then the usual exponential backoff."""

    def get_backoff_time(self) -> float:
        wait = super().get_backoff_time()
        if wait == 0 and self.history:
            wait = self.backoff_factor + random.random() * self.backoff_jitter
        return wait

    def sleep_for_retry(self, response=None) -> bool:
        """Wait as the server asks (Retry-After, seconds or a date), but never longer than ``MAX_RETRY_AFTER``: a
        longer wait ends the request in one line instead of stalling a run for an hour or a year."""
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > MAX_RETRY_AFTER:
            raise SourceError(f"the server asks to wait {wait:,.0f} s before asking again (Retry-After), more than "
                              f"{MAX_RETRY_AFTER} s; giving up now: run again later")
        return super().sleep_for_retry(response)


@dataclass
class WikimediaClient:
    """GET JSON from a MediaWiki API or the query service, live or from a snapshot, counting what it asked.

    Live, one ``urllib3.Retry`` budget covers each logical request: connection errors, read timeouts and the statuses
    429/500/502/503/504 are retried inside urllib3 (Retry-After honoured, else exponential backoff with jitter);
    answers that arrive whole but unusable (a ``maxlag`` error, a truncated body) spend the same budget through the
    same ``Retry`` object. One connection per host, so never two requests in flight to one host.
    """

    config: Settings
    recorder: Recorder | None = None
    session: requests.Session = field(init=False)
    requests_made: int = field(init=False, default=0)
    snapshot: Snapshot | None = field(init=False, default=None)

    def __post_init__(self):
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip"})
        replay = self.config.replay_snapshot()
        if replay is not None:
            self.snapshot = Snapshot(replay)
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
                response = self._fetch(api, url)
            except SnapshotMiss:
                raise
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                self.requests_made += 1
                state = self._spend(state, api, url, "a truncated answer", error=_inner(exc))
                continue
            except requests.RequestException as exc:
                if not isinstance(_inner(exc), MaxRetryError):  # a bad URL, say: nothing was retried
                    raise SourceError(f"{api}: request failed: {type(exc).__name__}: {exc}") from None
                self.requests_made += 1 + self.config.max_retries
                raise SourceError(f"{api}: no answer after {self.config.max_retries + 1} tries: {_reason(exc)} ({url})") from None
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

    def _fetch(self, api: str, url: str) -> requests.Response:
        """One GET, its body read whole (``bounded_get``), within ``ANSWER_TIMEOUTS`` × the timeout."""
        body: list[bytes] = []
        response = bounded_get(self.session, url, api, timeout=self.config.timeout,
                               deadline=time.monotonic() + ANSWER_TIMEOUTS * self.config.timeout,
                               max_bytes=MAX_ANSWER_BYTES, write=body.append)
        response._content = b"".join(body)
        return response

    def _spend(self, state: Retry | None, api: str, url: str, fault: str, response=None, error=None) -> Retry:
        """Count one retry of an unusable answer against the request's budget, then wait as urllib3 would."""
        if state is None:  # a snapshot does not change on a second asking
            raise SourceError(f"{api}: the snapshot holds {fault} for {url}")
        raw = response.raw if response is not None else None
        try:
            state = state.increment("GET", url, response=raw, error=error)
        except MaxRetryError:
            raise SourceError(f"{api}: {fault}, still after {len(state.history) + 1} tries, giving up ({url})") from None
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
