"""Licences: the licences a package may be published under (``PACKAGE_LICENCES``: its SPDX id, the dcat-ap.de licence
IRI portals know it by and the title CKAN's licence register matches), and of pictures: SPDX ids of Commons licence
short names, which licences are free, and the attribution line a reuser copies. The policy that only freely licensed pictures are published is
``twindata.checks.policies.FreeLicences``, which the validation gate runs beside the Table Schemas.
"""

from __future__ import annotations

import re

from twindata.contract.text import web_url

PACKAGE_LICENCES = {  # SPDX id -> (dcat-ap.de licence IRI, the title CKAN's licence register matches)
    "CC-BY-4.0": ("http://dcat-ap.de/def/licenses/cc-by/4.0", "Creative Commons Attribution"),
    "CC-BY-SA-4.0": ("http://dcat-ap.de/def/licenses/cc-by-sa/4.0", "Creative Commons Attribution Share-Alike"),
    "CC0-1.0": ("http://dcat-ap.de/def/licenses/cc-zero", "Creative Commons CCZero"),
    "DL-DE-BY-2.0": ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", "Datenlizenz Deutschland Namensnennung 2.0"),
    "DL-DE-ZERO-2.0": ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "Datenlizenz Deutschland Zero 2.0"),
    "ODbL-1.0": ("http://dcat-ap.de/def/licenses/odbl", "Open Data Commons Open Database License (ODbL)"),
}

# Commons licence short names -> SPDX ids, where the version (and port) is explicit.
_SPDX = re.compile(r"^CC (BY(?:-SA|-NC|-ND|-NC-SA|-NC-ND)?) (\d\.\d)(?: ([a-z]{2}))?$", re.I)
_SPDX_FIXED = {"CC0": "CC0-1.0", "PUBLIC DOMAIN MARK": None, "GFDL": "GFDL-1.2-or-later", "FAL": None}
_FREE = re.compile(r"^(CC|PD|Public domain|FAL|Free Art|GFDL|ODbL|Attribution|Copyrighted free use|No restrictions)", re.I)
_NON_FREE = re.compile(r"\b(NC|ND|non-?commercial|no ?deriv)", re.I)  # CC BY-NC / BY-ND are not free licences


def spdx_id(name: str | None) -> str | None:
    """SPDX identifier of a Commons licence short name, or None where none exists or the version is unknown."""
    if not name:
        return None
    name = name.strip()
    if name.upper() in _SPDX_FIXED:
        return _SPDX_FIXED[name.upper()]
    m = _SPDX.match(name)
    if not m:
        return None
    spdx = f"CC-{m.group(1).upper()}-{m.group(2)}"
    return f"{spdx}-{m.group(3).upper()}" if m.group(3) else spdx


def is_free(name: str | None) -> bool:
    """Whether a licence short name is a free licence (reuse and changes allowed, commercial use included)."""
    return bool(name) and bool(_FREE.match(name)) and not _NON_FREE.search(name)


def is_public_domain(name: str | None, copyrighted: bool = True) -> bool:
    return not copyrighted or (name or "").upper().startswith(("PD", "PUBLIC DOMAIN", "CC0"))


def attribution_line(caption: str | None, author: str | None, source: str, licence: str | None,
                     licence_url: str | None, public_domain: bool = False) -> str:
    """A ready credit line: "Caption" by Author, Source, Licence (URL); a URL only where it is http(s)."""
    parts = [f'"{caption}"' + (f" by {author}" if author else "") if caption else (author or "")]
    parts.append(source)
    licence_text = "public domain" + (f" ({licence})" if licence else "") if public_domain else (licence or "")
    if web_url(licence_url) and not public_domain:
        licence_text += f" ({licence_url})"
    parts.append(licence_text)
    return ", ".join(p for p in parts if p)


def credited_source(credit: str | None, author: str | None) -> str:
    """Where a credited picture comes from: its credit without the author's name ("Wikimedia Commons / Emmanuel
    LEGRAND" -> "Wikimedia Commons")."""
    if not credit:
        return "Wikimedia Commons"
    if author and author in credit:
        credit = credit.replace(author, "").strip(" /,;-–")
    return credit or "Wikimedia Commons"
