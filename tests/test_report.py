"""The Evidence report: feed export, a real offline Evidence build, and the built site in headless Chromium.

The warehouse comes from one fixture, `report_warehouse`. For now it is the hand-filled scratch warehouse of
`tests/report_fixtures.py` (SPEC §6 columns, made-up values); once `tests/conftest.py` provides the session fixture
`published_warehouse` (the real pipeline's published DuckDB), make `report_warehouse` return that instead. The
expected figures are always queried from the warehouse with duckdb, never from the feed or the site.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from opsready import report
from report_fixtures import BLOCKED_PLANT, UNICODE_NAME, XSS_NAME, make_scratch_warehouse

CHROMIUM = os.environ.get("OPSREADY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
BUILD_TIMEOUT_S = 900


def pct1(value: float) -> str:
    return f"{value * 100:.1f}%"


def num0(value: float) -> str:
    return f"{round(value):,}"


def wh_query(warehouse: Path, sql: str, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params).fetchall()


# --- fixtures -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report_warehouse(tmp_path_factory) -> Path:
    """The published warehouse the report is built from (swap for the real pipeline's `published_warehouse`)."""
    return make_scratch_warehouse(tmp_path_factory.mktemp("wh") / "opsready.duckdb")


@pytest.fixture(scope="module")
def built_site(report_warehouse, tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("reports") / "site"
    return report.build_report(report_warehouse, site, timeout_s=BUILD_TIMEOUT_S)


@pytest.fixture(scope="module")
def site_url(built_site):
    server = report.make_server(built_site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}; `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Visit:
    """One page load with everything the browser reported along the way."""

    def __init__(self, browser, site_url: str, path: str, screenshot: str | None = None):
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", self._on_request)
        page.on("dialog", self._on_dialog)
        page.goto(site_url + path, wait_until="networkidle", timeout=60_000)
        page.wait_for_selector("article, main", timeout=30_000)
        page.wait_for_timeout(1500)
        self.text = page.inner_text("body")
        self.has_alert_script = page.evaluate(
            "() => [...document.scripts].some(s => (s.textContent || '').includes('alert(1)'))"
        )
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
        context.close()

    def _on_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            return
        self.foreign_requests.append(request.url)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


PAGES = {
    "/": "portfolio.png",
    "/plants/": "plants.png",
    f"/plants/{BLOCKED_PLANT}/": "plant-blocked.png",
    "/plants/MS-01/": "plant-ms-01.png",
    "/gates/": "gates.png",
    "/data-quality/": "data-quality.png",
    "/methodology/": "methodology.png",
}


@pytest.fixture(scope="module")
def visits(browser, site_url) -> dict[str, Visit]:
    return {path: Visit(browser, site_url, path, shot) for path, shot in PAGES.items()}


# --- feed export (no build) -----------------------------------------------------------------------------------------

def _storage_version(path: Path) -> int:
    # DuckDB main header: 8-byte checksum, "DUCK" magic, then the uint64 storage version.
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return int.from_bytes(head[12:20], "little")


def test_export_feed_copies_marts_and_fills_missing(tmp_path):
    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        # pilot_to_scale with a HUGEINT column and without `tier`; one extra mart; nothing else.
        con.execute("create table marts.pilot_to_scale as select 'company' as grain, 'GlobalTech' as grain_value, "
                    "'GlobalTech' as company, 40::hugeint as pilots_started, 28 as pilots_concluded, "
                    "4 as pilots_scaled, 15 as pilots_stalled, 4 / 28 as pilot_to_scale_rate")
        con.execute("create table marts.extra_mart as select 1.25::decimal(9, 2) as amount")
    assert _storage_version(wh) > 64  # written by the new duckdb, which Evidence cannot read

    feed = report.export_feed(wh, tmp_path / "feed" / "opsready.duckdb")
    assert feed == tmp_path / "feed" / "opsready.duckdb"
    assert _storage_version(feed) == 64  # v1.0.0 storage
    assert not list(feed.parent.glob(".*tmp*"))
    with duckdb.connect(str(feed), read_only=True) as con:
        tables = {(s, t) for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables()").fetchall()}
        for mart, cols in report.MART_COLUMNS.items():
            assert ("marts", mart) in tables
            got = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [mart]).fetchall()]
            assert set(cols) <= set(got), mart
        assert ("marts", "extra_mart") in tables
        assert ("audit", "quarantine_summary") in tables and ("audit", "load_summary") in tables
        assert con.execute("select count(*) from marts.fct_oee_daily").fetchone() == (0,)
        row = con.execute("select pilots_started, typeof(pilots_started), tier, pilot_to_scale_rate "
                          "from marts.pilot_to_scale").fetchone()
        assert row == (40, "BIGINT", None, pytest.approx(1 / 7))
        assert con.execute("select amount, typeof(amount) from marts.extra_mart").fetchone() == (1.25, "DOUBLE")


def test_export_feed_summarises_audit(tmp_path):
    wh = make_scratch_warehouse(tmp_path / "wh.duckdb")
    feed = report.export_feed(wh, tmp_path / "feed.duckdb")
    with duckdb.connect(str(feed), read_only=True) as con:
        # The scratch warehouse quarantines 200 bad numbers and 73 duplicate keys from erp-globaltech materials.
        got = dict(con.execute("select reason, rows from audit.quarantine_summary "
                               "where source = 'erp-globaltech'").fetchall())
        assert got == {"bad_number": 200, "duplicate_key": 73}
        assert con.execute("select sum(rows_read), sum(rows_quarantined) from audit.load_summary").fetchone() == (
            1200 + 5400 + 88000 + 64, 20 + 273 + 88)
        assert con.execute("select count(*) from marts.pilot_purgatory").fetchone() == (3,)


def test_killed_build_keeps_the_last_site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("previous site")
    wh = make_scratch_warehouse(tmp_path / "wh.duckdb")
    with pytest.raises(report.ReportBuildError, match="timed out"):
        report.build_report(wh, site, timeout_s=4)
    assert (site / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed", "report-build.log", "site", "wh.duckdb"]


# --- the built site -------------------------------------------------------------------------------------------------

def test_every_page_renders_offline_without_errors(visits):
    for path, visit in visits.items():
        assert visit.page_errors == [], path
        assert visit.console_errors == [], path
        assert visit.foreign_requests == [], path
        assert visit.dialogs == [], path
        assert "404" not in visit.text.split("\n")[0], path


def test_numbers_match_the_warehouse(visits, report_warehouse):
    wh = report_warehouse
    index = visits["/"].text
    for company, rate, scaled, concluded in wh_query(
        wh, "select company, pilot_to_scale_rate, pilots_scaled, pilots_concluded from marts.pilot_to_scale "
            "where grain = 'company' and pilots_concluded > 0"):
        assert company in index
        assert f"{pct1(rate)} pilot-to-scale" in index
        assert f"{num0(scaled)} scaled of {num0(concluded)} concluded" in index

    (pilot, overdue), = wh_query(wh, "select pilot_id, days_overdue from marts.pilot_purgatory "
                                     "order by days_overdue desc limit 1")
    assert pilot in index and num0(overdue) in index

    (read, loaded, quarantined), = wh_query(
        wh, "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from audit.load_log "
            "where status <> 'skipped'")
    dq = visits["/data-quality/"].text
    assert f"{num0(read)} rows read, {num0(loaded)} loaded, {num0(quarantined)} quarantined" in dq

    (plants, ready), = wh_query(
        wh, "select count(*), count(*) filter (where ready) from (select *, row_number() over "
            "(partition by plant_id order by as_of desc) rn from marts.plant_readiness) where rn = 1")
    assert f"{plants} plants, of which {ready} are ready" in visits["/gates/"].text

    (mdq,), = wh_query(wh, "select mdq_score from marts.plant_mdq where plant_id = ? order by as_of desc limit 1",
                       BLOCKED_PLANT)
    assert pct1(mdq) in visits[f"/plants/{BLOCKED_PLANT}/"].text

    # Monthly OEE from summed times and quantities (SPEC §4), latest month of MS-01.
    (oee,), = wh_query(
        wh, "select sum(effectiveness * apt_s) / sum(pbt_s) * sum(good_qty) / sum(produced_qty) "
            "from marts.fct_oee_daily where plant_id = 'MS-01' group by date_trunc('month', day) "
            "order by date_trunc('month', day) desc limit 1")
    assert pct1(oee) in visits["/plants/MS-01/"].text


def test_blocked_plant_names_its_failing_criterion(visits, report_warehouse):
    rows = wh_query(
        report_warehouse,
        "with latest as (select plant_id, max(as_of) as as_of from marts.readiness_criteria group by plant_id) "
        "select c.gate, c.criterion from marts.readiness_criteria c join latest using (plant_id, as_of) "
        "where c.plant_id = ? and not c.passed", BLOCKED_PLANT)
    assert rows, "the blocked plant must have a failing criterion"
    text = visits[f"/plants/{BLOCKED_PLANT}/"].text
    assert "blocked for wave" in text
    for gate, criterion in rows:
        assert f"{criterion} (gate {gate})" in text
    assert "All recorded gate criteria pass." not in text


def test_hostile_and_non_ascii_text_render_as_text(visits):
    index = visits["/"]
    assert XSS_NAME in index.text
    assert not index.has_alert_script
    assert index.dialogs == []
    assert UNICODE_NAME in index.text


def test_site_swap_replaces_previous_build(built_site):
    # The published folder is a complete site and no temporary folders are left beside it.
    assert (built_site / "index.html").exists()
    assert (built_site / "plants" / BLOCKED_PLANT / "index.html").exists()
    leftovers = [p.name for p in built_site.parent.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []
