"""Two synthetic releases of a 1M-row partnerships table (20k cities, one assertion per partnership) that differ in
1 % of rows, for the diff, checksum and validation figures. Built with numpy/pyarrow in the tables of the data
contract, written by twindata's own release code (``release.publish``), skipping the gate (measured separately by
bench_release.py). Synthetic: the ids look like QIDs but name no real item.

    python benchmarks/make_synthetic.py [--rows 1000000] [--out benchmarks/out/synthetic]

The first release has the rows; the second changes values in 0.5 % of them, removes 0.25 % and adds 0.25 %.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twindata.checks.gate import GateResult
from twindata.contract import schema
from twindata.contract.tables import csv_bytes, sort_order
from twindata.publish import release

TYPES = ["twinning", "friendship", "project_partnership", "solidarity_partnership", "contact"]
COUNTRIES = ["DE", "FR", "GB", "PL", "IT", "ES", "US", "CN", "TR", "UA"]
METADATA = {"name": "synthetic-twinning", "title": "Synthetic twinning network (benchmark)",
            "licenses": [{"name": "CC0-1.0"}]}


def empty(table: str) -> pa.Table:
    return schema.arrow_schema(table).empty_table()


def city_ids(n: int) -> pa.Array:
    return pa.array([f"Q{i + 1}" for i in range(n)])


def cities(n: int, rng: np.random.Generator) -> pa.Table:
    ids = city_ids(n)
    data = {"city_id": ids, "wikidata_qid": ids, "name": [f"City {i}" for i in range(n)],
            "country_code": [COUNTRIES[i % len(COUNTRIES)] for i in range(n)], "latitude": rng.uniform(-60, 70, n),
            "longitude": rng.uniform(-180, 180, n), "layers": ["registry"] * n}
    return _typed("cities", data, n)


def partnerships(n_rows: int, n_cities: int, rng: np.random.Generator, offset: int = 0,
                 per_city: int = 50) -> tuple[pa.Table, pa.Table]:
    """Rows ``offset`` .. ``offset + n_rows`` of a network where each city has ``per_city`` partners per type, and one
    registry assertion per row."""
    index = np.arange(offset, offset + n_rows)
    city = index // per_city % n_cities
    partner = (city + 1 + index % per_city) % n_cities
    low, high = np.minimum(city, partner), np.maximum(city, partner)  # QIDs sort by number: the lower is city A
    ids = city_ids(n_cities)
    a_col, b_col = ids.take(pa.array(low)), ids.take(pa.array(high))
    type_col = pa.array(TYPES).take(pa.array(index // (per_city * n_cities) % len(TYPES)))
    pid = pc.binary_join_element_wise(a_col, b_col, type_col, "--")
    ended = index % 7 == 0
    start = rng.integers(1950, 2020, n_rows)
    data = {"partnership_id": pid, "city_a_id": a_col, "city_b_id": b_col, "type": type_col,
            "phase": np.ones(n_rows, dtype=np.int64), "status": pa.array(np.where(ended, "ended", "active")),
            "status_since_year": np.where(ended, start + 5, start), "start_year": start,
            "end_year": pa.array(start + 5, pa.int64(), mask=~ended),
            "stated_by_city_a": pa.array(low == city), "stated_by_city_b": pa.array(low != city),
            "confidence": pa.array(["confirmed"] * n_rows), "assertion_count": np.ones(n_rows, dtype=np.int64),
            "layers": pa.array(["registry"] * n_rows), "source_url": pa.array(["https://example.org/partnerships"] * n_rows),
            "note": pa.array(np.where(index % 3 == 0, "Signed at the town hall.", None))}
    table = _typed("partnerships", data, n_rows)
    stated_by = ids.take(pa.array(city))
    assertions = {"assertion_id": pc.binary_join_element_wise(pa.array(["synthetic:phase"] * n_rows), pid, ":"),
                  "partnership_id": pid, "source": pa.array(["registry"] * n_rows),
                  "source_name": pa.array(["synthetic-twinning"] * n_rows), "stated_by_city_id": stated_by,
                  "partner_city_id": ids.take(pa.array(partner)), "type": type_col, "status": table.column("status"),
                  "start_year": start, "end_year": table.column("end_year"),
                  "source_url": pa.array(["https://example.org/partnerships"] * n_rows)}
    return table, _typed("assertions", assertions, n_rows)


def _typed(table: str, data: dict, n: int) -> pa.Table:
    arrow_schema = schema.arrow_schema(table)
    columns = [pa.array(data[f.name], f.type) if f.name in data else pa.nulls(n, f.type) for f in arrow_schema]
    return pa.Table.from_arrays(columns, schema=arrow_schema)


def publish(out: Path, tables: dict[str, pa.Table]) -> release.PublishResult:
    tables = {t: a.take(sort_order(a, t)) for t, a in tables.items()}  # rows in key order, as the gate passes them
    gated = GateResult(tables, {t: csv_bytes(a) for t, a in tables.items()})
    return release.publish(gated, METADATA, out, {"generator": "benchmarks/make_synthetic.py"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "synthetic")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    rng = np.random.default_rng(20261126)
    n_cities = max(args.rows // 50, 10)  # 50 partners a city: row i is unique by (city, partner, type)
    city_table = cities(n_cities, rng)
    first, first_assertions = partnerships(args.rows, n_cities, rng)
    base = {"cities": city_table, "partnerships": first, "assertions": first_assertions, "images": empty("images"),
            "crosswalk": empty("crosswalk"), "data_issues": empty("data_issues")}
    started = time.perf_counter()
    a = publish(args.out, base)
    print(f"{a.version}: {args.rows} partnerships in {time.perf_counter() - started:.1f} s -> {a.path}")
    step = 200  # every 200th row changes a value (0.5 %); rows are removed and added at 0.25 % each
    index = np.arange(args.rows)
    notes = pc.if_else(pa.array(index % step == 0), pa.scalar("Renewed."), first.column("note"))
    second = first.set_column(first.schema.get_field_index("note"), first.schema.field("note"), notes)
    keep = pa.array(index % 400 != 1)
    added, added_assertions = partnerships(args.rows // 400, n_cities, rng, offset=args.rows)
    second = pa.concat_tables([second.filter(keep), added])
    assertions = pa.concat_tables([first_assertions.filter(keep), added_assertions])
    started = time.perf_counter()
    b = publish(args.out, {**base, "partnerships": second, "assertions": assertions})
    print(f"{b.version}: diffed against {a.version} and published in {time.perf_counter() - started:.1f} s -> {b.path}")


if __name__ == "__main__":
    main()
