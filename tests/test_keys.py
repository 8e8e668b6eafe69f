"""Keys that survive corrections: a corrected value is a PATCH under the same ids, partnership ids continue across
releases, and every id ever published stays reachable (in the latest release, or in its redirects)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twindata.contract import identity
from twindata.contract.identity import Crosswalk, History
from twindata.contract.issues import Issues
from twindata.packages import run_configured
from twindata.publish import release
from twindata.publish.diff import release_tables as release_tables_of
from twindata.publish.history import history_of
from twindata.reconcile.claims import build_partnerships
from twindata.settings import load_settings
from twindata.sources import Claim
from twindata.sources.registry import phase_assertion_id

from conftest import cli, release_tables, replace_in, write_registry

PACKAGE = "dortmund-twinning"
KEYS = identity.ID_COLUMNS


def _ids(folder: Path) -> dict[str, set[str]]:
    tables = release_tables(folder, drop=())
    return {t: {r[k] for r in tables.get(f"{t}.csv", [])} for t, k in KEYS.items()}


def _redirects(folder: Path) -> dict[tuple[str, str], dict]:
    return {(r["table"], r["old_id"]): r for r in release_tables(folder, drop=())["redirects.csv"]}


def _run(registry: Path, out: Path):
    return run_configured(load_settings(registry=registry, out=out)).publish


def test_correcting_amiens_start_year_is_a_patch_under_the_same_ids(registry_copy, tmp_path):
    out = tmp_path / "releases"
    first = _run(registry_copy, out)
    replace_in(registry_copy / "partnerships.csv", "fr-amiens,de-dortmund,fr-amiens,twinning,active,,1960,",
               "fr-amiens,de-dortmund,fr-amiens,twinning,active,,1961,")
    second = _run(registry_copy, out)
    assert (first.version, second.version) == ("2.0.0", "2.0.1")
    assert _ids(first.path) == _ids(second.path)
    text = cli("diff", "2.0.0", "2.0.1", "--out", str(out))
    assert text.returncode == 0 and "PATCH change" in text.stdout, text.stdout + text.stderr
    assert "dortmund-twinning:phase:fr-amiens: start_year: 1960 → 1961" in text.stdout
    assert "Q1295--Q41604--twinning: status_since_year: 1960 → 1961; start_year: 1960 → 1961" in text.stdout
    assert "added" not in text.stdout and "removed" not in text.stdout


def test_a_phase_found_before_a_published_one_renumbers_nothing(registry_copy, tmp_path):
    out = tmp_path / "releases"
    first = _run(registry_copy, out)
    # as if the city's records turned up an earlier twinning with Netanya, lapsed in 1975
    replace_in(registry_copy / "partnerships.csv", "il-netanya,de-dortmund,il-netanya,twinning,active,,1981,",
               "il-netanya-1970,de-dortmund,il-netanya,twinning,ended,,1970,,1975,,https://www.dortmund.de/themen/"
               "internationales/staedtepartnerschaften/,\nil-netanya,de-dortmund,il-netanya,twinning,active,,1981,")
    second = _run(registry_copy, out)
    assert second.version == "2.1.0"
    rows = {r["partnership_id"]: r for r in release_tables(second.path, drop=())["partnerships.csv"]}
    kept, found = rows["Q1295--Q192225--twinning"], rows["Q1295--Q192225--twinning--2"]
    assert (kept["start_year"], kept["phase"]) == (1981, 2)  # the published id keeps its phase; the order is a value
    assert (found["start_year"], found["phase"]) == (1970, 1)
    assert _ids(first.path)["partnerships"] <= set(rows) and "redirects.csv" in {
        p.name for p in (second.path / "data").iterdir()}
    assert not [k for k in _redirects(second.path) if k[0] == "partnerships"]


def test_a_retype_on_confirmation_redirects_and_a_withdrawn_row_returns(registry_copy, tmp_path):
    out = tmp_path / "releases"
    first = _run(registry_copy, out)
    assert "Q1295--Q217411--twinning" in _ids(first.path)["partnerships"]  # Wikidata's only: Beyoğlu
    with open(registry_copy / "cities.csv", "a", encoding="utf-8") as f:
        f.write("tr-beyoglu,Beyoğlu,,TR,Q217411\n")
    with open(registry_copy / "partnerships.csv", "a", encoding="utf-8") as f:
        f.write("tr-beyoglu,de-dortmund,tr-beyoglu,friendship,active,,1990,,,,https://example.org/records,\n")
    second = _run(registry_copy, out)
    redirect = _redirects(second.path)[("partnerships", "Q1295--Q217411--twinning")]
    assert (redirect["new_id"], redirect["change"]) == ("Q1295--Q217411--friendship", "retyped")
    assert second.version == "2.1.0"
    # the row deleted: its assertion and partnership are withdrawn, never lost
    replace_in(registry_copy / "partnerships.csv", "tr-beyoglu,de-dortmund,tr-beyoglu,friendship,active,,1990,,,,"
               "https://example.org/records,\n", "")
    third = _run(registry_copy, out)
    gone = _redirects(third.path)
    assert gone[("assertions", "dortmund-twinning:phase:tr-beyoglu")]["change"] == "withdrawn"
    assert gone[("partnerships", "Q1295--Q217411--friendship")]["new_id"] == "Q1295--Q217411--twinning--2"
    for folder in (first.path, second.path):
        for table, ids in _ids(folder).items():
            assert all(i in _ids(third.path)[table] or (table, i) in gone for i in ids), table
    # the row back under its key: the same assertion id again, its withdrawal dropped
    with open(registry_copy / "partnerships.csv", "a", encoding="utf-8") as f:
        f.write("tr-beyoglu,de-dortmund,tr-beyoglu,friendship,active,,1990,,,,https://example.org/records,\n")
    fourth = _run(registry_copy, out)
    assert "dortmund-twinning:phase:tr-beyoglu" in _ids(fourth.path)["assertions"]
    assert ("assertions", "dortmund-twinning:phase:tr-beyoglu") not in _redirects(fourth.path)
    assert cli("validate", str(fourth.path)).returncode == 0


def test_a_release_with_ids_built_from_values_redirects_them_to_the_rows_keys(registry_copy, tmp_path):
    """A registry that gains its keys: the assertion ids its rows had (built from their values) redirect to the
    keys, and no partnership id changes."""
    out = tmp_path / "releases"
    first = _run(registry_copy, out)
    tables, _ = release_tables_of(first.path)
    # the first release's registry assertion ids, rewritten into the form they had before the rows had keys
    assertions = tables["assertions"].to_pylist()
    keys = {r["phase_id"]: r for r in _csv(registry_copy / "partnerships.csv")}
    for a in assertions:
        if ":phase:" in a["assertion_id"]:
            r = keys[a["assertion_id"].split(":phase:")[1]]
            a["assertion_id"] = f"{PACKAGE}:phase:{r['city_id']}/{r['partner_city_id']}/{r['type']}/{r['start_year']}"
    tables["assertions"] = pa.Table.from_pylist(assertions, tables["assertions"].schema)
    _, retired = release.redirects(tables, release_tables_of(first.path)[0])
    renamed = retired["assertions"]
    assert renamed[f"{PACKAGE}:phase:de-dortmund/fr-amiens/twinning/1960"] == (f"{PACKAGE}:phase:fr-amiens", "renamed")
    assert len(renamed) == 14 and "partnerships" not in retired
    history = history_of("2.0.0", tables)
    assert history.legacy[(PACKAGE, "Q1295", "Q41604", "twinning", 1960)] == "Q1295--Q41604--twinning"


def _csv(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- the property: random sequences of registry edits and source changes ------------------------------------

REG = "prop-twinning"
HOME, PARTNERS = "home", ("b", "c", "d")
QIDS = ("Q11", "Q12", "Q13", "Q14")
TYPES = ("twinning", "friendship", "project_partnership")

edit = st.one_of(
    st.tuples(st.just("add_row"), st.sampled_from(PARTNERS), st.sampled_from(TYPES), st.integers(1950, 2020)),
    st.tuples(st.just("remove_row"), st.integers(0, 9)),
    st.tuples(st.just("correct_year"), st.integers(0, 9), st.integers(1950, 2020)),
    st.tuples(st.just("correct_note"), st.integers(0, 9), st.sampled_from(("a note", "another note", None))),
    st.tuples(st.just("retype"), st.integers(0, 9), st.sampled_from(TYPES)),
    st.tuples(st.just("learn_qid"), st.sampled_from(PARTNERS), st.sampled_from(QIDS)),
    st.tuples(st.just("add_statement"), st.sampled_from(QIDS), st.one_of(st.none(), st.integers(1950, 2020)),
              st.booleans()),
    st.tuples(st.just("remove_statement"), st.integers(0, 9)),
)


class Model:
    """A registry (the home city Q10 and three partners by key) and Wikidata's P190 statements, edited step by step."""

    def __init__(self):
        self.rows: dict[str, dict] = {}
        self.qids: dict[str, str | None] = {HOME: "Q10", **{k: None for k in PARTNERS}}
        self.statements: dict[str, tuple] = {}
        self.minted = 0

    def apply(self, step) -> bool:
        """Apply one edit; False where the registry's checks would refuse it (or there is nothing to edit)."""
        kind, *args = step
        rows = sorted(self.rows)
        if kind == "add_row":
            partner, type_, year = args
            self.minted += 1
            row = {"partner": partner, "type": type_, "start_year": year, "note": None}
            return self._set(f"{partner}-{self.minted}", row)
        if kind in ("remove_row", "correct_year", "correct_note", "retype"):
            if not rows:
                return False
            key = rows[args[0] % len(rows)]
            if kind == "remove_row":
                del self.rows[key]
                return True
            field = {"correct_year": "start_year", "correct_note": "note", "retype": "type"}[kind]
            return self._set(key, {**self.rows[key], field: args[1]})
        if kind == "learn_qid":
            key, qid = args
            if self.qids[key] is not None or qid in self.qids.values():
                return False  # a QID once given stays; two cities of a registry never share one
            self.qids[key] = qid
            return True
        if kind == "add_statement":
            partner, year, from_home = args
            self.minted += 1
            self.statements[f"Q10${self.minted}"] = ("Q10", partner, year) if from_home else (partner, "Q10", year)
            return True
        statements = sorted(self.statements)
        if not statements:
            return False
        del self.statements[statements[args[0] % len(statements)]]
        return True

    def _set(self, key: str, row: dict) -> bool:
        same = [k for k, r in self.rows.items() if k != key and (r["partner"], r["type"], r["start_year"]) ==
                (row["partner"], row["type"], row["start_year"])]
        if same:
            return False  # one phase is one row: the registry refuses a duplicate
        self.rows[key] = row
        return True

    def claims(self) -> list[Claim]:
        out = [Claim(phase_assertion_id(REG, key), "registry", REG, (REG, HOME), (REG, r["partner"]), r["type"],
                     "active", None, r["start_year"], None, None, None, (REG, key), True,
                     source_url="https://example.org/records", note=r["note"])
               for key, r in sorted(self.rows.items())]
        out += [Claim(f"wikidata:{sid}", "wikidata", "wikidata", a, b, type="twinning", start_year=year)
                for sid, (a, b, year) in sorted(self.statements.items())]
        return out

    def tables(self, history: History) -> dict[str, pa.Table]:
        crosswalk = Crosswalk()
        for key, qid in self.qids.items():
            crosswalk.add(REG, key, qid)
        partnerships, assertions = build_partnerships(self.claims(), crosswalk, Issues(), history=history)
        cities = {crosswalk.resolve((REG, k)) for k in self.qids} | set(partnerships["city_a_id"]) | set(
            partnerships["city_b_id"])
        keep = {"partnerships": ["partnership_id", "city_a_id", "city_b_id", "type", "phase", "start_year"],
                "assertions": ["assertion_id", "partnership_id", "source_name", "stated_by_city_id", "partner_city_id",
                               "type", "start_year", "note"]}
        return {"partnerships": pa.Table.from_pandas(partnerships[keep["partnerships"]], preserve_index=False),
                "assertions": pa.Table.from_pandas(assertions[keep["assertions"]], preserve_index=False),
                "cities": pa.table({"city_id": sorted(cities)}),
                "crosswalk": pa.Table.from_pylist(crosswalk.rows())}


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=12))
def test_no_id_ever_published_vanishes_without_a_redirect(steps):
    model, history, old, ever = Model(), History(), {}, {t: set() for t in KEYS}
    for number, step in enumerate(steps, start=1):
        if not model.apply(step):
            continue
        version = f"2.{number}.0"
        tables = model.tables(history)
        earlier, retired = release.redirects(old, tables)
        added = release.redirect_rows(retired, version, old)
        identity.check_never_reused(earlier + added, tables)  # no id is given to another record
        rows = earlier + added
        tables["redirects"] = pa.Table.from_pylist(rows) if rows else pa.table({"table": pa.array([], pa.string())})
        published = identity.published_ids(tables)
        redirected = {(r["table"], r["old_id"]) for r in rows}
        withdrawn = {(r["table"], r["old_id"]) for r in rows if r["change"] == "withdrawn"}
        for table, ids in ever.items():
            lost = {i for i in ids if i not in published[table] and (table, i) not in redirected}
            assert not lost, f"{step}: {table} {sorted(lost)} vanished without a redirect"
        for table, mapping in identity.follow(tables["redirects"] if rows else None).items():
            for old_id, final in mapping.items():
                assert final in published[table] or (table, final) in withdrawn, (step, table, old_id, final)
        for table, ids in published.items():
            assert not {(table, i) for i in ids} & (redirected - withdrawn), f"{step}: a retired id is published"
        if step[0] in ("correct_year", "correct_note") and old:
            assert published["partnerships"] == identity.published_ids(old)["partnerships"], step  # a correction is a PATCH
            assert published["assertions"] == identity.published_ids(old)["assertions"] and not retired, step
        for table in ever:
            ever[table] |= published[table]
        history, old = history_of(version, tables), tables


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(edit, min_size=2, max_size=5))
def test_published_releases_keep_every_id_reachable(tmp_path_factory, steps):
    """The same property through real registry files and real releases (the Wikidata side left out: a test registry
    names no city Wikidata's snapshot answers)."""
    base = tmp_path_factory.mktemp("prop")
    model, out, ever = Model(), base / "releases", {t: set() for t in KEYS}
    for number, step in enumerate(steps):
        if step[0] in ("add_statement", "remove_statement") or not model.apply(step):
            continue
        folder = write_registry(
            base / f"registry-{number}", REG, [HOME], "CC-BY-4.0",
            cities=[{"city_id": k, "name": k.title(), "country_code": "DE", "wikidata_qid": None if k == HOME else q}
                    for k, q in model.qids.items()],
            partnerships=[{"phase_id": key, "city_id": HOME, "partner_city_id": r["partner"], "type": r["type"],
                           "status": "active", "start_year": r["start_year"], "note": r["note"],
                           "source_url": "https://example.org/records"} for key, r in sorted(model.rows.items())])
        result = _run(folder, out)
        published = _ids(result.path)
        redirected = set(_redirects(result.path))
        for table, ids in ever.items():
            assert all(i in published[table] or (table, i) in redirected for i in ids), (step, table)
        for table in ever:
            ever[table] |= published[table]
    versions = json.loads((out / REG / "versions.json").read_text()) if (out / REG).exists() else {"versions": []}
    assert all((out / REG / v["path"] / "datapackage.json").is_file() for v in versions["versions"])
