"""What a package's next release continues from: the ids its latest published release gave, read as the run's first
source (``PreviousRelease``), so that reconciliation keeps every partnership's id across corrections and new phases.

Only the few columns that carry ids are read (from the Parquet files the release lists); a folder without releases
is an empty history (the first release numbers phases by date).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from twindata.contract.identity import LEGACY_PHASE, History, column, legacy_rows
from twindata.publish.diff import release_tables
from twindata.publish.staging import read_versions

COLUMNS = {"partnerships": ["partnership_id", "city_a_id", "city_b_id", "type"],
           "assertions": ["assertion_id", "partnership_id", "source_name", "stated_by_city_id", "partner_city_id",
                          "type", "start_year"],
           "redirects": ["table", "old_id"]}


def read_history(package_dir: Path) -> History:
    """The history of the package in ``package_dir`` (its releases folder): empty where nothing was published."""
    latest = read_versions(package_dir).get("latest")
    if latest is None:
        return History()
    return history_of(latest, release_tables(package_dir / latest, COLUMNS)[0])


def history_of(version: str, tables: dict[str, pa.Table]) -> History:
    """The history a release of ``version`` with these tables leaves to the next."""
    p, a, r = (tables.get(t) for t in COLUMNS)
    if p is None or "city_a_id" not in p.column_names:  # data contract 1: its ids are redirected, none continues
        return History(version, retired=frozenset(column(p, "partnership_id")))
    retired = frozenset(old for t, old in zip(column(r, "table"), column(r, "old_id")) if t == "partnerships")
    legacy = {}
    if a is not None and a.num_rows:  # assertion ids still built from a registry row's values: those rows only
        old_form = pc.match_substring_regex(a.column("assertion_id"), LEGACY_PHASE.pattern)
        if pc.any(old_form).as_py():
            legacy = legacy_rows(a.filter(old_form).to_pydict())
    return History(version, dict(zip(column(p, "partnership_id"), zip(*(column(p, c) for c in COLUMNS["partnerships"][1:])))),
                   dict(zip(column(a, "assertion_id"), column(a, "partnership_id"))), retired, legacy)


@dataclass(frozen=True)
class PreviousRelease:
    """The package's latest release in the releases folder the settings name (none before the first)."""

    package_name: Callable[[Mapping[str, Any]], str]  # the package's name, from the sources read before
    name: str = "previous_release"
    needs: tuple[str, ...] = ("registry",)
    description: str = "The ids of the package's latest release, which the next release keeps."

    def read(self, context: Any, given: Mapping[str, Any]) -> History:
        return read_history(Path(context.settings.out) / self.package_name(given))

    def summary(self, result: History) -> dict:
        return {"version": result.version or "none yet", "partnerships": len(result.partnerships),
                "assertions": len(result.partnership_of), "retired_partnership_ids": len(result.retired)}
