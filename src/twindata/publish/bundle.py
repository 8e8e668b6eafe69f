"""The one-file download of a release (a zip of every file, in a fixed order with fixed times, so the same files give
the same bytes) and ``SHA256SUMS``, the checksum of every file in the format ``sha256sum -c`` reads."""

from __future__ import annotations

import zipfile
from pathlib import Path

from twindata.contract.files import sha256_file

SELF = "SHA256SUMS"


def write_zip(folder: Path, name: str) -> Path:
    """Every file of the release folder as written so far in one zip (the DCAT files and SHA256SUMS come after it:
    they state the zip's own checksum), in a fixed order with fixed times, so the same files give the same bytes.
    Parquet files (compressed already) are stored, text is deflated at the fastest level."""
    target = folder / name
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != target)
    with zipfile.ZipFile(target, "w") as z:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            stored = path.suffix == ".parquet"
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            z.writestr(entry, path.read_bytes(), compresslevel=None if stored else 1)
    return target


def sha256sums(folder: Path) -> bytes:
    """``SHA256SUMS`` of every file of the release folder (the format ``sha256sum -c`` reads)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SELF):
        digest = sha256_file(path)
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines).encode()
