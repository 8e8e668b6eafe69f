"""DCAT-AP.de 3.0 metadata of a package, for open-data portals (GovData, any CKAN with ckanext-dcat): a catalogue,
the package as a ``dcat:DatasetSeries`` and each version as one ``dcat:Dataset`` in it (``dcat:inSeries``) with one
distribution per file, so that a harvester gets every file once; made with rdflib, written as Turtle and JSON-LD.

``dcat_graph(package, base_url, at)`` takes the package as ``twindata.publish.catalogue.dcat_package`` gives it:

    name, title, description, keywords, homepage            the package
    licence: {name: SPDX id, attribution}                    the licence of its files and the text to credit
    publisher: {name, url}, contact: {name, url | email}     dct:publisher (foaf:Agent), dcat:contactPoint (vcard:Kind)
    municipality_key                                         Amtlicher Gemeindeschlüssel -> dct:spatial
    contributor_id                                           GovData's id of the delivering body -> dcatde:contributorID
    temporal: {start, end}                                   dct:temporal
    versions: [{version, created, path, files: [{path, format, bytes, sha256, title}]}], oldest first

IRIs: with ``base_url`` (the URL the releases folder is served under) every IRI is absolute, and that is what a
harvester needs (ckanext-dcat parses the text it fetched, without the file's address). Without one, each file's IRIs
are relative to where that file lies (``at``: the package folder, or a release folder inside it), so a reader that
resolves them against the file's own address gets the right ones; the run warns that portals need the base URL.
"""

from __future__ import annotations

import json

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from twindata.contract.licences import PACKAGE_LICENCES

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's closed namespace lacks hasVersion and version)
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
THEME = URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE")  # government and public sector
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
LANGUAGE = URIRef("http://publications.europa.eu/resource/authority/language/ENG")  # of the metadata and columns
IRREGULAR = URIRef("http://publications.europa.eu/resource/authority/frequency/IRREG")  # a release when data change
OWL_VERSION = URIRef("http://www.w3.org/2002/07/owl#versionInfo")  # what DCAT-AP 2 readers take the version from


class _Place:
    """IRIs of a package's files as one DCAT file names them: absolute under the base URL, else relative to the
    folder the DCAT file lies in (``at``, a path inside the package folder such as ``2.0.0/``; empty for the package
    folder itself)."""

    def __init__(self, name: str, base_url: str | None, at: str = ""):
        self.base = f"{base_url.rstrip('/')}/{name}/" if base_url else ""
        self.at = at

    def __call__(self, path: str = "") -> URIRef:
        if self.base or not self.at:
            return URIRef(self.base + path)
        if path.startswith(self.at):
            return URIRef(path[len(self.at):])
        return URIRef("../" * self.at.count("/") + path)


def dcat_graph(package: dict, base_url: str | None = None, at: str = "") -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX),
                       ("dcatde", DCATDE), ("adms", ADMS), ("owl", Namespace("http://www.w3.org/2002/07/owl#"))):
        g.bind(prefix, ns)
    iri = _Place(package["name"], base_url, at)
    series, catalog = iri("#series"), iri("#catalog")
    publisher = _agent(g, package["publisher"], iri("#publisher"))
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(package["title"])))
    g.add((catalog, DCTERMS.description, Literal(package["description"])))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCTERMS.language, LANGUAGE))
    versions = package["versions"]
    _dataset(g, series, package["title"], package, publisher, None, iri, DCAT.DatasetSeries)
    g.add((series, DCTERMS.identifier, Literal(package["name"])))
    if versions:
        g.add((series, DCTERMS.issued, _date_time(versions[0]["created"])))
        g.add((series, DCTERMS.modified, _date_time(versions[-1]["created"])))
    for v in versions:
        node = iri(f"{v['path']}/#dataset")
        g.add((catalog, DCAT.dataset, node))
        _dataset(g, node, f"{package['title']} {v['version']}", package, publisher, v, iri, DCAT.Dataset)
        g.add((node, DCAT.inSeries, series))
        g.add((node, DCTERMS.identifier, Literal(f"{package['name']}/{v['version']}")))
        g.add((node, DCTERMS.issued, _date_time(v["created"])))
    return g


def dcat_files(package: dict, base_url: str | None = None, at: str = "") -> dict[str, bytes]:
    """``dcat.ttl`` and ``dcat.jsonld`` of the package as the file at ``at`` names it, the same bytes for the same
    package."""
    g = dcat_graph(package, base_url, at)
    turtle = g.serialize(format="turtle", encoding="utf-8")
    jsonld = json.dumps(_stable(json.loads(g.serialize(format="json-ld"))), indent=1, sort_keys=True, ensure_ascii=False)
    return {"dcat.ttl": turtle, "dcat.jsonld": (jsonld + "\n").encode()}


