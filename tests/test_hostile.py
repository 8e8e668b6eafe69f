"""Hostile input: whatever a registry, Wikidata or Commons sends, nothing dangerous reaches a published file, every
bad input is one line (or a quarantined value with its reason), and right-to-left names stay byte for byte."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from twindata.contract.errors import TwindataError
from twindata.sources.cache import Cache
from twindata.sources.commons import html_to_text, parse_page
from twindata.sources.wikidata import parse_entity

from conftest import cli, load_fixture, replace_in

PACKAGE = "dortmund-twinning"


def run_registry(registry: Path, tmp_path: Path):
    done = cli("run", "--registry", str(registry), "--out", str(tmp_path / "out"))
    return done, tmp_path / "out" / PACKAGE / "2.0.0"


# --- a registry's cells: refused with one line naming file, record, field and value -----------------------------

REFUSED = [
    ("cities.csv", "fr-amiens,Amiens,", 'fr-amiens,"=HYPERLINK(""http://x"",""y"")",', "name", "formula"),
    ("partnerships.csv", "Dortmund's oldest partnership", "=cmd|' /C calc'!A0", "note", "formula"),
    ("partnerships.csv", "Dortmund's oldest partnership", "@SUM(A1)", "note", "formula"),
    ("partnerships.csv", "Dortmund's oldest partnership", "old\x00est", "note", "control character"),
    ("cities.csv", "fr-amiens,Amiens,", "fr-amiens,Ami\u202eens,", "name", "bidirectional"),
    ("cities.csv", "fr-amiens,Amiens,", "fr-amiens,Ami\tens,", "name", "U+2029) or line break"),
    ("cities.csv", "fr-amiens,Amiens,", "fr-amiens,Amiens\u200e,", "name", "invisible mark"),
    ("partnerships.csv", "fr-amiens,de-dortmund,", "=HYPERLINK(1),de-dortmund,", "phase_id", "pattern"),
    ("partnerships.csv", "fr-amiens,de-dortmund,", "<b>fr-amiens</b>,de-dortmund,", "phase_id", "pattern"),
    ("claims.csv", "rostov-council-1977-de,ru-rostov-on-don,", "rostov-council-1977-de,../ru-rostov-on-don,",
     "phase_id", "pattern"),
    ("cities.csv", "fr-amiens,Amiens,", "fr-amiens,Ami\u200bens,", "name", "invisible mark"),
    ("partnerships.csv", "Dortmund's oldest partnership", "Dortmund's\ufeff oldest", "note", "invisible mark"),
    ("cities.csv", "fr-amiens,Amiens,,FR", "fr-amiens,Amiens,,ZZ", "country_code", "assigned ISO 3166-1"),
    ("cities.csv", "fr-amiens,Amiens,,FR", "fr-amiens,Amiens,,UK", "country_code", "assigned ISO 3166-1"),
    ("partnerships.csv", "https://www.dortmund.de/themen/internationales/staedtepartnerschaften/,Dortmund's oldest",
     "javascript:alert(1),Dortmund's oldest", "source_url", "pattern"),
    ("images.csv", "https://www.dortmund.de/en/city_council", "file:///etc/passwd", "source_url", "pattern"),
]


@pytest.mark.parametrize("file, old, new, field, why", REFUSED, ids=[f"{r[3]}-{r[4][:12]}" for r in REFUSED])
def test_a_dangerous_registry_cell_is_one_line(registry_copy, tmp_path, file, old, new, field, why):
    replace_in(registry_copy / file, old, new)
    done, release = run_registry(registry_copy, tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr and not release.exists()
    assert file in lines[-1] and f"'{field}'" in lines[-1] and why in lines[-1], lines[-1]


def test_a_latin_1_registry_is_refused_naming_the_first_byte(registry_copy, tmp_path):
    cities = registry_copy / "cities.csv"
    cities.write_bytes(cities.read_text(encoding="utf-8").replace("Amiens", "Ærøskøbing").encode("latin-1"))
    done, _ = run_registry(registry_copy, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cities.csv" in done.stderr and "not UTF-8: byte" in done.stderr and "0xc6" in done.stderr


def test_a_package_name_with_a_line_break_is_refused(registry_copy, tmp_path):
    replace_in(registry_copy / "registry.json", '"name": "dortmund-twinning"', '"name": "dortmund-twinning\\n"')
    done, _ = run_registry(registry_copy, tmp_path)
    assert done.returncode == 1 and "'name'" in done.stderr and not (tmp_path / "out").exists() or \
        not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("bom", [False, True], ids=["plain CSV", "with a byte-order mark (read by frictionless)"])
def test_nfd_names_are_published_in_nfc(registry_copy, tmp_path, bom):
    replace_in(registry_copy / "images.csv", "Quai bélu", unicodedata.normalize("NFD", "Quai bélu"))
    if bom:
        (registry_copy / "images.csv").write_bytes(b"\xef\xbb\xbf" + (registry_copy / "images.csv").read_bytes())
    from twindata.sources.registry import read_registry

    captions = read_registry(registry_copy).tables["images"]["caption"].tolist()
    assert unicodedata.normalize("NFC", "Quai bélu in Amiens") in captions  # the reader's own output, either path
    done, release = run_registry(registry_copy, tmp_path)
    assert done.returncode == 0, done.stderr
    caption = pd.read_csv(release / "data" / "images.csv")["caption"].iloc[0]
    assert caption == unicodedata.normalize("NFC", "Quai bélu in Amiens")


def test_look_alike_keys_from_outside_sources_are_one_key_and_the_second_is_quarantined():
    from twindata.checks.gate import run_gate
    from twindata.contract.issues import Issues
    from twindata.contract.tables import CoreTables, frame

    def image(title: str) -> dict:
        return {"image_id": f"commons:File:{title}", "city_id": "Q1", "caption": "x", "author": "a",
                "licence_name": "CC0", "attribution_required": False, "attribution": "x", "width": 1, "height": 1,
                "credited_by_registry": False, "described_by_commons": True, "source_url": "https://commons.example/x",
                "_origin": "commons", "_external": ()}

    cities = frame("cities", [{"city_id": "Q1", "name": "X", "layers": "wikidata", "_origin": "wikidata", "_external": ()}])
    images = frame("images", [image("Ærøskøbing.jpg"), image(unicodedata.normalize("NFD", "Ærøskøbing.jpg"))])
    empty = {t: frame(t, []) for t in ("partnerships", "assertions", "crosswalk")}
    gated = run_gate(CoreTables({"cities": cities, "images": images, **empty}, Issues()))
    assert gated.tables["images"].column("image_id").to_pylist() == ["commons:File:Ærøskøbing.jpg"]
    assert any(q.table == "images" and q.kind == "quarantined_row" for q in gated.quarantined)


def test_hebrew_and_arabic_names_are_published_byte_for_byte(registry_copy, tmp_path):
    replace_in(registry_copy / "cities.csv", "il-netanya,Netanya,", "il-netanya,Netanya,נְתַנְיָה")
    replace_in(registry_copy / "cities.csv", "tr-trabzon,Trabzon,", "tr-trabzon,Trabzon,طرابزون")
    done, release = run_registry(registry_copy, tmp_path)
    assert done.returncode == 0, done.stderr
    text = (release / "data" / "cities.csv").read_bytes()
    assert "נְתַנְיָה".encode() in text and "طرابزون".encode() in text


def test_markup_in_a_registry_value_is_escaped_in_the_changelog_and_the_page(registry_copy, tmp_path):
    replace_in(registry_copy / "images.csv", "Quai bélu in Amiens", "<script>alert(1)</script> [x](javascript:y)")
    done, release = run_registry(registry_copy, tmp_path)
    assert done.returncode == 0, done.stderr
    page = (release / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Wikidata: values of the wrong kind are held back with their reason, the rest stands -------------------------

def entity(**claims) -> dict:
    base = load_fixture("wikibase-sdk/Q2112.json")
    base = json.loads(json.dumps(base))
    for prop, value in claims.items():
        base["claims"][prop] = value
    return base


def snak(value) -> list[dict]:
    return [{"rank": "normal", "mainsnak": {"snaktype": "value", "datavalue": {"value": value}}, "id": "Q2112$x"}]


@pytest.mark.parametrize("prop, value, field", [
    ("P625", {"latitude": "52.0", "longitude": 8.5}, "latitude"),
    ("P625", {"latitude": float("nan"), "longitude": 8.5}, "latitude"),
    ("P1082", {"amount": "many"}, "population"),
    ("P1082", {"amount": "+1e30"}, "population"),
    ("P18", "Bielefeld.jpg|File:Other.jpg", "image_file"),
    ("P190", {"no": "id"}, "partner_city_id"),
    ("P190", {"id": "Qabc"}, "partner_city_id"),
    ("P190", {"id": "Q64|Q90"}, "partner_city_id"),
    ("P190", None, "partner_city_id"),
])
def test_a_wrongly_typed_wikidata_value_is_held_back_and_the_entity_stands(prop, value, field):
    parsed = parse_entity(entity(**{prop: snak(value)}))
    assert parsed is not None and parsed.label == "Bielefeld"
    assert [h[0] for h in parsed.held] == [field]


def test_a_numeric_label_and_a_string_lastrevid_are_held_back():
    raw = entity()
    raw["labels"]["en"]["value"], raw["lastrevid"] = 12, "123"
    parsed = parse_entity(raw)
    assert parsed.label is None and parsed.revision is None
    assert {h[0] for h in parsed.held} == {"wikidata_label", "wikidata_revision"}


def test_a_cache_entry_of_the_wrong_shape_is_asked_again(tmp_path):
    raw = entity()
    parsed = parse_entity(raw, "Q2112")
    cache = Cache(tmp_path, "endpoints", 7)
    cache.put_entity("Q2112", parsed)
    cache.entities["Q2112"]["latitude"] = "abc"
    assert cache.entity("Q2112", parsed.revision) is None
    cache.entities["Q2112"]["latitude"] = 52.0
    assert cache.entity("Q2112", parsed.revision) is not None


# --- Commons: markup never survives as text, links are http(s) only ----------------------------------------------

@pytest.mark.parametrize("html, text", [
    ("<script>alert(1)</script>Bob", "Bob"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;Bob", "Bob"),
    ("&lt;img src=x onerror=alert(1)&gt;Ann", "Ann"),
    ("&amp;lt;b&amp;gt;C", "&lt;b&gt;C"),
    ("x < y and a > b", "x < y and a > b"),
])
def test_commons_html_comes_out_as_plain_text_without_markup(html, text):
    assert html_to_text(html)[0] == text


def commons_page(**meta) -> dict:
    page = json.loads(json.dumps(load_fixture("openverse/image_data_example.json")))
    info = page["imageinfo"][0]
    for key, value in meta.items():
        if key in ("width", "size"):
            info[key] = value
        else:
            info["extmetadata"][key] = {"value": value}
    return page


def test_a_width_that_is_no_number_is_held_back():
    image = parse_page(commons_page(width="wide"))
    assert image.width is None and image.held[0][0] == "width"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<b>x</b>",
                                 "ftp://example.org/x", "vbscript:msgbox"])
def test_a_licence_url_that_is_not_http_is_quarantined_and_left_out_of_the_attribution(url):
    from twindata.checks.gate import run_gate
    from twindata.contract.identity import Crosswalk
    from twindata.contract.issues import Issues
    from twindata.contract.tables import CoreTables, frame
    from twindata.reconcile.images import build_images
    from twindata.sources.commons import CommonsResult

    image = parse_page(commons_page(LicenseUrl=url))
    cities = frame("cities", [{"city_id": "Q1", "image_file": image.title, "name": "X", "layers": "wikidata",
                               "_origin": "wikidata", "_external": ()}])
    issues = Issues()
    images = build_images([], Crosswalk(), cities, CommonsResult({image.title: image}), issues)
    assert url not in images["attribution"].iloc[0]
    empty = {t: frame(t, []) for t in ("partnerships", "assertions", "crosswalk")}
    gated = run_gate(CoreTables({"cities": cities, "images": images, **empty}, issues))
    published = gated.tables["images"].column("licence_url").to_pylist()
    assert published == [None]
    held = [q for q in gated.quarantined if q.field == "licence_url"]
    assert held and held[0].value == url


@pytest.mark.parametrize("answer", [[[]], "<html>", 7, {"query": []}, {"query": {"pages": "x"}}, {"query": {"pages": 5}},
                                    [{"query": {"pages": []}}, None]])
def test_a_commons_answer_of_the_wrong_shape_is_a_source_error(answer):
    from twindata.contract.errors import SourceError
    from twindata.sources.commons import parse_imageinfo

    with pytest.raises(SourceError, match="not an API query answer"):
        parse_imageinfo(answer, ["File:A.jpg"])


@pytest.mark.parametrize("query", [
    {"pages": [1, None, {"title": 5, "imageinfo": [{}]}, {"imageinfo": [{}]}]},  # pages that name no title
    {"normalized": [1, {"from": "File:A.jpg"}, {"from": "File:A.jpg", "to": ["x"]}], "pages": []},
    {"redirects": [{"from": "File:A.jpg", "to": "File:B.jpg"}, {"from": "File:B.jpg", "to": "File:A.jpg"}],
     "pages": [{"title": "File:B.jpg", "missing": ""}]},  # a cycle of redirects ends
    {"pages": {"-1": {"title": "File:A.jpg", "imageinfo": "x"}, "-2": "y"}},
])
def test_commons_entries_of_the_wrong_shape_leave_the_file_missing(query):
    from twindata.sources.commons import parse_imageinfo

    assert parse_imageinfo({"query": query}, ["File:A.jpg"]) == ({}, {"File:A.jpg"})


# --- live answers: bounded in size and time, never from another host ---------------------------------------------

@pytest.fixture
def loopback(monkeypatch):
    from wikimedia_server import LoopbackWikimedia

    with LoopbackWikimedia() as server:
        for key, value in {**server.env(), "TWINDATA_MAX_RETRIES": "0", "TWINDATA_TIMEOUT": "1"}.items():
            monkeypatch.setenv(key, value)
        yield server


def live_run(tmp_path):
    from twindata.packages import run_configured as run
    from twindata.settings import load_settings

    return run(load_settings(live=True, out=tmp_path / "out"))


def test_a_gzip_bomb_is_not_inflated_past_the_limit(loopback, tmp_path, monkeypatch):
    from twindata.contract.errors import SourceError
    from twindata.sources.transport import http

    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 1 << 20)
    loopback.faults = [("gzip_bomb", 8 << 20)]
    with pytest.raises(SourceError, match="larger than 1 MiB once decoded"):
        live_run(tmp_path)
    assert not (tmp_path / "out" / PACKAGE).exists() or not list((tmp_path / "out" / PACKAGE).glob("2.*"))


def test_an_answer_that_drips_is_cut_off_by_the_whole_request_deadline(loopback, tmp_path):
    import time

    from twindata.contract.errors import SourceError

    loopback.faults = [("drip", 0.3)]
    start = time.monotonic()
    with pytest.raises(SourceError):
        live_run(tmp_path)
    assert time.monotonic() - start < 15  # 4 x the 1 s timeout, plus the run around it


def test_a_redirect_to_another_host_is_not_followed(loopback, tmp_path):
    from twindata.contract.errors import SourceError

    other = loopback.base.replace("127.0.0.1", "localhost")
    loopback.faults = [("redirect_to", other)]
    with pytest.raises(SourceError, match="redirected to another host"):
        live_run(tmp_path)
    assert loopback.count("/wikidata") == 1  # the forged answer was never asked for


def test_a_snapshot_whose_files_leave_it_or_whose_id_is_not_its_content_is_refused(tmp_path, snapshot_copy):
    manifest = json.loads((snapshot_copy / "manifest.json").read_text())
    manifest["exchanges"][0]["file"] = "../../../../etc/passwd"
    (snapshot_copy / "manifest.json").write_text(json.dumps(manifest))
    done = cli("run", "--snapshot", str(snapshot_copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "inside the snapshot" in done.stderr
    manifest["exchanges"][0]["file"] = f"responses/{manifest['exchanges'][0]['sha256']}.json"
    manifest["snapshot_id"] = "sha256:" + "0" * 64
    (snapshot_copy / "manifest.json").write_text(json.dumps(manifest))
    done = cli("run", "--snapshot", str(snapshot_copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "is not the one its answers give" in done.stderr


# --- releases: exactly the files their index lists, as regular files ------------------------------------------

@pytest.fixture(scope="module")
def published(shared_releases) -> Path:
    return shared_releases / "registry" / PACKAGE / "2.0.0"


@pytest.mark.parametrize("plant", ["data/evil.csv", "run.sh", "data/.cities.csv"])
def test_a_file_planted_in_a_release_fails_validate(published, tmp_path, plant):
    import shutil

    release = tmp_path / "2.0.0"
    shutil.copytree(published, release)
    (release / plant).write_text("x\n")
    done = cli("validate", str(release), "--checksums-only")
    assert done.returncode == 1 and plant in done.stdout + done.stderr


def test_a_file_replaced_by_a_symlink_fails_validate(published, tmp_path):
    import shutil

    release = tmp_path / "2.0.0"
    shutil.copytree(published, release)
    twin = tmp_path / "twin.csv"
    shutil.copy(release / "data" / "cities.csv", twin)
    (release / "data" / "cities.csv").unlink()
    (release / "data" / "cities.csv").symlink_to(twin)
    done = cli("validate", str(release), "--checksums-only")
    assert done.returncode == 1 and "symbolic link" in done.stdout + done.stderr


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/hostname"])
def test_a_resource_path_that_leaves_the_release_is_refused_before_reading(published, tmp_path, path):
    import shutil

    release = tmp_path / "2.0.0"
    shutil.copytree(published, release)
    descriptor = json.loads((release / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = path
    (release / "datapackage.json").write_text(json.dumps(descriptor))
    for args in (["validate", str(release), "--checksums-only"], ["diff", str(published), str(release)]):
        done = cli(*args)
        assert done.returncode == 1 and "leaves the release folder" in done.stdout + done.stderr, args


def test_a_version_folder_copied_by_hand_is_named(published, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(published.parent, out / PACKAGE)
    shutil.copytree(out / PACKAGE / "2.0.0", out / PACKAGE / "2.0.1")
    done = cli("run", "--out", str(out))
    assert done.returncode == 1 and "2.0.1" in done.stderr and "copied by hand" in done.stderr


def test_diff_between_two_packages_says_so(published, shared_releases):
    done = cli("diff", str(published), str(shared_releases / "world" / "world-twinning" / "2.0.0"))
    assert done.returncode == 1 and "a diff compares two versions of one package" in done.stderr


@pytest.mark.parametrize("args", [["versions", "--out", "/nonexistent/releases"], ["diff", "*", "1.*"]])
def test_a_mistyped_folder_or_version_is_an_error(args, tmp_path):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("env", ["TWINDATA_TIMEOUT=inf", "TWINDATA_TIMEOUT=nan", "TWINDATA_COMMONS_FRESHNESS_DAYS=1e309",
                                 "TWINDATA_LOCK_TIMEOUT=abc", "TWINDATA_TIMEOUT=0"])
def test_a_bad_setting_is_one_line(env, tmp_path):
    import os

    key, value = env.split("=")
    done = cli("run", "--out", str(tmp_path / "out"), env={**os.environ, key: value})
    assert done.returncode == 1 and "Traceback" not in done.stderr and key in done.stderr


@pytest.mark.parametrize("content", ['[]', '{}', '"x"', '5', 'null', 'not json', '{"resources": 5}',
                                     '{"resources": [{"name": "x"}]}', '{"resources": [{"name": "x", "path": null}]}',
                                     '{"resources": [{"name": "cities", "path": "data/cities.csv", "format": "csv", '
                                     '"hash": "sha256:0", "schema": 5}]}'])
def test_a_datapackage_of_the_wrong_shape_is_one_line(published, tmp_path, content):
    import shutil

    import twindata

    release = tmp_path / "2.0.0"
    shutil.copytree(published, release)
    (release / "datapackage.json").write_text(content)
    for args in (["validate", str(release)], ["diff", str(published), str(release)],
                 ["asof", "2020-01-01", "--release", str(release)]):
        done = cli(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (args, done.stderr)
    with pytest.raises(TwindataError, match="datapackage.json"):  # the loader: one line too, never a traceback
        twindata.load("cities", release=release)


@pytest.mark.parametrize("content", ['[]', '"x"', '5'])
def test_a_run_after_a_latest_release_of_the_wrong_shape_is_one_line(published, tmp_path, content):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(published.parent, out / PACKAGE)
    (out / PACKAGE / published.name / "datapackage.json").write_text(content)
    done = cli("run", "--out", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "datapackage.json" in done.stderr, done.stderr


@pytest.mark.parametrize("content", ['[]', '{"versions": 5}', '{"versions": [3]}', '{"versions": [{"version": 1}]}'])
def test_the_loader_refuses_a_versions_index_of_the_wrong_shape_in_one_line(published, tmp_path, content):
    import shutil

    import twindata

    shutil.copytree(published.parent, tmp_path / PACKAGE)
    (tmp_path / PACKAGE / "versions.json").write_text(content)
    with pytest.raises(TwindataError, match="versions.json: not a versions index"):
        twindata.load("cities", release=tmp_path / PACKAGE)


@pytest.mark.parametrize("content", ['[]', '{"versions": {}}', '{"versions": [{"version": "abc", "path": "abc"}]}',
                                     '{"versions": [], "latest": "9.9.9"}'])
def test_a_versions_index_of_the_wrong_shape_is_one_line(published, tmp_path, content):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(published.parent, out / PACKAGE)
    (out / PACKAGE / "versions.json").write_text(content)
    for args in (["run", "--out", str(out)], ["versions", "--out", str(out)], ["asof", "2020-01-01", "--out", str(out)]):
        done = cli(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr and "versions.json" in done.stderr, args


def test_a_missing_registry_column_is_named(registry_copy, tmp_path):
    text = (registry_copy / "cities.csv").read_text(encoding="utf-8").splitlines()
    rows = [",".join(c for j, c in enumerate(line.split(",")) if j != 3) for line in text]
    (registry_copy / "cities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    done, _ = run_registry(registry_copy, tmp_path)
    assert done.returncode == 1 and "'country_code'" in done.stderr and "column missing" in done.stderr


def test_terminal_escape_sequences_in_an_error_line_are_shown_not_run(tmp_path):
    done = cli("diff", str(tmp_path / "\x1b[31mred\x1b[0m"), "2.0.0", "--out", str(tmp_path))
    assert done.returncode == 1 and "\x1b" not in done.stderr and "\\u001b[31mred" in done.stderr


# --- the world snapshot, registry.json's portal fields, BASE_URL and the loader ------------------------------------

def test_a_formula_or_bidi_label_in_a_world_partition_is_quarantined_not_published(tmp_path):
    from twindata.checks.gate import run_gate

    from test_world import reconcile, statement

    rows = [statement(("Q10", "=HYPERLINK(\"http://x\")", "DE"), ("Q20", "Bb", "FR")),
            statement(("Q30", "Cc\u202e", "DE"), ("Q40", "Dd", "FR")), statement(("Q50", "Ee", "DE"), ("Q60", "Ff", "FR"))]
    frames, issues = reconcile(tmp_path, rows)
    from twindata.contract.issues import Issues
    from twindata.contract.tables import CoreTables

    gated = run_gate(CoreTables(frames, Issues()))
    names = gated.tables["cities"].column("name").to_pylist()
    assert "Ee" in names and not any(n.startswith("=") or "\u202e" in n for n in names)
    held = issues[issues.kind == "quarantined_row"]  # held back as the partition is read, before any reconciling
    assert set(held.field) == {"subject_label"} and len(held) == 2


def test_a_world_manifest_file_outside_the_snapshot_is_one_line(tmp_path):
    from test_world import snapshot, statement

    folder = snapshot(tmp_path / "snap", [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR"))])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["path"] = "../../../../etc/passwd"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    import os
    done = cli("run", "--package", "world", "--out", str(tmp_path / "out"),
               env={**os.environ, "TWINDATA_WORLD_SNAPSHOT": str(folder)})
    assert done.returncode == 1 and "Traceback" not in done.stderr and "not a file inside the snapshot" in done.stderr


@pytest.mark.parametrize("field, value", [("publisher", {"name": "X", "url": "javascript:alert(1)"}),
                                          ("contact", {"name": "X", "url": "file:///etc/passwd"}),
                                          ("municipality_key", "0591300\n"), ("doi", "=HYPERLINK(1)")])
def test_a_bad_portal_field_in_registry_json_is_one_line(registry_copy, tmp_path, field, value):
    metadata = json.loads((registry_copy / "registry.json").read_text(encoding="utf-8"))
    metadata[field] = value
    (registry_copy / "registry.json").write_text(json.dumps(metadata), encoding="utf-8")
    done, _ = run_registry(registry_copy, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "registry.json" in done.stderr


def test_a_base_url_that_is_not_http_is_one_line(tmp_path):
    import os

    done = cli("run", "--out", str(tmp_path / "out"), env={**os.environ, "TWINDATA_BASE_URL": "javascript:alert(1)"})
    assert done.returncode == 1 and "Traceback" not in done.stderr and "TWINDATA_BASE_URL" in done.stderr


def test_the_loader_refuses_a_resource_path_that_leaves_the_release(published, tmp_path):
    import shutil

    import twindata


    release = tmp_path / "2.0.0"
    shutil.copytree(published, release)
    descriptor = json.loads((release / "datapackage.json").read_text())
    for r in descriptor["resources"]:
        if r["name"] == "cities-parquet":
            r["path"] = "../../../../etc/passwd"
    (release / "datapackage.json").write_text(json.dumps(descriptor))
    with pytest.raises(TwindataError, match="leaves the release folder"):
        twindata.load("cities", release=release)


@pytest.mark.parametrize("value", ["Leeds", "a\nb", "a\tb", "a\rb", "\x00", "\x7f", "x\u202eY", "\u2066x", "\u200fRTL",
                                   "=1+1", "+49", "-3", "@SUM(A1)", "a=b", "Zwickau – Sachsen", "ﬁ", ""])
def test_one_value_and_a_column_are_judged_by_the_same_rules(value):
    """The registry judges values one at a time (Python's re), the gate whole columns (Arrow's RE2): one set of
    patterns, the same verdict, for a prose field (notes) and a one-line field (type)."""
    import pyarrow as pa

    from twindata.checks.policies import TextRules
    from twindata.contract.text import problem

    found = TextRules().check(pa.table({"note": [value], "type": [value]}), "partnerships")
    assert {e.field: e.message for e in found} == {
        field: reason for field, reason in (("note", problem(value, prose=True)), ("type", problem(value)))
        if reason is not None}


def test_an_outside_sources_names_are_read_without_invisible_marks(tmp_path):
    """Granada with a left-to-right mark (as Wikidata's 2017 extract has it) is Granada: the marks are dropped where
    an outside source's text is read; the ZWNJ a Persian spelling needs stays."""
    from twindata.contract.tables import visible_column
    from twindata.contract.text import problem, visible

    assert visible("Granada\u200e") == "Granada" and visible("\ufeffA\u200bB\u2060C\u061c") == "ABC"
    assert visible("می\u200cخواهم") == "می\u200cخواهم"
    assert visible_column(pa.array(["Granada\u200e", None, "Zu\u0308rich"])).to_pylist() == ["Granada", None, "Zürich"]
    assert "invisible mark" in problem("Granada\u200e") and problem("Granada") is None


@pytest.mark.parametrize("wait", ["3600", "Wed, 01 Dec 2027 00:00:00 GMT"])
def test_a_retry_after_of_an_hour_or_a_year_ends_the_run_in_one_line(loopback, tmp_path, monkeypatch, wait):
    import time

    from twindata.contract.errors import SourceError

    monkeypatch.setenv("TWINDATA_MAX_RETRIES", "2")
    loopback.faults = [("status", 429, {"Retry-After": wait})]
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"asks to wait [\d,]+ s before asking again \(Retry-After\)"):
        live_run(tmp_path)
    assert time.monotonic() - start < 30


