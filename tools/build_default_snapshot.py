"""Rebuild the bundled default snapshot (snapshots/default/) from public CC0 Wikidata extracts.

The extracts carry labels, coordinates, populations and P190 links, but not the API responses themselves; this
script writes those facts in the live ``wbgetentities`` response format (formatversion=2), one response per request
that ``twindata run`` makes, and a manifest with each file's sha256. It never adds a fact the extracts lack: no
lastrevid, no P17, no P18, no qualifiers. The folder is written by the same code as ``twindata snapshot``. Usage:

    python tools/build_default_snapshot.py --germany germany.tsv --france france.tsv --uk uk.tsv \
        --bigsister big-sister-cities.json --out snapshots/default

germany/france/uk.tsv: https://github.com/rogorido/sistercities, sparql/data/ (Wikidata P190 query results, 2017-07-28).
big-sister-cities.json: https://github.com/albertoursino/graphs-comparison, data/sister_cities_data/ (2021-11-21).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from urllib.parse import urlencode

from twindata.sources.transport.snapshots import Recorder, write_snapshot

DORTMUND = "Q1295"
# QIDs of the labels in the 2017 query results, as big-sister-cities.json (same Wikidata, with QIDs) gives them.
QIDS = {"Dortmund": "Q1295", "Amiens": "Q41604", "Leeds": "Q39121", "Rostov-on-Don": "Q908", "Buffalo": "Q40435",
        "Netanya": "Q192225", "Novi Sad": "Q55630", "Xi'an": "Q5826", "Trabzon": "Q45301", "Beyoğlu": "Q217411",
        "Kumasi": "Q182059"}
REGISTRY_QIDS = ["Q1295", "Q41604", "Q39121", "Q908", "Q40435", "Q192225", "Q55630", "Q5826", "Q45301", "Q182059"]
API = "https://www.wikidata.org/w/api.php"


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def statement(prop: str, datatype: str, vtype: str, value) -> dict:
    return {"mainsnak": {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": vtype},
                         "datatype": datatype}, "type": "statement", "rank": "normal"}


def entity(qid: str, label: str, lat: str, lon: str, pop: str, partners: list[str]) -> dict:
    claims = {"P625": [statement("P625", "globe-coordinate", "globecoordinate",
                                 {"latitude": float(lat), "longitude": float(lon), "altitude": None,
                                  "globe": "http://www.wikidata.org/entity/Q2"})]}
    if pop:
        claims["P1082"] = [statement("P1082", "quantity", "quantity", {"amount": f"+{int(pop)}", "unit": "1"})]
    if partners:
        claims["P190"] = [statement("P190", "wikibase-item", "wikibase-entityid",
                                    {"entity-type": "item", "numeric-id": int(q[1:]), "id": q}) for q in partners]
    return {"type": "item", "id": qid, "labels": {"en": {"language": "en", "value": label}}, "claims": claims}


def build(args) -> dict[str, dict]:
    germany = [r for r in rows(args.germany) if r["origincityLabel"] == "Dortmund"]
    entities = {}
    d = germany[0]
    partners = []
    for r in germany:
        qid = QIDS.get(r["sistercityLabel"])
        if qid and qid not in partners and not (r["sistercityLabel"] == "Leeds" and r["destinationpopulation"] != "766399"):
            partners.append(qid)
    entities[DORTMUND] = entity(DORTMUND, "Dortmund", d["originlat"], d["originlong"], d["originpopulation"], partners)
    reverse = {r["origincityLabel"] for f in (args.france, args.uk) for r in rows(f) if r["sistercityLabel"] == "Dortmund"}
    for r in germany:
        qid = QIDS.get(r["sistercityLabel"])
        if qid and qid not in entities and not (r["sistercityLabel"] == "Leeds" and r["destinationpopulation"] != "766399"):
            back = [DORTMUND] if r["sistercityLabel"] in reverse else []
            entities[qid] = entity(qid, r["sistercityLabel"], r["destinationlat"], r["destinationlong"],
                                   r["destinationpopulation"], back)
    bigsister = json.loads(args.bigsister.read_text(encoding="utf-8"))["cities"]
    k = bigsister["Q182059"]
    entities["Q182059"] = entity("Q182059", k["label"], str(k["lat"]), str(k["lon"]), str(k["pop"]), [])
    return entities


def url(ids: list[str]) -> str:
    params = {"action": "wbgetentities", "ids": "|".join(ids), "props": "info|labels|claims", "languages": "en",
              "format": "json", "formatversion": "2"}
    return f"{API}?{urlencode(params)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("germany", "france", "uk", "bigsister", "out"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    args = parser.parse_args()
    entities = build(args)
    batches = [(sorted(REGISTRY_QIDS, key=lambda q: int(q[1:])), "2017-07-28 / 2021-11-21 extracts"),
               (["Q217411"], "2017-07-28 extract")]
    recorder = Recorder()
    for ids, retrieved in batches:
        body = json.dumps({"entities": {q: entities[q] for q in ids}, "success": 1}, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        recorder.add(url(ids), 200, body, retrieved)
    snapshot_id = write_snapshot(recorder, args.out, {
        "description": "Wikidata facts of Dortmund and its partners from CC0 extracts, in the wbgetentities "
                       "response format; see README.md"})
    print(f"{len(batches)} responses, {len(entities)} entities -> {args.out} ({snapshot_id})")

if __name__ == "__main__":
    main()
