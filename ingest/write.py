"""Write a batch of checked files of one entity into `raw.<entity>` and `audit.quarantine`, in the caller's
transaction, with a handful of statements whatever the number of files.

The files' typed frames are stacked with a `_part` column (the file's position in the batch) and each file's
lineage as constant columns, and handed to DuckDB as Arrow (no copy: Polars' string views are read as they are; a
join on `_part` to a table of the batch's files cost DuckDB's insert more). Events whose business key is already
loaded, from an earlier extract of the same source or from an earlier file of the same batch, are found by one join
against `raw` (bounded by each source's time window, so a night does not scan the history) and one grouping of the
batch; they are quarantined (`duplicate_key_across_extracts`) instead of inserted. The first extract to deliver a
key keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from ingest.entities import ENTITIES, Entity

DUPLICATE_ACROSS_EXTRACTS = "duplicate_key_across_extracts"  # audit.quarantine.reason
_PART = "_part"


@dataclass
class FileRows:
    """One checked file of the batch: its lineage, loadable rows (canonical columns + `_row`) and quarantine rows."""

    source: str
    extract_date: date
    file: str  # path relative to the landing folder
    load_id: str
    typed: pl.DataFrame
    quarantine: pl.DataFrame  # row, column, raw_value, reason
    replaces: bool = False  # the source's earlier rows of this extract date are deleted first


@dataclass
class Written:
    """What writing did to one file: rows deleted of the extract it replaces, and its rows quarantined because
    their key was loaded before (`_row`, `_file`: the earlier file holding the key)."""

    deleted: int
    repeated: pl.DataFrame


def _sql_literal(value) -> str:
    """A date, timestamp or text as a SQL literal (a literal, not a parameter, so DuckDB's zone maps skip the
    history)."""
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _arrow(frame: pl.DataFrame):
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())  # string views as they are: no copy


def _windows(entity: Entity, files: list[FileRows]) -> list[tuple | None]:
    """Each file's (earliest, latest) value of the key's time column (None: the key has none, or no rows)."""
    timed = [c for c in entity.key if entity.column(c).type in ("DATE", "TIMESTAMP")]
    if not timed:
        return [None] * len(files)
    spans = [(f.typed[timed[0]].min(), f.typed[timed[0]].max()) for f in files]
    return [span if span[0] is not None else None for span in spans]


def _source_windows(files: list[FileRows], windows: list[tuple | None]) -> dict[str, tuple | None]:
    """Each source's (earliest, latest) over its files of the batch that have rows; None: unbounded (a file of it
    has no time window). Per source, not per batch: a batch of two sources whose months are out of step would
    otherwise make each source search the other's months."""
    spans: dict[str, tuple | None] = {}
    for f, w in zip(files, windows):
        if not f.typed.height:
            continue
        if w is None or (f.source in spans and spans[f.source] is None):
            spans[f.source] = None
        elif f.source in spans:
            low, high = spans[f.source]
            spans[f.source] = (min(low, w[0]), max(high, w[1]))
        else:
            spans[f.source] = w
    return spans


def _overlap_in_batch(files: list[FileRows], windows: list[tuple | None]) -> bool:
    """Whether two files of the same source may share a key: their time windows overlap (or are unknown)."""
    for i, (a, wa) in enumerate(zip(files, windows)):
        for b, wb in zip(files[i + 1:], windows[i + 1:]):
            if a.source == b.source and (wa is None or wb is None or (wa[0] <= wb[1] and wb[0] <= wa[1])):
                return True
    return False


def _keys_loaded_before(con: duckdb.DuckDBPyConnection, entity: Entity, files: list[FileRows]) -> pl.DataFrame:
    """(_part, _row, _file) of the batch's events whose key is already in `raw` from another extract of the same
    source (the file's own extract date was deleted first when it replaces it), or in an earlier file of the batch
    from the same source (that file keeps it). Snapshots repeat their keys by design: none.

    The key's time column bounds the search to each source's time window in the batch (so a night does not scan
    the history), and each part of the search runs only when it can find something: `raw` holds rows of that
    source in its window, or two files of one source overlap in time. Month after month of new events costs one
    count per source."""
    empty = pl.DataFrame(schema={_PART: pl.Int32, "_row": pl.Int64, "_file": pl.String})
    if entity.snapshot or not any(f.typed.height for f in files):
        return empty
    key = [f'"{c}"' for c in entity.key]
    windows = _windows(entity, files)
    timed = next((c for c in entity.key if entity.column(c).type in ("DATE", "TIMESTAMP")), None)

    def in_window(source: str, span: tuple | None) -> str:
        bounded = "" if span is None else (f' AND r."{timed}" BETWEEN {_sql_literal(span[0])} '
                                           f'AND {_sql_literal(span[1])}')
        return f"r._source = {_sql_literal(source)}{bounded}"

    searched = [in_window(source, span) for source, span in sorted(_source_windows(files, windows).items())
                if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM raw.{entity.name} r "
                               f"WHERE {in_window(source, span)} LIMIT 1)").fetchall()[0][0]]
    in_batch = _overlap_in_batch(files, windows)
    if not searched and not in_batch:
        return empty
    same_key = " AND ".join(f"b.{c} = r.{c}" for c in key)
    same_repeated = " AND ".join(f"b.{c} = k.{c}" for c in key)
    earlier = " UNION ALL ".join(f"""SELECT b.{_PART}, b._row, min(r._file) AS _file FROM b
                   JOIN raw.{entity.name} r ON r._source = b._source AND {same_key} AND {condition}
                   GROUP BY b.{_PART}, b._row""" for condition in searched) or (
        f"SELECT {_PART}, _row, _file FROM b WHERE false")
    within = (f"""SELECT b.{_PART}, b._row, k.first_file AS _file FROM b
                  JOIN (SELECT _source, {', '.join(key)}, min({_PART}) AS first_part,
                               arg_min(_file, {_PART}) AS first_file FROM b
                        GROUP BY ALL HAVING count(*) > 1) k ON k._source = b._source AND {same_repeated}
                  WHERE b.{_PART} > k.first_part""" if in_batch
              else f"SELECT {_PART}, _row, _file FROM b WHERE false")
    rows = con.sql(f"""
        WITH b AS (SELECT {_PART}, _row, _source, _file, {', '.join(key)} FROM _ingest_raw),
        earlier AS ({earlier}),
        within AS ({within})
        SELECT {_PART}, _row, _file FROM earlier
        UNION ALL
        SELECT w.{_PART}, w._row, w._file FROM within w ANTI JOIN earlier e USING ({_PART}, _row)
        ORDER BY {_PART}, _row""").to_arrow_table()
    return pl.from_arrow(rows).cast(empty.schema) if rows.num_rows else empty


