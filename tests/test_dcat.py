"""DCAT-AP.de for portals: every package's dcat.ttl passes the DCAT-AP 3.0 + DCAT-AP.de 3.0 SHACL shapes GovData
validates with (tests/fixtures/dcat-ap-de-shacl), and GovData's own known-bad examples fail them, so the check can
fail.

Offline, the shapes' owl:imports of the EU authority tables cannot be fetched; the controlled-vocabulary shapes check
``skos:inScheme`` of each concept, so the shapes graph gets, for each concept URI the package uses, the one triple
``<concept> skos:inScheme <scheme>`` that the EU table states (file types CSV, PARQUET, ZIP in the file-type table;
GOVE in the data-theme table). The dcat-ap.de licence vocabulary is loaded from its file.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH, SKOS

from twindata.publish import dcat

from conftest import FIXTURES, cli

SHAPES = FIXTURES / "dcat-ap-de-shacl"
GOVDATA_SET = ["dcat-ap-SHACL.ttl", "dcat-ap-de-imports.ttl", "dcat-ap-SHACL-DE.ttl", "dcat-ap-de-deprecated.ttl",
               "dcat-ap-spec-german-additions.ttl", "dcat-ap-de-controlledvocabularies.ttl"]
EU = "http://publications.europa.eu/resource/authority/"
IN_SCHEME = {f"{EU}file-type/{t}": f"{EU}file-type" for t in ("CSV", "PARQUET", "ZIP", "XML")}
IN_SCHEME[f"{EU}data-theme/GOVE"] = f"{EU}data-theme"
IN_SCHEME[f"{EU}language/ENG"] = f"{EU}language"  # the EU tables the metadata's language and periodicity name
IN_SCHEME[f"{EU}frequency/IRREG"] = f"{EU}frequency"
IN_SCHEME["http://dcat-ap.de/def/contributors/transparenzportalHamburg"] = "http://dcat-ap.de/def/contributors"


@cache
def govdata_shapes() -> Graph:
    """The shapes as GovData's validator loads them (validator type v30_de_spec)."""
    g = Graph()
    for name in GOVDATA_SET:
        g.parse(SHAPES / name, format="turtle")
    return g


@cache
def vocabularies() -> Graph:
    """What the shapes' imports would bring: the dcat-ap.de licence vocabulary, and the offline stand-ins for the
    EU tables."""
    g = Graph().parse(SHAPES / "dcat-ap-de-licenses-open.rdf", format="xml")
    for concept, scheme in IN_SCHEME.items():
        g.add((URIRef(concept), SKOS.inScheme, URIRef(scheme)))
    return g


def violations(data: Graph, severity=SH.Violation) -> list[str]:
    """The messages of GovData's shapes on ``data`` (with the vocabularies its imports bring) of one severity."""
    merged = Graph()
    for triple in data:
        merged.add(triple)
    for triple in vocabularies():
        merged.add(triple)
    _, report, _ = validate(merged, shacl_graph=govdata_shapes(), inference="none", allow_warnings=True)
    return sorted(str(report.value(r, SH.resultMessage)) for r in report.subjects(SH.resultSeverity, severity))


# warnings that say nothing against the package: the SPDX ontology that puts the sha256 algorithm in its vocabulary is
# one of the imports not at hand offline; dct:spatial names a political geocoding URI of the dcat-ap.de vocabulary,
# which the shape's own message says to ignore (on the series as on each version); owl:versionInfo is deprecated in
# DCAT-AP.de 3.0 but is where DCAT-AP 2 readers (ckanext-dcat's euro_dcat_ap_2) find the version, beside dcat:version
SPATIAL = (" dcterms:spatial MUSS auf eine Klasse vom Typ dcterms:Location verweisen. Diese Meldung kann ignoriert "
           "werden, wenn ein kontrolliertes Vokabular verwendet wird.")
KNOWN_WARNINGS = ("spdx:Checksum: spdx:algorithm SOLL folgendes Vokabular benutzen", "dcat:Dataset:" + SPATIAL,
                  "dcat:DatasetSeries:" + SPATIAL, "Deprecated: owl:versionInfo soll nicht mehr verwendet werden.")


