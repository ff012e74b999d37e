"""Load landing files of one entity into `raw.<entity>` with `audit.load_log` and `audit.quarantine`.

Each file loads in its own transaction (raw rows, quarantine rows, expectation results and the load-log row
together); a fault rolls the file back and is recorded as `failed`. A file whose sha256 was already loaded
for the same source and entity is `skipped` without parsing; a new sha256 for a source + extract date +
entity that already loaded `replaced` those rows. rows_read = rows_loaded + rows_quarantined is checked.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from ingest.contract import ContractResult, apply_contract
from ingest.discover import LandingFile, discover
from ingest.entities import ENTITIES
from ingest.profiles import PROFILE_DIR, load_profile
from ingest.read import FileFault, read_source_frame
from ingest.warehouse import ensure_warehouse

log = logging.getLogger(__name__)

LOADED_STATUSES = ("loaded", "replaced")


@dataclass
class LoadResult:
    """What happened to one landing file (one entity of it) in one run."""

    file: str  # path relative to the landing folder
    entity: str | None
    source: str
    extract_date: date | None
    status: str  # loaded, replaced, skipped, failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    load_id: str = ""
    sha256: str = ""
    profile: str | None = None
    warnings: list[str] = field(default_factory=list)
    expectations: list = field(default_factory=list)  # ingest.gx.ExpectationOutcome
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    gx_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _write_log(con: duckdb.DuckDBPyConnection, result: LoadResult, run_id: str) -> None:
    message = "; ".join(m for m in [result.message, *result.warnings] if m)
    con.execute(
        "INSERT INTO audit.load_log (load_id, run_id, source, profile, entity, extract_date, file, sha256, rows_read,"
        " rows_loaded, rows_quarantined, status, message, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [result.load_id, run_id, result.source, result.profile, result.entity, result.extract_date, result.file,
         result.sha256, result.rows_read, result.rows_loaded, result.rows_quarantined, result.status, message,
         _now()])


def _record_failure(con: duckdb.DuckDBPyConnection, result: LoadResult, run_id: str, outcomes=None) -> LoadResult:
    """Write a failed load-log row (and the expectation results that explain it) in a transaction of its own."""
    result.status = "failed"
    result.rows_loaded = result.rows_quarantined = 0
    con.begin()
    try:
        _write_log(con, result, run_id)
        if outcomes:
            from ingest.gx import store_results
            store_results(con, result.load_id, result.entity, outcomes)
        con.commit()
    except Exception:
        con.rollback()
        raise
    log.error("ingest failed: %s", result.message)
    return result


def _previous_load(con, lf: LandingFile, sha: str) -> tuple[str | None, tuple | None]:
    """(load_id of the same bytes already loaded, (load_id, sha256) of an earlier load of this source/date/entity)."""
    # Events: the same bytes under any date would load the same events twice. Snapshots: the same bytes under a
    # new date are a new (unchanged) snapshot and must load, or staging's "latest snapshot" would go stale.
    same_date = ENTITIES[lf.entity].snapshot
    same = con.execute(
        "SELECT load_id, file FROM audit.load_log WHERE source = ? AND entity = ? AND sha256 = ? "
        "AND status IN ('loaded', 'replaced') AND (NOT ? OR extract_date = ?) ORDER BY loaded_at DESC LIMIT 1",
        [lf.source, lf.entity, sha, same_date, lf.extract_date]).fetchone()
    earlier = con.execute(
        "SELECT load_id, sha256, file FROM audit.load_log WHERE source = ? AND entity = ? AND extract_date = ? "
        "AND status IN ('loaded', 'replaced') ORDER BY loaded_at DESC LIMIT 1",
        [lf.source, lf.entity, lf.extract_date]).fetchone()
    return same, earlier


def parse_file(lf: LandingFile) -> ContractResult:
    """Read one landing file through its profile and check it against its entity's contract (no database)."""
    if lf.error:
        raise FileFault(lf.rel_path, lf.error)
    profile = load_profile(lf.source, lf.profile_dir)
    if profile is None:
        raise FileFault(lf.rel_path, f"unknown profile {lf.source!r}")
    frame = read_source_frame(lf.path, profile, lf.sheet, lf.rel_path)
    entity = ENTITIES[lf.entity]
    result = apply_contract(frame, entity, profile.entities[lf.entity], profile.format, lf.rel_path,
                            excel=profile.file_type == "xlsx")
    if result.rows_read == 0:
        result.warnings.append("no data rows (header only)")
    return result


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, run_id: str, run_expectations: bool = True
              ) -> LoadResult:
    """Load one landing file (one entity of it); never raises for a bad file: returns status `failed`."""
    started = time.perf_counter()
    result = LoadResult(lf.rel_path, lf.entity, lf.source, lf.extract_date, "failed", profile=lf.profile,
                        load_id=uuid.uuid4().hex)
    try:
        result.sha256 = file_sha256(lf.path)
    except OSError as exc:
        result.message = f"{lf.rel_path}: unreadable file: {exc.strerror}"
        return _record_failure(con, result, run_id)
    if lf.error:
        result.message = lf.error if lf.error.startswith(lf.rel_path) else f"{lf.rel_path}: {lf.error}"
        return _record_failure(con, result, run_id)
    same, earlier = _previous_load(con, lf, result.sha256)
    if same:
        result.status = "skipped"
        result.message = f"same sha256 already loaded (load {same[0]}, file {same[1]})"
        _write_log(con, result, run_id)
        result.seconds = time.perf_counter() - started
        return result
    try:
        checked = parse_file(lf)
    except FileFault as fault:
        result.message = str(fault)
        return _record_failure(con, result, run_id)
    except Exception as exc:  # a reader bug must not take the other files down; say what happened
        result.message = f"{lf.rel_path}: unexpected error while reading: {type(exc).__name__}: {exc}"
        return _record_failure(con, result, run_id)
    result.warnings = checked.warnings
    for warning in checked.warnings:
        log.warning("%s: %s", lf.rel_path, warning)
    result.rows_read = checked.rows_read
    result.rows_quarantined = checked.rows_quarantined
    result.rows_loaded = checked.typed.height
    result.quarantine_by_reason = dict(checked.quarantine.group_by("reason").agg(pl.col("row").n_unique())
                                       .iter_rows()) if checked.quarantine.height else {}
    outcomes = []
    if run_expectations:
        from ingest.gx import blocking_failures, validate_frame
        gx_started = time.perf_counter()
        try:
            outcomes = validate_frame(lf.entity, checked.typed)
        except Exception as exc:
            result.message = f"{lf.rel_path}: Great Expectations could not run: {type(exc).__name__}: {exc}"
            return _record_failure(con, result, run_id)
        result.gx_seconds = time.perf_counter() - gx_started
        result.expectations = outcomes
        blocking = blocking_failures(outcomes)
        if blocking:
            result.message = (f"{lf.rel_path}: Great Expectations suite {lf.entity} failed (error severity): "
                              + "; ".join(f"{o.expectation} {o.details}" for o in blocking))
            return _record_failure(con, result, run_id, outcomes)
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        result.message = (f"{lf.rel_path}: sum rule broken: read {result.rows_read} != loaded {result.rows_loaded}"
                          f" + quarantined {result.rows_quarantined}")
        return _record_failure(con, result, run_id, outcomes)
    try:
        _write_file(con, lf, result, checked, earlier, outcomes, run_id)
    except Exception as exc:
        result.message = f"{lf.rel_path}: writing to the warehouse failed: {type(exc).__name__}: {exc}"
        return _record_failure(con, result, run_id, outcomes)
    result.seconds = time.perf_counter() - started
    return result


