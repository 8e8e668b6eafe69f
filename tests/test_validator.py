"""Proof of equality: the compiled, vectorised checks and frictionless-py report the same (table, row, field, rule)
findings, on a corpus of broken tables made from Dortmund's real release (each constraint alone and in combination,
type errors in every field type, blanks and whitespace, duplicate and composite keys, dangling foreign keys and
cascades, Unicode lookalikes, broken structure) and on random mutations of it."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twindata.checks.compiled import compile_schema
from twindata.checks.reference import finding, frictionless_errors, validate_tables
from twindata.contract import schema
from twindata.contract.errors import TwindataError
from twindata.packages import run_configured
from twindata.settings import load_settings

TABLES = schema.published_tables()
COMPILED = {t: compile_schema(t, schema.table_schema(t)) for t in TABLES}


@pytest.fixture(autouse=True, params=["by column", "by distinct value"])
def regime(request, monkeypatch):
    """Every case twice: as small tables are checked (column by column), and as long columns of few distinct
    values are (each distinct value once, the findings spread back to its rows, foreign keys looked up by hash as
    a small parent table's are), forced here on small tables."""
    if request.param == "by distinct value":
        monkeypatch.setattr("twindata.checks.validator.PARALLEL_ROWS", 1)
        monkeypatch.setattr("twindata.checks.validator.DISTINCT_SHARE", 1)
        monkeypatch.setattr("twindata.checks.keys.SMALL_PARENT", 0)
    return request.param


@pytest.fixture(scope="module")
def dortmund(shared_releases) -> dict[str, bytes]:
    """The CSV bytes of Dortmund's release, as the gate passed them."""
    data = shared_releases / "registry" / "dortmund-twinning" / "2.0.0" / "data"
    return {p.stem: p.read_bytes() for p in sorted(data.glob("*.csv"))}


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def edit(tables: dict, table: str, row: int, field: str, value: str) -> dict:
    rows = _rows(tables[table])
    rows[row + 1][rows[0].index(field)] = value
    return {**tables, table: _csv(rows)}


def same(tables: dict) -> set:
    fast, _ = validate_tables(COMPILED, tables)
    reference = frictionless_errors(COMPILED, tables)
    found, expected = {finding(e) for e in fast}, {finding(e) for e in reference}
    assert found == expected, (found - expected, expected - found)
    return found


CELLS = [  # (table, row, field, value): one broken cell each
    ("partnerships", 0, "phase", "1.5"), ("partnerships", 0, "phase", "one"), ("partnerships", 0, "phase", " 2"),
    ("partnerships", 0, "phase", "٣"), ("partnerships", 0, "phase", "0"), ("partnerships", 0, "phase", ""),
    ("partnerships", 1, "start_year", "99999999999999999999"), ("partnerships", 1, "start_year", "1_999"),
    ("partnerships", 1, "start_year", "+1999"), ("partnerships", 1, "start_year", "0999"),
    ("cities", 0, "latitude", "x"), ("cities", 0, "latitude", "91"), ("cities", 0, "latitude", "1e3"),
    ("cities", 0, "latitude", "NaN"), ("cities", 0, "latitude", "-90.0000001"), ("cities", 0, "longitude", "１０"),
    ("partnerships", 2, "stated_by_city_a", "yes"), ("partnerships", 2, "stated_by_city_a", "TRUE"),
    ("partnerships", 2, "stated_by_city_a", ""), ("partnerships", 2, "stated_by_city_a", " true"),
    ("partnerships", 3, "start_date", "2019-02-30"), ("partnerships", 3, "start_date", "2019-1-1"),
    ("partnerships", 3, "start_date", "1992-07-22 "), ("partnerships", 3, "start_date", "0000-01-01"),
    ("partnerships", 3, "start_date", "22.07.1992"),
    ("partnerships", 4, "source_url", "example.org"), ("partnerships", 4, "source_url", "javascript:alert(1)"),
    ("partnerships", 4, "source_url", "http://a b"), ("partnerships", 4, "source_url", "//x.org"),
    ("partnerships", 4, "source_url", ""), ("partnerships", 5, "type", "twinnin"), ("partnerships", 5, "status", "paused"),
    ("partnerships", 5, "confidence", "maybe"), ("cities", 1, "city_id", "q1295"), ("cities", 1, "city_id", "Q１２９５"),
    ("cities", 1, "city_id", "Ԛ1295"), ("cities", 1, "city_id", "Q1295\n"), ("cities", 1, "city_id", " Q1"),
    ("cities", 2, "name", ""), ("cities", 2, "name", " "), ("cities", 2, "country_code", "de"),
    ("cities", 2, "country_code", "ДЕ"), ("cities", 3, "wikidata_qid", "Q1295"), ("cities", 3, "image_file", "file:x"),
    ("images", 0, "attribution_required", "maybe"), ("images", 0, "licence_url", "artlibre.org"),
    ("assertions", 0, "wikidata_rank", "deprecated"), ("assertions", 0, "reference_count", "-1"),
    ("redirects", 0, "since_version", "v2"),
]


@pytest.mark.parametrize("table, row, field, value", CELLS)
def test_one_broken_cell(dortmund, table, row, field, value):
    if table == "redirects":  # an empty table in Dortmund's release: give it one row to break
        dortmund = {**dortmund, "redirects": dortmund["redirects"] + b'"cities","a","Q1","2.0.0","why"\r\n'}
    found = same(edit(dortmund, table, row, field, value))
    assert found or value in ("TRUE", " 2", "٣", "1_999", "+1999", "0999", "NaN", "javascript:alert(1)",
                               "http://a b", "2019-1-1", "Q1295\n", " ", "１０")  # frictionless accepts these


KEYS = {  # key and foreign-key cases: a change to whole rows
    "duplicate city row": lambda t: {**t, "cities": t["cities"] + _csv([_rows(t["cities"])[1]])},
    "duplicate crosswalk composite key": lambda t: {**t, "crosswalk": t["crosswalk"] + _csv([_rows(t["crosswalk"])[3]])},
    "crosswalk key all empty": lambda t: {**t, "crosswalk": t["crosswalk"] + _csv([["", "", "Q1295"]])},
    "crosswalk key half empty": lambda t: {**t, "crosswalk": t["crosswalk"] + _csv([["dortmund-twinning", "", "Q1295"]])},
    "dangling partner": lambda t: edit(t, "partnerships", 0, "city_b_id", "Q4242"),
    "dangling partnership of an assertion": lambda t: edit(t, "assertions", 0, "partnership_id", "Q1--Q2--twinning"),
    "dangling image city": lambda t: edit(t, "images", 0, "city_id", "Q4242"),
    "a city removed: the cascade": lambda t: {**t, "cities": _csv([r for r in _rows(t["cities"]) if r[0] != "Q41604"])},
    "a partnership removed": lambda t: {**t, "partnerships": _csv([r for r in _rows(t["partnerships"])
                                                                   if r[0] != "Q908--Q1295--twinning"])},
    "several errors in one row": lambda t: edit(edit(edit(t, "partnerships", 0, "type", "x"), "partnerships", 0,
                                                     "start_year", "3000"), "partnerships", 0, "city_a_id", "Q9"),
    "unique and key together": lambda t: edit(t, "cities", 4, "city_id", _rows(t["cities"])[2][0]),
    "extra cell": lambda t: {**t, "images": t["images"] + b'"x"' + b',"y"' * 21 + b"\r\n"},
    "missing cells": lambda t: {**t, "crosswalk": t["crosswalk"] + b'"dortmund-twinning","zz"\r\n'},
    "blank row": lambda t: {**t, "crosswalk": t["crosswalk"] + b"\r\n" + _csv([["r", "k", "Q1295"]])},
    "renamed column": lambda t: {**t, "crosswalk": t["crosswalk"].replace(b'"local_key"', b'"key"', 1)},
    "empty table": lambda t: {**t, "images": _csv([_rows(t["images"])[0]])},
}


@pytest.mark.parametrize("case", list(KEYS))
def test_keys_foreign_keys_and_structure(dortmund, case):
    assert same(KEYS[case](dortmund)) or case == "empty table"


def test_a_table_of_another_structure_is_checked_up_to_a_bound(dortmund, monkeypatch):
    """A shifted header makes frictionless (which reads such a table) fail every row: the findings stop at the
    bound, with a finding that says so, instead of growing with the table."""
    monkeypatch.setattr("twindata.checks.reference.STRUCTURE_LIMIT", 25)
    rows = _rows(dortmund["cities"])
    shifted = {**dortmund, "cities": _csv([rows[0][1:]] + [r[1:] for r in rows[1:]] * 10)}
    found, _ = validate_tables(COMPILED, shifted)
    cities = [e for e in found if e.table == "cities"]
    assert len(cities) == 26 and cities[-1].rule == "error-limit"
    assert "reached error limit: 25" in cities[-1].line()
    unbounded = [e for e in frictionless_errors(COMPILED, shifted) if e.table == "cities"]
    assert len(unbounded) > 100 and {finding(e) for e in cities[:-1]} <= {finding(e) for e in unbounded}


def test_the_release_as_published_has_no_findings(dortmund):
    assert same(dortmund) == set()


CUSTOM = {"fields": [
    {"name": "code", "type": "string", "constraints": {"required": True, "minLength": 2, "maxLength": 3,
                                                        "pattern": "[A-Z]+"}},
    {"name": "part", "type": "integer", "constraints": {"unique": True, "enum": [1, 2, 3]}},
    {"name": "day", "type": "date", "constraints": {"minimum": "2000-01-01", "maximum": "2030-12-31"}},
    {"name": "share", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
    {"name": "ok", "type": "boolean", "constraints": {"required": True}}],
    "primaryKey": ["code", "part"], "missingValues": [""]}


@pytest.mark.parametrize("rows", [
    [["AB", "1", "2001-01-01", "0.5", "true"], ["AB", "1", "2001-01-01", "0.5", "false"]],
    [["A", "4", "1999-12-31", "1.5", ""], ["ABCD", "01", "2031-01-01", "-0", "0"]],
    [["ab", "2", "2000-01-01", "1", "1"], ["ÄB", "3", "2030-12-31", "0", "FALSE"], ["AB\n", "02", "", "", "True"]],
    [["", "", "", "", ""], ["  ", " 3", "2000-1-1", ".5", "false"]],
])
def test_constraints_the_published_schemas_do_not_use(rows):
    compiled = {"custom": compile_schema("custom", CUSTOM)}
    data = _csv([[f["name"] for f in CUSTOM["fields"]], *rows])
    fast, _ = validate_tables(compiled, {"custom": data})
    assert {finding(e) for e in fast} == {finding(e) for e in frictionless_errors(compiled, {"custom": data})}
    assert fast


@pytest.mark.parametrize("descriptor, message", [
    ({"fields": [{"name": "a", "type": "datetime"}]}, "type 'datetime'"),
    ({"fields": [{"name": "a", "type": "string", "constraints": {"exclusiveMinimum": 1}}]}, "constraint 'exclusiveMinimum'"),
    ({"fields": [{"name": "a", "type": "string", "format": "email"}]}, "format 'email'"),
    ({"fields": [{"name": "a", "type": "boolean", "trueValues": ["yes"]}]}, "property 'trueValues'"),
    ({"fields": [{"name": "a", "type": "string"}], "uniqueKeys": [["a"]]}, "property 'uniqueKeys'"),
    ({"fields": [{"name": "a", "type": "string", "constraints": {"pattern": "(?<=x)a"}}]}, "cannot be compiled"),
])
def test_what_the_compiler_does_not_support_is_refused_loudly(descriptor, message):
    with pytest.raises(TwindataError, match=message):
        compile_schema("t", descriptor)


VALUES = st.one_of(st.sampled_from(["", " ", "0", "-1", "1.0", "1e9", "true", "2024-02-29", "2023-02-29", "Q1",
                                    "Q1295", "http://x.org", "twinning", "=1+1", "\u202e", "\x00", "\ufeffQ1"]),
                   st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_of_dortmunds_tables(dortmund, data):
    tables = dict(dortmund)
    for _ in range(data.draw(st.integers(1, 3))):
        table = data.draw(st.sampled_from(["cities", "partnerships", "assertions", "crosswalk", "images"]))
        rows = _rows(tables[table])
        row = data.draw(st.integers(0, len(rows) - 2))
        field = data.draw(st.sampled_from(rows[0]))
        tables = edit(tables, table, row, field, data.draw(VALUES))
    same(tables)


def test_validate_checks_rows_without_frictionless_and_agrees_with_it_on_request(tmp_path):
    import subprocess
    import sys

    release = run_configured(load_settings(out=tmp_path)).publish.path
    code = ("import sys; from twindata.cli import main; code = main(['validate', sys.argv[1]]); "
            "assert 'frictionless' not in sys.modules; sys.exit(code)")
    fast = subprocess.run([sys.executable, "-c", code, str(release)], capture_output=True, text=True)
    assert fast.returncode == 0 and "valid (checksums and rows;" in fast.stdout, fast.stderr
    from conftest import cli

    reference = cli("validate", str(release), "--reference")
    assert reference.returncode == 0 and "frictionless agrees" in reference.stdout, reference.stderr


FRICTIONLESS_FIXTURES = {  # frictionless-py's own invalid data (tests/fixtures/frictionless-py), with schemas here
    "invalid": ("invalid.csv", {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
                                           {"name": "field3", "type": "integer"}, {"name": "name2", "type": "string"}],
                                "primaryKey": ["id"]}),
    "cities": ("linked-cities.csv", {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
                                                {"name": "next_id", "type": "integer"}], "primaryKey": ["id"],
                                     "foreignKeys": [{"fields": ["next_id"], "reference": {"resource": "cities",
                                                                                           "fields": ["id"]}}]}),
    "people": ("linked-people.csv", {"fields": [{"name": "label", "type": "integer"},
                                                {"name": "population", "type": "integer", "constraints": {"minimum": 3}}],
                                     "foreignKeys": [{"fields": ["label"], "reference": {"resource": "cities",
                                                                                         "fields": ["id"]}}]}),
    "zeros": ("leading-zeros.csv", {"fields": [{"name": "value", "type": "integer",
                                                "constraints": {"unique": True, "maximum": 2}}]}),
    "floats": ("floats.csv", {"fields": [{"name": "number", "type": "number",
                                          "constraints": {"maximum": 1.3, "enum": [1.1, 1.2, 1.3, 1.5]}}]}),
}


@pytest.mark.parametrize("names", [["invalid"], ["cities", "people"], ["zeros"], ["floats"]])
def test_frictionless_pys_own_invalid_data(names):
    from conftest import FIXTURES

    compiled = {n: compile_schema(n, {**FRICTIONLESS_FIXTURES[n][1], "missingValues": [""]}) for n in names}
    sources = {n: (FIXTURES / "frictionless-py" / FRICTIONLESS_FIXTURES[n][0]).read_bytes() for n in names}
    fast, _ = validate_tables(compiled, sources)
    assert {finding(e) for e in fast} == {finding(e) for e in frictionless_errors(compiled, sources)}
    assert fast
