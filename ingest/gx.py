"""Great Expectations suites on each file's typed frame, before it loads (one suite per canonical entity).

Suites live in `expectations/<entity>.json` in GX 1.x's own suite format. Each expectation carries GX's
`severity`: `critical` means error severity (a failure blocks that file of the entity: nothing of it loads),
`warning` is recorded only. Results go to `audit.expectation_results`. GX runs on a pandas frame (never through
SQL), in one ephemeral context per process, with analytics and progress bars off.

Many files of one entity are validated in one batch (`validate_frames`): the frames are stacked with a
`_batch_file` column, and the expectations that hold per file (the column set, key uniqueness) are scoped by it.
Every other expectation is row by row, so the batch passes exactly when every file passes; each file then gets
the batch's outcomes. If anything in the batch fails, one more run over the batch lists the failing rows, and each
file gets the failures and counts of its own rows (exactly what GX says of the file alone); where that cannot be
told apart by file (a failed column set, a `mostly` below 1, duplicates of an all-null key) or the list would be
long (over MAX_LISTED_ROWS failing rows), each file is validated on its own.

A file of more than SAMPLE_ROWS rows is validated on a seeded random sample of SAMPLE_ROWS of its rows
(`validation_sample`; each outcome's observed value says so): the error-severity expectations (required columns not
null, the key unique in the file, the column set) ask what the contract (ingest/contract.py) has already checked on
every row; warnings block nothing, and on a sampled file their counts are the sample's.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from ingest.domains import domain_codes

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# GX's context is not thread-safe: its one whole-frame batch definition hands every caller the same batch id, so two
# threads validating at once (the landing step's two lanes, when GX runs in this process) get each other's frames.
# One suite run at a time per process; the nightly's GX process (ingest/gx_process.py) serialises likewise.
_CONTEXT_LOCK = threading.Lock()
SUITE_DIR = Path(__file__).resolve().parent.parent / "expectations"
SEVERITY = {"critical": "error", "warning": "warning", "info": "warning"}
BATCH_COLUMN = "_batch_file"
# Expectations that hold row by row: a stack of files passes exactly when every file passes.
ROW_BY_ROW = {"expect_column_values_to_not_be_null", "expect_column_values_to_be_between",
              "expect_column_values_to_be_in_set", "expect_column_pair_values_a_to_be_greater_than_b",
              "expect_column_value_lengths_to_equal", "expect_column_values_to_match_regex",
              "expect_column_values_to_be_null", "expect_column_values_to_not_be_in_set"}


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
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under 1 GB (an md5 over pandas' row hashes) only to label it in batch
    # markers; we never read that label, and it cost a third of the validation time of a million-row batch.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("opsready_ingest")
    batch_definition = source.add_dataframe_asset("landing_frame").add_batch_definition_whole_dataframe("whole")
    return context, batch_definition


@lru_cache(maxsize=None)
def _suite_doc(entity: str) -> dict:
    """The suite file's JSON, read once per process (every batch looks its expectations up here); a value set given
    as `{"domain": NAME}` is that domain's codes in config/domains.yaml."""
    path = suite_path(entity)
    if not path.is_file():
        raise FileNotFoundError(f"no Great Expectations suite for entity {entity!r}: {path} is missing")
    doc = json.loads(path.read_text(encoding="utf-8"))
    for expectation in doc["expectations"]:  # "value_set": {"domain": "unit_of_measure"}: config/domains.yaml's codes
        value_set = expectation["kwargs"].get("value_set")
        if isinstance(value_set, dict) and set(value_set) == {"domain"}:
            expectation["kwargs"]["value_set"] = list(domain_codes(value_set["domain"]))
    return doc


def _per_batch(config: dict) -> dict:
    """The expectation as it must run on stacked files: per-file expectations scoped by `_batch_file`."""
    kind, kwargs = config["type"], dict(config["kwargs"])
    if kind == "expect_table_columns_to_match_set":
        kwargs["column_set"] = [*kwargs["column_set"], BATCH_COLUMN]
    elif kind == "expect_column_values_to_be_unique":
        kind = "expect_compound_columns_to_be_unique"
        kwargs = {"column_list": [kwargs.pop("column"), BATCH_COLUMN], "ignore_row_if": "any_value_is_missing",
                  **{k: v for k, v in kwargs.items() if k != "column"}}
    elif kind == "expect_compound_columns_to_be_unique":
        kwargs["column_list"] = [*kwargs["column_list"], BATCH_COLUMN]
    elif kind not in ROW_BY_ROW:
        raise ValueError(f"{kind} has no batch form; add it to ingest.gx.ROW_BY_ROW if it holds row by row")
    return {**config, "type": kind, "kwargs": kwargs}


