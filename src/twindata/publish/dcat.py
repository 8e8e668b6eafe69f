"""DCAT-AP.de 3.0 metadata of a package, for open-data portals (GovData, any CKAN with ckanext-dcat): a catalogue,
one dataset for the package with one dataset per version (``dcat:hasVersion``), one distribution per file, made with
rdflib and written as Turtle and JSON-LD.

``dcat_graph(package, base_url)`` takes the package as ``twindata.publish.pages.dcat_package`` gives it:

    name, title, description, keywords, homepage            the package
    licence: {name: SPDX id, attribution}                    the licence of its files and the text to credit
    publisher: {name, url}, contact: {name, url | email}     dct:publisher (foaf:Agent), dcat:contactPoint (vcard:Kind)
    municipality_key                                         Amtlicher Gemeindeschlüssel -> dct:spatial (its political
                                                             geocoding URI; 3.0 deprecates dcatde:politicalGeocodingURI)
    temporal: {start, end}                                   dct:temporal
    versions: [{version, created, path, files: [{path, format, bytes, sha256, title}]}], oldest first

IRIs: with ``base_url`` (the URL the package folder is served under) every IRI is absolute. Without one they are
relative to the package folder (``2.0.0/data/cities.csv``), and Turtle and JSON-LD readers resolve them against
where they read the file from: correct for the copy in the package folder; the copy in a release folder is the
package as of that release and names the same IRIs, so it is to be read with the package folder as base.
"""

from __future__ import annotations

import json

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's closed namespace lacks hasVersion and version)
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
THEME = URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE")  # government and public sector
LICENCES = {"CC-BY-4.0": "http://dcat-ap.de/def/licenses/cc-by/4.0",
            "CC-BY-SA-4.0": "http://dcat-ap.de/def/licenses/cc-by-sa/4.0",
            "CC0-1.0": "http://dcat-ap.de/def/licenses/cc-zero"}
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"


def _iri(base: str, path: str = "") -> URIRef:
    return URIRef(base + path)


def dcat_graph(package: dict, base_url: str | None = None) -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX),
                       ("dcatde", DCATDE), ("adms", ADMS)):
        g.bind(prefix, ns)
    base = f"{base_url.rstrip('/')}/{package['name']}/" if base_url else ""
    dataset, catalog = _iri(base, "#dataset"), _iri(base, "#catalog")
    publisher = _agent(g, package["publisher"], _iri(base, "#publisher"))
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(package["title"])))
    g.add((catalog, DCTERMS.description, Literal(package["description"])))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCAT.dataset, dataset))
    versions = package["versions"]
    _dataset(g, dataset, package["title"], package, publisher, versions[-1] if versions else None, base)
    if versions:
        g.add((dataset, DCTERMS.issued, _date_time(versions[0]["created"])))
    for v in versions:
        node = _iri(base, f"{v['path']}/#dataset")
        g.add((dataset, DCAT.hasVersion, node))
        _dataset(g, node, f"{package['title']} {v['version']}", package, publisher, v, base)
        g.add((node, DCTERMS.issued, _date_time(v["created"])))
    return g


def dcat_files(package: dict, base_url: str | None = None) -> dict[str, bytes]:
    """``dcat.ttl`` and ``dcat.jsonld`` of the package, the same bytes for the same package."""
    g = dcat_graph(package, base_url)
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
             base: str) -> None:
    """A dataset node: the package (with its latest version's files), or one version; its contact point and period
    are named after it (``…#dataset`` → ``…#contact``, ``…#temporal``)."""
    g.add((node, RDF.type, DCAT.Dataset))
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
    temporal = package.get("temporal")
    if temporal:
        period = _beside(node, "temporal")
        g.add((node, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(temporal["start"], datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(temporal["end"], datatype=XSD.date)))
    if version is None:
        return
    g.add((node, DCAT.version, Literal(version["version"])))  # owl:versionInfo is deprecated in DCAT-AP.de 3.0
    g.add((node, DCTERMS.modified, _date_time(version["created"])))
    for f in version["files"]:
        g.add((node, DCAT.distribution, _distribution(g, package, version, f, base)))


def _distribution(g: Graph, package: dict, version: dict, f: dict, base: str) -> URIRef:
    url = _iri(base, f"{version['path']}/{f['path']}")
    node = _iri(base, f"{version['path']}/{f['path']}#distribution")
    file_type, media = f["file_type"], f["media_type"]
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(f"{f['title']}, version {version['version']}")))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCTERMS.format, URIRef(FILE_TYPE + file_type)))
    g.add((node, DCAT.mediaType, URIRef(MEDIA_TYPE + media)))
    g.add((node, DCTERMS.license, URIRef(LICENCES[package["licence"]["name"]])))
    if package["licence"].get("attribution"):
        g.add((node, DCATDE.licenseAttributionByText, Literal(package["licence"]["attribution"])))
    g.add((node, DCTERMS.issued, _date_time(version["created"])))
    if f.get("bytes") is not None:
        g.add((node, DCAT.byteSize, Literal(f["bytes"], datatype=XSD.nonNegativeInteger)))
    checksum = _iri(base, f"{version['path']}/{f['path']}#sha256")
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
