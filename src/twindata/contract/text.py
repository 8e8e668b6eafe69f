"""What a published text cell may hold, beyond its Table Schema, whichever source it came from: the rules that keep a
cell from acting on whoever opens the file.

- **Unicode NFC.** Text enters normalised to NFC (``nfc``, applied by the sources and the registry reader), so that
  two spellings of one name, or two look-alike keys, are one value (and a duplicate key is a duplicate).
- **No control characters** (C0, DEL, C1, and the Unicode line and paragraph separators U+2028/U+2029, which YAML
  and JavaScript read as line breaks): a line break or tab only in prose fields (``"twindata:text": "prose"`` in the
  Table Schema: notes, captions, reasons); no lone surrogate anywhere (it cannot be written as UTF-8).
- **No bidirectional embedding, override or isolate controls** (U+202A–U+202E, U+2066–U+2069): they reorder what a
  reader sees. Right-to-left letters are text, published byte for byte.
- **No invisible marks** (``INVISIBLE``: the direction marks U+200E, U+200F, U+061C, the zero-width space U+200B,
  the word joiner U+2060, a byte-order mark U+FEFF inside text): they make two equal-looking names differ
  ("Granada" and "Granada\u200e"). An outside source's names are read without them (``visible``); a registry cell
  that holds one is refused. The zero-width (non-)joiners U+200C/U+200D stay: Persian and Indic spellings need them.
- **No spreadsheet formulas**: a cell beginning with ``=``, ``+``, ``-`` or ``@`` is one a spreadsheet program runs
  (OWASP: CSV injection). Such a value is refused, not rewritten, so every published value is the source's own.

The check of whole published columns is ``twindata.checks.policies.TextRules``: the gate holds back an outside
source's value or row with its reason and stops on the registry's own. The one table that must show bad values, ``data_issues``, shows them through
``quoted``: control characters as ``\\uXXXX`` escapes and a leading formula sign behind an apostrophe, as its schema
says.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import cache

_C1 = "".join(map(chr, range(0x7F, 0xA0))) + "\u2028\u2029"  # DEL, C1 and the separators, as characters (RE2 too)
_CONTROLS = r"[\x00-\x08\x0b-\x1f" + _C1 + "]"
_LINE_CONTROLS = r"[\x00-\x1f" + _C1 + "]"
_BIDI_CHARS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_BIDI = "[" + "".join(sorted(_BIDI_CHARS)) + "]"  # the characters themselves: RE2 and Python's re read the class alike
INVISIBLE = frozenset("\u200b\u200e\u200f\u061c\u2060\ufeff")
_INVISIBLE = "[" + "".join(sorted(INVISIBLE)) + "]"
_FORMULA_SIGNS = ("=", "+", "-", "@")
_FORMULA = "^[" + re.escape("".join(_FORMULA_SIGNS)) + "]"
_REASONS = ((_BIDI, "holds a bidirectional control character (U+202A–U+202E, U+2066–U+2069), which reorders what a "
                    "reader sees"),
            (_INVISIBLE, "holds an invisible mark (U+200B, U+200E, U+200F, U+061C, U+2060 or U+FEFF), which makes "
                         "equal-looking values differ"),
            (_FORMULA, "begins with = + - or @, which a spreadsheet program runs as a formula"))


def short(value: object, limit: int = 80) -> object:
    """A value as shown in a one-line message: long text cut, with an ellipsis."""
    return value if not isinstance(value, str) or len(value) <= limit else value[:limit] + "…"


def utc_stamp(moment: datetime | None = None) -> str:
    """A moment (now by default) as the text releases and snapshots record: ISO 8601 in UTC, to the second, with Z
    (``2026-12-01T12:00:00Z``)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rules(prose: bool) -> tuple[tuple[str, str], ...]:
    """(pattern, reason) of each rule; prose may hold line breaks and tabs."""
    return ((_CONTROLS if prose else _LINE_CONTROLS,
             "holds a control character (C0, DEL, C1 or U+2028/U+2029)" + ("" if prose else " or line break")),
            ) + _REASONS


def nfc(value):
    """A text value in Unicode NFC; anything else as it is."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def visible(value):
    """A text value of an outside source without the invisible marks (``INVISIBLE``), in NFC; anything else as it is."""
    return nfc(_compiled(_INVISIBLE).sub("", value)) if isinstance(value, str) else value


def problem(value: str, prose: bool = False) -> str | None:
    """Why one text value breaks the rules, or None (the same patterns, for values read one at a time)."""
    if _SURROGATE.search(value):
        return "holds a lone surrogate (U+D800–U+DFFF), which no UTF-8 file can hold"
    return next((reason for pattern, reason in rules(prose) if _compiled(pattern).search(value)), None)


_SURROGATE = re.compile("[\ud800-\udfff]")


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def quoted(value) -> str | None:
    """A bad value as data_issues shows it: control and bidi characters as \\uXXXX, a leading formula sign behind an
    apostrophe. Other text is unchanged."""
    if value is None:
        return None
    text = escape_controls(str(value))
    return "'" + text if text[:1] in _FORMULA_SIGNS else text


def escape_controls(text: str) -> str:
    """Control characters (C0, DEL, C1: terminal escape sequences among them), bidi controls and invisible marks as
    \\uXXXX."""
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 32 or 127 <= ord(c) < 160 or c in _BIDI_CHARS or c in INVISIBLE
                   or c in "\u2028\u2029" or 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


_WEB = re.compile(r"^https?://\S+$")


def web_url(value: str | None) -> str | None:
    """The value if it is an http(s) URL, else None: what may be quoted as a link (the URL fields themselves are
    checked by their Table Schema patterns, and a bad one is quarantined with its reason)."""
    return value if isinstance(value, str) and _WEB.match(value) else None