@lru_cache(maxsize=None)
def load_suite(entity: str, batch: bool = False):
    """The entity's suite, read once from `expectations/<entity>.json` and registered in the context (its batch
    form with `batch=True`). Each expectation's meta carries its position in the file (`_position`)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = _suite_doc(entity)
    context, _ = _context()
    suite = gx.ExpectationSuite(name=doc["name"] + ("__batch" if batch else ""))
    for position, config in enumerate(doc["expectations"]):
        config = _per_batch(config) if batch else config
        suite.add_expectation_configuration(ExpectationConfiguration(
            type=config["type"], kwargs=config["kwargs"], meta={**config.get("meta", {}), "_position": position},
            severity=config.get("severity", "critical")))
    return context.suites.add(suite)


def _observed(result: dict) -> str:
    res = result.get("result") or {}
    if "unexpected_count" in res and "element_count" in res:
        return f"{res['unexpected_count']} of {res['element_count']} rows unexpected"
    if "observed_value" in res:
        return str(res["observed_value"])[:500]
    return ""


def _validate(entity: str, frame, batch: bool, result_format: str = "BASIC") -> list[tuple[dict, dict]]:
    """(original expectation config, GX's result as a dict) per expectation, in suite-file order."""
    with _CONTEXT_LOCK:
        suite = load_suite(entity, batch)
        _, batch_definition = _context()
        validation = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format=result_format)
    originals = _suite_doc(entity)["expectations"]
    out = []
    for item in validation.results:
        result = item.to_json_dict()
        position = int(result["expectation_config"]["meta"]["_position"])
        out.append((position, originals[position], result))
    return [o[1:] for o in sorted(out, key=lambda o: o[0])]


def _raised(result: dict) -> bool:
    return bool(result["exception_info"].get("raised_exception"))


def _observed_or_error(result: dict) -> str:
    if _raised(result):
        return f"error: {result['exception_info'].get('exception_message')}"[:500]
    return _observed(result)


def _run(entity: str, frame, batch: bool) -> list[tuple[dict, bool, str]]:
    """(original expectation config, success, observed) per expectation, in suite-file order."""
    return [(config, bool(result["success"]), _observed_or_error(result))
            for config, result in _validate(entity, frame, batch)]


PER_FILE_KEYS = {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}  # scoped by file
# GX lists every failing row in the run that tells files apart; past this many, a run per file costs less than the list
MAX_LISTED_ROWS = 100_000
# A file of more rows is validated on a sample of this many (validation_sample): at ten times the sample estate a
# month of MES events is ~200,000 rows a file, and GX on every row cost more than reading and typing them.
SAMPLE_ROWS = 20_000


def _keyless_duplicates(config: dict, result: dict, stacked) -> bool:
    """Whether a failed key-uniqueness check counted rows whose key columns are all null: GX skips those on one file
    (`ignore_row_if` all_values_are_missing, its default), the batch form does not (its file column is never null)."""
    if config["type"] != "expect_compound_columns_to_be_unique":
        return False
    rows = stacked.loc[result["result"]["unexpected_index_list"], config["kwargs"]["column_list"]]
    return bool(rows.isna().all(axis=1).any())


def _batch_note(files: int) -> str:
    """What a file's outcome of a shared batch run adds to its observed value."""
    return f" (validated together with {files - 1} other file(s) of this run)"


def _per_file_from_rows(entity: str, stacked, heights: list[int]) -> list[list[tuple[dict, bool, str]]] | None:
    """Each file's (config, success, observed) from one run over the stacked files that lists the failing rows, or
    None when some failure cannot be told apart by file (then each file must be validated on its own).

    A failed expectation that holds row by row (or key uniqueness scoped by file) fails exactly in the files holding
    its failing rows, with their count out of the file's rows: what GX says of the file alone. Passed ones are
    shared as in `validate_frames`' passing path."""
    import numpy as np

    starts = np.cumsum([0, *heights[:-1]])
    note = _batch_note(len(heights))
    per_file: list[list[tuple[dict, bool, str]]] = [[] for _ in heights]
    for config, result in _validate(entity, stacked, batch=True, result_format="COMPLETE"):
        if _raised(result):
            return None
        if result["success"]:
            for outcomes in per_file:
                outcomes.append((config, True, _observed(result) + note))
            continue
        rows = (result.get("result") or {}).get("unexpected_index_list")
        if config["type"] not in ROW_BY_ROW | PER_FILE_KEYS or config["kwargs"].get("mostly", 1.0) != 1.0 \
                or rows is None or _keyless_duplicates(config, result, stacked):
            return None
        counts = np.bincount(np.searchsorted(starts, np.asarray(rows, dtype=np.int64), side="right") - 1,
                             minlength=len(heights))
        for outcomes, count, height in zip(per_file, counts, heights):
            outcomes.append((config, bool(count == 0), f"{int(count)} of {height} rows unexpected"))
    return per_file


