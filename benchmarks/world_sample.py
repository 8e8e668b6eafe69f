"""Draw the precision sample of the world release: community partnerships (no city's records confirm them), chosen
by a fixed seed and stratified by the sources behind them, for judging row by row.

    python benchmarks/world_sample.py RELEASE_DIR [--n 72] [--seed 18] > benchmarks/world-precision-sample.csv

Each row gives both cities (id, name, country, coordinates) and the partnership's sources and citation; the
judgement columns (verdict, evidence) are filled by the reviewer (``world-precision.csv``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

STRATA = {"wikidata": "wikidata", "wikipedia": "wikipedia", "wikidata wikipedia": "both"}


def sample(release: Path, n: int, seed: int) -> pd.DataFrame:
    data = release / "data"
    p = pd.read_parquet(data / "partnerships.parquet")
    c = pd.read_parquet(data / "cities.parquet").set_index("city_id")
    p = p[(p.confidence == "community") & p.layers.isin(STRATA)]
    drawn = pd.concat(group.sample(n // len(STRATA), random_state=seed) for _, group in p.groupby("layers"))
    rows = []
    for r in drawn.sort_values("partnership_id").itertuples():
        row = {"partnership_id": r.partnership_id, "sources": STRATA[r.layers]}
        for side, city in (("a", r.city_a_id), ("b", r.city_b_id)):
            info = c.loc[city]
            row.update({f"city_{side}_id": city, f"city_{side}_name": info["name"],
                        f"city_{side}_country": info["country_code"]})
        row.update({"assertions": r.assertion_count, "source_url": r.source_url})
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--n", type=int, default=72)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    sample(args.release, args.n, args.seed).to_csv(sys.stdout, index=False)


if __name__ == "__main__":
    main()
