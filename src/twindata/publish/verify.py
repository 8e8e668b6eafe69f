"""Release verification, the check behind ``twindata validate`` and behind every release before it is renamed into
place: each file against the checksums of ``datapackage.json`` (and ``datapackage.json`` against ``versions.json``),
then every row against the Table Schema the release itself carries: with the compiled checks (``verify_rows``), and,
as the reference they must equal, with frictionless (``verify_rows_frictionless``)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from twindata.checks.compiled import compile_schema
from twindata.contract.errors import TwindataError
from twindata.contract.files import inside, read_descriptor, read_json, sha256_file, version_entries
from twindata.contract.issues import RowError, row_errors
from twindata.publish.outputs import OUTPUTS, Output

PARALLEL_BYTES = 64 << 20  # a smaller release is hashed file after file: threads would cost more than they save


def verify_release(folder: Path, rows: bool = True) -> list[RowError]:
    """Every problem of a release folder: its checksums, then (with ``rows``) its rows."""
    problems = verify_checksums(folder)
    return problems if problems or not rows else verify_rows(folder)


def verify_checksums(folder: Path) -> list[RowError]:
    """A file whose bytes or checksum differ from datapackage.json (data, Parquet included, CHANGELOG.md,
    changes.json, the landing page, CITATION.cff) or from SHA256SUMS (every file, the zip included), a file
    SHA256SUMS does not list, or a datapackage.json that differs from the versions.json beside it."""
    folder = Path(folder)
    try:
        descriptor = read_descriptor(folder)
    except TwindataError as exc:
        return [RowError("datapackage.json", "descriptor", str(exc))]
    expected = [(r["name"], r["path"], r.get("hash", ""), r.get("bytes")) for r in descriptor.get("resources", [])]
    files = descriptor.get("twindata", {}).get("files", {}) if isinstance(descriptor.get("twindata"), dict) else {}
    expected += [(path, path, digest, None) for path, digest in (files.items() if isinstance(files, dict) else [])
                 if isinstance(path, str) and isinstance(digest, str)]
    listed = _listed_entry(folder)
    if listed is not None:
        expected.append(("datapackage.json", "datapackage.json", f"sha256:{listed['datapackage_sha256']}", None))
    problems, sums = _sha256sums(folder)
    covered = {e[1] for e in expected}
    expected += [(path, path, f"sha256:{digest}", None, "SHA256SUMS") for path, digest in sums.items()
                 if path not in covered]

    def check(entry: tuple) -> RowError | None:
        return _check_file(folder, *entry)

    if sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) < PARALLEL_BYTES:
        return problems + [p for p in map(check, expected) if p]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # hashlib releases the GIL
        return problems + [p for p in pool.map(check, expected) if p]


def _sha256sums(folder: Path) -> tuple[list[RowError], dict[str, str]]:
    """The release's SHA256SUMS (where it has one: releases before it did not) as {path: sha256}, and a problem for
    a line that is not '<sha256>  <path inside the folder>' or a file of the folder it does not list."""
    file = folder / "SHA256SUMS"
    if not file.is_file():
        return [], {}
    sums, problems = {}, []
    for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        digest, _, path = line.partition("  ")
        if len(digest) != 64 or not path or not inside(folder, path):
            problems.append(RowError("SHA256SUMS", "sha256sums", f"{file}: line {number} is not '<sha256>  <file of "
                                                                 f"the release>': {line[:80]!r}"))
            continue
        sums[path] = digest
    for link in sorted(p for p in folder.rglob("*") if p.is_symlink()):
        problems.append(RowError(link.relative_to(folder).as_posix(), "symlink",
                                 f"{link} is a symbolic link: a release holds regular files only"))
    for path in sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()):
        if path != "SHA256SUMS" and path not in sums:
            problems.append(RowError(path, "unlisted-file", f"{folder / path} is not in SHA256SUMS (a file added "
                                                            "after publishing)"))
    return problems, sums


def verify_rows(folder: Path, outputs: tuple[Output, ...] = OUTPUTS) -> list[RowError]:
    """Row-level findings on every resource of a release, by the compiled checks: the files of each format as one
    set (each with its foreign keys), read back by their output, named as frictionless names them."""
    folder = Path(folder)
    descriptor = read_descriptor(folder)
    errors = []
    for output in outputs:
        resources = [r for r in descriptor.get("resources", []) if r.get("format") == output.name]
        if not resources:
            continue
        base = {r["name"]: output.table_name(r["name"]) for r in resources}
        compiled = {base[r["name"]]: compile_schema(base[r["name"]], r["schema"]) for r in resources}
        found = output.check(compiled, {base[r["name"]]: folder / r["path"] for r in resources})
        names = {b: n for n, b in base.items()}
        errors += [RowError(names[e.table], e.rule, e.message, e.row, e.record, e.field, e.value, e.title)
                   for e in found]
    return errors


def verify_rows_frictionless(folder: Path) -> list[RowError]:
    """frictionless's row-level errors of every resource of a release (the reference)."""
    from frictionless import Package

    return row_errors(Package(str(Path(folder) / "datapackage.json")).validate(limit_errors=100_000))


def _listed_entry(folder: Path) -> dict | None:
    """This version's entry in the versions.json beside it, if the release sits in a package folder."""
    file = folder.parent / "versions.json"
    if not file.is_file():
        return None
    entries = version_entries(read_json(file, "versions.json"), str(file), ("path",))
    return next((v for v in entries if v["path"] == folder.name), None)


def _check_file(folder: Path, name: str, relative: str, digest: str, size: int | None,
                source: str | None = None) -> RowError | None:
    path = folder / relative
    if not path.is_file():
        return RowError(name, "missing-file", f"{path} is missing")
    if size is not None and path.stat().st_size != size:
        return RowError(name, "byte-count", f"{path} has {path.stat().st_size} bytes, datapackage.json says {size}")
    if digest and sha256_file(path) != digest.removeprefix("sha256:"):
        source = source or ("versions.json" if relative == "datapackage.json" else "datapackage.json")
        return RowError(name, "hash-count", f"{path}: sha256 differs from {source} (the file was changed)")
    return None