def _outcome(config: dict, success: bool, observed: str) -> ExpectationOutcome:
    kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    return ExpectationOutcome(_label(config), SEVERITY.get(str(config.get("severity", "critical")), "error"),
                              success, observed, json.dumps(kwargs, default=str))


def validate_frame(entity: str, frame: pl.DataFrame) -> list[ExpectationOutcome]:
    """Run the entity's suite on one file's typed canonical frame; one outcome per expectation."""
    return [_outcome(*o) for o in _run(entity, frame.to_pandas(), batch=False)]


def validate_frames(entity: str, frames: list[pl.DataFrame]) -> list[list[ExpectationOutcome]]:
    """Outcomes per frame (one file each): one suite run over the stacked frames when that passes; else one more run
    listing the failing rows, split by file (one run per frame where that cannot be done). Identical to validating
    each frame on its own, except that passed expectations say which batch they were validated in (module docstring)."""
    if len(frames) == 1:
        return [validate_frame(entity, frames[0])]
    stacked = pl.concat([f.with_columns(pl.lit(i, dtype=pl.Int32).alias(BATCH_COLUMN))
                         for i, f in enumerate(frames)], how="vertical_relaxed")
    stacked = stacked.to_pandas()
    results = _validate(entity, stacked, batch=True)
    if all(result["success"] for _, result in results):
        note = _batch_note(len(frames))
        return [[_outcome(config, True, _observed(result) + note) for config, result in results] for _ in frames]
    # Something failed: one more run over the stack that lists the failing rows tells each file its own outcome
    # (materials at ten times the sample: 2 runs instead of 33); else each file on its own.
    failing_rows = sum((result.get("result") or {}).get("unexpected_count") or 0 for _, result in results)
    per_file = (_per_file_from_rows(entity, stacked, [f.height for f in frames]) if failing_rows <= MAX_LISTED_ROWS
                else None)
    del stacked
    if per_file is None:
        return [validate_frame(entity, f) for f in frames]
    return [[_outcome(*o) for o in outcomes] for outcomes in per_file]


def validation_sample(frame: pl.DataFrame) -> pl.DataFrame:
    """What of a file's typed frame the suite runs on: the whole frame up to SAMPLE_ROWS rows, else a seeded random
    sample of SAMPLE_ROWS of its rows in file order (the same file gives the same sample). The contract
    (ingest/contract.py) has already checked every row for what the suite's error-severity expectations ask."""
    if frame.height <= SAMPLE_ROWS:
        return frame
    return frame.sample(SAMPLE_ROWS, seed=0).sort("_row")


def on_sample(outcomes: list[ExpectationOutcome], sampled: int, rows: int) -> list[ExpectationOutcome]:
    """The outcomes of a sampled file, each saying so in its observed value."""
    return [replace(o, observed=f"{o.observed} (on a sample of {sampled:,} of the file's {rows:,} rows)")
            for o in outcomes]


def blocking_failures(outcomes: list[ExpectationOutcome]) -> list[ExpectationOutcome]:
    """The failed expectations of error severity (they block the file)."""
    return [o for o in outcomes if o.severity == "error" and not o.success]


def store_results(con: duckdb.DuckDBPyConnection, load_id: str, entity: str,
                  outcomes: list[ExpectationOutcome]) -> None:
    """Append outcomes to `audit.expectation_results` (inside the caller's transaction)."""
    store_results_of_files(con, entity, [(load_id, outcomes)])


RESULT_SCHEMA = {"load_id": pl.String, "entity": pl.String, "expectation": pl.String, "severity": pl.String,
                 "success": pl.Boolean, "observed": pl.String, "details": pl.String}


def store_results_of_files(con: duckdb.DuckDBPyConnection, entity: str,
                           outcomes_by_load: list[tuple[str, list[ExpectationOutcome]]]) -> None:
    """Append the outcomes of many files ((load_id, outcomes) each) in one insert (inside the caller's
    transaction)."""
    rows = [(load_id, entity, o.expectation, o.severity, o.success, o.observed, o.details)
            for load_id, outcomes in outcomes_by_load for o in outcomes]
    if not rows:
        return
    con.register("_ingest_expectations", pl.DataFrame(rows, schema=RESULT_SCHEMA, orient="row").to_arrow())
    try:
        con.execute("INSERT INTO audit.expectation_results BY NAME SELECT * FROM _ingest_expectations")
    finally:
        con.unregister("_ingest_expectations")
