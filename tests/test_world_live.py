"""The world package live: WDQS asked one partition (country) at a time, in pages, through the loopback server with
answers rebuilt from real rows of the bundled snapshot; 429 with Retry-After, a read timeout, a partition that keeps
failing (nothing published, the partition named), and a fresh partition not asked again."""

from __future__ import annotations

import pytest

from twindata.contract.bundled import world_snapshot
from twindata.contract.countries import assigned_codes
from twindata.contract.errors import SourceError
from twindata.packages import run_configured as run_world
from twindata.settings import load_settings
from twindata.sources import wdqs
from twindata.sources.extracts import read_world_snapshot

from wikimedia_server import LoopbackWikimedia, sparql_bindings


@pytest.fixture
def server(monkeypatch, tmp_path):
    with LoopbackWikimedia() as s:
        for key, value in {**s.env(), "TWINDATA_MAX_RETRIES": "2", "TWINDATA_TIMEOUT": "5"}.items():
            monkeypatch.setenv(key, value)
        rows = read_world_snapshot(world_snapshot(), partitions=["LU", "MT"]).p190
        for code in ("LU", "MT"):
            mine = [r for r in rows if r["subject_qid"] and r["partner_qid"] and r["subject_country"] in
                    ("Luxembourg", "Malta")]
            s.sparql_partitions[code] = sparql_bindings([r for r in mine if (r["subject_country"] == "Luxembourg") ==
                                                         (code == "LU")])
        yield s


@pytest.mark.slow
def test_a_live_world_run_asks_each_partition_once_strictly_one_at_a_time(server, tmp_path, monkeypatch):
    monkeypatch.setattr(wdqs, "PAGE", 3)  # small pages, so that a partition takes several
    settings = load_settings(package="world", live=True, out=tmp_path / "out")
    result = run_world(settings)
    assert result.publish.published
    lu = len(server.sparql_partitions["LU"])
    assert lu > 3
    pages = sum(len(server.sparql_partitions.get(c, [])) // 3 + 1 for c in assigned_codes())
    assert server.count("/sparql") == pages and server.max_in_flight == 1
    assertions = result.gate.tables["assertions"].to_pylist()
    assert sum(1 for a in assertions if a["assertion_id"].startswith("wikidata:")) >= lu
    store = settings.world_snapshot_path()
    assert len(list((store / "answers").glob("*.json"))) >= 1
    before = server.count("/sparql")
    again = run_world(settings)  # every partition fresh: nothing asked, nothing new published
    assert server.count("/sparql") == before and not again.publish.published


def test_429_with_retry_after_is_waited_for_and_a_failing_partition_publishes_nothing(server, tmp_path):
    settings = load_settings(package="world", live=True, out=tmp_path / "out")
    server.faults = [("status", 429, {"Retry-After": "0"})]
    done = wdqs.refresh(wdqs_client(settings), settings.world_snapshot_path(), ["LU"], 0)
    assert done == {"LU": f"{len(server.sparql_partitions['LU'])} statements"}
    server.faults = [("stall", 3)]  # a read timeout: retried within the budget
    quick = settings.model_copy(update={"timeout": 1.0})
    assert wdqs.refresh(wdqs_client(quick), settings.world_snapshot_path(), ["MT"], 0)["MT"].endswith("statements")
    server.faults = [("status", 500, {})] * 3
    with pytest.raises(SourceError, match="WDQS partition AD"):
        run_world(load_settings(package="world", live=True, out=tmp_path / "out", wdqs_freshness_days=0))
    assert not (tmp_path / "out" / "world-twinning").exists() or not any(
        p.name[0].isdigit() for p in (tmp_path / "out" / "world-twinning").iterdir())


def wdqs_client(settings):
    from twindata.context import RunContext
    return RunContext(settings).client


@pytest.mark.parametrize("paging, said", [("ignore_limit", "ignores LIMIT"), ("ignore_offset", "ignores OFFSET")])
def test_a_query_service_that_pages_wrongly_is_refused_not_followed_forever(server, tmp_path, paging, said):
    settings = load_settings(package="world", live=True, out=tmp_path / "out")
    server.paging = paging
    assert len(server.sparql_partitions["LU"]) > 3
    with pytest.raises(SourceError, match=f"WDQS partition LU: .*{said}"):
        wdqs.fetch_partition(wdqs_client(settings), "LU", page=2)
    assert server.count("/sparql") <= 2  # stopped at the first page that gives it away


@pytest.mark.parametrize("answer", [{"results": None}, {"results": {"bindings": ["x", 1]}}, [], "x",
                                    {"results": {"bindings": [{"st": {"value": "http://www.wikidata.org/entity/"
                                                                              "statement/Q1-x"},
                                                               "refs": {"value": "9" * 5000}}]}}])
def test_a_sparql_answer_of_the_wrong_shape_is_one_line(answer):
    try:
        rows = wdqs.parse(answer, "LU")
    except SourceError as exc:
        assert "results.bindings" in str(exc)
    else:
        assert rows[0]["reference_count"] is None  # a 5,000-digit count is no count


def test_a_run_killed_between_a_partition_and_the_manifest_is_mended_by_the_next(server, tmp_path):
    settings = load_settings(package="world", live=True, out=tmp_path / "out", wdqs_freshness_days=7)
    store = settings.world_snapshot_path()
    wdqs.refresh(wdqs_client(settings), store, ["LU"], 7)
    part = store / "wikidata" / "LU.csv"
    part.write_bytes(part.read_bytes() + b"")  # unchanged: fresh
    assert wdqs.is_fresh(store, "LU", 7)
    part.write_bytes(part.read_bytes().replace(b"\r\n", b"\r\n", 1)[:-2])  # the file a killed run left half-replaced
    assert not wdqs.is_fresh(store, "LU", 7)
    assert wdqs.refresh(wdqs_client(settings), store, ["LU"], 7)["LU"].endswith("statements")  # asked again
    assert wdqs.is_fresh(store, "LU", 7) and read_world_snapshot(store, partitions=["LU"]).p190
