"""The whole nightly path, end to end, on the default sample estate (issue 3's proof).

Every expectation here is worked out independently of the pipeline: from the generator's manifest, or by reading
the landing files directly with plain Python.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from ingest.entities import ENTITIES
from opsready.paths import Settings
from orchestration.definitions import build_definitions

AS_OF = date(2025, 12, 31)
GRACE_DAYS = 90


def test_every_asset_of_the_nightly_materialized(nightly):
    materialized = {"/".join(e.asset_key.path) for e in nightly.result.get_asset_materialization_events()}
    graph = build_definitions(Settings.from_env()).resolve_asset_graph()
    expected = {"/".join(k.path) for k in graph.materializable_asset_keys}
    assert len(expected) > 60
    assert expected - materialized == set()


def test_load_log_matches_the_manifest(nightly, warehouse):
    log = {
        (row[0], row[1]): row[2:]
        for row in warehouse.execute(
            "select file, entity, rows_read, rows_loaded, rows_quarantined, status from audit.load_log"
        ).fetchall()
    }
    assert nightly.manifest["files"], "the generator wrote no files"
    for f in nightly.manifest["files"]:
        relative_to_landing = f["path"].removeprefix("landing/")
        read, loaded, quarantined, status = log[(relative_to_landing, f["entity"])]
        expected_quarantine = sum(f.get("quarantine", {}).values())
        assert status == "loaded", f["path"]
        assert read == f["rows"], f["path"]
        assert quarantined == expected_quarantine, f["path"]
        assert loaded == f["rows"] - expected_quarantine, f["path"]


def _register_pilot_fates(landing: Path) -> dict[str, dict[str, int]]:
    """Pilot fates per company as of 2025-12-31, straight from the newest register workbook, in plain Python."""
    newest = max((landing / "pilots").iterdir(), key=lambda p: p.name)
    book = newest / "roadmap_register.xlsx"
    initiatives = pl.read_excel(book, sheet_name="Initiatives").rows(named=True)
    pilots = pl.read_excel(book, sheet_name="Pilots").rows(named=True)
    log = pl.read_excel(book, sheet_name="Status log").rows(named=True)
    company_of = {i["Initiative ID"]: i["Company"] for i in initiatives}

    def as_date(value):
        return value.date() if hasattr(value, "date") and callable(value.date) else value

    fates: dict[str, dict[str, int]] = {}
    for p in pilots:
        entries = sorted((as_date(e["Date"]), e["Status"]) for e in log if e["Pilot ID"] == p["Pilot ID"])
        entries = [e for e in entries if e[0] <= AS_OF]
        if not entries:
            continue
        status = entries[-1][1]
        if status == "running" and p["Planned end"] and as_date(p["Planned end"]) + timedelta(GRACE_DAYS) < AS_OF:
            status = "stalled"
        counts = fates.setdefault(company_of[p["Initiative ID"]], {})
        counts[status] = counts.get(status, 0) + 1
    return fates


def test_pilot_to_scale_per_company_equals_an_independent_count(nightly, warehouse):
    fates = _register_pilot_fates(nightly.landing)
    rows = warehouse.execute(
        "select company, pilots_scaled, pilots_concluded, pilot_to_scale_rate, tier "
        "from marts.pilot_to_scale where grain = 'company' order by company"
    ).fetchall()
    assert {r[0] for r in rows} == {"MidState Components", "GlobalTech"}
    for company, scaled, concluded, rate, tier in rows:
        f = fates[company]
        expected_concluded = f.get("scaled", 0) + f.get("stopped", 0) + f.get("stalled", 0)
        assert scaled == f.get("scaled", 0)
        assert concluded == expected_concluded
        assert rate == pytest.approx(f.get("scaled", 0) / expected_concluded)
    by_company = {r[0]: r for r in rows}
    assert by_company["MidState Components"][3] == pytest.approx(0.75)
    assert by_company["MidState Components"][4] == "best in class"
    assert by_company["GlobalTech"][3] < 0.15
    assert by_company["GlobalTech"][4] == "pilot purgatory"


def test_raw_tables_hold_every_loaded_row(nightly, warehouse):
    for name in ENTITIES:
        in_log = warehouse.execute(
            "select coalesce(sum(rows_loaded), 0) from audit.load_log where entity = ? and status = 'loaded'", [name]
        ).fetchone()[0]
        in_raw = warehouse.execute(f"select count(*) from raw.{name}").fetchone()[0]
        assert in_raw == in_log, name


def test_opsready_sql_reads_the_published_warehouse(nightly):
    opsready = Path(sys.executable).with_name("opsready")
    query = "select company, pilot_to_scale_rate, tier from marts.pilot_to_scale where grain='company' order by 1"
    proc = subprocess.run([str(opsready), "sql", query, "--format", "csv"], capture_output=True, text=True,
                          env={**os.environ, "OPSREADY_DATA": str(nightly.root)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "company,pilot_to_scale_rate,tier"
    assert lines[2] == "MidState Components,0.75,best in class"
    assert lines[1].startswith("GlobalTech,") and lines[1].endswith(",pilot purgatory")


def test_opsready_sql_is_read_only_and_explains_errors(nightly):
    opsready = Path(sys.executable).with_name("opsready")
    env = {**os.environ, "OPSREADY_DATA": str(nightly.root)}
    proc = subprocess.run([str(opsready), "sql", "drop table marts.pilot_to_scale"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 2
    assert "read-only" in proc.stderr.lower()
    missing = subprocess.run([str(opsready), "sql", "select 1"], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "OPSREADY_DATA": str(nightly.root / "nowhere")})
    assert missing.returncode == 2
    assert "no published warehouse" in missing.stderr


def test_each_landing_check_ran_once_with_the_outcome_the_audit_tables_give(nightly, warehouse):
    """Both checks of every landing asset were evaluated exactly once (they share one step); row balance passed
    for every entity; the suite check failed exactly for entities with an error-severity expectation failure."""
    evaluations = [(e.asset_key.path[-1], e.check_name, e.passed)
                   for e in nightly.result.get_asset_check_evaluations() if e.asset_key.path[0] == "raw"]
    checks = ("rows_read_equal_loaded_plus_quarantined", "great_expectations_suite")
    assert sorted((entity, check) for entity, check, _ in evaluations) == sorted(
        (entity, check) for entity in ENTITIES for check in checks)
    assert all(passed for _, check, passed in evaluations if check == checks[0])
    failing_entities = {row[0] for row in warehouse.execute(
        "select distinct l.entity from audit.expectation_results r join audit.load_log l using (load_id) "
        "where r.severity = 'error' and not r.success").fetchall()}
    assert {entity for entity, check, passed in evaluations if check == checks[1] and not passed} == failing_entities


def _declared_constraints(kind: str) -> list[tuple[str, str, str, dict]]:
    """(schema, model, column, constraint) for every `kind` constraint declared in the YAML of the marts and
    intermediate models, read as plain YAML (not through dbt)."""
    import yaml

    from orchestration.transform.project import DBT_PROJECT_DIR

    return [(schema, model["name"], column["name"], constraint)
            for schema in ("marts", "intermediate")
            for path in (DBT_PROJECT_DIR / "models" / schema).glob("*.yml")
            for model in yaml.safe_load(path.read_text()).get("models", [])
            for column in model.get("columns", [])
            for constraint in column.get("constraints", []) if constraint["type"] == kind]


def test_not_null_constraints_are_enforced_by_the_warehouse(warehouse):
    # The not-null contract constraints declared in the YAML of the marts and intermediate models are NOT NULL columns
    # in the published warehouse's catalog: DuckDB refuses a null there, so no dbt test is needed.
    declared = {(schema, model, column) for schema, model, column, _ in _declared_constraints("not_null")}
    not_null = set(warehouse.execute("select table_schema, table_name, column_name from information_schema.columns "
                                     "where table_schema in ('marts', 'intermediate') and is_nullable = 'NO'"
                                     ).fetchall())
    # converted from not_null data tests: 38 on the table marts, 12 on intermediate tables (2026-11-27); issue 24's
    # readiness marts added 19 on the marts (gate_definitions 6, gate_gap 5, readiness_criteria 3, nightly_changes 3,
    # plant_readiness 2)
    assert len([d for d in declared if d[0] == "marts"]) == 57
    assert len([d for d in declared if d[0] == "intermediate"]) == 12
    assert declared <= not_null
    assert ("marts", "plant_readiness", "current_wave") in not_null
    assert ("marts", "plant_roi", "has_measurable_roi") in not_null
    assert ("intermediate", "int_pilot_status_intervals", "valid_from") in not_null
    # a warn-severity not_null stays a test: a constraint would fail the build
    assert ("intermediate", "int_pilot_status_as_of", "company") not in not_null


def test_check_constraints_are_enforced_by_the_warehouse(warehouse, published_warehouse, tmp_path):
    # The check constraints declared in the YAML are CHECK constraints of the published warehouse's tables, and DuckDB
    # refuses a row that breaks one. They replaced 21 accepted_values and share tests on table models (2026-11-27);
    # the incremental tables keep their tests (their DDL dates from the first build).
    import shutil

    import duckdb

    declared = {(schema, model, constraint["expression"])
                for schema, model, _, constraint in _declared_constraints("check")}
    assert len(declared) == 25  # 21 + issue 24's status, verdict, unit and change_type value lists
    assert ("marts", "pilot_to_scale", "tier in ('best in class', 'good', 'average', 'pilot purgatory')") in declared
    in_catalog = {(schema, table, re.sub(r"[()\"]", "", text).lower()) for schema, table, text in warehouse.execute(
        "select schema_name, table_name, constraint_text from duckdb_constraints() where constraint_type = 'CHECK'"
    ).fetchall()}
    assert {(s, t, "check" + re.sub(r"[()\"]", "", e).lower()) for s, t, e in declared} == in_catalog

    scratch = tmp_path / "copy.duckdb"
    shutil.copyfile(published_warehouse, scratch)
    with duckdb.connect(str(scratch)) as con:
        con.execute("update marts.pilot_to_scale set tier = 'good' where grain = 'company'")  # an accepted value
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            con.execute("update marts.pilot_to_scale set tier = 'excellent' where grain = 'company'")
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            con.execute("update marts.plant_mdq set mdq_score = 1.5")
        con.execute("update marts.plant_mdq set mdq_score = null")  # null passes, as it did the share test


def test_the_nights_dbt_log_is_plain_text_at_info_level(nightly):
    """dbt.log in a run's target folder: one readable line per event (node results, warnings), no JSON, no colour
    codes and no SQL statements (those are debug level). dagster-dbt reads dbt's JSON events on stdout."""
    lines = nightly.dbt_log.read_text().splitlines()
    assert re.match(r"^\d\d:\d\d:\d\d  Running with dbt=1\.11\.", lines[0]), lines[0]
    assert any(" OK created sql table model " in line for line in lines)
    assert not any(line.lstrip().startswith("{") or "\x1b[" in line for line in lines)
    assert not any(re.search(r"\bcreate (or replace )?table\b", line, re.IGNORECASE) for line in lines)
