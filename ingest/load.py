"""Load landing files of one entity into `raw.<entity>` with `audit.load_log` and `audit.quarantine`.

The files of one Great Expectations batch load in one transaction (raw rows, quarantine rows, expectation results
and load-log rows together; ingest/write.py); if it fails, nothing of the batch is kept and each of its files is
recorded as failed. A file that cannot be read or mapped (a `FileFault`, a file no profile maps, a failed error-severity
expectation) is `quarantined` whole: nothing of it loads, its load-log row says why in one line (`reason` holds the
class), and the rest of the night goes on; the file is tried again every run until its bytes change. A fault of
ours (Great Expectations cannot run, the write fails, the sum rule breaks) is `failed` and stops the night.

The idempotency key is the file's sha256 together with the fingerprints of what mapped it: its profile (the
profile's settings and this entity's mapping, `profile_sha256`) and its entity's contract (`contract_sha256`). A
file whose key was already loaded is `skipped` without parsing (unless other bytes replaced it since under the same
extract date: A, B, then A again reloads A); the same bytes under a changed profile or contract
reload (`replaced`, the message says which changed); a new sha256 for a source + extract date + entity that
already loaded `replaced` those rows. An event whose business key was already loaded from an earlier extract of
the same source is quarantined (`duplicate_key_across_extracts`; the load-log message names the earlier file): the
first extract to deliver a key keeps it, and a correction goes under the same extract date (it replaces that date).
rows_read = rows_loaded + rows_quarantined is checked.

Throughput (`load_entity`): the entity's earlier loads are read once (`_LoadIndex`); files are hashed on a hasher
thread ahead of their turn (unless their size and modification time are those of their last hashing) and
skip-checked in order (the load-log rows of skipped files are written together at the end); the next ones are read
and contract-checked on READERS reader threads; Great Expectations runs once per batch of about BATCH_ROWS rows (on
a sample of a large file: ingest.gx.validation_sample; once more, split by file, when anything in the batch fails)
on a validator thread (in a run, that thread hands the batch to the GX process: ingest/gx_process.py), and this
thread writes the previous batch meanwhile, in one transaction with a handful of statements (ingest/write.py).
`load_entities` (the landing step) runs the heavy entities and all the others in two lanes side by side.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl
import yaml

from ingest import gx
from ingest.contract import ContractResult, check_file
from ingest.discover import LandingFile, discover
from ingest.entities import ENTITIES
from ingest.profiles import PROFILE_DIR, load_profile
from ingest.read import FileFault
from ingest.warehouse import audit_columns, ensure_warehouse
from ingest.write import DUPLICATE_ACROSS_EXTRACTS, FileRows, write_files

log = logging.getLogger(__name__)

LOADED_STATUSES = ("loaded", "replaced")
QUARANTINED = "quarantined"  # the whole file: nothing of it loads (INTERFACES.md)
# audit.load_log.reason of a whole-file quarantine
UNREADABLE, UNMAPPED, EXPECTATIONS_FAILED = "file_unreadable", "file_unmapped", "expectations_failed"
# audit.load_log.reason of a reload of bytes loaded before
PROFILE_CHANGED, CONTRACT_CHANGED = "profile_changed", "contract_changed"
BATCH_ROWS = 1_000_000  # rows per Great Expectations batch
READ_AHEAD = 3  # files read ahead of the one being validated and written
READERS = 2  # reader threads: reading and typing a file is most of ingest's work, and Polars releases the GIL


@dataclass
class LoadResult:
    """What happened to one landing file (one entity of it) in one run."""

    file: str  # path relative to the landing folder
    entity: str | None
    source: str
    extract_date: date | None
    status: str  # loaded, replaced, skipped, quarantined (the whole file), failed
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
    file_bytes: int | None = None  # size and modification time when hashed (st_size, st_mtime_ns)
    file_modified_ns: int | None = None
    reason: str | None = None  # why a file was quarantined whole or reloaded (the constants above)
    profile_sha256: str | None = None  # fingerprints of what mapped the file (profile_fingerprint, contract_...)
    contract_sha256: str | None = None

    @property
    def ok(self) -> bool:
        """False only for a fault that stops the night; a file quarantined whole lets the night publish."""
        return self.status != "failed"


@lru_cache(maxsize=None)
def _profile_document(path: Path, modified_ns: int) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


# Profile keys that say nothing about how a file maps (they change no loaded row)
NOT_MAPPING_KEYS = ("description", "entities", "expected", "freshness")


def profile_fingerprint(profile_path: Path, entity: str) -> str:
    """sha256 of what in a profile decides how one entity's files map: every setting of the profile (format,
    encodings, ...) and that entity's section, not the other entities' (a change to one entity's mapping reloads
    that entity's files only) nor its description or delivery cadence."""
    return _profile_fingerprint(profile_path, entity, profile_path.stat().st_mtime_ns)


@lru_cache(maxsize=None)
def _profile_fingerprint(profile_path: Path, entity: str, modified_ns: int) -> str:
    document = _profile_document(profile_path, modified_ns)
    relevant = {k: v for k, v in document.items() if k not in NOT_MAPPING_KEYS}
    relevant["entity"] = (document.get("entities") or {}).get(entity)
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


@lru_cache(maxsize=None)
def contract_fingerprint(entity: str) -> str:
    """sha256 of the entity's canonical contract (ingest/entities.py: key, columns, types, domains)."""
    return hashlib.sha256(repr(ENTITIES[entity]).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


POLARS_OF_DUCKDB = {"VARCHAR": pl.String, "DATE": pl.Date, "BIGINT": pl.Int64, "TIMESTAMP": pl.Datetime("us")}
# `audit.load_log`'s columns and types, from its DDL in ingest/warehouse.py (the one place they are listed)
LOG_SCHEMA = {name: POLARS_OF_DUCKDB[type_] for name, type_ in audit_columns("load_log")}


def _log_row(result: LoadResult, run_id: str) -> tuple:
    """The result's `audit.load_log` row, in LOG_SCHEMA's column order."""
    message = "; ".join(m for m in [result.message, *result.warnings] if m)
    return (result.load_id, run_id, result.source, result.profile, result.entity, result.extract_date, result.file,
            result.sha256, result.rows_read, result.rows_loaded, result.rows_quarantined, result.status, message,
            _now(), result.file_bytes, result.file_modified_ns, result.reason, result.profile_sha256,
            result.contract_sha256)


def _write_log(con: duckdb.DuckDBPyConnection, result: LoadResult, run_id: str) -> None:
    con.execute(f"INSERT INTO audit.load_log ({', '.join(LOG_SCHEMA)}) VALUES ({', '.join('?' * len(LOG_SCHEMA))})",
                list(_log_row(result, run_id)))


def _write_logs(con: duckdb.DuckDBPyConnection, results: list[LoadResult], run_id: str) -> None:
    """The load-log rows of many results (the skipped files of an entity) in one insert."""
    if not results:
        return
    rows = pl.DataFrame([_log_row(r, run_id) for r in results], schema=LOG_SCHEMA, orient="row")
    con.register("_ingest_load_log", rows.to_arrow())
    try:
        con.execute("INSERT INTO audit.load_log BY NAME SELECT * FROM _ingest_load_log")
    finally:
        con.unregister("_ingest_load_log")


def _mark_failure(result: LoadResult, status: str = "failed", reason: str | None = None) -> LoadResult:
    """Make the result a failed (or whole-file quarantined) one: nothing of it loads. A file quarantined whole
    counts every row it read as quarantined (the sum rule holds)."""
    result.status, result.reason = status, reason
    result.message = " ".join(result.message.split())  # one line, whatever the fault's text held
    result.rows_loaded = 0
    result.rows_quarantined = result.rows_read if status == QUARANTINED else 0
    if status == QUARANTINED:
        log.warning("file quarantined whole: %s", result.message)
    else:
        log.error("ingest failed: %s", result.message)
    return result


def _record_failure(con: duckdb.DuckDBPyConnection, result: LoadResult, run_id: str, outcomes=None,
                    status: str = "failed", reason: str | None = None) -> LoadResult:
    """Write a failed (or whole-file quarantined) load-log row, and the expectation results that explain it, in a
    transaction of its own."""
    _mark_failure(result, status, reason)
    con.begin()
    try:
        _write_log(con, result, run_id)
        if outcomes:
            gx.store_results(con, result.load_id, result.entity, outcomes)
        con.commit()
    except Exception:
        con.rollback()
        raise
    return result


def _record_quarantine(con: duckdb.DuckDBPyConnection, result: LoadResult, run_id: str, reason: str,
                       outcomes=None) -> LoadResult:
    return _record_failure(con, result, run_id, outcomes, status=QUARANTINED, reason=reason)


class _LoadIndex:
    """The loads (`loaded`/`replaced`) of one entity, read from `audit.load_log` once and kept current as files are
    written, so the skip and replace decisions cost no query per file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, entity: str, source: str | None = None):
        # (source, sha) → [(date, id, file, profile fingerprint, contract fingerprint)]
        self.by_bytes: dict[tuple[str, str], list[tuple[date, str, str, str | None, str | None]]] = {}
        self.by_date: dict[tuple[str, date], tuple[str, str, str]] = {}  # (source, date) → latest (id, sha, file)
        query = ("SELECT source, extract_date, sha256, load_id, file, profile_sha256, contract_sha256 "
                 "FROM audit.load_log WHERE entity = ? AND status IN ('loaded', 'replaced')")
        params = [entity]
        if source is not None:
            query, params = query + " AND source = ?", [entity, source]
        rows = con.execute(query + " ORDER BY loaded_at, load_id", params).fetchall()
        for row in rows:
            self.add(*row)
        # (source, file) → (bytes, modified ns, sha256) of its latest hashing, whatever the outcome was
        self.hashed: dict[tuple[str, str], tuple[int, int, str]] = {
            (source, file): (size, modified, sha) for source, file, size, modified, sha in con.execute(
                "SELECT source, file, file_bytes, file_modified_ns, sha256 FROM audit.load_log WHERE entity = ? "
                "AND file_bytes IS NOT NULL AND sha256 <> '' "
                "QUALIFY row_number() OVER (PARTITION BY source, file ORDER BY loaded_at DESC) = 1", [entity]
            ).fetchall()}

    def add(self, source: str, extract_date: date, sha: str, load_id: str, file: str,
            profile_sha: str | None = None, contract_sha: str | None = None) -> None:
        """Record a load (later calls are later loads)."""
        self.by_bytes.setdefault((source, sha), []).append((extract_date, load_id, file, profile_sha, contract_sha))
        self.by_date[(source, extract_date)] = (load_id, sha, file)

    def previous(self, lf: LandingFile, result: LoadResult) -> tuple[tuple | None, tuple | None, str | None]:
        """((load_id, file) of the same bytes already loaded through the same profile and contract, (load_id, sha256,
        file) of the latest earlier load of this source/date/entity, the reason to reload when the same bytes were
        loaded through another profile or contract: PROFILE_CHANGED or CONTRACT_CHANGED)."""
        # Events: the same bytes under any date would load the same events twice. Snapshots: the same bytes under a
        # new date are a new (unchanged) snapshot and must load, or staging's "latest snapshot" would go stale.
        same_date = ENTITIES[lf.entity].snapshot
        loads = [load for load in self.by_bytes.get((lf.source, result.sha256), [])
                 if not same_date or load[0] == lf.extract_date]
        # A load recorded before fingerprints were (null) counts as made through the current profile and contract:
        # upgrading must not reload the whole history.
        same = [(load_id, file) for _, load_id, file, profile_sha, contract_sha in loads
                if profile_sha in (None, result.profile_sha256) and contract_sha in (None, result.contract_sha256)]
        changed = None
        if loads and not same:
            changed = PROFILE_CHANGED if loads[-1][3] != result.profile_sha256 else CONTRACT_CHANGED
        latest = self.by_date.get((lf.source, lf.extract_date))
        # Bytes loaded before under this date, but replaced since by other bytes (A, then B, then A again): A is the
        # delivery that stands now and must replace B, not be skipped while B's rows stay published.
        if same and latest is not None and latest[1] != result.sha256 and any(
                load[0] == lf.extract_date for load in loads):
            same = []
        return (same[-1] if same else None), latest, changed

    def known_sha256(self, lf: LandingFile, size: int, modified_ns: int) -> str | None:
        """The sha256 this file had when last hashed, if its size and modification time are still the same."""
        known = self.hashed.get((lf.source, lf.rel_path))
        return known[2] if known and known[:2] == (size, modified_ns) else None

    def add_written(self, results: list[LoadResult]) -> None:
        for r in results:
            if r.status in LOADED_STATUSES:
                self.add(r.source, r.extract_date, r.sha256, r.load_id, r.file, r.profile_sha256, r.contract_sha256)


def parse_file(lf: LandingFile) -> ContractResult:
    """Read one landing file through its profile and check it against its entity's contract (no database)."""
    if lf.error:
        raise FileFault(lf.rel_path, lf.error)
    profile = load_profile(lf.source, lf.profile_dir)
    if profile is None:
        raise FileFault(lf.rel_path, f"unknown profile {lf.source!r}")
    result = check_file(lf.path, profile, lf.entity, lf.rel_path, lf.sheet, lf.extract_date)
    if result.rows_read == 0:
        result.warnings.append("no data rows (header only)")
    return result


@dataclass
class _Parsed:
    """A file read and checked against its contract, waiting for Great Expectations and its write."""

    lf: LandingFile
    result: LoadResult
    checked: ContractResult
    earlier: tuple | None
    started: float
    changed: str | None = None  # PROFILE_CHANGED / CONTRACT_CHANGED: why bytes loaded before load again


@dataclass
class _Pending:
    """A file that must be parsed (it is neither loaded already nor unreadable); `parsing` yields its contract
    result (or raises) once the reader is done."""

    lf: LandingFile
    result: LoadResult
    earlier: tuple | None
    started: float
    parsing: Future | None = None
    changed: str | None = None


def _hash(con: duckdb.DuckDBPyConnection, lf: LandingFile, run_id: str, index: _LoadIndex,
          hashing: Future | None = None) -> LoadResult:
    """A LoadResult with the file's sha256 (and no message yet), or a recorded failure (with its message) if the
    file cannot be read or mapped. A file whose size and modification time are those of its last hashing keeps
    that sha256 without being read again (as make and rsync decide; landing files are written once), so a night
    reads only new and changed files, not years of history."""
    result = LoadResult(lf.rel_path, lf.entity, lf.source, lf.extract_date, "failed", profile=lf.profile,
                        load_id=uuid.uuid4().hex)
    if lf.error:  # placed nowhere (discover says why): not read at all, it may lead outside the landing folder
        result.message = lf.error if lf.error.startswith(lf.rel_path) else f"{lf.rel_path}: {lf.error}"
        return _record_quarantine(con, result, run_id, UNMAPPED)
    try:
        stat = lf.path.stat()
        result.file_bytes, result.file_modified_ns = stat.st_size, stat.st_mtime_ns
        result.sha256 = (index.known_sha256(lf, stat.st_size, stat.st_mtime_ns)
                         or (hashing.result() if hashing is not None else file_sha256(lf.path)))
        if lf.entity is not None:
            _fingerprint(result, lf)
    except OSError as exc:
        result.message = f"{lf.rel_path}: unreadable file: {exc.strerror}"
        return _record_quarantine(con, result, run_id, UNREADABLE)
    return result


def _fingerprint(result: LoadResult, lf: LandingFile) -> None:
    """The fingerprints of the profile and contract `lf` loads through, which with its bytes make a load's identity."""
    result.profile_sha256 = profile_fingerprint(lf.profile_dir / f"{lf.source}.yaml", lf.entity)
    result.contract_sha256 = contract_fingerprint(lf.entity)


def _hash_ahead(files: list[LandingFile], index: _LoadIndex, hasher: ThreadPoolExecutor) -> dict[str, Future]:
    """The sha256 of every file that must be hashed (not known from its size and modification time), computed on
    the hasher thread ahead of the files' turn (hashlib releases the interpreter lock): rel_path → its future."""
    ahead = {}
    for lf in files:
        if lf.error or lf.entity is None:
            continue
        try:
            stat = lf.path.stat()
        except OSError:
            continue  # _hash says why
        if index.known_sha256(lf, stat.st_size, stat.st_mtime_ns) is None:
            ahead[lf.rel_path] = hasher.submit(file_sha256, lf.path)
    return ahead


def _check(lf: LandingFile, result: LoadResult, index: _LoadIndex, started: float) -> LoadResult | _Pending:
    """A `skipped` result (not logged yet) for a file whose bytes are loaded already, else a _Pending to parse."""
    same, earlier, changed = index.previous(lf, result)
    if same:
        result.status = "skipped"
        result.message = f"same sha256 already loaded (load {same[0]}, file {same[1]})"
        result.seconds = time.perf_counter() - started
        return result
    return _Pending(lf, result, earlier, started, changed=changed)


def _parsed(con: duckdb.DuckDBPyConnection, pending: _Pending, run_id: str) -> LoadResult | _Parsed:
    """Wait for the file's parse; a recorded failure if it could not be read, else a _Parsed."""
    lf, result = pending.lf, pending.result
    try:
        checked = pending.parsing.result() if pending.parsing is not None else parse_file(lf)
    except FileFault as fault:
        result.message = str(fault)
        return _record_quarantine(con, result, run_id, UNREADABLE)
    except Exception as exc:  # a reader bug must not take the other files down; say what happened
        result.message = f"{lf.rel_path}: unexpected error while reading: {type(exc).__name__}: {exc}"
        return _record_quarantine(con, result, run_id, UNREADABLE)
    result.warnings = checked.warnings
    for warning in checked.warnings:
        log.warning("%s: %s", lf.rel_path, warning)
    result.rows_read = checked.rows_read
    result.rows_quarantined = checked.rows_quarantined
    result.rows_loaded = checked.typed.height
    result.quarantine_by_reason = dict(checked.quarantine.group_by("reason").agg(pl.col("row").n_unique())
                                       .iter_rows()) if checked.quarantine.height else {}
    return _Parsed(lf, result, checked, pending.earlier, pending.started, pending.changed)


def _validate(batch: list[_Parsed], run_expectations: bool, validate_frames: Callable | None = None
              ) -> list[list] | Exception:
    """The suite's outcomes per file of the batch (one run over the batch, split by file if anything fails), or the
    exception that kept Great Expectations from running. Touches no database: it may run on a worker thread."""
    if not batch or not run_expectations:
        return [[] for _ in batch]
    if validate_frames is None:
        validate_frames = gx.validate_frames
    gx_started = time.perf_counter()
    frames = [gx.validation_sample(p.checked.typed) for p in batch]
    try:
        outcomes_per_file = validate_frames(batch[0].lf.entity, frames)
    except Exception as exc:
        return exc
    outcomes_per_file = [gx.on_sample(outcomes, frame.height, p.checked.typed.height)
                         if frame.height < p.checked.typed.height else outcomes
                         for p, frame, outcomes in zip(batch, frames, outcomes_per_file)]
    gx_seconds = (time.perf_counter() - gx_started) / len(batch)
    for parsed in batch:
        parsed.result.gx_seconds = gx_seconds
    return outcomes_per_file


def _finish_batch(con: duckdb.DuckDBPyConnection, batch: list[_Parsed], run_id: str, validated: list[list] | Exception
                  ) -> list[LoadResult]:
    """Finish every file of a validated batch (`validated` from _validate) in one transaction: a file failing an
    error-severity expectation is quarantined whole, one breaking the sum rule fails, the others are written
    together (ingest/write.py), and every load-log row goes in at once, in file order. If the write fails, nothing
    of the batch is kept and each file is recorded as failed on its own."""
    if isinstance(validated, Exception):
        results = []
        for parsed in batch:
            parsed.result.message = (f"{parsed.lf.rel_path}: Great Expectations could not run: "
                                     f"{type(validated).__name__}: {validated}")
            results.append(_record_failure(con, parsed.result, run_id))
        return results
    writable = []
    for parsed, outcomes in zip(batch, validated):
        lf, result = parsed.lf, parsed.result
        result.expectations = outcomes
        blocking = gx.blocking_failures(outcomes)
        if blocking:
            result.message = (f"{lf.rel_path}: Great Expectations suite {lf.entity} failed (error severity): "
                              + "; ".join(f"{o.expectation} {o.details}" for o in blocking))
            _mark_failure(result, QUARANTINED, EXPECTATIONS_FAILED)
        elif result.rows_read != result.rows_loaded + result.rows_quarantined:
            result.message = (f"{lf.rel_path}: sum rule broken: read {result.rows_read} != loaded "
                              f"{result.rows_loaded} + quarantined {result.rows_quarantined}")
            _mark_failure(result)
        else:
            writable.append(parsed)
    results = [parsed.result for parsed in batch]
    con.begin()
    try:
        _write_batch(con, writable)
        gx.store_results_of_files(con, batch[0].lf.entity, [(r.load_id, r.expectations) for r in results])
        _write_logs(con, results, run_id)
        con.commit()
    except Exception as exc:
        con.rollback()
        for parsed in batch:
            result = parsed.result
            if any(parsed is w for w in writable):
                result.message = f"{parsed.lf.rel_path}: writing to the warehouse failed: {type(exc).__name__}: {exc}"
                result.status, result.reason = "failed", None
            _record_failure(con, result, run_id, result.expectations, result.status, result.reason)
        return results
    now = time.perf_counter()
    for parsed in batch:
        parsed.result.seconds = now - parsed.started
    return results


def _validate_and_finish(con: duckdb.DuckDBPyConnection, batch: list[_Parsed], run_id: str,
                         run_expectations: bool, validate_frames: Callable | None = None) -> list[LoadResult]:
    """Run the entity's suite once over the batch (split by file if anything fails), then finish each file."""
    return _finish_batch(con, batch, run_id, _validate(batch, run_expectations, validate_frames))


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, run_id: str, run_expectations: bool = True
              ) -> LoadResult:
    """Load one landing file (one entity of it); never raises for a bad file: returns status `quarantined`."""
    started = time.perf_counter()
    index = _LoadIndex(con, lf.entity, lf.source)
    hashed = _hash(con, lf, run_id, index)
    if hashed.message:  # recorded as failed
        return hashed
    pending = _check(lf, hashed, index, started)
    if isinstance(pending, LoadResult):
        _write_log(con, pending, run_id)
        return pending
    parsed = _parsed(con, pending, run_id)
    if isinstance(parsed, LoadResult):
        return parsed
    return _validate_and_finish(con, [parsed], run_id, run_expectations)[0]


def _write_batch(con: duckdb.DuckDBPyConnection, writable: list[_Parsed]) -> None:
    """Write the files (inside the caller's transaction) and say in each result what happened: `replaced` and the
    rows deleted, a reload's reason, the events quarantined because an earlier extract loaded their keys."""
    if not writable:
        return
    entity = writable[0].lf.entity
    written = write_files(con, entity, [
        FileRows(p.lf.source, p.lf.extract_date, p.lf.rel_path, p.result.load_id, p.checked.typed,
                 p.checked.quarantine, replaces=p.earlier is not None) for p in writable])
    for parsed, done in zip(writable, written):
        lf, result, earlier = parsed.lf, parsed.result, parsed.earlier
        result.status = "loaded"
        if earlier is not None:
            result.status = "replaced"
            result.message = (f"replaces load {earlier[0]} of {earlier[2]} (sha256 {earlier[1][:12]}…): "
                              f"{done.deleted} earlier rows of {lf.extract_date} deleted")
        if parsed.changed is not None:
            result.reason = parsed.changed
            why = (f"profile {lf.source}.yaml changed" if parsed.changed == PROFILE_CHANGED
                   else f"contract of entity {lf.entity} changed")
            result.message = f"reloaded: {why}" + (f"; {result.message}" if result.message else "")
        repeated = done.repeated.height
        if repeated:
            result.rows_loaded -= repeated
            result.rows_quarantined += repeated
            result.quarantine_by_reason[DUPLICATE_ACROSS_EXTRACTS] = repeated
            earlier_files = sorted(set(done.repeated["_file"]))
            result.warnings.append(
                f"{repeated} row(s) quarantined ({DUPLICATE_ACROSS_EXTRACTS}): their keys were loaded before "
                f"from {', '.join(earlier_files[:3])}{' and others' if len(earlier_files) > 3 else ''} (the "
                "first extract of a key keeps it; a correction goes under the same extract date)")


def load_entity(con: duckdb.DuckDBPyConnection, entity: str, landing_dir: Path, run_id: str,
                run_expectations: bool = True, profile_dir: Path = PROFILE_DIR,
                batch_rows: int = BATCH_ROWS, validate_frames: Callable | None = None,
                found: list[LandingFile] | None = None, ensure: bool = True) -> list[LoadResult]:
    """Load every landing file of `entity` not loaded yet, in extract-date order; one LoadResult per file.

    `found`: the landing folder's files as `discover(landing_dir, profile_dir)` returned them, when the caller loads
    several entities from one scan (the nightly scans once, not once per entity); scanned here if not given.

    The next files are read and contract-checked on READERS reader threads (Polars releases the GIL); Great Expectations
    runs once per batch of about `batch_rows` rows (split by file if anything fails) on a validator thread while
    this thread writes the previous batch (`validate_frames` runs the suite: ingest.gx's in this process unless
    given, e.g. ingest.gx_process's); each file is written in its own transaction, in file order. Never raises for
    a bad file (status `quarantined`, message names the file and the fault). `ensure=False`: the caller has created
    the warehouse's tables already (load_entities, whose lanes must not change the catalog side by side)."""
    if entity not in ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
    if ensure:
        ensure_warehouse(con)
    if found is None:
        found = discover(Path(landing_dir), profile_dir)
    files = [f for f in found if f.entity == entity]
    files.sort(key=lambda f: (f.extract_date, f.source, f.rel_path))
    results: list[LoadResult] = []
    index = _LoadIndex(con, entity)
    snapshot = ENTITIES[entity].snapshot
    inflight: deque[_Pending] = deque()  # submitted to the reader, in file order
    batch: list[_Parsed] = []  # parsed, waiting to be sent to Great Expectations
    validating: list[tuple[list[_Parsed], Future]] = []  # at most one batch: being validated, waiting for its write

    def drain():
        """Write the batch being validated once its outcomes are in."""
        while validating:
            sent, outcomes = validating.pop()
            finished = _finish_batch(con, sent, run_id, outcomes.result())
            index.add_written(finished)
            results.extend(finished)

    def flush():
        """Send the batch to Great Expectations (on the validator thread), then write the previous one meanwhile."""
        if not batch:
            return
        sent = list(batch)
        batch.clear()
        outcomes = validator.submit(_validate, sent, run_expectations, validate_frames)
        drain()
        validating.append((sent, outcomes))

    def collect(keep: int):
        while len(inflight) > keep:
            parsed = _parsed(con, inflight.popleft(), run_id)
            if isinstance(parsed, LoadResult):
                results.append(parsed)
                continue
            batch.append(parsed)
            if sum(p.result.rows_loaded for p in batch) >= batch_rows:
                flush()

    with (ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="ingest-read") as reader,
          ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-validate") as validator,
          ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-hash") as hasher):
        hashing = _hash_ahead(files, index, hasher)
        for lf in files:
            started = time.perf_counter()
            hashed = _hash(con, lf, run_id, index, hashing.pop(lf.rel_path, None))
            if hashed.message:  # unreadable or unmapped: recorded as quarantined
                results.append(hashed)
                continue
            waiting = [*inflight, *batch, *(p for sent, _ in validating for p in sent)]
            if any(w.lf.source == lf.source and (w.lf.extract_date == lf.extract_date or (
                    not snapshot and w.result.sha256 == hashed.sha256)) for w in waiting):
                # A later file of the same source and date, or an event file with the same bytes: the skip/replace
                # decision below must see the earlier one written first. (A snapshot's bytes load once per extract
                # date, so the same master data month after month does not wait: _LoadIndex.previous.)
                collect(0)
                flush()
                drain()
            pending = _check(lf, hashed, index, started)
            if isinstance(pending, LoadResult):
                results.append(pending)
                continue
            pending.parsing = reader.submit(parse_file, lf)
            inflight.append(pending)
            collect(READ_AHEAD)
        collect(0)
        flush()
        drain()
    _write_logs(con, [r for r in results if r.status == "skipped"], run_id)  # one insert for all of them
    order = {lf.rel_path: i for i, lf in enumerate(files)}
    return sorted(results, key=lambda r: order[r.file])  # in file order, as they were found


HEAVY_SHARE = 0.1  # an entity with more than this share of the landing bytes loads in the heavy lane


def entity_lanes(entities: list[str], found: list[LandingFile]) -> list[list[str]]:
    """`entities` in the lanes load_entities runs side by side: those with more than HEAVY_SHARE of the landing
    bytes, and the rest (an empty lane left out); each in `entities` order."""
    size = dict.fromkeys(entities, 0)
    for lf in found:
        if lf.entity in size and lf.error is None:
            try:
                size[lf.entity] += lf.path.stat().st_size
            except OSError:
                pass  # load_entity says why
    total = sum(size.values())
    heavy = [e for e in entities if total and size[e] > HEAVY_SHARE * total]
    return [lane for lane in (heavy, [e for e in entities if e not in heavy]) if lane]


def load_entities(con: duckdb.DuckDBPyConnection, entities: list[str], landing_dir: Path, run_id: str,
                  found: list[LandingFile], validate_frames: Callable | None = None) -> dict[str, list[LoadResult]]:
    """`load_entity` for each of `entities`, in two lanes side by side, each on a cursor of its own: the heavy
    entities (each more than HEAVY_SHARE of the landing bytes: the MES events) one after the other, and the rest
    one after the other. The rest are many small files whose time is mostly waiting (on Great Expectations, on each
    batch's write), which the heavy lane's work fills; two heavy entities never load at once, so memory stays that
    of one. Different entities write different raw tables, and the audit tables only take appends, so the lanes'
    transactions cannot conflict. The results per entity, in `entities` order; an exception in a lane is raised
    once both lanes have ended."""
    ensure_warehouse(con)
    lanes = entity_lanes(entities, found)

    def load_lane(names: list[str]) -> dict[str, list[LoadResult]]:
        cursor = con.cursor()
        try:
            return {name: load_entity(cursor, name, landing_dir, run_id, validate_frames=validate_frames,
                                      found=found, ensure=False) for name in names}
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=len(lanes) or 1, thread_name_prefix="ingest-lane") as pool:
        running = [pool.submit(load_lane, lane) for lane in lanes]
        loaded = {}
        for lane in running:
            loaded.update(lane.result())
    return {name: loaded[name] for name in entities}


