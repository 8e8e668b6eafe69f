"""The live HTTP layer under faults, against a loopback server that answers from real recorded responses:
429 with Retry-After (seconds and HTTP-date), 503 then success, maxlag, a truncated body, a timeout, a redirect,
missing pages and entities; batching, continuation, the retry budget, record/replay and the incremental cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import urllib3.util.retry

from twindata.contract.errors import SourceError
from twindata.packages import run_configured as run
from twindata.settings import load_settings
from twindata.sources import commons, wikidata
from twindata.sources.transport.http import WikimediaClient

from conftest import cli, release_tables, write_registry
from wikimedia_server import LoopbackWikimedia, http_date

BIELEFELD_TITLES = ["File:Foobar.jpg", "File:Apple_Lisa2-IMG_1517.jpg"]


@pytest.fixture
def server(monkeypatch):
    with LoopbackWikimedia() as s:
        for key, value in s.env().items():
            monkeypatch.setenv(key, value)
        yield s


@pytest.fixture
def sleeps(monkeypatch):
    """Every wait urllib3's Retry asks for, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", waited.append)
    return waited


def client(**overrides) -> WikimediaClient:
    return WikimediaClient(load_settings(**{"live": True, **overrides}))


def test_429_with_retry_after_seconds_is_honoured(server, sleeps):
    server.faults = [("status", 429, {"Retry-After": "3"})]
    c = client()
    result = wikidata.fetch_entities(c, ["Q2112"])
    assert result.entities["Q2112"].label == "Bielefeld"
    assert sleeps == [3.0] and c.requests_made == 2 and server.count("/wikidata") == 2


def test_retry_after_as_an_http_date_is_honoured(server, sleeps):
    server.faults = [("status", 503, {"Retry-After": http_date(5)})]
    wikidata.fetch_entities(client(), ["Q2112"])
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 6.0


def test_503_without_retry_after_backs_off_before_retrying(server, sleeps):
    server.faults = [("status", 503), ("status", 502)]
    c = client()
    assert "Q2112" in wikidata.fetch_entities(c, ["Q2112"]).entities
    assert c.requests_made == 3 and len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 3.0  # backoff factor 1 s, doubling, up to 1 s jitter


def test_maxlag_error_is_answered_like_a_429(server, sleeps):
    server.faults = [("maxlag",)]
    c = client()
    assert "Q2112" in wikidata.fetch_entities(c, ["Q2112"]).entities
    assert sleeps == [5.0] and c.requests_made == 2
    assert all(params["maxlag"] == "5" for _, params, _ in server.requests)


@pytest.mark.parametrize("fault", ["truncate", "garbage"])
def test_a_truncated_or_broken_body_is_asked_again(server, sleeps, fault):
    server.faults = [(fault,)]
    c = client()
    assert "Q2112" in wikidata.fetch_entities(c, ["Q2112"]).entities
    assert c.requests_made == 2 and len(sleeps) == 1


def test_a_timeout_is_retried(server, sleeps):
    server.faults = [("stall", 2.0)]
    c = client(timeout=0.3)
    assert "Q2112" in wikidata.fetch_entities(c, ["Q2112"]).entities
    assert server.count("/wikidata") == 2


def test_a_301_redirect_is_followed(server, sleeps):
    server.faults = [("redirect",)]
    assert "Q2112" in wikidata.fetch_entities(client(), ["Q2112"]).entities
    assert [path for path, _, _ in server.requests] == ["/wikidata/w/api.php", "/wikidata/moved/w/api.php"]


def test_budget_spent_fails_in_one_line_naming_endpoint_status_and_tries(server, sleeps):
    server.faults = [("status", 503)] * 10
    c = client(max_retries=3)
    with pytest.raises(SourceError) as info:
        wikidata.fetch_entities(c, ["Q2112"])
    message = str(info.value)
    assert "/wikidata/w/api.php" in message and "HTTP 503" in message and "4 tries" in message and "\n" not in message
    assert server.count("/wikidata") == 4 and len(sleeps) == 3


