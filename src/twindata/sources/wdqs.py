"""Wikidata's P190 statements from the Wikidata Query Service, one partition (the subject's country) at a time, into
the partition store the world package reads.

A partition is asked in pages (``LIMIT``/``OFFSET`` over the statements in a fixed order), one query at a time through
the one live client (User-Agent, contact, Retry-After, 429 and retry budget as for every Wikimedia call), each page
small enough to finish well inside WDQS's 60 s limit. Every raw answer is kept, content-addressed, under
``answers/<sha256>.json``; the parsed rows become ``wikidata/<CC>.csv`` (schemas/input-wikidata-p190.json) and an
entry of the store's ``manifest.json``, replaced atomically. A partition asked within its freshness window is not
asked again. Nothing here reconciles: that is ``twindata.reconcile.network``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from twindata.contract.countries import assigned_codes
from twindata.contract.errors import SourceError, TwindataError
from twindata.contract.files import read_json, safe_path, sha256_file, write_bytes_atomic, write_json_atomic
from twindata.contract.tables import csv_bytes, sorted_arrow
from twindata.sources import Context
from twindata.sources.extracts import P190, WorldSnapshot, read_world_snapshot, snapshot_id_of
from twindata.sources.transport.http import WikimediaClient
from twindata.sources.transport.snapshots import Recorder

PAGE = 5000
MAX_PAGES = 100  # a partition of more than MAX_PAGES × PAGE statements is refused (the largest today: one page)
ENTITY = "http://www.wikidata.org/entity/"
STATEMENT = ENTITY + "statement/"
RANKS = {"http://wikiba.se/ontology#PreferredRank": "preferred", "http://wikiba.se/ontology#NormalRank": "normal"}
_POINT = re.compile(r"^Point\(([-0-9.eE+]+) ([-0-9.eE+]+)\)$")


def partition_query(code: str, offset: int = 0, limit: int = PAGE) -> str:
    """The P190 statements (not deprecated) of the items whose country has ISO code ``code``, one page of them."""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise TwindataError(f"partition {code!r}: not an ISO 3166-1 alpha-2 code")
    return f"""SELECT ?st ?s ?sLabel ?p ?pLabel ?pcc ?rank ?start ?end ?refs ?scoord ?pcoord WHERE {{
  {{ SELECT ?st ?s ?p ?rank (SAMPLE(?pc) AS ?pcc) (MIN(?st0) AS ?start) (MIN(?en0) AS ?end)
           (COUNT(DISTINCT ?ref) AS ?refs) (SAMPLE(?sc) AS ?scoord) (SAMPLE(?pco) AS ?pcoord) WHERE {{
      ?country wdt:P297 "{code}" . ?s wdt:P17 ?country ; p:P190 ?st . ?st ps:P190 ?p ; wikibase:rank ?rank .
      FILTER(?rank != wikibase:DeprecatedRank)
      OPTIONAL {{ ?st pq:P580 ?st0 }} OPTIONAL {{ ?st pq:P582 ?en0 }} OPTIONAL {{ ?st prov:wasDerivedFrom ?ref }}
      OPTIONAL {{ ?s wdt:P625 ?sc }} OPTIONAL {{ ?p wdt:P625 ?pco }} OPTIONAL {{ ?p wdt:P17/wdt:P297 ?pc }}
    }} GROUP BY ?st ?s ?p ?rank ORDER BY ?st LIMIT {limit} OFFSET {offset} }}
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "en,mul". }}
}}"""


def _value(binding: dict, name: str) -> str | None:
    cell = binding.get(name)
    return cell.get("value") if isinstance(cell, dict) and isinstance(cell.get("value"), str) else None


def _qid(uri: str | None) -> str | None:
    return uri[len(ENTITY):] if uri and uri.startswith(ENTITY) else uri


def _year(stamp: str | None) -> int | None:
    match = re.match(r"^([+-]?\d{1,4})-", stamp or "")
    return int(match.group(1)) if match else None


def _point(wkt: str | None) -> tuple[float | None, float | None]:
    match = _POINT.match(wkt or "")
    return (float(match.group(2)), float(match.group(1))) if match else (None, None)


def parse(answer: dict, code: str) -> list[dict]:
    """Rows of schemas/input-wikidata-p190.json from one SPARQL JSON answer. Values are taken as given (a bad one is
    quarantined when the partition is read, with its reason); a binding without a statement is left out here."""
    results = answer.get("results") if isinstance(answer, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(bindings, list) or not all(isinstance(b, dict) for b in bindings):
        raise SourceError(f"WDQS partition {code}: the answer holds no results.bindings (a list of objects)")
    rows = []
    for b in bindings:
        st = _value(b, "st") or ""
        if not st.startswith(STATEMENT):
            continue
        s_lat, s_lon = _point(_value(b, "scoord"))
        p_lat, p_lon = _point(_value(b, "pcoord"))
        refs = _value(b, "refs")
        rows.append({"assertion_id": f"wikidata:{st[len(STATEMENT):]}", "extract": "wdqs", "directed": True,
                     "subject_qid": _qid(_value(b, "s")), "subject_label": _value(b, "sLabel"),
                     "subject_country": code, "subject_latitude": s_lat, "subject_longitude": s_lon,
                     "partner_qid": _qid(_value(b, "p")), "partner_label": _value(b, "pLabel"),
                     "partner_country": _value(b, "pcc"), "partner_latitude": p_lat, "partner_longitude": p_lon,
                     "rank": RANKS.get(_value(b, "rank") or ""), "start_year": _year(_value(b, "start")),
                     "end_year": _year(_value(b, "end")), "reference_count": int(refs) if refs and refs.isdigit() and len(refs) <= 9 else None})
    return rows


def fetch_partition(client: WikimediaClient, code: str, page: int | None = None) -> tuple[list[dict], list[bytes]]:
    """Every page of one partition, one query at a time: its rows and the raw answers as received."""
    page = page or PAGE
    recorder = client.recorder = Recorder()
    rows, offset = [], 0
    try:
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            answer = client.sparql(partition_query(code, offset, page))
            found = parse(answer, code)
            count = len(answer["results"]["bindings"])
            if count > page:
                raise SourceError(f"{count} rows answered to a page of {page}: the service ignores LIMIT; the "
                                  "partition is not stored")
            ids = {r["assertion_id"] for r in found}
            if ids and ids <= seen:
                raise SourceError(f"the page at offset {offset} repeats statements already read: the service ignores "
                                  "OFFSET; the partition is not stored")
            seen |= ids
            rows += found
            if count < page:
                break
            offset += page
        else:
            raise SourceError(f"more than {MAX_PAGES} pages of {page} statements; the partition is not stored")
    except SourceError as exc:
        raise SourceError(f"WDQS partition {code}: {exc}") from None
    finally:
        client.recorder = None
    return rows, [body for _, body in recorder.exchanges]


def is_fresh(store: Path, code: str, days: float, now: datetime | None = None) -> bool:
    """Whether a partition was asked within ``days`` and its file is the one the manifest records (a run killed
    between writing a partition's file and the manifest leaves them apart: the partition is asked again)."""
    entry = _entries(store).get(code)
    if entry is None or days <= 0:
        return False
    path = str(entry.get("path", ""))
    if not safe_path(path) or not (store / path).is_file() or sha256_file(store / path) != entry.get("sha256"):
        return False
    fetched = datetime.fromisoformat(entry["retrieved"].replace("Z", "+00:00"))
    return (now or datetime.now(UTC)) - fetched < timedelta(days=days)


def store_partition(store: Path, code: str, rows: list[dict], answers: list[bytes]) -> dict:
    """Keep the raw answers (content-addressed) and the partition's rows; the manifest entry last, atomically."""
    (store / "answers").mkdir(parents=True, exist_ok=True)
    (store / "wikidata").mkdir(parents=True, exist_ok=True)
    digests = []
    for body in answers:
        digest = hashlib.sha256(body).hexdigest()
        target = store / "answers" / f"{digest}.json"
        if not target.exists():
            write_bytes_atomic(target, body)
        digests.append(digest)
    path = store / "wikidata" / f"{code}.csv"
    write_bytes_atomic(path, csv_bytes(sorted_arrow(rows, P190)))
    entry = {"path": f"wikidata/{code}.csv", "partition": code, "rows": len(rows), "sha256": sha256_file(path),
             "licence": "CC0-1.0", "retrieved": datetime.now(UTC).replace(microsecond=0).isoformat()
             .replace("+00:00", "Z"), "answers": digests}
    manifest = _manifest(store)
    manifest["files"] = [f for f in manifest["files"] if f.get("partition") != code] + [entry]
    manifest["files"].sort(key=lambda f: f["path"])
    manifest["snapshot_id"] = snapshot_id_of(manifest["files"], "wdqs")
    write_json_atomic(store / "manifest.json", manifest)
    return entry


def refresh(client: WikimediaClient, store: Path, codes: list[str], freshness_days: float,
            progress: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """Fetch each partition that is not fresh, strictly one after another; what happened to each. A partition that
    fails stops the refresh, naming it; the partitions stored before it stay stored."""
    done = {}
    for code in codes:
        if is_fresh(store, code, freshness_days):
            done[code] = "fresh"
            continue
        progress(f"WDQS partition {code}")
        rows, answers = fetch_partition(client, code)
        store_partition(store, code, rows, answers)
        done[code] = f"{len(rows)} statements"
    return done


def _manifest(store: Path) -> dict:
    file = store / "manifest.json"
    if not file.exists():
        return {"snapshot_id": "", "kind": "world", "extracts": {"wdqs": {
            "licence": {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"},
            "origin": "https://query.wikidata.org/ (Wikidata Query Service, live)"}}, "files": []}
    manifest = read_json(file, "partition store manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise TwindataError(f"{file}: not a partition store manifest (it needs a list of files)")
    return manifest


def _entries(store: Path) -> dict[str, dict]:
    return {f["partition"]: f for f in _manifest(store)["files"] if f.get("partition")}


@dataclass(frozen=True)
class WdqsStatements:
    """Wikidata's P190 statements of the world, one partition per subject country (ISO 3166-1 alpha-2). Live, each
    partition not asked within ``wdqs_freshness_days`` is asked first, one at a time, into the partition store;
    offline, the bundled snapshot's extracts are read. Either way every row is checked (``twindata.sources.extracts``)."""

    name: str = "wikidata"
    needs: tuple[str, ...] = ()
    description: str = ("P190 statements of the items of each country: asked live from WDQS into the partition store "
                        "(one query at a time, a partition asked within the freshness window is not asked again), or "
                        "read from the bundled snapshot offline; checked either way.")

    def partitions(self) -> list[str]:
        return assigned_codes()

    def refresh(self, context: Context, keys: list[str]) -> dict[str, int]:
        counts = {"wdqs": 0, "partitions_asked": 0, "partitions_fresh": 0}
        if context.settings.live:
            before = context.client.requests_made
            done = refresh(context.client, context.settings.world_snapshot_path(), keys,
                           context.settings.wdqs_freshness_days, context.progress)
            counts = {"wdqs": context.client.requests_made - before,
                      "partitions_asked": sum(1 for v in done.values() if v != "fresh"),
                      "partitions_fresh": sum(1 for v in done.values() if v == "fresh")}
        for key, n in counts.items():
            context.requests[key] = context.requests.get(key, 0) + n
        return counts

    def read(self, context: Context, given: Mapping[str, Any], keys: list[str] | None = None) -> WorldSnapshot:
        """The statements of every stored partition (or of those named), after refreshing the ones not fresh."""
        self.refresh(context, self.partitions() if keys is None else keys)
        return read_world_snapshot(context.settings.world_snapshot_path(), keys, lists=False)

    def summary(self, result: WorldSnapshot) -> dict:
        return {"partitions": len(result.partitions), "statements": len(result.p190),
                "quarantined": len(result.issues.rows), "snapshot": result.snapshot_id}