def record_unmapped_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, run_id: str) -> list[LoadResult]:
    """Record a `quarantined` load-log row for every landing file or folder no profile maps (unknown source folder,
    bad or unreadable date folder, unknown file name, a link out of the landing folder): such files belong to no
    entity, so no `load_entity` call would see them."""
    ensure_warehouse(con)
    results = []
    for lf in discover(Path(landing_dir)):
        if lf.entity is None:
            results.append(load_file(con, lf, run_id, run_expectations=False))
    return results


def unloaded_files(con: duckdb.DuckDBPyConnection, landing_dir: Path,
                   found: list[LandingFile] | None = None) -> list[str]:
    """The landing files a night would not skip, as `load_entity` decides it, without reading any file: those no
    profile maps, those whose size or modification time differ from their last hashing (their bytes must be read to
    tell), and those whose known bytes are not loaded through the current profile and contract. Empty when a night
    would find nothing new (e.g. the run can leave dbt out: orchestration/transform/build_state.py). Only reads
    `con` (a warehouse that has `audit.load_log`), so a read-only connection to the published warehouse will do."""
    if found is None:
        found = discover(Path(landing_dir))
    unloaded, indexes = [], {}
    for lf in found:
        if lf.error or lf.entity is None:
            unloaded.append(lf.rel_path)
            continue
        index = indexes.get(lf.entity) or indexes.setdefault(lf.entity, _LoadIndex(con, lf.entity))
        try:
            stat = lf.path.stat()
        except OSError:
            unloaded.append(lf.rel_path)
            continue
        result = LoadResult(lf.rel_path, lf.entity, lf.source, lf.extract_date, "failed", profile=lf.profile)
        result.sha256 = index.known_sha256(lf, stat.st_size, stat.st_mtime_ns)
        _fingerprint(result, lf)
        if result.sha256 is None or not index.previous(lf, result)[0]:
            unloaded.append(lf.rel_path)
    return unloaded


def quarantined_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str]]:
    """(file, message) of every file the run quarantined whole, in file order."""
    return con.execute("SELECT file, message FROM audit.load_log WHERE run_id = ? AND status = ? ORDER BY file",
                       [run_id, QUARANTINED]).fetchall()
