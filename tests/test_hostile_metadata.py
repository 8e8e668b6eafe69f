"""Hostile input, third round: the package metadata (registry.json) and the settings hold the line the table cells
hold, through the same text rules; a registry whose metadata breaks them is refused in one line and nothing is
published."""

from __future__ import annotations

import json
import os

import pytest

from conftest import cli

CONTROLS = {"bidi override": "Town twinning \u202eof Dortmund", "isolate": "Town \u2066twinning",
            "terminal escape": "Town \x1b[31mtwinning", "NUL": "Town\x00twinning", "C1 NEL": "Town\x85twinning",
            "DEL": "Town\x7ftwinning", "paragraph separator": "Town\u2029twinning",
            "line break": "Town twinning\n", "formula": "=HYPERLINK(\"https://evil.example\")",
            "invisible": "Town\u200btwinning"}


def run_with(registry, tmp_path, change):
    metadata = json.loads((registry / "registry.json").read_text(encoding="utf-8"))
    change(metadata)
    (registry / "registry.json").write_text(json.dumps(metadata), encoding="utf-8")
    out = tmp_path / "out"
    return cli("run", "--registry", str(registry), "--out", str(out)), out


def refused(done, out, *said):
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    said_lines = [line for line in done.stderr.splitlines() if line.startswith("twindata:")]
    assert len(said_lines) == 1 and "registry.json" in said_lines[0]
    for word in said:
        assert word in done.stderr, done.stderr
    assert not (out / "dortmund-twinning" / "2.0.0").exists()  # nothing published


@pytest.mark.parametrize("kind", list(CONTROLS))
@pytest.mark.parametrize("field", ["title", "description", "title_de", "publisher.name", "contributors[0].title"])
def test_dangerous_text_in_package_metadata_is_refused(registry_copy, tmp_path, kind, field):
    value = CONTROLS[kind]
    if field == "description" and kind == "line break":
        pytest.skip("a description is prose: a line break is text there")

    def change(m):
        if "." in field:
            head, tail = field.split(".")
            target = m["contributors"][0] if head.startswith("contributors") else m[head]
            target[tail] = value
        else:
            m[field] = value

    done, out = run_with(registry_copy, tmp_path, change)
    refused(done, out, field)
    assert "\x1b" not in done.stderr and "\u202e" not in done.stderr  # shown escaped, never acting on the terminal


def test_a_lone_surrogate_in_the_title_is_one_line(registry_copy, tmp_path):
    (registry_copy / "registry.json").write_text(
        (registry_copy / "registry.json").read_text(encoding="utf-8").replace(
            '"title": "Town twinning of Dortmund"', '"title": "Town \\ud800twinning"'), encoding="utf-8")
    done = cli("run", "--registry", str(registry_copy), "--out", str(tmp_path / "out"))
    refused(done, tmp_path / "out", "lone surrogate")


@pytest.mark.parametrize("field, value, said", [
    ("homepage", "https://www.dortmund.de/a b", "homepage"),
    ("homepage", 'https://www.dortmund.de/"onmouseover="x', "homepage"),
    ("homepage", "https://www.dortmund.de/>", "homepage"),
    ("publisher", {"name": "Stadt Dortmund", "url": "https://www.dortmund.de/ x"}, "publisher.url"),
    ("contact", {"name": "X", "email": "x>@example.org"}, "contact.email"),
    ("contact", {"name": "X", "email": "x@example.org\n"}, "contact.email"),
    ("municipality_key", "05913000\n", "municipality_key"),
    ("doi", "10.5281/zenodo.1},title={Forged},x={", "doi"),
    ("title", "x" * 20_000, "title"),
])
def test_a_url_email_key_or_doi_is_checked_whole(registry_copy, tmp_path, field, value, said):
    done, out = run_with(registry_copy, tmp_path, lambda m: m.__setitem__(field, value))
    refused(done, out, said)


@pytest.mark.parametrize("licences", [[{"name": "GPL-3.0"}], [{"path": "https://creativecommons.org/licenses/by/4.0/"}]])
def test_a_licence_portals_cannot_name_is_one_line(registry_copy, tmp_path, licences):
    done, out = run_with(registry_copy, tmp_path, lambda m: m.__setitem__("licenses", licences))
    refused(done, out, "licenses[0].name", "CC-BY-4.0")


@pytest.mark.parametrize("licence, iri", [("DL-DE-BY-2.0", "http://dcat-ap.de/def/licenses/dl-by-de/2.0"),
                                          ("ODbL-1.0", "http://dcat-ap.de/def/licenses/odbl")])