def warnings(data: Graph) -> list[str]:
    return [w for w in violations(data, SH.Warning) if not w.startswith(KNOWN_WARNINGS)]


def package(**more) -> dict:
    media = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "zip": "application/zip"}
    files = [{"path": f"data/{t}.{ext}", "format": ext, "bytes": 1000 + i, "sha256": f"{i:064x}", "title": f"{t} ({ext})",
              "media_type": media[ext], "file_type": ext.upper()}
             for i, (t, ext) in enumerate((t, e) for e in ("csv", "parquet") for t in ("cities", "partnerships"))]
    files.append({"path": "dortmund-twinning-2.0.1.zip", "format": "zip", "bytes": 5000, "sha256": "f" * 64,
                  "title": "every file (zip)", "media_type": media["zip"], "file_type": "ZIP"})
    return {"name": "dortmund-twinning", "title": "Town twinning of Dortmund", "description": "Partnerships.",
            "keywords": ["town twinning"], "homepage": "https://www.dortmund.de/themen/internationales/staedtepartnerschaften/",
            "licence": {"name": "CC-BY-4.0", "attribution": "Stadt Dortmund; twindata contributors"},
            "publisher": {"name": "Stadt Dortmund", "url": "https://www.dortmund.de/"},
            "contact": {"name": "Stadt Dortmund", "url": "https://www.dortmund.de/themen/internationales/staedtepartnerschaften/"},
            "municipality_key": "05913000", "temporal": {"start": "1960-01-01", "end": "2025-12-31"},
            "versions": [{"version": "2.0.0", "created": "2026-11-01T08:00:00Z", "path": "2.0.0", "files": files[:4]},
                         {"version": "2.0.1", "created": "2026-11-28T08:00:00Z", "path": "2.0.1", "files": files}],
            **more}


@pytest.mark.parametrize("base_url", [None, "https://opendata.example.org/releases/"])
def test_a_registry_package_has_no_violations(base_url):
    data = Graph().parse(data=dcat.dcat_files(package(), base_url)["dcat.ttl"], format="turtle",
                         publicID="https://portal.example.org/dortmund-twinning/")
    assert violations(data) == [] and warnings(data) == []
    downloads = {str(o) for o in data.objects(None, URIRef("http://www.w3.org/ns/dcat#downloadURL"))}
    prefix = "https://opendata.example.org/releases/" if base_url else "https://portal.example.org/"
    assert f"{prefix}dortmund-twinning/2.0.1/data/cities.csv" in downloads


def test_govdatas_contributor_id_is_on_the_series_and_every_version():
    hamburg = "http://dcat-ap.de/def/contributors/transparenzportalHamburg"  # from GovData's own test cases
    data = Graph().parse(data=dcat.dcat_files(package(contributor_id=hamburg))["dcat.ttl"], format="turtle",
                         publicID="https://portal.example.org/dortmund-twinning/")
    assert violations(data) == [] and warnings(data) == []
    carriers = set(data.subjects(URIRef("http://dcat-ap.de/def/dcatde/contributorID"), URIRef(hamburg)))
    assert len(carriers) == 3  # the series and its two versions
    plain = Graph().parse(data=dcat.dcat_files(package())["dcat.ttl"], format="turtle", publicID="https://x.example/")
    assert not set(plain.objects(None, URIRef("http://dcat-ap.de/def/dcatde/contributorID")))


@pytest.mark.parametrize("licence", ["CC-BY-SA-4.0", "CC0-1.0"])
def test_the_world_package_has_no_violations(licence):
    world = package(name="world-twinning", municipality_key=None,
                    licence={"name": licence, "attribution": "twindata contributors; Wikidata contributors"},
                    publisher={"name": "twindata contributors", "url": "https://github.com/twindata/twindata"})
    data = Graph().parse(data=dcat.dcat_files(world)["dcat.ttl"], format="turtle", publicID="https://x.example/")
    assert violations(data) == [] and warnings(data) == []


