"""The world package's sources: Wikidata's P190 statements in partitions (one per subject country) and the pairs of
Wikipedia's twin-town lists, read from a snapshot folder (the bundled one, or the partitions a live run stored).

A snapshot folder holds ``manifest.json`` (each file's sha256, rows, licence and extract), ``wikidata/<CC>.csv``
(schemas/input-wikidata-p190.json) and ``wikipedia/*.csv`` (schemas/input-wikipedia-pairs.json). Every file is
checked against its sha256 and read through the compiled checks: a row that breaks them is quarantined with its
reason, never dropped unsaid. Turning the rows into ids and claims belongs in ``twindata.world``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from twindata.errors import SourceError
from twindata.fsutil import read_json, sha256_file
from twindata.issues import Issues
from twindata.schema import table_schema
from twindata.validator import check, compile_schema, read_text

P190 = "input-wikidata-p190"
PAIRS = "input-wikipedia-pairs"


@dataclass
class WorldSnapshot:
    """The rows of a world snapshot, typed, and what was quarantined reading them."""

    folder: Path
    manifest: dict
    p190: list[dict] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    issues: Issues = field(default_factory=Issues)

    @property
    def snapshot_id(self) -> str:
        return self.manifest.get("snapshot_id", "")

    @property
    def partitions(self) -> list[str]:
        return sorted(f["partition"] for f in self.manifest["files"] if f.get("partition"))

    def extract(self, name: str) -> dict:
        return self.manifest.get("extracts", {}).get(name, {})


def read_world_snapshot(folder: Path, partitions: list[str] | None = None) -> WorldSnapshot:
    """Every file of the snapshot (or only the Wikidata partitions named), checked and typed."""
    folder = Path(folder)
    manifest = read_json(folder / "manifest.json", "world snapshot manifest")
    snap = WorldSnapshot(folder, manifest)
    for entry in manifest.get("files", []):
        if partitions is not None and entry.get("partition") and entry["partition"] not in partitions:
            continue
        table = P190 if entry["path"].startswith("wikidata/") else PAIRS
        rows = read_rows(folder, entry, table, snap.issues)
        (snap.p190 if table == P190 else snap.pairs).extend(rows)
    return snap


def read_rows(folder: Path, entry: dict, table: str, issues: Issues) -> list[dict]:
    """The rows of one snapshot file that pass its Table Schema; the others as quarantined_row issues."""
    path = (folder / entry["path"]).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        raise SourceError(f"{folder / 'manifest.json'}: file {entry['path']!r} is not a file inside the snapshot")
    if sha256_file(path) != entry.get("sha256"):
        raise SourceError(f"{path}: sha256 differs from the snapshot's manifest; the snapshot was changed after it "
                          "was written")
    compiled = compile_schema(table, table_schema(table))
    text = read_text(path, compiled)
    if text is None:
        raise SourceError(f"{path}: not plain UTF-8 CSV with the header {','.join(compiled.names)}")
    checked = check(compiled, text, typed=True)
    bad = {}
    for e in checked.errors:
        bad.setdefault(e.row - 2, e)
    source = "wikipedia" if table == PAIRS else "wikidata"
    names = compiled.names
    rows = []
    for i, values in enumerate(zip(*(checked.values[n] for n in names))):
        if i in bad:
            e = bad[i]
            issues.add("quarantined_row", "assertions", f"{entry['path']} row {i + 2}", e.field, e.value, source,
                       f"{e.rule}: {e.message}")
            continue
        rows.append(dict(zip(names, values)))
    return rows
