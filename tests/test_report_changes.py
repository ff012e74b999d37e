"""The "What changed overnight" panel in the real report, in real Chromium, after two generated nights where one
plant's master data is repaired (the session fixture `two_nights`, tests/two_nights.py, which
tests/test_nightly_changes.py checks at the dbt level).

The report is built by `opsready.report.build_report` from night 2's published warehouse, after the session's nightly
built its own: only the data changed, so this build prerenders the pages on the app that build compiled
(`reports/rerender.mjs`). What the panel must show is worked out here from each night's own readiness criteria and
the sample's plant master file, not from marts.nightly_changes: the plant's wave is 1 + the gates it passes in order,
and it is the only plant whose wave changed. A data-only rebuild of the nightly's own warehouse must give the site
the nightly published, file for file.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from opsready import report
from tests.test_report import REPO, SCREENSHOTS, Visit, browser  # noqa: F401  (browser: a fixture)
from tests.two_nights import AS_OF, PLANT


def _waves(warehouse: Path) -> dict[str, int]:
    """Each plant's current wave on AS_OF: 1 + the gates of config/gates.yaml it passes in order (a gate passes
    when every one of its criteria passed)."""
    gates = sorted(yaml.safe_load((REPO / "config" / "gates.yaml").read_text())["gates"], key=lambda g: g["from"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select plant_id, gate_from, passed from marts.readiness_criteria where as_of = ?",
                           [AS_OF]).fetchall()
    passed: dict[tuple[str, int], bool] = {}
    for plant, gate_from, ok in rows:
        passed[(plant, gate_from)] = passed.get((plant, gate_from), True) and ok
    waves = {}
    for plant in {plant for plant, _ in passed}:
        wave = 1
        for gate in gates:
            if gate["from"] != wave or not passed[(plant, gate["from"])]:
                break
            wave = gate["to"]
        waves[plant] = wave
    return waves


def _verdict(warehouse: Path, plant: str) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select verdict from marts.plant_readiness where plant_id = ? and as_of = ?",
                           [plant, AS_OF]).fetchone()[0]


def _plant_name(root: Path, plant: str) -> str:
    """The plant's name as MidState's ERP delivered it (T001W: WERKS, NAME1) in the latest snapshot."""
    t001w = root / "landing" / "erp-midstate" / AS_OF.isoformat() / "T001W.csv"
    plants = pl.read_csv(t001w, separator=";", encoding="utf8-lossy", infer_schema=False)
    plants = plants.rename({c: c.lstrip("\ufeff") for c in plants.columns})
    (name,) = plants.filter(pl.col("WERKS") == plant)["NAME1"].to_list()
    return name


def _prerendered_only(site: Path) -> bool:
    """Whether the build that published `site` reused the compiled app (its log, beside the site, names the step)."""
    return "===== prerender: " in (site.parent / "report-build.log").read_text()


#: The element ids the menus' library (melt-ui) draws at random on every render, and the attributes naming them.
_RANDOM_IDS = re.compile(rb'\b(id|aria-controls|aria-labelledby)="[A-Za-z0-9_-]{10}"')


def _site_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site, random element ids blanked, but the gzip copies (made from the others) and the
    source data files (`data/`: `evidence build` renames them by content hash; the offline browser never reads
    them)."""
    return {p.relative_to(site).as_posix(): _RANDOM_IDS.sub(rb'\1=""', p.read_bytes()) for p in site.rglob("*")
            if p.is_file() and p.suffix != ".gz" and p.relative_to(site).parts[0] != "data"}


def _pages_and_results(site: Path) -> dict[str, bytes | None]:
    """A built site's pages (names only: they name the app's bundles) and its prerendered query results."""
    return {p.relative_to(site).as_posix(): p.read_bytes() if p.suffix == ".arrow" else None
            for p in site.rglob("*") if p.suffix in (".html", ".arrow")}