def test_a_failed_run_publishes_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TWINDATA_MAX_RETRIES", "1")
    server.faults = [("status", 500, {"Retry-After": "0"})] * 2
    out = tmp_path / "releases"
    result = cli("run", "--live", "--out", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "HTTP 500 after 2 tries" in result.stderr.splitlines()[-1]
    assert not any(out.rglob("datapackage.json"))


def test_missing_page_deleted_entity_and_novalue_entity(server, sleeps):
    c = client()
    result = wikidata.fetch_entities(c, ["Q10908976", "Q4115189", "Q483718"])
    assert result.missing == {"Q10908976"} and set(result.entities) == {"Q4115189", "Q483718"}
    found, missing, _ = commons.fetch_images(c, ["File:Foobar.jpg", "File:No such file anywhere.jpg"])
    assert found["File:Foobar.jpg"].licence_name == "CC0" and missing == {"File:No such file anywhere.jpg"}


def test_requests_are_batched_by_50_and_continuation_is_followed(server, sleeps):
    c = client()
    qids = [f"Q{n}" for n in range(1, 121)]  # 120 ids, most of them answered as missing
    wikidata.fetch_entities(c, qids)
    assert server.count("/wikidata") == math.ceil(120 / 50)
    titles = ["File:Foobar.jpg", "File:Helene_Fischer_2010.jpg", "File:Apple_Lisa2-IMG_1517.jpg",
              "File:Douglas adams portrait cropped.jpg"] + [f"File:Absent {n}.jpg" for n in range(71)]
    server.split_imageinfo_after = 2
    found, missing, _ = commons.fetch_images(c, titles)
    assert len(found) == 4 and len(missing) == 71
    assert found["File:Helene_Fischer_2010.jpg"].title == "File:Helene Fischer 2010.jpg"  # normalised, mapped back
    batches = math.ceil(75 / 50)
    assert batches <= server.count("/commons") <= batches + 2  # one continuation per batch at most
    continued = [p for path, p, _ in server.requests if path.startswith("/commons") and "iicontinue" in p]
    assert continued, "the split answer was continued"


def _bielefeld_registry(tmp_path: Path) -> Path:
    """A registry around Bielefeld (Q2112): its real entity names eight partners by P190, its P18 file is absent
    from the server (a missing page), and two picture credits point at files whose Commons answers are recorded."""
    commons_page = "https://commons.wikimedia.org/wiki/"
    return write_registry(
        tmp_path / "bielefeld", "bielefeld-test", ["de-bielefeld"], "CC0-1.0",
        cities=[{"city_id": "de-bielefeld", "name": "Bielefeld", "country_code": "DE", "wikidata_qid": "Q2112"}],
        images=[{"image_id": "foobar", "city_id": "de-bielefeld", "caption": "Foobar", "author": "Kaldari",
                 "licence_name": "CC0", "credit": "Own work", "commons_file_title": "File:Foobar.jpg",
                 "source_url": commons_page + "File:Foobar.jpg"},
                {"image_id": "lisa", "city_id": "de-bielefeld", "caption": "Apple Lisa2", "author": "Rama & Musée Bolo",
                 "licence_name": "CC BY-SA 2.0 fr", "credit": "Own work",
                 "commons_file_title": "File:Apple_Lisa2-IMG_1517.jpg",
                 "source_url": commons_page + "File:Apple_Lisa2-IMG_1517.jpg"}])



def test_recorded_snapshot_replays_to_the_same_tables_as_the_live_run(server, tmp_path):
    registry = _bielefeld_registry(tmp_path)
    live = run(load_settings(registry=registry, out=tmp_path / "live", live=True))
    snap = cli("snapshot", "--registry", str(registry), "--out", str(tmp_path / "snap"))
    assert snap.returncode == 0, snap.stderr
    served = len(server.requests)
    replay = cli("run", "--snapshot", str(tmp_path / "snap"), "--registry", str(registry), "--out", str(tmp_path / "replay"))
    assert replay.returncode == 0, replay.stderr
    assert len(server.requests) == served  # the replay asked nobody
    release = tmp_path / "replay" / "bielefeld-test" / "2.0.0"
    assert release_tables(release) == release_tables(live.publish.path)
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    descriptor = json.loads((release / "datapackage.json").read_text())
    assert descriptor["twindata"]["snapshot_id"] == manifest["snapshot_id"]
    assert descriptor["twindata"]["wikidata_revisions"]["Q2112"] == 1867923350
    for exchange in manifest["exchanges"]:
        assert {"url", "status", "file", "sha256", "retrieved"} <= set(exchange)
    again = cli("snapshot", "--registry", str(registry), "--out", str(tmp_path / "snap2"))
    assert again.returncode == 0
    assert json.loads((tmp_path / "snap2" / "manifest.json").read_text())["snapshot_id"] == manifest["snapshot_id"]
    partnerships = live.counts["partnerships"]
    assert partnerships == 0 and live.counts["images"] == 2  # Bielefeld's partners are unknown to the server


def test_unchanged_incremental_rerun_makes_no_commons_request(server, tmp_path, monkeypatch):
    registry = _bielefeld_registry(tmp_path)
    first = run(load_settings(registry=registry, out=tmp_path / "out", live=True))
    assert first.requests["commons"] == 1
    commons_before = server.count("/commons")
    second = run(load_settings(registry=registry, out=tmp_path / "out", live=True))
    assert server.count("/commons") == commons_before and second.requests["commons"] == 0
    assert second.requests["commons_saved"] == 1 and second.requests["entities_reused"] >= 1
    assert not second.publish.published
    monkeypatch.setenv("TWINDATA_COMMONS_FRESHNESS_DAYS", "0")  # the window has passed: ask again
    third = run(load_settings(registry=registry, out=tmp_path / "out", live=True))
    assert third.requests["commons"] == 1 and server.count("/commons") == commons_before + 1
