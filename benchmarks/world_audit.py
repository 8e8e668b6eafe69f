"""The world release's truth figures, as an outside audit reads them from the published files alone:

- cities with a Wikidata QID, with coordinates; cities listed as misplaced (coordinates outside their country) and
  how many of those are Danish or Swedish;
- groups of nodes with the same name (marks and punctuation left out), the same country and the same location
  (two of them within 0.2° in latitude plus longitude), which are one place counted twice;
- partnerships and assertions citing a generic page (the Wikidata home page, the index of Wikipedia's lists), and
  those citing an extract's file;
- ambiguous claims held back.

    python benchmarks/world_audit.py RELEASE_DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from twindata.reconcile.places import variant

GENERIC = ["https://www.wikidata.org/", "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities"]


def same_place_groups(cities: pd.DataFrame) -> list[list[str]]:
    groups = []
    located = cities.dropna(subset=["country_code", "latitude", "longitude"])
    for _, g in located.groupby([located.name.map(variant), located.country_code]):
        if len(g) < 2:
            continue
        lat, lon = g.latitude.to_numpy(float), g.longitude.to_numpy(float)
        gap = np.abs(lat[:, None] - lat[None]) + np.abs(lon[:, None] - lon[None]) + np.eye(len(g)) * 9
        if gap.min() < 0.2:
            groups.append(list(g.city_id))
    return groups


def audit(release: Path) -> dict:
    data = release / "data"
    c = pd.read_parquet(data / "cities.parquet")
    p = pd.read_parquet(data / "partnerships.parquet")
    a = pd.read_parquet(data / "assertions.parquet")
    issues = pd.read_parquet(data / "data_issues.parquet")
    misplaced = issues[issues.kind == "misplaced"]
    located = c.latitude.notna()
    nordic = set(c[c.country_code.isin(["DK", "SE"])].city_id)
    groups = same_place_groups(c)
    return {
        "cities": len(c), "with_qid": round(c.wikidata_qid.notna().mean(), 3),
        "with_coordinates": round(located.mean(), 3),
        "misplaced": len(misplaced), "misplaced_share_of_located": round(len(misplaced) / located.sum(), 4),
        "misplaced_dk_se": int(misplaced.record_id.isin(nordic).sum()),
        "same_place_groups": len(groups), "same_place_examples": groups[:10],
        "partnerships": len(p), "partnerships_citing_generic": round(p.source_url.isin(GENERIC).mean(), 4),
        "partnerships_citing_extract_file": round(p.source_url.str.startswith("https://github.com/").mean(), 4),
        "assertions_citing_generic": round(a.source_url.isin(GENERIC).mean(), 4),
        "ambiguous_held_back": int((issues.kind == "ambiguous").sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path)
    print(json.dumps(audit(parser.parse_args().release), indent=2))


if __name__ == "__main__":
    main()
