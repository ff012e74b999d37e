"""Checks beside the landing assets: the row balance of every file and the Great Expectations suite results.

Each landing asset `raw/<entity>` has two checks; all of them run in one Dagster step (`landing_checks`), because a
step per check cost about 0.15 s each, 32 of them a night, for queries of a few milliseconds."""


import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ingest.entities import ENTITIES

ROW_BALANCE = "rows_read_equal_loaded_plus_quarantined"
SUITE = "great_expectations_suite"


def row_balance(con: duckdb.DuckDBPyConnection, entity_name: str, run_id: str) -> dg.AssetCheckResult:
    """Every file of this run: rows read = rows loaded + rows quarantined (audit.load_log)."""
    bad = con.execute(
        "select file, rows_read, rows_loaded, rows_quarantined from audit.load_log "
        "where entity = ? and run_id = ? and status in ('loaded', 'replaced') "
        "and rows_read <> rows_loaded + rows_quarantined",
        [entity_name, run_id],
    ).fetchall()
    return dg.AssetCheckResult(asset_key=dg.AssetKey(["raw", entity_name]), check_name=ROW_BALANCE, passed=not bad,
                               metadata={"unbalanced_files": [list(map(str, b)) for b in bad]})


def expectation_suite(con: duckdb.DuckDBPyConnection, entity_name: str, run_id: str) -> dg.AssetCheckResult:
    """The entity's Great Expectations suite (expectations/) on each file loaded in this run. Error-severity
    failures already kept those files out of `raw`; this check shows them and every warning."""
    has_table = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'expectation_results'"
    ).fetchone()[0]
    rows = []
    if has_table:
        rows = con.execute(
            "select r.severity, r.expectation, l.file from audit.expectation_results r "
            "join audit.load_log l using (load_id) where l.entity = ? and l.run_id = ? and not r.success",
            [entity_name, run_id],
        ).fetchall()
    errors = [f"{f}: {e}" for s, e, f in rows if s == "error"]
    warnings = [f"{f}: {e}" for s, e, f in rows if s != "error"]
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", entity_name]), check_name=SUITE,
        passed=not errors,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={"failed_error_expectations": errors[:50], "failed_warning_expectations": warnings[:50],
                  "warnings": len(warnings)},
    )


CHECKS = {ROW_BALANCE: row_balance, SUITE: expectation_suite}
SPECS = [
    spec
    for name in ENTITIES
    for spec in (
        dg.AssetCheckSpec(ROW_BALANCE, asset=dg.AssetKey(["raw", name]), blocking=True,
                          description=row_balance.__doc__),
        dg.AssetCheckSpec(SUITE, asset=dg.AssetKey(["raw", name]), description=expectation_suite.__doc__),
    )
]


@dg.multi_asset_check(specs=SPECS, name="landing_checks", can_subset=True)
def landing_checks_step(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
    """Both checks of every landing asset in this run (only the selected ones when a run selects fewer)."""
    with warehouse.get_connection() as con:
        for key in sorted(context.selected_asset_check_keys, key=lambda k: (k.asset_key.path, k.name)):
            yield CHECKS[key.name](con, key.asset_key.path[-1], context.run.run_id)


landing_checks = [landing_checks_step]
