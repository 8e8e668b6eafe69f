"""What a release offers people and portals: the landing page in a real browser (headless Chromium), the package's
version page, escaping of whatever a source wrote, CITATION.cff and BibTeX, the zip and SHA256SUMS, and the loader
(local and over HTTP, checked against the release's checksums, with the schema's types)."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
import zipfile
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import twindata
from twindata.contract.errors import TwindataError

from conftest import cli, replace_in

PACKAGE = "dortmund-twinning"
ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def releases(shared_releases) -> Path:
    return shared_releases / "registry"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium here: .ci/run installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_the_landing_page_shows_downloads_dictionary_credits_and_citation_in_a_browser(releases, browser):
    release = releases / PACKAGE / "2.0.0"
    page, problems = open_page(browser, release / "index.html")
    assert "partnership_id" not in page.inner_text("body")  # the dictionary is folded away until asked for
    page.click("summary")
    text = page.inner_text("body")
    for expected in ("Town twinning of Dortmund", "Städtepartnerschaften der Stadt Dortmund", "Downloads",
                     "data/partnerships.csv", "Data dictionary", "partnership_id", "Pictures",
                     '"Quai bélu in Amiens" by Emmanuel LEGRAND', "How to cite", "@misc{dortmund-twinning-2-0-0",
                     "Vintage of the data", "twindata.load(", "read_parquet"):
        assert expected in text, expected
    sha = (release / "datapackage.json").read_text()
    assert json.loads(sha)["twindata"]["content_sha256"] in text
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    local = [h for h in links if not h.startswith(("http://", "https://"))]
    assert len(local) > 15
    for href in local:
        assert (release / href).resolve().is_file(), href
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "landing-dortmund.png"), full_page=True)
    assert problems == []


def test_the_package_page_lists_every_version_with_the_latest_marked(releases, browser, registry_copy, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(releases, out)
    replace_in(registry_copy / "registry.json", '"title": "Town twinning of Dortmund"',
               '"title": "Town twinning of Dortmund (Städtepartnerschaften)"')  # a new title: 2.0.1
    assert cli("run", "--registry", str(registry_copy), "--out", str(out)).returncode == 0
    page, problems = open_page(browser, out / PACKAGE / "index.html")
    rows = page.inner_text("tbody").splitlines()
    assert rows[0].startswith("2.0.1 (latest)") and rows[1].startswith("2.0.0") and "latest" not in rows[1]
    assert problems == []


def test_markup_from_a_source_is_shown_as_text_never_run(registry_copy, tmp_path, browser):
    hostile = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
    replace_in(registry_copy / "images.csv", "Quai bélu in Amiens", hostile.replace('"', '""'))
    done = cli("run", "--registry", str(registry_copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    page, _ = open_page(browser, tmp_path / "out" / PACKAGE / "2.0.0" / "index.html")
    assert page.title() != "pwned"
    assert page.eval_on_selector_all("script, img", "els => els.length") == 0
    assert "<script>document.title" in page.inner_text("body")


def test_citation_cff_bibtex_zip_and_sha256sums(releases):
    release = releases / PACKAGE / "2.0.0"
    cff = yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8"))
    digest = json.loads((release / "datapackage.json").read_text())["twindata"]["content_sha256"]
    assert cff["cff-version"] == "1.2.0" and cff["version"] == "2.0.0" and cff["license"] == "CC-BY-4.0"
    assert {"type": "other", "value": f"sha256:{digest}"}.items() <= cff["identifiers"][0].items()
    assert [a["name"] for a in cff["authors"]] == ["Stadt Dortmund", "twindata contributors"]
    with zipfile.ZipFile(release / "dortmund-twinning-2.0.0.zip") as z:
        names = set(z.namelist())
        assert z.read("data/partnerships.csv") == (release / "data" / "partnerships.csv").read_bytes()
    on_disk = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    # all but what describes the zip itself: the DCAT files (its checksum) and SHA256SUMS
    assert names == on_disk - {"dortmund-twinning-2.0.0.zip", "SHA256SUMS", "dcat.ttl", "dcat.jsonld"}
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == len(on_disk) - 1


def test_a_file_added_to_a_release_or_a_changed_zip_is_named(releases, tmp_path):
    release = tmp_path / "2.0.0"
    shutil.copytree(releases / PACKAGE / "2.0.0", release)
    (release / "data" / "extra.csv").write_text("a\n1\n")
    with open(release / "dortmund-twinning-2.0.0.zip", "ab") as f:
        f.write(b"\0")
    done = cli("validate", str(release), "--checksums-only")
    assert done.returncode == 1 and "extra.csv" in done.stdout + done.stderr
    assert "dortmund-twinning-2.0.0.zip" in done.stdout + done.stderr


# --- the loader ------------------------------------------------------------------------------------------------------

@pytest.fixture
def served(releases):
    """The releases folder over HTTP on loopback."""
    handler = functools.partial(_Quiet, directory=str(releases))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_load_gives_the_schemas_types_and_descriptions_locally_and_over_http(releases, served):
    local = twindata.load("partnerships", release=releases / PACKAGE)
    remote = twindata.load("partnerships", release=f"{served}/{PACKAGE}", version="2.0.0")
    csv = twindata.load("partnerships", release=str(releases / PACKAGE / "2.0.0"), format="csv")
    for frame in (local, remote, csv):
        assert str(frame["start_year"].dtype) == "Int64" and str(frame["stated_by_city_a"].dtype) == "boolean"
        assert isinstance(frame["start_date"].dropna().iloc[0], date)
        assert frame.attrs["descriptions"]["confidence"] and frame.attrs["version"] == "2.0.0"
    assert local.equals(remote) and local.drop(columns=[]).astype(object).equals(csv.astype(object))
    cities = twindata.load("cities", release=f"{served}/{PACKAGE}/2.0.0")
    assert str(cities["latitude"].dtype) == "Float64" and "Q1295" in set(cities["city_id"])


def test_load_refuses_a_changed_file_and_names_what_is_missing(releases, tmp_path):
    copy = tmp_path / "2.0.0"
    shutil.copytree(releases / PACKAGE / "2.0.0", copy)
    parquet = copy / "data" / "cities.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-1] + b"\0")
    with pytest.raises(TwindataError, match="sha256 differs"):
        twindata.load("cities", release=copy)
    with pytest.raises(TwindataError, match="no table 'nope'"):
        twindata.load("nope", release=copy)
    with pytest.raises(TwindataError, match="no version '9.9.9'"):
        twindata.load("cities", release=releases / PACKAGE, version="9.9.9")


def test_frictionless_reads_the_csv_with_the_same_types(releases):
    from frictionless import Package

    package = Package(str(releases / PACKAGE / "2.0.0" / "datapackage.json"))
    frame = package.get_resource("partnerships").to_pandas()
    ours = twindata.load("partnerships", release=releases / PACKAGE, format="csv")
    assert list(frame.reset_index().columns) == list(ours.columns)
    assert frame.reset_index()["start_year"].dropna().astype(int).tolist() == ours["start_year"].dropna().astype(int).tolist()


def test_the_landing_page_shows_the_partners_on_a_map_before_the_files(releases):
    html = (releases / PACKAGE / "2.0.0" / "index.html").read_text(encoding="utf-8")
    assert "<main>" in html and "</main>" in html and "<script" not in html
    assert html.index("<h2>Partners of Dortmund</h2>") < html.index("<h2>Downloads</h2>")
    table = html[html.index("<h2>Partners of Dortmund</h2>"):html.index("<h2>Licence</h2>")]
    for partner in ("Amiens", "Leeds", "Rostov-on-Don", "Buffalo", "Netanya", "Novi Sad", "Xi'an", "Trabzon",
                    "Kumasi", "Zhytomyr", "Zwickau"):
        assert f"<td>{partner}" in table.replace("&#x27;", "'"), partner
    assert "suspended since 2022" in table and "<svg viewBox=" in table and table.count("<circle") >= 10
    assert table.index("<td>1960</td>") < table.index("<td>2025</td>")  # the phases by year: Amiens first
    timeline = table[table.index('class="timeline"'):]
    timeline = timeline[:timeline.index("</svg>")]
    assert ">Amiens</text>" in timeline and "<title>twinning 1977–, suspended since 2022</title>" in timeline
    assert "<title>project partnership 2010–2014</title><" in timeline and "solidarity partnership 2023–2025" in timeline
    assert "twinning: year not stated" in timeline  # a community-only partnership: named, not drawn
    pictures = html[html.index("<h2>Pictures</h2>"):html.index("<h2>Downloads</h2>")]
    assert "<strong>Quai bélu in Amiens</strong> (Amiens)" in pictures and "Emmanuel LEGRAND" in pictures
    assert '<a href="https://artlibre.org/licence/lal/en/">Free Art Licence</a>' in pictures and "<img" not in pictures
    dictionary = html[html.index("<h2>Data dictionary</h2>"):]
    assert dictionary.startswith("<h2>Data dictionary</h2><details>")
    package = (releases / PACKAGE / "index.html").read_text(encoding="utf-8")
    assert 'href="dcat.jsonld"' in package and "<main>" in package


def test_the_world_page_shows_the_network(shared_releases):
    html = (shared_releases / "world" / "world-twinning" / "2.0.0" / "index.html").read_text(encoding="utf-8")
    network = html[html.index("<h2>The network</h2>"):html.index("<h2>Licence</h2>")]
    assert "<h3>Most-twinned cities</h3>" in network and "<h3>Pairs of countries</h3>" in network
    assert network.count("<circle") >= 200 and "confirmed by a city's records" in network
    lead = html[html.index("<h1>"):html.index("<h2>")]
    assert "This release:" not in lead and "partnerships (" not in lead  # the lead says what it is; figures follow
    assert "<summary>This release in figures</summary><p>" in html
    by_country = network[network.index("<h3>Partnerships by country</h3>"):]
    totals = [int(n.replace(",", "")) for n in re.findall(r"</a></td><td>\d+</td><td>([\d,]+)</td>", by_country)]
    assert len(totals) > 150 and totals == sorted(totals, reverse=True)
    release = shared_releases / "world" / "world-twinning" / "2.0.0"
    pages = sorted((release / "countries").glob("*.html"))
    assert len(pages) > 150 and all(f'href="countries/{p.name}"' in network for p in pages)
    germany = (release / "countries" / "DE.html").read_text(encoding="utf-8")
    assert "<h1>Germany</h1>" in germany and "<td>Dortmund</td>" in germany and "Amiens (FR) (confirmed)" in germany
    assert 'href="../index.html"' in germany and "<main>" in germany and "<script" not in germany
    sums = (release / "SHA256SUMS").read_text(encoding="utf-8")
    assert "countries/DE.html" in sums  # every page is a file of the release, checked like the data


@pytest.mark.parametrize("width", [390, 1366])
def test_pages_never_scroll_sideways(releases, shared_releases, browser, width):
    for path in (releases / PACKAGE / "2.0.0" / "index.html", releases / PACKAGE / "index.html",
                 shared_releases / "world" / "world-twinning" / "2.0.0" / "index.html",
                 shared_releases / "world" / "world-twinning" / "2.0.0" / "countries" / "DE.html"):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"{path.parent.name}-{path.stem}-{width}.png"))
        page.close()


def test_pages_have_no_serious_or_critical_accessibility_violations(releases, shared_releases, browser):
    from axe_playwright_python.sync_playwright import Axe

    for path in (releases / PACKAGE / "2.0.0" / "index.html", releases / PACKAGE / "index.html",
                 shared_releases / "world" / "world-twinning" / "2.0.0" / "index.html",
                 shared_releases / "world" / "world-twinning" / "2.0.0" / "countries" / "DE.html"):
        page = browser.new_page()
        page.goto(path.as_uri())
        found = Axe().run(page).response["violations"]
        page.close()
        assert [(v["id"], v["impact"]) for v in found if v["impact"] in ("serious", "critical")] == [], path
        assert "landmark-one-main" not in {v["id"] for v in found} and "region" not in {v["id"] for v in found}
