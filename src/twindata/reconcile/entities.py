"""The package of one city's registry: its records, the Wikidata items of its cities and of the partners their P190
statements name, and Commons' description of their pictures, reconciled into ``cities``, ``partnerships``,
``assertions``, ``images`` and ``crosswalk`` (partnerships by ``twindata.reconcile.claims``' rules).

Where no source gives a fact an ``unresolved`` row says so; where the registry and Wikidata disagree on a city, a
``conflict`` row. Rows carry the gate's private columns (``ORIGIN``, ``EXTERNAL``).
"""

from __future__ import annotations

import pandas as pd

from twindata.contract import identity
from twindata.contract.identity import Crosswalk
from twindata.contract.issues import Issues
from twindata.contract.tables import EXTERNAL, ORIGIN, CoreTables, frame
from twindata.reconcile.claims import build_partnerships, layers
from twindata.reconcile.held import report_held
from twindata.reconcile.images import build_images
from twindata.sources import registry as registry_source
from twindata.sources import wikidata
from twindata.sources.commons import CommonsResult
from twindata.sources.registry import Registry


def reconcile(registries: list[Registry], wd: wikidata.FetchResult, cm: CommonsResult,
              history: identity.History = identity.History()) -> CoreTables:
    """The core tables from the registries' records, Wikidata's entities and Commons' metadata; partnership ids
    continue ``history``."""
    issues = Issues()
    crosswalk = Crosswalk()
    for reg in registries:
        for key, qid in zip(reg.cities["city_id"], reg.cities["wikidata_qid"]):
            crosswalk.add(reg.name, key, qid)
    focus = {crosswalk.resolve((reg.name, key)) for reg in registries for key in reg.own_keys()}
    claims = [c for reg in registries for c in registry_source.claims(reg)]
    claims += [c for c in wikidata.claims(wd) if c.stated_by in focus or c.partner in focus]
    partnerships, assertions = build_partnerships(claims, crosswalk, issues, history=history)
    cities = build_cities(registries, crosswalk, wd, partnerships, issues)
    images = build_images(registries, crosswalk, cities, cm, issues)
    rows = [{**r, ORIGIN: "registry", EXTERNAL: ()} for r in crosswalk.rows()]
    return CoreTables({"cities": cities, "partnerships": partnerships, "assertions": assertions, "images": images,
                       "crosswalk": frame("crosswalk", rows)}, issues)


# --- cities -------------------------------------------------------------------------------------------------

def _missing_reason(qid: str, wd: wikidata.FetchResult) -> str:
    if qid in wd.not_in_snapshot:
        return f"the snapshot holds no answer for {qid}; a live run (--live) can fetch it"
    return f"Wikidata reports {qid} missing or deleted"


def build_cities(registries: list[Registry], crosswalk: Crosswalk, wd: wikidata.FetchResult,
                 partnerships: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    for reg in registries:
        for c in reg.cities.to_dict("records"):
            city_id = crosswalk.resolve((reg.name, c["city_id"]))
            if city_id in rows:
                continue  # a second registry naming the same city adds no facts of its own to the row
            row = {"city_id": city_id, "wikidata_qid": c["wikidata_qid"], "name": c["name"],
                   "local_name": c["local_name"], "country_code": c["country_code"], "layers": "registry",
                   ORIGIN: "registry", EXTERNAL: ()}
            qid = c["wikidata_qid"]
            if qid is None:
                issues.add("unresolved", "cities", city_id, "wikidata_qid", None, "registry",
                           "no source at hand gives this city's Wikidata item")
            elif qid not in wd.entities:
                issues.add("unresolved", "cities", city_id, "wikidata_qid", qid, "wikidata", _missing_reason(qid, wd))
            else:
                entity = wd.entities[qid]
                report_held(entity, city_id, issues)
                values = _entity_values(entity)
                row.update(values)
                row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
                row["layers"] = layers(["registry", "wikidata"])
                if entity.iso_code and c["country_code"] != entity.iso_code:
                    issues.add("conflict", "cities", city_id, "country_code", entity.iso_code, "wikidata",
                               f"Wikidata's country has code {entity.iso_code}; the registry says {c['country_code']}")
                _report_gaps(row, issues)
            rows[city_id] = row
    named = sorted(set(partnerships["city_a_id"]) | set(partnerships["city_b_id"]), key=identity.sort_key)
    for qid in (q for q in named if q not in rows):
        entity = wd.entities.get(qid)
        row = {"city_id": qid, "wikidata_qid": qid, "layers": "wikidata", ORIGIN: "wikidata", EXTERNAL: ()}
        if entity is None:
            issues.add("unresolved", "cities", qid, "name", qid, "wikidata", _missing_reason(qid, wd))
        else:
            report_held(entity, qid, issues)
            values = {**_entity_values(entity), "country_code": entity.iso_code}
            row.update(values, name=entity.label)
            row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
            _report_gaps(row, issues)
        rows[qid] = row
    return frame("cities", list(rows.values()))


def _entity_values(entity: wikidata.Entity) -> dict:
    return {"wikidata_label": entity.label, "latitude": entity.latitude, "longitude": entity.longitude,
            "population": entity.population, "image_file": f"File:{entity.image}" if entity.image else None,
            "wikidata_revision": entity.revision}


def _report_gaps(row: dict, issues: Issues) -> None:
    for name in ("country_code", "latitude"):
        if row.get(name) is None:
            issues.add("unresolved", "cities", row["city_id"], name, None, "wikidata",
                       f"Wikidata item {row['wikidata_qid']} gives no {'country code' if name == 'country_code' else 'coordinates'}")
