"""A world snapshot ``--scale`` times the bundled one, for measuring how the world release grows. Seeded by the
bundled snapshot itself: copy 0 is the bundled snapshot as it is, each further copy its every row again with its
QIDs moved to a range of their own (Q + c × 200,000,000) and its names carrying a word of their own ("Dortmund
Secundus"), so each copy keeps the real shapes exactly (degree distribution, reciprocity, label variants and
homonyms, label-only and QID nodes, the 2016/2017/2021/2022 vintages, Wikipedia's pairs) and the copies never merge.
The registries stay the bundled ones (they confirm copy 0). Synthetic: the moved QIDs name no real item.

    python benchmarks/make_synthetic_world.py --scale 3 --out benchmarks/out/world-3x
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from twindata.contract.bundled import world_snapshot
from twindata.contract.files import sha256_file
from twindata.sources.extracts import snapshot_id_of

SHIFT = 200_000_000  # a copy's QIDs: the original number plus copy × SHIFT (12 digits at most for 4,999 copies)
WORDS = ["", "Secundus", "Tertius", "Quartus", "Quintus", "Sextus", "Septimus", "Octavus", "Nonus", "Decimus"]


def _qids(column: pa.ChunkedArray, copy: int) -> pa.ChunkedArray:
    if copy == 0:
        return column
    empty = pc.equal(column, "")  # a label-only row has no QID, in every copy
    numbers = pc.cast(pc.utf8_slice_codeunits(pc.if_else(empty, "Q0", column), 1), pa.int64())
    moved = pc.binary_join_element_wise("Q", pc.cast(pc.add(numbers, copy * SHIFT), pa.string()), "")
    return pc.if_else(empty, "", moved)


def _names(column: pa.ChunkedArray, copy: int) -> pa.ChunkedArray:
    word = WORDS[copy] if copy < len(WORDS) else f"Copy{copy}"
    return column if copy == 0 else pc.if_else(pc.equal(column, ""), "", pc.binary_join_element_wise(
        column, f" {word}", ""))


def scaled(table: pa.Table, copy: int, qids: tuple[str, ...], names: tuple[str, ...], ids: tuple[str, ...]) -> pa.Table:
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in qids:
            column = _qids(column, copy)
        elif name in names:
            column = _names(column, copy)
        elif name in ids and copy:
            column = pc.binary_join_element_wise(column, f"-c{copy}", "")
        columns[name] = column
    return pa.table(columns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    source = world_snapshot()
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if args.out.exists():
        shutil.rmtree(args.out)
    files = []
    for entry in manifest["files"]:
        text = pacsv.read_csv(source / entry["path"], convert_options=pacsv.ConvertOptions(
            strings_can_be_null=False, column_types=None), read_options=pacsv.ReadOptions(use_threads=False))
        text = pa.table({n: pc.cast(text.column(n), pa.string()) for n in text.column_names})
        wikipedia = entry["path"].startswith("wikipedia/")
        qids = () if wikipedia else ("subject_qid", "partner_qid")
        names = ("city1", "city2") if wikipedia else ("subject_label", "partner_label")
        ids = () if wikipedia else ("assertion_id",)
        copies = [scaled(text, c, qids, names, ids) for c in range(args.scale)]
        whole = pa.concat_tables(copies)
        target = args.out / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(whole, target, write_options=pacsv.WriteOptions(quoting_style="needed"))
        files.append({**entry, "rows": whole.num_rows, "sha256": sha256_file(target)})
    out = {**manifest, "files": files, "snapshot_id": snapshot_id_of(files, "world"),
           "built": f"synthetic x{args.scale} of {manifest['snapshot_id']}"}
    (args.out / "manifest.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"{args.out}: {out['snapshot_id']}, {sum(f['rows'] for f in files):,} rows in {len(files)} files")


if __name__ == "__main__":
    main()
