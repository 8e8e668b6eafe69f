"""Build the world package's bundled snapshot from real public extracts: Wikidata's P190 statements as partitions
(one CSV per subject country, in the columns of schemas/input-wikidata-p190.json) and the pairs of Wikipedia's
twin-town lists, each file with its checksum, row count, licence and origin in manifest.json.

    python tools/build_world_snapshot.py DATA_DIR [--out snapshots/world]

DATA_DIR holds the extracts as published (each folder with its PROVENANCE.md):
  proghist-sistercities/by_origin_country/*.tsv   Wikidata P190 of 25 EU countries' municipalities, 2017 (CC0)
  wikidata-bigsister/sister_cities.gexf            Wikidata P190 graph with QIDs, 2022-01 (CC0)
  wikidata-bigsister/big-sister-cities.json        Wikidata P190 graph with QIDs, 2021-11 (CC0)
  wikidata-twin-cities-2026-bothness/*.tsv         Wikidata P190 links between cities, 2026-04 (CC0)
  wikidata-p190-2016-l3viathan/*.tsv               Wikidata P190 crawl with QIDs, 2016-09 (CC0)
  hekman-twincities/twin_cities_raw.csv            Wikipedia's lists, scraped 2026-02 (CC BY-SA 4.0)

Nothing is invented: a label without a QID stays a label, a lost direction stays lost (directed = false), a row
without a country on either side is counted in the manifest, and every choice below is written in it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from twindata.contract.countries import country
from twindata.contract.files import sha256_file
from twindata.contract.tables import csv_bytes, sorted_arrow
from twindata.sources.extracts import snapshot_id_of

P190 = "input-wikidata-p190"
QID = re.compile(r"^Q[1-9][0-9]*$")
CC0 = {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}
BY_SA = {"name": "CC-BY-SA-4.0", "path": "https://creativecommons.org/licenses/by-sa/4.0/",
         "attribution": "Wikipedia contributors, 'List of twin towns and sister cities' (English Wikipedia)"}
EXTRACTS = {
    "wikidata-2017": {"licence": CC0, "origin": "https://github.com/rogorido/sistercities @ 6bb5473459b9f7e16f59ecd0a2f9d76c3ccf9ce6, sparql/data/<country>.tsv (2017-07-28)", "retrieved": "2017-07-28"},
    "wikidata-2022": {"licence": CC0, "origin": "https://github.com/albertoursino/graphs-comparison @ f4d641e7db4b1849df095f2bb3eae52c1bbd1286, data/sister_cities_data/sister_cities.gexf (2022-01-09)", "retrieved": "2022-01-09"},
    "wikidata-2021": {"licence": CC0, "origin": "https://github.com/albertoursino/graphs-comparison @ 877fb769e3b4fd89cf6f6b26f3a77bc85ada153c, data/sister_cities_data/big-sister-cities.json (2021-11-21)", "retrieved": "2021-11-21"},
    "wikidata-2026": {"licence": CC0, "origin": "https://github.com/bothness/twin-cities, public/data/links.tsv @ 031f0500c426bf724c0107ad497b7596703f390c and public/data/nodes.tsv @ b0131f4f1d67ccbce3f41b11effe8650717d7e1b (P190 links between cities; pulled by 2026-04-29)", "retrieved": "2026-04-29"},
    "wikidata-2016": {"licence": CC0, "origin": "https://github.com/L3viathan/sister-cities @ fc3c936b923485c024a24386a96ba763aee636ce, relations.tsv and names.tsv (a crawl of 2016-09-07 to 2016-09-10)", "retrieved": "2016-09-10"},
    "wikipedia": {"licence": BY_SA, "origin": "https://github.com/Hekman/twincities @ 84ebdec26ee6878367953cfbc56311ae6452752b, twin_cities_raw.csv (commit 9418ac08d0e855d62baa9ef3f09b93bc529df8e3, 2026-02-08)", "retrieved": "2026-02-08"},
}


def _hash_id(extract: str, *parts: str) -> str:
    return f"{extract}:{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:16]}"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value else None


def _integer(text: str) -> int | None:
    value = _number(text)
    return int(value) if value is not None and value.is_integer() and value >= 0 else None


def _label(text: str) -> tuple[str | None, str]:
    """A label as (QID, label): an extract that found no label wrote the QID in its place."""
    text = text.strip()
    return (text, text) if QID.match(text) else (None, text)


# Files of an extract whose subjects' country is wrong, corrected here with the evidence (the row ids keep the
# extract's own values: they are its identity of the row).
CORRECTIONS = {
    "wikidata-2017": {
        "denmark.tsv": {"field": "origincountry", "from": "Denmark", "to": "Sweden",
                        "reason": "the file labelled Denmark holds Swedish municipalities (Sigtuna, Täby, Hedemora "
                                  "Municipality …): 136 of its 182 subjects lie north of 57.8° N or east of 15.3° E, "
                                  "outside Denmark, and its subjects are the 'X Municipality' items of Sweden"},
        "sweden.tsv": {"field": "origincountry", "from": "Sweden", "to": "Denmark",
                       "reason": "the file labelled Sweden holds Danish towns (Holstebro, Helsingør, Haderslev, "
                                 "Ærøskøbing …): none of its 92 subjects lies north of 57.8° N or east of 15.3° E, and "
                                 "their names are Denmark's"},
    }
}


PROGHIST_FILE = "https://github.com/rogorido/sistercities/blob/6bb5473459b9f7e16f59ecd0a2f9d76c3ccf9ce6/sparql/data/"


def proghist(folder: Path, counts: dict, cite: dict) -> list[dict]:
    """The 2017 extract's rows; ``cite`` gets, for each subject country, the file that holds its rows (what a row
    whose stating item is known by label only cites)."""
    rows, seen = [], set()
    for tsv in sorted(folder.glob("*.tsv")):
        fix = CORRECTIONS["wikidata-2017"].get(tsv.name)
        with open(tsv, encoding="utf-8", newline="") as handle:
            for r in csv.DictReader(handle, delimiter="\t"):
                key = _hash_id("wikidata-2017", r["origincityLabel"], r["origincountry"], r["sistercityLabel"],
                               r["destination_countryLabel"])
                if fix and r[fix["field"]] == fix["from"]:
                    r[fix["field"]] = fix["to"]
                    counts[f"wikidata-2017 {tsv.name}: {fix['field']} corrected {fix['from']} → {fix['to']}"] += 1
                cite[r["origincountry"]] = PROGHIST_FILE + tsv.name
                if key in seen:  # the same statement again, from a second coordinate or population value
                    counts["wikidata-2017 repeated rows (multi-valued properties) folded"] += 1
                    continue
                seen.add(key)
                sq, sl = _label(r["origincityLabel"])
                pq_, pl = _label(r["sistercityLabel"])
                rows.append({"assertion_id": key, "extract": "wikidata-2017", "directed": True,
                             "subject_qid": sq, "subject_label": sl, "subject_country": r["origincountry"],
                             "subject_latitude": _number(r["originlat"]), "subject_longitude": _number(r["originlong"]),
                             "subject_population": _integer(r["originpopulation"]),
                             "partner_qid": pq_, "partner_label": pl, "partner_country": r["destination_countryLabel"],
                             "partner_latitude": _number(r["destinationlat"]),
                             "partner_longitude": _number(r["destinationlong"]),
                             "partner_population": _integer(r["destinationpopulation"])})
    return rows


def _qid_order(q: str) -> int:
    return int(q[1:])


def graph(gexf: Path, big: Path, counts: dict) -> tuple[list[dict], dict[str, dict]]:
    ns = {"g": "http://www.gexf.net/1.2draft"}
    root = ET.parse(gexf).getroot()
    titles = {a.get("id"): a.get("title") for a in root.iterfind(".//g:attributes[@class='node']/g:attribute", ns)}
    nodes = {}
    for n in root.iterfind(".//g:node", ns):
        values = {titles[v.get("for")]: v.get("value") for v in n.iterfind(".//g:attvalue", ns)}
        nodes[n.get("id")] = {"label": n.get("label"), "lat": _number(values.get("lat")),
                              "lon": _number(values.get("lon")), "pop": _integer(values.get("pop")),
                              "country": values.get("country") or ""}
    pairs = {}
    for e in root.iterfind(".//g:edge", ns):
        a, b = sorted((e.get("source"), e.get("target")), key=_qid_order)
        pairs[(a, b)] = "wikidata-2022"
    data = json.loads(big.read_text(encoding="utf-8"))
    for a, b in data["sisters"]:
        a, b = sorted((a, b), key=_qid_order)
        if (a, b) in pairs:
            counts["wikidata-2021 pairs also in the 2022 graph (one claim, read twice)"] += 1
            continue
        pairs[(a, b)] = "wikidata-2021"
    for qid, c in data["cities"].items():
        if qid not in nodes:
            nodes[qid] = {"label": c["label"], "lat": _number(c.get("lat")), "lon": _number(c.get("lon")),
                          "pop": _integer(c.get("pop")), "country": ""}
    rows = []
    for (a, b), extract in sorted(pairs.items(), key=lambda kv: (_qid_order(kv[0][0]), _qid_order(kv[0][1]))):
        na, nb = nodes.get(a), nodes.get(b)
        if na is None or nb is None:
            counts[f"{extract} pairs naming a city the extract does not describe"] += 1
            continue
        rows.append({"assertion_id": f"{extract}:{a}-{b}", "extract": extract, "directed": False,
                     "subject_qid": a, "subject_label": na["label"], "subject_country": na["country"],
                     "subject_latitude": na["lat"], "subject_longitude": na["lon"], "subject_population": na["pop"],
                     "partner_qid": b, "partner_label": nb["label"], "partner_country": nb["country"],
                     "partner_latitude": nb["lat"], "partner_longitude": nb["lon"], "partner_population": nb["pop"]})
    return rows, nodes


def _pair_row(extract: str, a: str, b: str, na: dict, nb: dict, directed: bool) -> dict:
    return {"assertion_id": f"{extract}:{a}-{b}", "extract": extract, "directed": directed,
            "subject_qid": a, "subject_label": na["label"], "subject_country": na["country"],
            "subject_latitude": na["lat"], "subject_longitude": na["lon"], "subject_population": na.get("pop"),
            "partner_qid": b, "partner_label": nb["label"], "partner_country": nb["country"],
            "partner_latitude": nb["lat"], "partner_longitude": nb["lon"], "partner_population": nb.get("pop")}


def bothness(folder: Path, counts: dict) -> tuple[list[dict], dict[str, dict]]:
    """The 2026 extract of P190 links between cities: undirected QID pairs; each node with its name, coordinates and
    the ISO code of the country its coordinates lie in (CN-TW read as TW; XK, XC, XS are no ISO 3166-1 codes and
    stay, so that the country is left unresolved)."""
    nodes = {}
    with open(folder / "nodes.tsv", encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            code = "TW" if r["countrycd"] == "CN-TW" else r["countrycd"]
            if r["countrycd"] == "CN-TW":
                counts["wikidata-2026 nodes coded CN-TW read as TW"] += 1
            nodes[r["id"]] = {"label": r["name"], "country": code, "lat": _number(r["lat"]), "lon": _number(r["lng"])}
    rows = []
    with open(folder / "links.tsv", encoding="utf-8", newline="") as handle:
        pairs = {tuple(sorted((r["source"], r["target"]), key=_qid_order))
                 for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}
    for a, b in sorted(pairs, key=lambda ab: (_qid_order(ab[0]), _qid_order(ab[1]))):
        rows.append(_pair_row("wikidata-2026", a, b, nodes[a], nodes[b], False))
    return rows, nodes


def l3viathan(folder: Path, known: dict[str, dict], counts: dict) -> list[dict]:
    """The 2016 crawl: one row per P190 statement as stated on its subject item (directed). The crawl gives no
    country or coordinates and one label per item (de, en, fr, it or es, the first there is: Prague is "Prag"): an
    item's country, coordinates and (English) label come from the other extracts that describe the same QID (the 2026
    extract's, else the 2022 graph's), the crawl's label only where none does, and a statement whose subject no
    extract places in a country stays out (counted)."""
    with open(folder / "names.tsv", encoding="utf-8", newline="") as handle:
        names = {q: label for q, label in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}
    with open(folder / "relations.tsv", encoding="utf-8", newline="") as handle:
        statements = sorted({(s, p) for s, p in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)},
                            key=lambda sp: (_qid_order(sp[0]), _qid_order(sp[1])))
    rows = []
    for s, p in statements:
        ns, np_ = ({"country": "", "lat": None, "lon": None, **(known.get(q) or {})} for q in (s, p))
        for q, side in ((s, ns), (p, np_)):
            if not side.get("label"):
                side["label"] = names[q]
                counts["wikidata-2016 statement sides named by the crawl's own label (no later extract names the item)"] += 1
        if known.get(s):
            counts["wikidata-2016 statements whose items' country and coordinates come from the same QID in a later extract"] += 1
        rows.append(_pair_row("wikidata-2016", s, p, ns, np_, True))
    return rows


def partition_of(row: dict) -> str | None:
    """A statement's partition: its subject's country; for an undirected pair, the first side with a country."""
    sides = ("subject",) if row["directed"] else ("subject", "partner")
    for side in sides:
        code = country(row[f"{side}_country"]).code
        if code:
            return code
    return None


def build(data: Path, out: Path) -> dict:
    counts: dict[str, int] = defaultdict(int)
    cite = {}
    rows = proghist(data / "proghist-sistercities" / "by_origin_country", counts, cite)
    graphed, nodes = graph(data / "wikidata-bigsister" / "sister_cities.gexf",
                           data / "wikidata-bigsister" / "big-sister-cities.json", counts)
    linked, nodes_2026 = bothness(data / "wikidata-twin-cities-2026-bothness", counts)
    known = {q: n for q, n in nodes.items() if n["country"]} | nodes_2026
    rows += graphed + linked + l3viathan(data / "wikidata-p190-2016-l3viathan", known, counts)
    partitions: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        code = partition_of(r)
        if code is None:
            counts[f"{r['extract']} rows without an assigned country on the subject's side (left out)"] += 1
            continue
        partitions[code].append(r)
    staging = out.with_name(out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "wikidata").mkdir(parents=True)
    (staging / "wikipedia").mkdir()
    files = []
    for code, part in sorted(partitions.items()):
        path = staging / "wikidata" / f"{code}.csv"
        path.write_bytes(csv_bytes(sorted_arrow(part, P190)))
        by_extract = defaultdict(int)
        for r in part:
            by_extract[r["extract"]] += 1
        files.append({"path": f"wikidata/{code}.csv", "partition": code, "rows": len(part),
                      "extracts": dict(sorted(by_extract.items())), "licence": CC0["name"]})
    shutil.copyfile(data / "hekman-twincities" / "twin_cities_raw.csv", staging / "wikipedia" / "twin_cities_raw.csv")
    with open(staging / "wikipedia" / "twin_cities_raw.csv", encoding="utf-8") as handle:
        files.append({"path": "wikipedia/twin_cities_raw.csv", "rows": sum(1 for _ in handle) - 1,
                      "extracts": {"wikipedia": None}, "licence": BY_SA["name"]})
    for f in files:
        f["sha256"] = sha256_file(staging / f["path"])
    manifest = {"snapshot_id": snapshot_id_of(files, "world"), "built": datetime.now(UTC).strftime("%Y-%m-%d"),
                "kind": "world", "extracts": {**EXTRACTS, "wikidata-2017": {**EXTRACTS["wikidata-2017"],
                                                                            "cite": dict(sorted(cite.items()))}}, "licences": {"CC0-1.0": CC0, "CC-BY-SA-4.0": BY_SA},
                "counts": dict(sorted(counts.items())), "corrections": CORRECTIONS, "files": files}
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    notes = ["# Provenance of the bundled world snapshot\n\nBuilt by `tools/build_world_snapshot.py` from the extracts below; "
             "`manifest.json` lists every file with its sha256, rows, licence and extract.\n"]
    notes.append("\n## Corrections made by the builder\n\n" + "".join(
        f"- {extract}, `{file}`: {c['field']} {c['from']} → {c['to']}: {c['reason']}.\n"
        for extract, fixes in CORRECTIONS.items() for file, c in fixes.items()))
    for name in ("proghist-sistercities", "wikidata-bigsister", "wikidata-twin-cities-2026-bothness",
                 "wikidata-p190-2016-l3viathan", "hekman-twincities"):
        notes.append(f"\n---\n\n## {name}\n\n" + (data / name / "PROVENANCE.md").read_text(encoding="utf-8"))
    (staging / "PROVENANCE.md").write_text("".join(notes), encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "snapshots" / "world")
    args = parser.parse_args()
    manifest = build(args.data, args.out)
    print(f"{args.out}: {manifest['snapshot_id']}, {len(manifest['files'])} files, "
          f"{sum(f['rows'] for f in manifest['files'])} rows; {json.dumps(manifest['counts'])}")


if __name__ == "__main__":
    main()