def test_a_label_of_50_mib_is_held_back_not_read_into_the_release():
    raw = entity()
    raw["labels"]["en"]["value"] = "x" * (50 << 20)
    parsed = parse_entity(raw)
    assert parsed.label is None and [h[0] for h in parsed.held] == ["wikidata_label"]
    assert "characters long" in parsed.held[0][2] and len(str(parsed.held[0][1])) < 100


def test_a_qid_of_400_digits_is_no_item():
    from twindata.contract.identity import QID

    assert QID.fullmatch("Q1295") and QID.fullmatch("Q135000000") and not QID.fullmatch("Q" + "1" * 400)


def test_a_cell_longer_than_a_csv_block_is_read_not_called_unreadable(tmp_path):
    from twindata.checks.compiled import compile_schema
    from twindata.checks.validator import read_text
    from twindata.contract.schema import table_schema

    compiled = compile_schema("input-wikipedia-pairs", table_schema("input-wikipedia-pairs"))
    path = tmp_path / "pairs.csv"
    path.write_text("city1,country1,city2,country2\n" + "x" * (3 << 20) + ",Germany,Bergen,Norway\n", encoding="utf-8")
    text = read_text(path, compiled)
    assert text is not None and len(text.column("city1")[0].as_py()) == 3 << 20  # then its maxLength holds it back


def test_validate_with_a_versions_index_that_is_a_list_is_one_line(published, tmp_path):
    import shutil

    copy = shutil.copytree(published.parent, tmp_path / PACKAGE)
    (copy / "versions.json").write_text("[]", encoding="utf-8")
    done = cli("validate", str(copy / "2.0.0"))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "not a versions index" in done.stderr
