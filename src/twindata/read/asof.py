"""The "as of" question, answered from the published tables alone: which partnerships were in force on a given day.

A phase is in force on a day when it had begun and had not yet ended. A date answers that exactly; a year alone
answers it for every day outside that year, and within it the answer is "undetermined" (Trabzon's twinning of 2014
on 1 March 2014); a phase whose start is unknown (a partnership only Wikidata states, without P580) is
undetermined too. Never a guess: undetermined rows are returned beside the certain ones, marked. The status on the
day follows status_since_year: Rostov-on-Don's twinning was active at the end of 2013 and suspended from 2022.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from twindata.contract.errors import TwindataError
from twindata.contract.files import read_descriptor

YES, NO, UNDETERMINED = "yes", "no", "undetermined"


def _started(row, day: date) -> str:
    if row["start_date"] is not None and not pd.isna(row["start_date"]):
        return YES if row["start_date"] <= day else NO
    if pd.isna(row["start_year"]):
        return UNDETERMINED
    return YES if row["start_year"] < day.year else NO if row["start_year"] > day.year else UNDETERMINED


def _not_ended(row, day: date) -> str:
    if row["end_date"] is not None and not pd.isna(row["end_date"]):
        return YES if day < row["end_date"] else NO
    if pd.isna(row["end_year"]):
        return UNDETERMINED if row["status"] == "ended" else YES
    return YES if day.year < row["end_year"] else NO if day.year > row["end_year"] else UNDETERMINED


def _status_on(row, day: date) -> str | None:
    since = row["status_since_year"]
    if row["status"] == "suspended":
        if pd.isna(since):
            return None  # suspended, no source says since when
        return "suspended" if since <= day.year else "active"
    if row["status"] == "active" and not pd.isna(since) and not pd.isna(row["start_year"]) and \
            since > row["start_year"] and day.year < since:
        return None  # active again since a later year: what it was before, no source says
    return "active" if row["status"] in ("active", "ended") else None


def in_force(partnerships: pd.DataFrame, cities: pd.DataFrame, day: date, city: str | None = None) -> pd.DataFrame:
    """The phases in force on ``day`` (of ``city`` only, if given), with ``in_force`` 'yes' or 'undetermined', the
    status on that day and both cities' names; sorted by certainty, then start."""
    rows = partnerships if city is None else partnerships[(partnerships["city_a_id"] == city) |
                                                          (partnerships["city_b_id"] == city)]
    names = dict(zip(cities["city_id"], cities["name"]))
    if rows.empty:
        return rows.assign(in_force=[], status_on_day=[], city_a_name=[], city_b_name=[])
    verdicts = [(_started(r, day), _not_ended(r, day)) for r in rows.to_dict("records")]
    keep = pd.Series([NO not in v for v in verdicts], index=rows.index)
    frame = rows.loc[keep].assign(
        in_force=[YES if v == (YES, YES) else UNDETERMINED for v, k in zip(verdicts, keep) if k],
        status_on_day=[_status_on(r, day) for r in rows.loc[keep].to_dict("records")],
        city_a_name=rows.loc[keep, "city_a_id"].map(names), city_b_name=rows.loc[keep, "city_b_id"].map(names))
    frame = frame.assign(_uncertain=frame["in_force"] != YES)
    return frame.sort_values(["_uncertain", "start_year", "partnership_id"], na_position="last") \
        .drop(columns="_uncertain").reset_index(drop=True)


NEEDED = {"partnerships": ("city_a_id", "city_b_id", "start_year", "start_date", "end_year", "end_date", "status",
                            "status_since_year"), "cities": ("city_id", "name")}


def read_tables(release: Path, *names: str) -> dict[str, pd.DataFrame]:
    """Published tables of a release folder, from the Parquet files its datapackage.json lists (checked first, as
    every reader does; nullable integers, dates as dates)."""
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    if not (Path(release) / "datapackage.json").is_file():
        raise TwindataError(f"{release}: not a release folder (no datapackage.json)")
    listed = {r["name"]: r["path"] for r in read_descriptor(Path(release))["resources"] if r["format"] == "parquet"}
    tables = {}
    for n in names:
        path = Path(release) / listed.get(f"{n}-parquet", listed.get(n, f"data/{n}.parquet"))
        if not path.is_file():
            raise TwindataError(f"{release}: not a release folder (no data/{n}.parquet)")
        try:
            tables[n] = pq.read_table(path).to_pandas(types_mapper=nullable)
        except (OSError, pa.ArrowException) as exc:
            raise TwindataError(f"{path}: cannot be read as Parquet: {exc}") from None
        missing = [c for c in NEEDED.get(n, ()) if c not in tables[n].columns]
        if missing:
            raise TwindataError(f"{path}: no column {', '.join(missing)}: not a release of data contract 2 or later")
    return tables


def asof(release: Path, day: date, city: str | None = None) -> pd.DataFrame:
    """``in_force`` over a published release."""
    tables = read_tables(release, "partnerships", "cities")
    return in_force(tables["partnerships"], tables["cities"], day, city)