def _write_file(con, lf: LandingFile, result: LoadResult, checked: ContractResult, earlier, outcomes, run_id):
    """One transaction: replace an earlier extract of the same date, insert raw + quarantine + GX + load log."""
    entity = ENTITIES[lf.entity]
    raw = checked.typed.with_columns(
        pl.lit(lf.source).alias("_source"), pl.lit(lf.extract_date).alias("_extract_date"),
        pl.lit(lf.rel_path).alias("_file"), pl.lit(result.load_id).alias("_load_id"))
    quarantine = checked.quarantine.select(
        pl.lit(result.load_id).alias("load_id"), pl.lit(lf.source).alias("source"),
        pl.lit(lf.entity).alias("entity"), pl.lit(lf.rel_path).alias("file"), "row", "column", "raw_value", "reason")
    result.status = "loaded"
    con.begin()
    try:
        if earlier is not None:
            deleted = con.execute(
                f"DELETE FROM raw.{entity.name} WHERE _source = ? AND _extract_date = ?",
                [lf.source, lf.extract_date]).fetchone()[0]
            result.status = "replaced"
            result.message = (f"replaces load {earlier[0]} of {earlier[2]} (sha256 {earlier[1][:12]}…): "
                              f"{deleted} earlier rows of {lf.extract_date} deleted")
        raw_arrow = raw.to_arrow()
        quarantine_arrow = quarantine.to_arrow()
        con.register("_ingest_raw", raw_arrow)
        con.register("_ingest_quarantine", quarantine_arrow)
        try:
            con.execute(f"INSERT INTO raw.{entity.name} BY NAME SELECT * FROM _ingest_raw")
            con.execute("INSERT INTO audit.quarantine BY NAME SELECT * FROM _ingest_quarantine")
        finally:
            con.unregister("_ingest_raw")
            con.unregister("_ingest_quarantine")
        if outcomes:
            from ingest.gx import store_results
            store_results(con, result.load_id, lf.entity, outcomes)
        _write_log(con, result, run_id)
        con.commit()
    except Exception:
        con.rollback()
        result.status = "failed"
        raise


def load_entity(con: duckdb.DuckDBPyConnection, entity: str, landing_dir: Path, run_id: str,
                run_expectations: bool = True, profile_dir: Path = PROFILE_DIR) -> list[LoadResult]:
    """Load every landing file of `entity` not loaded yet, in extract-date order; one LoadResult per file.

    Never raises for a bad file (status `failed`, message names the file and the fault)."""
    if entity not in ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
    ensure_warehouse(con)
    files = [f for f in discover(Path(landing_dir), profile_dir) if f.entity == entity]
    files.sort(key=lambda f: (f.extract_date, f.source, f.rel_path))
    return [load_file(con, f, run_id, run_expectations) for f in files]


def record_unmapped_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, run_id: str) -> list[LoadResult]:
    """Record a `failed` load-log row for every landing file no profile maps (unknown source folder, bad date
    folder, unknown file name): such files belong to no entity, so no `load_entity` call would see them."""
    ensure_warehouse(con)
    results = []
    for lf in discover(Path(landing_dir)):
        if lf.entity is None:
            results.append(load_file(con, lf, run_id, run_expectations=False))
    return results
