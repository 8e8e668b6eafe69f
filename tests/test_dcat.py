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
from functools import cache

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
IN_SCHEME = {f"{EU}file-type/{t}": f"{EU}file-type" for t in ("CSV", "PARQUET", "ZIP")}
IN_SCHEME[f"{EU}data-theme/GOVE"] = f"{EU}data-theme"


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
# which the shape's own message says to ignore
KNOWN_WARNINGS = ("spdx:Checksum: spdx:algorithm SOLL folgendes Vokabular benutzen",
                  "dcat:Dataset: dcterms:spatial MUSS auf eine Klasse vom Typ dcterms:Location verweisen. Diese "
                  "Meldung kann ignoriert werden, wenn ein kontrolliertes Vokabular verwendet wird.")


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
