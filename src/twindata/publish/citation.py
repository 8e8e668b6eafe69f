"""What a release says about itself (``ReleaseInfo``: its metadata, version, time, content checksum, provenance,
tables and files) and how to cite it: ``CITATION.cff`` (Citation File Format 1.2.0), the plain-text citation and
the BibTeX entry, each naming the version and its content checksum (and the DOI, once the publisher mints one)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa


@dataclass
class ReleaseFile:
    path: str
    format: str
    bytes: int
    sha256: str
    rows: int | None = None


@dataclass
class ReleaseInfo:
    """What the pages and the citation of one release say."""

    metadata: dict
    version: str
    created: str
    content_sha256: str
    provenance: dict
    tables: dict[str, pa.Table]
    schemas: dict[str, dict]
    files: list[ReleaseFile]
    changelog: str

    @property
    def name(self) -> str:
        return self.metadata["name"]

    @property
    def zip_name(self) -> str:
        return f"{self.name}-{self.version}.zip"


def authors(metadata: dict) -> list[str]:
    """Who to credit: the package's contributors, rights holders first, then creators and the others."""
    order = {"rightsHolder": 0, "creator": 1}
    people = sorted(metadata.get("contributors") or [], key=lambda c: min(order.get(r, 2) for r in c.get("roles", [""])))
    return [c["title"] for c in people if c.get("title")] or ["twindata contributors"]


def licence_names(metadata: dict) -> list[str]:
    return [lic.get("name") or lic.get("path", "") for lic in metadata.get("licenses", [])]


def citation_text(info: ReleaseInfo) -> str:
    doi = info.metadata.get("doi")
    where = f"https://doi.org/{doi}" if doi else info.metadata.get("homepage", "")
    return (f"{'; '.join(authors(info.metadata))} ({info.created[:4]}). {info.metadata['title']} (version "
            f"{info.version}) [Data set]. {where + '. ' if where else ''}Content sha256 {info.content_sha256}.")


def bibtex(info: ReleaseInfo) -> str:
    key = f"{info.name}-{info.version}".replace(".", "-")
    fields = [("title", _bib(info.metadata["title"])),
              ("author", " and ".join(f"{{{_bib(a)}}}" for a in authors(info.metadata))),
              ("year", info.created[:4]), ("version", info.version), ("howpublished", "Data package (CSV, Parquet)"),
              ("url", info.metadata.get("homepage")), ("doi", info.metadata.get("doi")),
              ("note", f"Content sha256 {info.content_sha256}")]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{key},\n{body}\n}}\n"


def _bib(value: str) -> str:
    """A value as BibTeX text: its special characters escaped."""
    return "".join(f"\\{c}" if c in "&%$#_{}" else c for c in str(value))


def citation_cff(info: ReleaseInfo) -> bytes:
    """CITATION.cff (Citation File Format 1.2.0) of the release, as JSON (a YAML subset) so any YAML reader takes it."""
    cff = {"cff-version": "1.2.0", "message": "If you use this data, please cite it as below.", "type": "dataset",
           "title": info.metadata["title"], "version": info.version, "date-released": info.created[:10],
           "authors": [{"name": a} for a in authors(info.metadata)],
           "license": licence_names(info.metadata)[0] if len(licence_names(info.metadata)) == 1 else licence_names(info.metadata),
           "abstract": info.metadata.get("description", ""),
           "identifiers": ([{"type": "doi", "value": info.metadata["doi"]}] if info.metadata.get("doi") else []) +
                          [{"type": "other", "value": f"sha256:{info.content_sha256}",
                            "description": "content checksum of the release (twindata content_sha256)"}]}
    if info.metadata.get("homepage"):
        cff["url"] = info.metadata["homepage"]
    return (json.dumps(cff, indent=2, ensure_ascii=False) + "\n").encode()