def _stable(node):
    """JSON-LD in one order: arrays (unordered sets of values in JSON-LD) sorted by their members' JSON."""
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items()}
    if isinstance(node, list):
        return sorted((_stable(v) for v in node), key=lambda v: json.dumps(v, sort_keys=True))
    return node


def _dataset(g: Graph, node: URIRef, title: str, package: dict, publisher: URIRef, version: dict | None,
             iri: _Place, kind: URIRef) -> None:
    """A dataset node: the package's series, or one version with its files; its contact point and period are named
    after it (``…#dataset`` → ``…#contact``, ``…#temporal``)."""
    g.add((node, RDF.type, kind))
    g.add((node, DCTERMS.language, LANGUAGE))
    g.add((node, DCTERMS.accrualPeriodicity, IRREGULAR))
    g.add((node, DCTERMS.title, Literal(title)))
    g.add((node, DCTERMS.description, Literal(package["description"])))
    g.add((node, DCTERMS.publisher, publisher))
    g.add((node, DCAT.contactPoint, _contact(g, package["contact"], _beside(node, "contact"))))
    g.add((node, DCAT.theme, THEME))
    for word in package.get("keywords", []):
        g.add((node, DCAT.keyword, Literal(word)))
    if package.get("homepage"):
        g.add((node, DCAT.landingPage, URIRef(package["homepage"])))
    if package.get("municipality_key"):  # DCAT-AP.de 3.0: dct:spatial (dcatde:politicalGeocodingURI is deprecated)
        g.add((node, DCTERMS.spatial, URIRef(GEOCODING + package["municipality_key"])))
    if package.get("contributor_id"):
        g.add((node, DCATDE.contributorID, URIRef(package["contributor_id"])))
    temporal = package.get("temporal")
    if temporal:
        period = _beside(node, "temporal")
        g.add((node, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(temporal["start"], datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(temporal["end"], datatype=XSD.date)))
    if version is None:
        return
    g.add((node, DCAT.version, Literal(version["version"])))
    g.add((node, OWL_VERSION, Literal(version["version"])))  # deprecated in DCAT-AP.de 3.0, read by DCAT-AP 2
    g.add((node, DCTERMS.modified, _date_time(version["created"])))
    for f in version["files"]:
        g.add((node, DCAT.distribution, _distribution(g, package, version, f, iri)))


def _distribution(g: Graph, package: dict, version: dict, f: dict, iri: _Place) -> URIRef:
    url = iri(f"{version['path']}/{f['path']}")
    node = iri(f"{version['path']}/{f['path']}#distribution")
    file_type, media = f["file_type"], f["media_type"]
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(f"{f['title']}, version {version['version']}")))
    g.add((node, DCTERMS.identifier, Literal(f"{package['name']}/{version['version']}/{f['path']}")))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCTERMS.format, URIRef(FILE_TYPE + file_type)))
    g.add((node, DCAT.mediaType, URIRef(MEDIA_TYPE + media)))
    iri_of, title = PACKAGE_LICENCES[package["licence"]["name"]]
    licence = URIRef(iri_of)
    g.add((node, DCTERMS.license, licence))
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, DCTERMS.title, Literal(title)))
    if package["licence"].get("attribution"):
        g.add((node, DCATDE.licenseAttributionByText, Literal(package["licence"]["attribution"])))
    g.add((node, DCTERMS.issued, _date_time(version["created"])))
    if f.get("bytes") is not None:
        g.add((node, DCAT.byteSize, Literal(f["bytes"], datatype=XSD.nonNegativeInteger)))
    checksum = iri(f"{version['path']}/{f['path']}#sha256")
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(f["sha256"], datatype=XSD.hexBinary)))
    return node


def _beside(node: URIRef, fragment: str) -> URIRef:
    return URIRef(str(node).rsplit("#", 1)[0] + "#" + fragment)


def _agent(g: Graph, agent: dict, fallback: URIRef) -> URIRef:
    node = URIRef(agent["url"]) if agent.get("url") else fallback
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(agent["name"])))
    return node


def _contact(g: Graph, contact: dict, node: URIRef) -> URIRef:
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, VCARD.fn, Literal(contact["name"])))
    if contact.get("url"):
        g.add((node, VCARD.hasURL, URIRef(contact["url"])))
    if contact.get("email"):
        g.add((node, VCARD.hasEmail, URIRef(f"mailto:{contact['email']}")))
    return node


def _date_time(stamp: str) -> Literal:
    return Literal(stamp.replace("Z", "+00:00") if stamp.endswith("Z") else stamp, datatype=XSD.dateTime)
