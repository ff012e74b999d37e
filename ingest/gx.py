"""Great Expectations suites on each file's typed frame, before it loads (one suite per canonical entity).

Suites live in `expectations/<entity>.json` in GX 1.x's own suite format. Each expectation carries GX's
`severity`: `critical` means error severity (a failure blocks that file of the entity: nothing of it loads),
`warning` is recorded only. Results go to `audit.expectation_results`. GX runs on a pandas frame (never through
SQL), in one ephemeral context per process, with analytics and progress bars off.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SUITE_DIR = Path(__file__).resolve().parent.parent / "expectations"
SEVERITY = {"critical": "error", "warning": "warning", "info": "warning"}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result on one file's frame."""

    expectation: str  # e.g. expect_column_values_to_not_be_null(plant_id)
    severity: str  # error or warning
    success: bool
    observed: str  # e.g. "3 of 120 rows unexpected"
    details: str  # the kwargs, JSON


def suite_path(entity: str) -> Path:
    return SUITE_DIR / f"{entity}.json"


def _label(config: dict) -> str:
    kwargs = config.get("kwargs", {})
    target = kwargs.get("column") or kwargs.get("column_list") or (
        f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else "")
    if isinstance(target, list):
        target = "+".join(target)
    return f"{config['type']}({target})" if target else config["type"]


@lru_cache(maxsize=1)
def _context():
    """The process's one ephemeral GX context with a pandas data source and a whole-frame batch definition."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("opsready_ingest")
    batch_definition = source.add_dataframe_asset("landing_frame").add_batch_definition_whole_dataframe("whole")
    return context, batch_definition


@lru_cache(maxsize=None)
def load_suite(entity: str):
    """The entity's suite, read once from `expectations/<entity>.json` and registered in the context."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    path = suite_path(entity)
    if not path.is_file():
        raise FileNotFoundError(f"no Great Expectations suite for entity {entity!r}: {path} is missing")
    doc = json.loads(path.read_text(encoding="utf-8"))
    context, _ = _context()
    suite = gx.ExpectationSuite(name=doc["name"])
    for config in doc["expectations"]:
        suite.add_expectation_configuration(ExpectationConfiguration(
            type=config["type"], kwargs=config["kwargs"], meta=config.get("meta", {}),
            severity=config.get("severity", "critical")))
    return context.suites.add(suite)


def _observed(result: dict) -> str:
    res = result.get("result") or {}
    if "unexpected_count" in res and "element_count" in res:
        return f"{res['unexpected_count']} of {res['element_count']} rows unexpected"
    if "observed_value" in res:
        return str(res["observed_value"])[:500]
    return ""


def validate_frame(entity: str, frame: pl.DataFrame) -> list[ExpectationOutcome]:
    """Run the entity's suite on a typed canonical frame; one outcome per expectation."""
    suite = load_suite(entity)
    _, batch_definition = _context()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    validation = batch.validate(suite, result_format="BASIC")
    outcomes = []
    for item in validation.results:
        result = item.to_json_dict()
        config = result["expectation_config"]
        kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
        if result["exception_info"].get("raised_exception"):
            observed = f"error: {result['exception_info'].get('exception_message')}"[:500]
        else:
            observed = _observed(result)
        outcomes.append(ExpectationOutcome(_label(config), SEVERITY.get(str(config.get("severity")), "error"),
                                           bool(result["success"]), observed, json.dumps(kwargs, default=str)))
    return outcomes


def blocking_failures(outcomes: list[ExpectationOutcome]) -> list[ExpectationOutcome]:
    """The failed expectations of error severity (they block the file)."""
    return [o for o in outcomes if o.severity == "error" and not o.success]


def store_results(con: duckdb.DuckDBPyConnection, load_id: str, entity: str,
                  outcomes: list[ExpectationOutcome]) -> None:
    """Append outcomes to `audit.expectation_results` (inside the caller's transaction)."""
    con.executemany(
        "INSERT INTO audit.expectation_results (load_id, entity, expectation, severity, success, observed, details)"
        " VALUES (?,?,?,?,?,?,?)",
        [[load_id, entity, o.expectation, o.severity, o.success, o.observed, o.details] for o in outcomes])
