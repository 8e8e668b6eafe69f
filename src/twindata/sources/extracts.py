"""The world package's sources: Wikidata's P190 statements in partitions (one per subject country) and the pairs of
Wikipedia's twin-town lists, read from a snapshot folder (the bundled one, or the partitions a live run stored).

A snapshot folder holds ``manifest.json`` (each file's sha256, rows, licence and extract), ``wikidata/<CC>.csv``
(schemas/input-wikidata-p190.json) and ``wikipedia/*.csv`` (schemas/input-wikipedia-pairs.json). Every file is
checked against its sha256 and read through the compiled checks: a row that breaks them is quarantined with its
reason, never dropped unsaid. Turning the rows into ids and claims belongs in ``twindata.reconcile.network``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa

from twindata.checks.compiled import compile_schema
from twindata.checks.policies import TextRules
from twindata.checks.validator import check, read_text
from twindata.contract.errors import SourceError
from twindata.contract.files import inside, read_json, sha256_file
from twindata.contract.issues import Issues
from twindata.contract.schema import table_schema
from twindata.contract.tables import visible_column

P190 = "input-wikidata-p190"
PAIRS = "input-wikipedia-pairs"


class Row(Mapping):
    """One row of a snapshot table, read as the dict it stands for (``row["subject_qid"]``, ``.get``, ``==`` a dict),
    its cells in slots: a tenth of a dict's memory, for the hundreds of thousands of rows a world snapshot holds."""

    __slots__ = ()

    def __init__(self, values) -> None:
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{type(self).__name__} is read only, as the snapshot it was read from")

    def __getitem__(self, name: str):
        if name not in self._fields:  # a set: one lookup, on the reconciliation's hottest path
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self):
        return iter(self.__slots__)

    def __len__(self) -> int:
        return len(self.__slots__)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self):  # its class is made at run time: pickled (as Dagster's IO manager does) by its table
        return _row, (self._table, self.__slots__, tuple(getattr(self, n, None) for n in self.__slots__))


def _row(table: str, names: tuple[str, ...], values: tuple) -> Row:
    return row_type(table, names)(values)


@cache
def row_type(table: str, names: tuple[str, ...]) -> type[Row]:
    """The ``Row`` class of a table with these columns."""
    return type(f"Row[{table}]", (Row,), {"__slots__": names, "_table": table, "_fields": frozenset(names)})


@dataclass
class WorldSnapshot:
    """The rows of a world snapshot, typed, and what was quarantined reading them."""

    folder: Path
    manifest: dict
    p190: list[Row] = field(default_factory=list)
    pairs: list[Row] = field(default_factory=list)
    issues: Issues = field(default_factory=Issues)

    @property
    def snapshot_id(self) -> str:
        return self.manifest.get("snapshot_id", "")

    @property
    def partitions(self) -> list[str]:
        return sorted(f["partition"] for f in self.manifest["files"] if f.get("partition"))

    def extract(self, name: str) -> dict:
        """What the manifest says of an extract (its date, origin, files to cite); {} where it says nothing usable."""
        extracts = self.manifest.get("extracts")
        found = extracts.get(name) if isinstance(extracts, dict) else None
        return found if isinstance(found, dict) else {}


def snapshot_id_of(files: list[dict], kind: str) -> str:
    """A world snapshot's id, from its files' paths and checksums: ``world-…`` (the bundled extracts) or ``wdqs-…`` (a
    partition store), so that a snapshot edited after it was written, its manifest's checksums included, has
    another id than the one it was written with."""
    if kind == "wdqs":
        return "wdqs-" + hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()[:16]
    return "world-" + hashlib.sha256("".join(f["path"] + f["sha256"] for f in files).encode()).hexdigest()[:16]


