"""Checks beside the landing assets: the row balance of every file and the Great Expectations suite results."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingest.entities import ENTITIES


def build_row_balance_check(entity_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", entity_name]), name="rows_read_equal_loaded_plus_quarantined",
                    blocking=True)
    def _check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource) -> dg.AssetCheckResult:
        """Every file of this run: rows read = rows loaded + rows quarantined (audit.load_log)."""
        with warehouse.get_connection() as con:
            bad = con.execute(
                "select file, rows_read, rows_loaded, rows_quarantined from audit.load_log "
                "where entity = ? and run_id = ? and status in ('loaded', 'replaced') "
                "and rows_read <> rows_loaded + rows_quarantined",
                [entity_name, context.run.run_id],
            ).fetchall()
        return dg.AssetCheckResult(passed=not bad, metadata={"unbalanced_files": [list(map(str, b)) for b in bad]})

    return _check


def build_expectations_check(entity_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", entity_name]), name="great_expectations_suite")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource) -> dg.AssetCheckResult:
        """The entity's Great Expectations suite (expectations/) on each file loaded in this run. Error-severity
        failures already kept those files out of `raw`; this check shows them and every warning."""
        with warehouse.get_connection() as con:
            has_table = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'audit' and table_name = 'expectation_results'"
            ).fetchone()[0]
            rows = []
            if has_table:
                rows = con.execute(
                    "select r.severity, r.expectation, l.file from audit.expectation_results r "
                    "join audit.load_log l using (load_id) where l.entity = ? and l.run_id = ? and not r.success",
                    [entity_name, context.run.run_id],
                ).fetchall()
        errors = [f"{f}: {e}" for s, e, f in rows if s == "error"]
        warnings = [f"{f}: {e}" for s, e, f in rows if s != "error"]
        return dg.AssetCheckResult(
            passed=not errors,
            severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
            metadata={"failed_error_expectations": errors[:50], "failed_warning_expectations": warnings[:50],
                      "warnings": len(warnings)},
        )

    return _check


landing_checks = [build_row_balance_check(n) for n in ENTITIES] + [build_expectations_check(n) for n in ENTITIES]