def test_datenlizenz_deutschland_and_odbl_publish_with_their_dcat_licence(registry_copy, tmp_path, licence, iri):
    done, out = run_with(registry_copy, tmp_path, lambda m: m.__setitem__("licenses", [{"name": licence}]))
    assert done.returncode == 0, done.stderr
    assert iri in (out / "dortmund-twinning" / "dcat.ttl").read_text(encoding="utf-8")


def test_a_registry_with_only_its_required_fields_needs_a_contact(registry_copy, tmp_path):
    def strip(m):
        for key in [k for k in m if k not in ("name", "title", "city_ids", "licenses")]:
            del m[key]

    done, out = run_with(registry_copy, tmp_path, strip)
    refused(done, out, "contact", "homepage is not given")


@pytest.mark.parametrize("url, why", [
    ("https://example.org/{x}", "quotes or <>{}"), ('https://example.org/"x', "quotes"),
    ("https://example.org/<x>", "quotes or <>{}"), ("https://example.org/a\\b", "quotes or <>{}"),
    ("https://example.org/?page=2", "query or fragment"), ("https://example.org/r#top", "query or fragment"),
    ("https://example.org/a/../b/", "'..'"), ("https://user:secret@example.org/", "password"),
    ("javascript:alert(1)", "http(s) URL"), ("https://example.org/\u202e", "bidirectional"),
])
def test_a_base_url_that_would_publish_wrong_or_secret_urls_is_one_line(tmp_path, url, why):
    done = cli("run", "--out", str(tmp_path / "out"), env={**os.environ, "TWINDATA_BASE_URL": url})
    assert done.returncode == 1 and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "base_url" in done.stderr.lower() and why in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_formula_or_nul_name_in_the_world_inputs_holds_its_row_back_not_the_release(tmp_path):
    from twindata.checks.gate import run_gate
    from twindata.contract.tables import CoreTables

    from test_world import reconcile, statement

    rows = [statement((None, "=HYPERLINK(\"http://x\")", "DE"), ("Q20", "Bb", "FR")),  # a label-only Wikidata row
            statement((None, "Nul\x00town", "DE"), ("Q40", "Dd", "FR")),
            statement(("Q50", "Ee", "DE"), ("Q60", "Ff", "FR"))]
    pairs = '"=cmd|\' /C calc\'!A0",Germany,Bergen,Norway\nOslo,Norway,"Rhe\u202eims",France\nAarhus,Denmark,Turku,Finland\n'
    frames, issues = reconcile(tmp_path, rows, pairs)
    from twindata.contract.issues import Issues

    gated = run_gate(CoreTables(frames, Issues()))  # the release is not blocked: the gate passes
    names = gated.tables["cities"].column("name").to_pylist()
    assert "Ee" in names and "Aarhus" in names
    assert not any(n.startswith(("=", "+", "-", "@")) or "\x00" in n or "\u202e" in n for n in names)
    held = issues[issues.kind == "quarantined_row"]
    assert len(held) == 4 and set(held.source) == {"wikidata", "wikipedia"}


def test_a_world_snapshot_edited_consistently_is_not_published_under_its_old_id(tmp_path):
    from twindata.contract.errors import SourceError
    from twindata.contract.files import sha256_file
    from twindata.sources.extracts import read_world_snapshot

    from test_world import snapshot, statement

    folder = snapshot(tmp_path / "snap", [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR"))])
    assert read_world_snapshot(folder).snapshot_id.startswith("world-")
    part = folder / "wikidata" / "XX.csv"
    part.write_text(part.read_text(encoding="utf-8").replace("Aa", "Forged"), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["sha256"] = sha256_file(part)  # one row changed, its file's sha256 updated, the id kept
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SourceError, match="snapshot_id .* is not the one its files' checksums give"):
        read_world_snapshot(folder)


@pytest.mark.parametrize("files", [["wikidata/XX.csv"], [7], [{"path": "wikidata/XX.csv", "sha256": "0", "partition": 7}],
                                   "x", None])
def test_a_world_manifest_of_the_wrong_shape_is_one_line(tmp_path, files):
    from twindata.contract.errors import SourceError
    from twindata.sources.extracts import read_world_snapshot

    from test_world import snapshot, statement

    folder = snapshot(tmp_path / "snap", [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR"))])
    (folder / "manifest.json").write_text(json.dumps({"snapshot_id": "world-0", "files": files}))
    with pytest.raises(SourceError, match="not a world snapshot manifest"):
        read_world_snapshot(folder)