def _check_manifest(where: Path, manifest) -> None:
    """A world snapshot manifest as readers rely on it, else one line: a list of file entries, each an object with a
    path and a sha256 (a partition's code as text)."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
            and isinstance(f.get("partition", ""), str) for f in files):
        raise SourceError(f"{where}: not a world snapshot manifest (a list of files, each with its path, sha256 and, "
                          "for a partition, its country code as text)")


def _check_id(where: Path, manifest: dict) -> None:
    """The manifest's snapshot_id is the one its files' paths and checksums give (checked once the files it names
    were found inside the snapshot and equal to their checksums)."""
    stated = manifest.get("snapshot_id")
    kind = stated.split("-", 1)[0] if isinstance(stated, str) else ""
    if kind not in ("world", "wdqs") or stated != snapshot_id_of(manifest["files"], kind):
        raise SourceError(f"{where}: snapshot_id {str(stated)[:40]!r} is not the one its files' checksums give; the "
                          "snapshot was changed after it was written")


def read_world_snapshot(folder: Path, partitions: list[str] | None = None, lists: bool = True) -> WorldSnapshot:
    """Every file of the snapshot (or only the Wikidata partitions named; without Wikipedia's lists where ``lists``
    is false), checked and typed: the files of one table are read one by one and checked as one table, in one
    pass."""
    folder = Path(folder)
    manifest = read_json(folder / "manifest.json", "world snapshot manifest")
    _check_manifest(folder / "manifest.json", manifest)
    snap = WorldSnapshot(folder, manifest)
    chosen = {P190: [], PAIRS: []}
    for entry in manifest["files"]:
        if partitions is not None and entry.get("partition") and entry["partition"] not in partitions:
            continue
        table = P190 if entry.get("partition") or str(entry.get("path", "")).startswith("wikidata/") else PAIRS
        if lists or table == P190:
            chosen[table].append(entry)
    snap.p190 = read_rows(folder, chosen[P190], P190, snap.issues)
    snap.pairs = read_rows(folder, chosen[PAIRS], PAIRS, snap.issues)
    _check_id(folder / "manifest.json", manifest)
    return snap


def read_rows(folder: Path, entries: list[dict], table: str, issues: Issues) -> list[Row]:
    """The rows of the snapshot files that pass their Table Schema; the others as quarantined_row issues, named by
    file and row."""
    compiled = compile_schema(table, table_schema(table))
    texts, where = [], []
    for entry in entries:
        path = _inside(folder, entry)
        if sha256_file(path) != entry.get("sha256"):
            raise SourceError(f"{path}: sha256 differs from the snapshot's manifest; the snapshot was changed after it "
                              "was written")
        text = read_text(path, compiled)
        if text is None:
            raise SourceError(f"{path}: not plain UTF-8 CSV with the header {','.join(compiled.names)}")
        texts.append(text)
        where += [(entry["path"], row) for row in range(2, text.num_rows + 2)]
    if not texts:
        return []
    whole = pa.concat_tables(texts)  # invisible marks out, in one pass over every file
    whole = pa.table({c: visible_column(whole.column(c)) for c in whole.column_names})
    checked = check(compiled, whole, typed=True)
    bad = {}
    texts_only = whole.select([f["name"] for f in compiled.fields if f["type"] == "string"])  # the cells that are text
    for e in sorted(checked.errors + TextRules().check(texts_only, table), key=lambda e: e.row):  # a formula, control
        bad.setdefault(e.row - 2, e)  # or bidi character holds its row back, as a broken type does, not the release
    source = "wikipedia" if table == PAIRS else "wikidata"
    names = compiled.names
    make, columns = row_type(table, tuple(names)), [checked.values.pop(n) for n in names]  # values shared per column
    rows = []
    for i, values in enumerate(zip(*columns)):
        if i in bad:
            e, (file, row) = bad[i], where[i]
            issues.add("quarantined_row", "assertions", f"{file} row {row}", e.field, e.value, source,
                       f"{e.rule}: {e.message}")
            continue
        rows.append(make(values))
    return rows


def combined(statements: WorldSnapshot, lists: WorldSnapshot) -> WorldSnapshot:
    """One snapshot of Wikidata's statements (a partition store, or the bundled extracts) and Wikipedia's lists (the
    bundled ones): the first one's id and partitions, both ones' rows and quarantined rows, every extract named."""
    extracts = dict(statements.manifest.get("extracts", {}))
    if lists.extract("wikipedia"):
        extracts["wikipedia"] = lists.extract("wikipedia")
    return WorldSnapshot(statements.folder, {**statements.manifest, "extracts": extracts}, statements.p190,
                         lists.pairs, Issues(statements.issues.rows + lists.issues.rows))


def _inside(folder: Path, entry: dict) -> Path:
    path = folder / str(entry.get("path", ""))
    if not inside(folder, str(entry.get("path", ""))) or not path.is_file():
        raise SourceError(f"{folder / 'manifest.json'}: file {entry.get('path')!r} is not a file inside the snapshot")
    return path
