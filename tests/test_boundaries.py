"""Coordinates against countries: the bundled Natural Earth boundaries, the rules for dependencies and disputed
areas, and the misplaced rows of the world release."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from twindata.contract.bundled import bundled
from twindata.contract.errors import TwindataError
from twindata.reconcile.boundaries import Boundaries, bundled_boundaries, map_outline

from test_world import world_release  # noqa: F401  (the module's fixture: one world release for both files)

POINTS = [  # name, code, latitude, longitude, where it must lie if it disagrees (None: agrees)
    ("Stockholm", "SE", 59.3294, 18.0686, None),
    ("Stockholm", "DK", 59.3294, 18.0686, "in Sweden"),
    ("Odense", "DK", 55.3958, 10.3886, None),
    ("Odense", "SE", 55.3958, 10.3886, "in Denmark"),
    ("Görlitz", "DE", 51.1528, 14.9872, None),  # on the Neisse: Zgorzelec is across the bridge
    ("Zgorzelec", "PL", 51.1500, 15.0083, None),
    ("San Juan", "US", 18.4655, -66.1057, None),  # a dependency's town, given its sovereign
    ("San Juan", "PR", 18.4655, -66.1057, None),
    ("Nouméa", "FR", -22.2758, 166.4580, None),
    ("Mariehamn", "FI", 60.0973, 19.9348, None),
    ("Simferopol", "UA", 44.9521, 34.1024, None),  # Crimea, which Natural Earth 4.1 draws within Russia
    ("Simferopol", "RU", 44.9521, 34.1024, None),
    ("Laayoune", "EH", 27.1536, -13.2033, None),
    ("Laayoune", "MA", 27.1536, -13.2033, None),
    ("Prizren", "RS", 42.2139, 20.7397, None),  # Kosovo, given either code
    ("Malmö", "DK", 55.6050, 13.0038, "in Sweden"),  # 20 km from Copenhagen across the sound (Helsingborg, 4 km
    # from Helsingør, lies within the tolerance: the check cannot tell places that near a border apart)
    ("Nikel", "FI", 69.4081, 30.2206, "in Russia"),
    ("Chlef", "FR", 36.1647, 1.3317, "in Algeria"),
    ("Suva", "FJ", -18.1416, 178.4419, None),  # Fiji straddles the antimeridian
    ("Anadyr", "RU", 64.7337, 177.5089, None),
    ("mid-Atlantic", "BR", 0.0, -30.0, "in no country's land"),
]


def test_each_point_agrees_with_its_country_or_says_where_it_lies():
    found = bundled_boundaries().contradictions([p[1] for p in POINTS], [p[2] for p in POINTS],
                                                [p[3] for p in POINTS])
    assert {i: where for i, where in found.items()} == {i: p[4] for i, p in enumerate(POINTS) if p[4]}


def test_rows_without_a_code_or_a_point_are_not_checked():
    assert bundled_boundaries().contradictions([None, "DK", "DK", "DK"], [59.33, None, float("nan"), "59"],
                                               [18.07, 18.07, 18.07, 18.07]) == {}


def test_a_changed_boundary_file_is_refused(tmp_path):
    folder = shutil.copytree(bundled("snapshots") / "boundaries", tmp_path / "boundaries")
    with open(folder / "countries-10m.parquet", "ab") as f:
        f.write(b"\0")
    with pytest.raises(TwindataError, match="countries-10m.parquet: checksum does not match"):
        Boundaries(folder)


def test_the_map_outline_is_checked_and_holds_only_path_commands(tmp_path):
    assert map_outline().startswith("M") and "<" not in map_outline()
    folder = shutil.copytree(bundled("snapshots") / "boundaries", tmp_path / "boundaries")
    outline = folder / "outline.svgpath"
    outline.write_text(outline.read_text() + '"/><script>alert(1)</script>')
    with pytest.raises(TwindataError, match="outline.svgpath: checksum does not match"):
        map_outline(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outline"]["sha256"] = hashlib.sha256(outline.read_bytes()).hexdigest()  # a consistent forgery
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TwindataError, match="outline.svgpath: holds more than SVG path commands"):
        map_outline(folder)


def test_the_world_release_lists_every_contradiction_as_misplaced(world_release):  # noqa: F811
    issues = pd.read_parquet(world_release / "data" / "data_issues.parquet")
    misplaced = issues[issues.kind == "misplaced"]
    cities = pd.read_parquet(world_release / "data" / "cities.parquet")
    located = cities.dropna(subset=["latitude", "country_code"])
    assert 0 < len(misplaced) <= 0.01 * len(located)
    assert set(misplaced.table) == {"cities"} and set(misplaced.field) == {"country_code"}
    assert not set(misplaced.record_id) & set(located[located.country_code.isin(["DK", "SE"])].city_id)
    nikel = misplaced[misplaced.value.str.startswith("FI (69.4")]
    assert len(nikel) == 1 and "lie in Russia" in nikel.reason.iloc[0]
    assert set(misplaced.record_id) <= set(cities.city_id)  # published as the sources give them
