"""The Evidence report on the real pipeline: the feed export, a killed build, and the site the session's nightly
published (`nightly.site`, built by the Dagster report asset from `nightly.published`) driven in headless Chromium.

Every expected figure and name is queried from the published warehouse with duckdb (never from the feed or the
site), and where practical worked out from lower-level marts than the ones the page reads.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from opsready import report

CHROMIUM = os.environ.get("OPSREADY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"


def pct1(value: float) -> str:
    return f"{value * 100:.1f}%"


def num0(value: float) -> str:
    return f"{round(value):,}"


def wh_query(warehouse: Path, sql: str, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params).fetchall()


# --- fixtures -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report_warehouse(published_warehouse) -> Path:
    """The real pipeline's published warehouse (one nightly per session)."""
    return published_warehouse


@pytest.fixture(scope="module")
def built_site(nightly) -> Path:
    """The site the nightly's report asset published."""
    assert (nightly.site / "index.html").exists(), "the nightly published no report"
    return nightly.site


@pytest.fixture(scope="module")
def facts(report_warehouse) -> dict:
    """Plants and pilots the page checks are about, found by querying the warehouse."""
    wh = report_warehouse
    blocked = wh_query(wh, "select plant_id, next_wave, blocking_gate from marts.plant_readiness "
                           "qualify as_of = max(as_of) over (partition by plant_id) "
                           "and not ready order by plant_id limit 1")
    ready = wh_query(wh, "select plant_id from marts.plant_readiness "
                         "qualify as_of = max(as_of) over (partition by plant_id) and ready order by plant_id limit 1")
    assert blocked and ready, "the sample must have a blocked and a ready plant"
    hostile = wh_query(wh, "select pilot_name, plant_id from staging.stg_pilots__pilots "
                           "where pilot_name like '%<script>%' order by pilot_id limit 1")
    non_ascii = wh_query(wh, "select pilot_name, plant_id from staging.stg_pilots__pilots "
                             "where regexp_matches(pilot_name, '[^\\x00-\\x7F]') order by pilot_id limit 1")
    assert hostile and non_ascii, "the sample must hold a hostile and a non-ASCII pilot name"
    (blocked_plant, next_wave, blocking_gate), = blocked
    return {
        "blocked": blocked_plant, "blocked_next_wave": next_wave, "blocking_gate": blocking_gate,
        "ready": ready[0][0],
        "xss_name": hostile[0][0], "xss_plant": hostile[0][1],
        "unicode_name": non_ascii[0][0], "unicode_plant": non_ascii[0][1],
    }


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


def _pages(facts: dict) -> dict[str, str | None]:
    return {
        "/": "portfolio.png",
        "/plants/": "plants.png",
        f"/plants/{facts['blocked']}/": "plant-blocked.png",
        f"/plants/{facts['ready']}/": "plant-ready.png",
        f"/plants/{facts['xss_plant']}/": None,
        f"/plants/{facts['unicode_plant']}/": None,
        "/gates/": "gates.png",
        "/data-quality/": "data-quality.png",
        "/methodology/": "methodology.png",
    }


@pytest.fixture(scope="module")
def visits(browser, site_url, facts) -> dict[str, Visit]:
    return {path: Visit(browser, site_url, path, shot) for path, shot in _pages(facts).items()}


# --- feed export (no build) -----------------------------------------------------------------------------------------

def _storage_version(path: Path) -> int:
    # DuckDB main header: 8-byte checksum, "DUCK" magic, then the uint64 storage version.
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return int.from_bytes(head[12:20], "little")


