"""Two synthetic releases of a 1M-row partnerships table that differ in 1 % of rows, for the diff and checksum
figures. Built with numpy/pyarrow, written by twindata's own release code (open_release + publish), skipping the
frictionless gate (measured separately by bench_release.py).

    python benchmarks/make_synthetic.py [--rows 1000000] [--out benchmarks/out/synthetic]

Release 1.0.0 has the rows; release 1.0.x/1.1.0 changes values in 0.5 % of them, removes 0.25 % and adds 0.25 %.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twindata import release, schema

TYPES = ["twinning", "friendship", "project_partnership", "solidarity_partnership", "contact"]
COUNTRIES = ["de", "fr", "gb", "pl", "it", "es", "us", "cn", "tr", "ua"]
METADATA = {"name": "synthetic-twinning", "title": "Synthetic twinning network (benchmark)",
            "licenses": [{"name": "CC0-1.0"}]}


def empty(table: str) -> pa.Table:
    return schema.arrow_schema(table).empty_table()


def cities(n: int, rng: np.random.Generator) -> pa.Table:
    ids = [f"{COUNTRIES[i % len(COUNTRIES)]}-city{i}" for i in range(n)]
    data = {"city_id": ids, "name": [f"City {i}" for i in range(n)], "sources": ["registry"] * n,
            "country_code": [c.upper()[:2] for c in ids], "latitude": rng.uniform(-60, 70, n),
            "longitude": rng.uniform(-180, 180, n)}
    return _typed("cities", data, n)


def partnerships(n_rows: int, n_cities: int, rng: np.random.Generator, offset: int = 0, per_city: int = 50) -> pa.Table:
    """Rows ``offset`` .. ``offset + n_rows`` of a network where each city has ``per_city`` partners per type."""
    index = np.arange(offset, offset + n_rows)
    city = index // per_city % n_cities
    partner = (city + 1 + index % per_city) % n_cities
    city_ids = pa.array([f"{COUNTRIES[i % len(COUNTRIES)]}-city{i}" for i in range(n_cities)])
    kinds = pa.array(TYPES)
    city_col = city_ids.take(pa.array(city))
    partner_col = city_ids.take(pa.array(partner))
    type_col = kinds.take(pa.array(index // (per_city * n_cities) % len(TYPES)))
    data = {"partnership_id": pc.binary_join_element_wise(city_col, partner_col, type_col, "--"),
            "city_id": city_col, "partner_city_id": partner_col, "type": type_col,
            "status": pa.array(np.where(index % 7 == 0, "ended", "active")),
            "start_year": rng.integers(1950, 2025, n_rows), "sources": pa.array(["registry"] * n_rows),
            "source_url": pa.array(["https://example.org/partnerships"] * n_rows),
            "note": pa.array(np.where(index % 3 == 0, "Signed at the town hall.", None))}
    table = _typed("partnerships", data, n_rows)
    ended = pc.equal(table.column("status"), "ended")
    end_year = pc.if_else(ended, pc.add(table.column("start_year"), 5), pa.scalar(None, pa.int64()))
    return table.set_column(table.schema.get_field_index("end_year"), table.schema.field("end_year"), end_year)


def _typed(table: str, data: dict, n: int) -> pa.Table:
    arrow_schema = schema.arrow_schema(table)
    columns = [pa.array(data[f.name], f.type) if f.name in data else pa.nulls(n, f.type) for f in arrow_schema]
    return pa.Table.from_arrays(columns, schema=arrow_schema)


def publish(out: Path, tables: dict[str, pa.Table]) -> release.PublishResult:
    with release.open_release(out, METADATA["name"]) as staging:
        (staging / "data").mkdir()
        return release.publish(tables, METADATA, staging, {"generator": "benchmarks/make_synthetic.py"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "synthetic")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    rng = np.random.default_rng(20261126)
    n_cities = max(args.rows // 50, 10)  # 50 partners a city: row i is unique by (city, partner, type)
    city_table = cities(n_cities, rng)
    first = partnerships(args.rows, n_cities, rng)
    base = {"cities": city_table, "partnerships": first, "images": empty("images"), "data_issues": empty("data_issues")}
    started = time.perf_counter()
    a = publish(args.out, base)
    print(f"{a.version}: {args.rows} partnerships in {time.perf_counter() - started:.1f} s -> {a.path}")
    step = 200  # every 200th row changes a value (0.5 %); rows are removed and added at 0.25 % each
    index = np.arange(args.rows)
    notes = pc.if_else(pa.array(index % step == 0), pa.scalar("Renewed."), first.column("note"))
    second = first.set_column(first.schema.get_field_index("note"), first.schema.field("note"), notes)
    second = second.filter(pa.array(index % 400 != 1))
    added = partnerships(args.rows // 400, n_cities, rng, offset=args.rows)
    second = pa.concat_tables([second, added])
    started = time.perf_counter()
    b = publish(args.out, {**base, "partnerships": second})
    print(f"{b.version}: diffed against {a.version} and published in {time.perf_counter() - started:.1f} s -> {b.path}")


if __name__ == "__main__":
    main()
