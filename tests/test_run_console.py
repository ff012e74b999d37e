"""`opsready run` as an operator sees it, on the session's small estate (conftest `small_nightly`: scale 0.05, no
report build, its first night run by the real command): a short console (a line per phase, the verdict, no DEBUG,
no line over 200 characters) and the detail in the log file. On the warehouse it publishes: every mart's table and
column comments are the YAML's descriptions, and `opsready catalog` builds the dbt docs offline with every mart and
serves them on 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import cli_env

OPSREADY = str(Path(sys.executable).with_name("opsready"))
REPO = Path(__file__).resolve().parent.parent
MARTS = REPO / "dbt_project" / "models" / "marts"
VERDICT = re.compile(r"^published; (\d+) plants can advance, (\d+) blocked(?:, (\d+) at the top wave)?; "
                     r"([\d,]+) rows quarantined; (\d+) dbt warnings?$")


@pytest.fixture(scope="module")
def console_run(small_nightly):
    return small_nightly.root, small_nightly.console


def test_the_console_is_short_and_ends_with_the_verdict(console_run):
    root, done = console_run
    lines = (done.stderr + done.stdout).splitlines()
    assert len(lines) <= 40, "\n".join(lines)
    assert max(len(line) for line in lines) <= 200
    assert not [line for line in lines if "DEBUG" in line]
    verdicts = [m for m in map(VERDICT.match, lines) if m]
    assert len(verdicts) == 1, "\n".join(lines)
    can_advance, blocked, top, rows, warnings = verdicts[0].groups()
    with duckdb.connect(str(root / "warehouse" / "opsready.duckdb"), read_only=True) as con:
        plants = con.execute("select count(*) filter (where current_wave < 4), count(*) filter (where current_wave = 4)"
                             " from marts.plant_readiness"
                             " where as_of = (select max(as_of) from marts.plant_readiness)").fetchone()
        quarantined = con.execute("select count(*) from (select distinct load_id, row from audit.quarantine)"
                                  ).fetchone()[0]
        new_files = con.execute("select count(*) from audit.load_log where status in ('loaded', 'replaced')"
                                ).fetchone()[0]
    assert int(can_advance) + int(blocked) == plants[0] and int(top or 0) == plants[1]
    assert int(can_advance) + int(blocked) + int(top or 0) == 12  # the sample's plants: 4 MidState, 8 GlobalTech
    assert int(rows.replace(",", "")) == quarantined > 0
    # one line per phase, with counts
    ingest = next(line for line in lines if "] ingest: " in line and "files new" in line)
    assert f"ingest: {new_files} files new" in ingest and f"{quarantined:,} quarantined" in ingest
    # Great Expectations validated within the step: some of its time, never more than all of it
    validating, step = map(float, re.search(r"GX validating (\d+\.\d) s \((\d+\.\d) s\)$", ingest).groups())
    assert 0 < validating < step
    dbt = next(line for line in lines if "] dbt build: " in line and "nodes done" in line)
    done_nodes, total = map(int, re.search(r"(\d+)/(\d+) nodes done", dbt).groups())
    assert done_nodes == total > 100
    assert f"{warnings} warned" in dbt
    assert any("] publish: at " in line for line in lines)


def test_the_log_file_holds_the_detail(console_run):
    root, done = console_run
    named = re.search(r"^full log: (\S+)$", done.stderr, re.M).group(1)
    log = Path(named)
    assert log.parent == root / "logs" and log.exists()
    text = log.read_text()
    assert "Running dbt command" in text  # the long dbt command line is here, not on the console
    assert "STEP_SUCCESS" in text and "START sql table model marts.plant_readiness" in text
    assert len(text.splitlines()) > 10 * len((done.stderr + done.stdout).splitlines())


def test_mart_comments_are_the_yaml_descriptions(console_run):
    root, _ = console_run
    with duckdb.connect(str(root / "warehouse" / "opsready.duckdb"), read_only=True) as con:
        tables = dict(con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts' "
                                  "union all select view_name, comment from duckdb_views() where schema_name = 'marts'"
                                  ).fetchall())
        columns = {(t, c): comment for t, c, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'").fetchall()}
    checked = 0
    for spec in MARTS.glob("*.yml"):
        for model in yaml.safe_load(spec.read_text())["models"]:
            assert tables[model["name"]] == model["description"], model["name"]
            for column in model["columns"]:
                assert columns[(model["name"], column["name"])] == column["description"], (model["name"], column)
                checked += 1
    assert checked > 100


def test_catalog_builds_offline_with_every_mart_and_serves(small_nightly, tmp_path):
    root = small_nightly.copy_to(tmp_path / "estate")  # the catalog is built under the data root
    built = subprocess.run([OPSREADY, "catalog", "--no-serve"], env=cli_env(root), capture_output=True, text=True,
                           timeout=900)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    site = root / "catalog" / "site"
    catalog = json.loads((site / "catalog.json").read_text())["nodes"]
    manifest = json.loads((site / "manifest.json").read_text())
    for sql in MARTS.glob("*.sql"):
        node = catalog[f"model.opsready.{sql.stem}"]
        described = yaml.safe_load((MARTS / f"{sql.stem}.yml").read_text())["models"][0]
        assert set(node["columns"]) == {c["name"] for c in described["columns"]}, sql.stem
        assert node["metadata"]["comment"] == described["description"]
    assert len([k for k in manifest["exposures"]]) == 6
    assert not (root / "catalog" / "work").exists()  # the warehouse copy is removed
    from opsready.catalog import make_server

    with make_server(site, 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            with urllib.request.urlopen(url + "index.html", timeout=30) as page:
                assert b"dbt" in page.read(3_000_000)
            with urllib.request.urlopen(url + "catalog.json", timeout=30) as served:
                assert json.loads(served.read())["nodes"] == catalog
        finally:
            server.shutdown()
