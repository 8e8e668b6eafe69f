"""Country names as the sources write them → ISO 3166-1 alpha-2 codes, and nothing else.

The assigned codes, names and official names are pycountry's (ISO 3166-1). On top of them: the English names that
Wikidata labels and Wikipedia's lists use for an assigned country (``ALIASES``), the constituent countries of the
United Kingdom, and the states that no assigned code stands for, named as historical (ISO 3166-3, or a state that
ended) or unrecognised. A name that is none of these, a misspelling included, stays unknown: never a guess.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import pycountry

ALIASES = {
    "Russia": "RU", "Turkey": "TR", "Republic of Ireland": "IE", "Georgia (country)": "GE", "Cape Verde": "CV",
    "Ivory Coast": "CI", "São Tomé and Príncipe": "ST", "Sao Tomé and Príncipe": "ST", "East Timor": "TL",
    "Democratic Republic of the Congo": "CD", "Falkland Islands": "FK", "Brunei": "BN", "Micronesia": "FM",
    "Swaziland": "SZ", "Republic of Macedonia": "MK", "Kingdom of the Netherlands": "NL", "Vatican City": "VA",
    "Macau": "MO", "Burma": "MM", "The Gambia": "GM", "The Bahamas": "BS", "Bosnia and Hercegovina": "BA",
    "Palestine": "PS", "Palestinian National Authority": "PS", "Palestinian territories": "PS", "Gaza Strip": "PS",
    "West Bank": "PS", "State of Palestine": "PS",
    # the constituent countries of the United Kingdom
    "England": "GB", "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB",
}
HISTORICAL = {"Austria-Hungary", "Austrian Empire", "Kingdom of Hungary", "Prussia", "Soviet Union", "Yugoslavia",
              "Czechoslovakia", "East Germany", "West Germany", "Serbia and Montenegro", "Ottoman Empire",
              "Mandatory Palestine"}
UNRECOGNISED = {"Kosovo", "Northern Cyprus", "Transnistria", "Somaliland", "Luhansk People's Republic",
                "Donetsk People's Republic", "Abkhazia", "South Ossetia", "Artsakh", "Republic of Artsakh"}


@dataclass(frozen=True)
class Country:
    """What a country string says: an assigned code, or why there is none (historical, unrecognised, unknown)."""

    code: str | None
    status: str  # "assigned", "historical", "unrecognised" or "unknown"
    given: str


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if getattr(c, attr, None):
                names[_fold(getattr(c, attr))] = c.alpha_2
        names[_fold(c.alpha_2)] = c.alpha_2
    names.update({_fold(k): v for k, v in ALIASES.items()})
    return names


@cache
def _unrecognised() -> set[str]:
    return {_fold(n) for n in UNRECOGNISED}


@cache
def _historic() -> set[str]:
    return {_fold(n) for n in HISTORICAL} | {_fold(c.name) for c in pycountry.historic_countries}


@cache
def country(given: str | None) -> Country:
    """The country of a source's string: an assigned alpha-2 code (``"DE"``, ``"Germany"``, ``"England"``) or a
    status saying why not. A sub-national prefix (``"New York, United States"``, ``"England, United Kingdom"``) is
    read by its last part, as Wikipedia's lists write it."""
    text = (given or "").strip()
    last = text.rsplit(",", 1)[-1].strip()
    for candidate in (text, last):
        code = _names().get(_fold(candidate))
        if code and (len(candidate) != 2 or candidate == code):
            return Country(code, "assigned", text)
    if _fold(last) in _historic():
        return Country(None, "historical", text)
    if _fold(last) in _unrecognised():
        return Country(None, "unrecognised", text)
    return Country(None, "unknown", text)


def is_assigned(code: str) -> bool:
    """Whether a two-letter code is an assigned ISO 3166-1 alpha-2 code (not ZZ, XX, UK or a user-assigned one)."""
    return pycountry.countries.get(alpha_2=code) is not None if len(code) == 2 and code.isupper() else False


def country_name(code: str) -> str | None:
    """The English short name of an assigned ISO 3166-1 alpha-2 code (pycountry's common name where it has one)."""
    found = pycountry.countries.get(alpha_2=code) if is_assigned(code) else None
    return getattr(found, "common_name", None) or getattr(found, "name", None) if found else None


def assigned_codes() -> list[str]:
    return sorted(c.alpha_2 for c in pycountry.countries)