def _repeated_quarantine(entity: Entity, stacked: pl.DataFrame, repeated: pl.DataFrame) -> pl.DataFrame:
    """The quarantine rows of events loaded before: the key as its raw value, e.g. `P100|WC-1|2025-01-01 06:00:00`."""
    key = list(entity.key)
    return stacked.join(repeated.select(_PART, "_row"), on=[_PART, "_row"]).select(
        "_load_id", "_source", pl.lit(entity.name).alias("entity"), "_file", pl.col("_row").alias("row"),
        pl.lit("+".join(key)).alias("column"),
        pl.concat_str([pl.col(c).cast(pl.String).str.replace(r"\.0+$", "") for c in key], separator="|")
        .alias("raw_value"),
        pl.lit(DUPLICATE_ACROSS_EXTRACTS).alias("reason"))


def write_files(con: duckdb.DuckDBPyConnection, entity_name: str, files: list[FileRows]) -> list[Written]:
    """Insert the files' rows and quarantine rows (inside the caller's transaction): first delete the extract dates
    they replace, then quarantine the events loaded before, then one insert into `raw.<entity>` and one into
    `audit.quarantine`. One Written per file, in order."""
    entity = ENTITIES[entity_name]
    deleted = [con.execute(f"DELETE FROM raw.{entity.name} WHERE _source = ? AND _extract_date = ?",
                           [f.source, f.extract_date]).fetchall()[0][0] if f.replaces else 0 for f in files]
    if not files:
        return []
    # each file's lineage as constant columns of its frame: cheaper for DuckDB's insert than a join on `_part`
    stacked = pl.concat([f.typed.with_columns(
        pl.lit(i, dtype=pl.Int32).alias(_PART), pl.lit(f.source, dtype=pl.String).alias("_source"),
        pl.lit(f.extract_date, dtype=pl.Date).alias("_extract_date"), pl.lit(f.file, dtype=pl.String).alias("_file"),
        pl.lit(f.load_id, dtype=pl.String).alias("_load_id")) for i, f in enumerate(files)],
        how="vertical_relaxed", rechunk=False)
    quarantine = pl.concat([f.quarantine.select(
        pl.lit(f.load_id).alias("load_id"), pl.lit(f.source).alias("source"), pl.lit(entity.name).alias("entity"),
        pl.lit(f.file).alias("file"), "row", "column", "raw_value", "reason") for f in files], how="vertical_relaxed")
    try:
        con.register("_ingest_raw", _arrow(stacked))
        repeated = _keys_loaded_before(con, entity, files)
        if repeated.height:
            moved = _repeated_quarantine(entity, stacked, repeated)
            quarantine = pl.concat([quarantine, moved.rename({c: c.lstrip("_") for c in moved.columns[:4]})
                                    .select(quarantine.columns).cast(quarantine.schema)])
            stacked = stacked.join(repeated.select(_PART, "_row"), on=[_PART, "_row"], how="anti")
            con.register("_ingest_raw", _arrow(stacked))
        con.execute(f"INSERT INTO raw.{entity.name} BY NAME SELECT * EXCLUDE ({_PART}) FROM _ingest_raw")
        if quarantine.height:
            con.register("_ingest_quarantine", _arrow(quarantine))
            con.execute("INSERT INTO audit.quarantine BY NAME SELECT * FROM _ingest_quarantine")
    finally:
        for view in ("_ingest_raw", "_ingest_quarantine"):
            try:
                con.unregister(view)
            except duckdb.Error:
                pass
    return [Written(deleted[i], repeated.filter(pl.col(_PART) == i).select("_row", "_file"))
            for i in range(len(files))]