@pytest.fixture(scope="module")
def site_after_repair(nightly, two_nights, tmp_path_factory) -> Path:
    assert (nightly.site / "index.html").exists()  # the session's nightly compiled the app first
    return report.build_report(two_nights.repaired, tmp_path_factory.mktemp("report_changes") / "site")


def test_a_data_only_rebuild_gives_the_site_a_build_gives(nightly, site_after_repair, tmp_path):
    rebuilt = report.build_report(nightly.published, tmp_path / "site")
    assert _prerendered_only(rebuilt) and _prerendered_only(site_after_repair)
    expected, got = _site_files(nightly.site), _site_files(rebuilt)
    assert sorted(got) == sorted(expected)
    assert [name for name in got if got[name] != expected[name]] == []
    assert (rebuilt / "data" / "manifest.json").is_file()


@pytest.fixture(scope="module")
def front_page(site_after_repair, browser) -> Visit:  # noqa: F811
    server = report.make_server(site_after_repair, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Visit(browser, f"http://127.0.0.1:{server.server_address[1]}", "/", "what-changed-1400.png")
    finally:
        server.shutdown()
        server.server_close()


def test_the_panel_shows_exactly_the_repaired_plant_newly_passing(two_nights, front_page):
    before, after = _waves(two_nights.broken), _waves(two_nights.repaired)
    moved = {plant for plant in after if after[plant] != before[plant]}
    assert moved == {PLANT} and after[PLANT] > before[PLANT] == 1  # night 1: held at gate 1->2 on master data
    expected = ["Plant newly passing", PLANT, _plant_name(two_nights.root, PLANT),
                f"wave {before[PLANT]}, {_verdict(two_nights.broken, PLANT)}",
                f"wave {after[PLANT]}, {_verdict(two_nights.repaired, PLANT)}"]

    rows = front_page.table("nightly-changes")
    plant_rows = [row for row in rows if row["attrs"]["change"].startswith("plant_")]
    assert [(row["attrs"]["change"], row["attrs"]["plant"]) for row in plant_rows] == [("plant_newly_passing", PLANT)]
    assert plant_rows[0]["cells"] == expected
    assert {row["attrs"].get("plant") for row in rows} == {PLANT}  # nothing else changed
    assert f"Between the nights of {AS_OF:%Y-%m-%d} and {AS_OF:%Y-%m-%d}:" in front_page.text
    assert front_page.page_errors == [] and front_page.console_errors == [] and front_page.foreign_requests == []
    assert (SCREENSHOTS / "what-changed-1400.png").stat().st_size > 10_000


def test_a_failed_data_only_rebuild_falls_back_to_the_full_build(nightly, site_after_repair, tmp_path, capsys):
    """A kept compiled app that cannot prerender (here its server bundle lost `internal.js`, as an interrupted
    clean-up leaves it) is not the end of the build: it says so, compiles the whole app, and publishes the site a
    full build gives; the new compiled app carries the key again, so the next build is data-only once more."""
    internal = report.TEMPLATE_DIR / ".svelte-kit" / "output" / "server" / "internal.js"
    assert internal.is_file() and report.APP_KEY_FILE.is_file()  # the builds before left a reusable app
    internal.unlink()

    site = report.build_report(nightly.published, tmp_path / "site")

    log = (site.parent / "report-build.log").read_text()
    assert 0 < log.index("===== prerender: ") < log.index("===== build: ")
    assert "compiling the whole app instead" in capsys.readouterr().out
    # A new compile gives the app a new version (SvelteKit stamps it with the build time), and so new bundle names;
    # the pages and every prerendered query result are the same.
    expected, got = _pages_and_results(nightly.site), _pages_and_results(site)
    assert sorted(got) == sorted(expected) and any(name.endswith(".arrow") for name in got)
    assert [name for name in got if got[name] != expected[name]] == []
    assert internal.is_file() and report.APP_KEY_FILE.is_file()
    again = report.build_report(nightly.published, tmp_path / "again")
    assert _prerendered_only(again) and "===== build: " not in (again.parent / "report-build.log").read_text()
