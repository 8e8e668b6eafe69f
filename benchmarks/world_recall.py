"""Recall of the world release against cities' own published partner lists (``world-official-lists.json``: each
city's page, a quote of it and the partners it lists, read from stored copies of the public pages; Kanazawa's
Japanese names carry an English reading in ``name_en``).

    python benchmarks/world_recall.py RELEASE_DIR [--out benchmarks/world-recall.csv]

A city is every node of its name (marks and punctuation left out) in its country; a listed partner is found where a
partnership of one of those nodes names a city of the partner's name (or one whose name begins with it, word by
word: "Porec" for "Poreč-Parenzo" is not enough, "Bishop's Stortford" is) in the partner's country (any country
where the page gives none). Every partner is a row of the output with found or missing and the node it matched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from twindata.reconcile.places import variant

HERE = Path(__file__).resolve().parent


def _same(listed: str, published: str) -> bool:
    a, b = variant(listed), variant(published)
    return a == b or b.startswith(a + " ") or a.startswith(b + " ")


def recall(release: Path, lists: list[dict]) -> pd.DataFrame:
    data = release / "data"
    cities = pd.read_parquet(data / "cities.parquet")
    p = pd.read_parquet(data / "partnerships.parquet")
    name = dict(zip(cities.city_id, cities.name))
    code = dict(zip(cities.city_id, cities.country_code))
    rows = []
    for city in lists:
        nodes = set(cities[(cities.name.map(variant) == variant(city["city"]))
                           & (cities.country_code == city["country"])].city_id)
        partners = set(p[p.city_a_id.isin(nodes)].city_b_id) | set(p[p.city_b_id.isin(nodes)].city_a_id)
        for listed in city["partners"]:
            wanted = listed.get("name_en") or listed["name"]
            hits = sorted(x for x in partners if _same(wanted, name[x] or "")
                          and (not listed["country"] or code[x] == listed["country"]))
            rows.append({"city": city["city"], "country": city["country"], "city_nodes": " ".join(sorted(nodes)),
                         "partner": listed["name"], "partner_country": listed["country"],
                         "found": bool(hits), "matched": " ".join(hits), "url": city["url"]})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--lists", type=Path, default=HERE / "world-official-lists.json")
    parser.add_argument("--out", type=Path, default=HERE / "world-recall.csv")
    args = parser.parse_args()
    result = recall(args.release, json.loads(args.lists.read_text(encoding="utf-8")))
    result.to_csv(args.out, index=False)
    for city, group in result.groupby("city", sort=False):
        print(f"{city}: {group.found.sum()} of {len(group)}")
    print(f"recall: {result.found.sum()} of {len(result)} ({result.found.mean():.0%})")


if __name__ == "__main__":
    main()