def test_json_ld_is_the_same_graph_and_the_bytes_are_the_same_each_time():
    files = dcat.dcat_files(package(), "https://opendata.example.org/releases/")
    assert files == dcat.dcat_files(package(), "https://opendata.example.org/releases/")
    turtle = Graph().parse(data=files["dcat.ttl"], format="turtle")
    jsonld = Graph().parse(data=files["dcat.jsonld"], format="json-ld")
    assert isomorphic(turtle, jsonld)


def test_govdatas_known_bad_example_fails_the_shapes():
    bad = violations(Graph().parse(SHAPES / "testcases" / "rewritten-example-simple.ttl", format="turtle"))
    assert len(bad) == 3  # publisher not a foaf:Agent, contact point not a vcard:Kind, a dataset without publisher


def test_a_package_missing_what_govdata_needs_fails():
    data = dcat.dcat_graph(package())
    data.remove((None, URIRef("http://purl.org/dc/terms/publisher"), None))
    assert violations(data)


def test_every_release_carries_dcat_that_passes(tmp_path):
    out = tmp_path / "out"
    assert cli("run", "--out", str(out)).returncode == 0
    for path in (out / "dortmund-twinning" / "dcat.ttl", out / "dortmund-twinning" / "2.0.0" / "dcat.ttl"):
        data = Graph().parse(path, format="turtle", publicID=(out / "dortmund-twinning").as_uri() + "/")
        assert violations(data) == []
        assert URIRef("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05913000") in set(data.objects())
    sums = (out / "dortmund-twinning" / "2.0.0" / "SHA256SUMS").read_text()
    assert "dcat.ttl" in sums and "dcat.jsonld" in sums
    json.loads((out / "dortmund-twinning" / "2.0.0" / "dcat.jsonld").read_text())


HARVESTER = Path(__file__).resolve().parents[1] / ".venv-harvester" / "bin" / "python"


def harvest(path: Path, profile: str) -> list[dict]:
    """The datasets CKAN's harvester (ckanext-dcat's RDF parser, in its own environment) reads from a DCAT file."""
    done = subprocess.run([str(HARVESTER), str(Path(__file__).parent / "harvester" / "parse.py"), str(path), profile],
                          capture_output=True, text=True, timeout=300, cwd=path.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not HARVESTER.exists(), reason=".ci/run installs the harvester (tests/harvester/requirements.txt) "
                                                 "into .venv-harvester")
def test_ckan_harvests_one_dataset_per_version_with_every_file_fetchable(registry_copy, tmp_path):
    import functools
    import threading
    import urllib.request
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    out = tmp_path / "releases"
    out.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    env = {**os.environ, "TWINDATA_BASE_URL": base}
    try:
        assert cli("run", "--registry", str(registry_copy), "--out", str(out), env=env).returncode == 0
        notes = registry_copy / "partnerships.csv"
        notes.write_text(notes.read_text(encoding="utf-8").replace("oldest partnership", "first partnership"),
                         encoding="utf-8")
        assert cli("run", "--registry", str(registry_copy), "--out", str(out), env=env).returncode == 0
        package = out / "dortmund-twinning"
        versions = json.loads((package / "versions.json").read_text(encoding="utf-8"))["versions"]
        assert [v["version"] for v in versions] == ["2.0.0", "2.0.1"]
        for path in (package / "dcat.ttl", package / "dcat.jsonld", package / "2.0.1" / "dcat.ttl"):
            for profile in ("euro_dcat_ap_3", "euro_dcat_ap_2"):
                datasets = harvest(path, profile)
                assert sorted(d["version"] for d in datasets) == ["2.0.0", "2.0.1"], (path, profile)
                for d in datasets:
                    own = json.loads((package / d["version"] / "datapackage.json").read_text(encoding="utf-8"))
                    assert len(d["resources"]) == len(own["resources"]) + 1  # every file of that version, and its zip
                    assert d["license_id"] == "cc-by" and d["extras"]["identifier"] == f"dortmund-twinning/{d['version']}"
                    assert d["extras"]["publisher_name"] == "Stadt Dortmund" and d["extras"]["contact_name"]
                    for r in d["resources"]:
                        assert r["url"].startswith(base), r["url"]
                        with urllib.request.urlopen(r["url"], timeout=30) as answer:
                            assert answer.status == 200
    finally:
        server.shutdown()