def test_export_feed_copies_the_published_marts(report_warehouse, tmp_path):
    feed = report.export_feed(report_warehouse, tmp_path / "feed" / "opsready.duckdb")
    assert feed == tmp_path / "feed" / "opsready.duckdb"
    assert _storage_version(report_warehouse) > 67  # written by the new duckdb, which Evidence cannot read
    assert _storage_version(feed) == 64  # v1.0.0 storage
    assert sorted(p.name for p in feed.parent.iterdir()) == ["opsready.duckdb"]
    with duckdb.connect(str(report_warehouse), read_only=True) as wh:
        marts = {t: wh.execute(f'select count(*) from marts."{t}"').fetchone()[0] for (t,) in wh.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        quarantine = dict(((s, e, r), n) for s, e, r, n in wh.execute(
            "select source, entity, reason, count(*) from audit.quarantine group by all").fetchall())
        loads = wh.execute("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined), count(*) "
                           "from audit.load_log where status <> 'skipped'").fetchone()
        history = wh.execute("select count(*) from audit.readiness_history").fetchone()[0]
    assert {"pilot_register", "pilot_purgatory", "oee_rollup", "mdq_failing_records", "readiness_timeline"} <= set(marts)
    with duckdb.connect(str(feed), read_only=True) as con:
        for table, rows in marts.items():
            assert con.execute(f'select count(*) from marts."{table}"').fetchone()[0] == rows, table
        got = dict(((s, e, r), n) for s, e, r, n in con.execute(
            "select source, entity, reason, rows from audit.quarantine_summary").fetchall())
        assert got == quarantine and sum(got.values()) > 0
        assert con.execute("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(files) "
                           "from audit.load_summary").fetchone() == loads
        assert con.execute("select count(*) from audit.readiness_history").fetchone()[0] == history > 0
        # the hostile pilot name survives byte for byte
        assert con.execute("select count(*) from marts.pilot_register where pilot_name = '<script>alert(1)</script>'"
                           ).fetchone() == (1,)


def test_export_feed_refuses_a_warehouse_missing_a_report_input(report_warehouse, tmp_path):
    wh = tmp_path / "wh.duckdb"
    shutil.copy(report_warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("alter table marts.pilot_register drop column pilot_name")
        con.execute("drop table marts.readiness_timeline")
    with pytest.raises(report.ReportInputError) as err:
        report.export_feed(wh, tmp_path / "feed" / "opsready.duckdb")
    assert "marts.pilot_register(pilot_name)" in str(err.value)
    assert "marts.readiness_timeline (table)" in str(err.value)
    assert not (tmp_path / "feed").exists() or not list((tmp_path / "feed").iterdir())


def test_killed_build_keeps_the_last_site(report_warehouse, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("previous site")
    wh = tmp_path / "wh.duckdb"
    shutil.copy(report_warehouse, wh)
    with pytest.raises(report.ReportBuildError, match="timed out"):
        report.build_report(wh, site, timeout_s=4)
    assert (site / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]


# --- the built site -------------------------------------------------------------------------------------------------

def test_every_page_renders_offline_without_errors(visits):
    for path, visit in visits.items():
        assert visit.page_errors == [], path
        assert visit.console_errors == [], path
        assert visit.foreign_requests == [], path
        assert visit.dialogs == [], path
        assert "404" not in visit.text.split("\n")[0], path
        assert "Error" not in visit.text, path  # Evidence shows query/component errors inline
    for shot in ("portfolio.png", "plant-blocked.png", "gates.png", "data-quality.png", "methodology.png"):
        assert (SCREENSHOTS / shot).stat().st_size > 10_000, shot


def test_portfolio_figures_match_the_warehouse(visits, report_warehouse):
    wh = report_warehouse
    index = visits["/"].text
    # Pilot-to-scale per company, worked out from the pilot register's statuses (scaled / concluded).
    rows = wh_query(wh, "select company, count(*) filter (where status = 'scaled'), "
                        "count(*) filter (where status in ('scaled', 'stopped', 'stalled')), count(*) "
                        "from marts.pilot_register group by company order by company")
    assert len(rows) == 2
    for company, scaled, concluded, started in rows:
        assert f"{company}: {pct1(scaled / concluded)} pilot-to-scale" in index
        assert f"{num0(scaled)} scaled of {num0(concluded)} concluded, {num0(started)} started" in index

    # Realisation per company: summed annualised benefit over summed planned benefit.
    for company, realisation in wh_query(
            wh, "select company, sum(annualised_benefit) / sum(planned_annual_benefit) "
                "from marts.benefit_realisation group by company"):
        assert f"{company}: {pct1(realisation)} realised" in index

    # The most overdue stalled pilot: days from its planned end to the readiness date.
    (pilot, name, overdue), = wh_query(
        wh, "select pilot_id, pilot_name, datediff('day', planned_end_on, as_of) from marts.pilot_register "
            "where status = 'stalled' order by 3 desc, pilot_id limit 1")
    line = next(l for l in index.splitlines() if l.startswith(pilot + "\t"))
    assert name in line and num0(overdue) in line.split("\t")


def test_plant_gate_and_quality_figures_match_the_warehouse(visits, report_warehouse, facts):
    wh = report_warehouse
    (read, loaded, quarantined), = wh_query(
        wh, "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from audit.load_log "
            "where status <> 'skipped'")
    assert read == loaded + quarantined
    dq = visits["/data-quality/"].text
    assert f"{num0(read)} rows read, {num0(loaded)} loaded, {num0(quarantined)} quarantined" in dq

    (plants, ready), = wh_query(
        wh, "select count(*), count(*) filter (where ready) from (select * from marts.plant_readiness "
            "qualify as_of = max(as_of) over (partition by plant_id))")
    assert f"{plants} plants, of which {ready} are ready" in visits["/gates/"].text

    plant = facts["blocked"]
    page = visits[f"/plants/{plant}/"].text
    (mdq, as_of), = wh_query(wh, "select mdq_score, as_of from marts.plant_mdq where plant_id = ? "
                                 "order by as_of desc limit 1", plant)
    assert f"MDQ score {pct1(mdq)} as of {as_of:%Y-%m-%d}" in page

    # Latest whole month's OEE and unplanned downtime, from the daily work-center fact (summed, SPEC §4).
    (month, oee, downtime), = wh_query(
        wh, "select date_trunc('month', day)::date as m, "
            "sum(apt_s) / sum(pbt_s) * sum(ideal_production_s) / sum(apt_s) filter (where has_production_counts) "
            "* sum(good_qty) / sum(produced_qty), sum(adot_s) / sum(pbt_s) "
            "from marts.fct_oee_daily where plant_id = ? "
            "and day <= (select max(as_of) from marts.plant_readiness) group by m order by m desc limit 1", plant)
    assert f"Latest month ({month:%Y-%m}): OEE {pct1(oee)}" in page
    assert f"unplanned downtime {pct1(downtime)} of planned busy time" in page

    # MDQ failing-record count of the plant's worst rule.
    (entity, rule, failing), = wh_query(
        wh, "select entity, rule, count(distinct record_key) from marts.mdq_failing_records where plant_id = ? "
            "group by all order by 3 desc, entity, rule limit 1", plant)
    assert any(l.split("\t")[0] == entity and rule in l.split("\t") and num0(failing) in l.split("\t")
               for l in page.splitlines()), (entity, rule, failing)


def test_blocked_plant_names_its_failing_criterion(visits, report_warehouse, facts):
    plant = facts["blocked"]
    rows = wh_query(
        report_warehouse,
        "select gate, criterion from marts.readiness_criteria where plant_id = ? and gate = ? and not passed "
        "qualify as_of = max(as_of) over ()", plant, facts["blocking_gate"])
    assert rows, "the blocked plant must have a failing criterion at its blocking gate"
    text = visits[f"/plants/{plant}/"].text
    assert f"blocked for wave {facts['blocked_next_wave']} at gate {facts['blocking_gate']}" in text
    for gate, criterion in rows:
        # since when it fails: the first date after the last date it passed, from the kept readiness history
        (since,), = wh_query(
            report_warehouse,
            "select min(as_of) from audit.readiness_history where plant_id = ? and gate = ? and criterion = ? "
            "and not passed and as_of > coalesce((select max(as_of) from audit.readiness_history where "
            "plant_id = ? and gate = ? and criterion = ? and passed), date '1900-01-01')",
            plant, gate, criterion, plant, gate, criterion)
        line = next(l for l in text.splitlines() if l.startswith(f"{criterion} (gate {gate})"))
        assert line.endswith(f"failing since {since:%Y-%m-%d}"), line
    assert "1970-01-01" not in text and "1970-01-01" not in visits["/gates/"].text  # no null date shown as epoch
    assert "No gate blocks this plant." not in text
    assert "No gate blocks this plant." in visits[f"/plants/{facts['ready']}/"].text


def test_hostile_and_non_ascii_text_render_as_text(visits, facts):
    assert facts["xss_name"] == "<script>alert(1)</script>"
    for path, name in ((f"/plants/{facts['xss_plant']}/", facts["xss_name"]), ("/", facts["xss_name"]),
                       (f"/plants/{facts['unicode_plant']}/", facts["unicode_name"]), ("/", facts["unicode_name"])):
        visit = visits[path]
        assert name in visit.text, (path, name)
        assert not visit.has_alert_script, path
        assert visit.dialogs == [], path


def test_published_site_is_complete(built_site, facts):
    for path in ("index.html", "gates/index.html", "data-quality/index.html", "methodology/index.html",
                 f"plants/{facts['blocked']}/index.html", f"plants/{facts['ready']}/index.html"):
        assert (built_site / path).exists(), path
    leftovers = [p.name for p in built_site.parent.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []
