"""Snapshots: folders of raw API answers as received (``manifest.json`` + ``responses/``), written by a recording
run and replayed offline through the same HTTP client, so that the same parsers run on recorded and live answers.

An answer is found by its request's path and parameters; a batch of ids or titles is answered by any recorded batch
that holds them all. Every response file is checked against its sha256 before it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter

from twindata.contract.errors import SourceError, TwindataError
from twindata.contract.files import read_json
from twindata.contract.text import utc_stamp

LIST_PARAMS = ("ids", "titles")  # parameters holding a '|'-separated batch of ids or titles
VOLATILE_PARAMS = ("maxlag",)  # parameters that do not change an answer's content


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
                                f"sha256; missing {exc})") from None
        for e in self.exchanges:
            if not (isinstance(e.url, str) and isinstance(e.file, str) and isinstance(e.sha256, str)
                    and RESPONSE_FILE.fullmatch(e.file) and e.file == f"responses/{e.sha256}.json"):
                raise TwindataError(f"{manifest_file}: exchange file {e.file!r} is not responses/<its sha256>.json "
                                    "inside the snapshot")
        if manifest.get("snapshot_id") != snapshot_id_of(self.exchanges):
            raise TwindataError(f"{manifest_file}: snapshot_id {manifest.get('snapshot_id')!r} is not the one its "
                                "answers give (the snapshot was changed after it was written)")
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
        if (self.folder / exchange.file).is_symlink():
            raise TwindataError(f"{self.folder / exchange.file}: a symbolic link, not a response file of the snapshot")
        try:
            data = (self.folder / exchange.file).read_bytes()
        except FileNotFoundError:
            raise TwindataError(f"{self.folder / exchange.file}: response file listed in manifest.json is missing") from None
        if hashlib.sha256(data).hexdigest() != exchange.sha256:
            raise TwindataError(f"{self.folder / exchange.file}: sha256 differs from manifest.json (snapshot altered)")
        return data


RESPONSE_FILE = re.compile(r"responses/[0-9a-f]{64}\.json")


def snapshot_id_of(exchanges: list[Exchange]) -> str:
    """A snapshot's id: the sha256 over its sorted request URLs and response checksums."""
    lines = sorted(f"{e.url} {e.sha256}" for e in exchanges)
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _request_key(url: str) -> tuple[str, frozenset, frozenset]:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    fixed = frozenset((k, v) for k, v in params if k not in LIST_PARAMS and k not in VOLATILE_PARAMS)
    batch = frozenset((k, item) for k, v in params if k in LIST_PARAMS for item in v.split("|"))
    return parts.path, fixed, batch


def write_snapshot(recorder: Recorder, folder: Path, extra: dict | None = None) -> str:
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
        for exchange, body in recorder.exchanges:
            (staging / exchange.file).write_bytes(body)
        exchanges = [exchange for exchange, _ in recorder.exchanges]
        manifest = {"snapshot_id": snapshot_id_of(exchanges), **(extra or {}),
                    "exchanges": [asdict(exchange) for exchange in exchanges]}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()
        staging.chmod(0o755)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest["snapshot_id"]


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


class Recorder:
    """Keeps every usable answer a client received, as received, to write a snapshot from."""

    def __init__(self):
        self.exchanges: list[tuple[Exchange, bytes]] = []

    def add(self, url: str, status: int, body: bytes, retrieved: str | None = None) -> None:
        digest = hashlib.sha256(body).hexdigest()
        retrieved = retrieved or utc_stamp()
        self.exchanges.append((Exchange(url, status, f"responses/{digest}.json", digest, retrieved), body))
