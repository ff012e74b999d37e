"""A profile's row-level mapping of one source frame, before the contract types it (all vectorised Polars).

In order: the entity's `filter:` keeps only the rows where it is true (their file row numbers are kept), then the
canonical columns the profile computes are evaluated: `constant:` values, `sql:` expressions over the file's columns
(Polars SQL: `CASE`, `||`, `COALESCE`, comparisons, ...) and `lookup:`s of a key in another entity's file of the same
extract folder. Columns read by a filter or expression are first trimmed and their null markers made null, so
`EndDate IS NULL` holds for an empty field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingest.profiles import EntityMapping, Profile
from ingest.read import FileFault, read_source_frame


@dataclass
class Prepared:
    """A source frame after the profile's filter, with the canonical columns the profile computes."""

    frame: pl.DataFrame  # the rows kept, source columns as delivered
    rows: pl.Series  # their 1-based row numbers in the file
    rows_in_file: int
    computed: dict[str, pl.Series] = field(default_factory=dict)  # canonical column -> values (text or native)
    lookup_keys: dict[str, pl.Series] = field(default_factory=dict)  # canonical column -> the key looked up

    @property
    def rows_filtered(self) -> int:
        return self.rows_in_file - self.frame.height


def is_constant_only(mapping: EntityMapping) -> bool:
    """Every column the entity maps is a constant: it reads nothing from its file and yields one row (e.g. the
    plant of a single-plant extract)."""
    return bool(mapping.constants) and not (mapping.columns or mapping.expressions or mapping.lookups)


def _null_markers(fmt: dict) -> list[str]:
    return sorted({str(v) for v in fmt.get("null_values", [""])} | {""})


def _cleaned(frame: pl.DataFrame, names: set[str], fmt: dict) -> pl.DataFrame:
    """The named text columns trimmed, with the profile's null markers (and blanks) as null."""
    markers = _null_markers(fmt)
    cleaned = [pl.when(pl.col(n).str.strip_chars().is_in(markers)).then(None)
               .otherwise(pl.col(n).str.strip_chars()).alias(n)
               for n in names if frame.schema[n] == pl.String]
    return frame.with_columns(cleaned) if cleaned else frame


def _require_columns(frame: pl.DataFrame, names: set[str], what: str, file: str) -> None:
    absent = sorted(names - set(frame.columns))
    if absent:
        raise FileFault(file, f"the file lacks column(s) {', '.join(absent)}, which the profile's {what} read; "
                              f"the file's header: {', '.join(frame.columns)}")


def _lookup_table(profile: Profile, entity: str, folder: Path, key: str, value: str, file: str) -> pl.DataFrame:
    """(key, value) of the other entity's file in the same extract folder; the first row of a repeated key wins."""
    other = profile.entities[entity]
    path = folder / other.file
    if not path.is_file():
        raise FileFault(file, f"lookup file {other.file} ({entity}) is not in the extract folder {folder.name}")
    try:
        table = read_source_frame(path, profile, None, f"{folder.name}/{other.file}", other)
    except FileFault as fault:
        raise FileFault(file, f"lookup file unusable: {fault}") from None
    _require_columns(table, {key, value}, f"lookup in {other.file}", file)
    table = _cleaned(table.select(key, value), {key, value}, profile.format)
    return table.filter(pl.col(key).is_not_null()).unique(key, keep="first", maintain_order=True)


def prepare(frame: pl.DataFrame, profile: Profile, mapping: EntityMapping, folder: Path, file: str) -> Prepared:
    """Apply the entity's filter and compute its constant, expression and lookup columns."""
    fmt = profile.format
    rows_in_file = frame.height
    if is_constant_only(mapping):
        one = pl.DataFrame({"_row": [1]})
        return Prepared(one.drop("_row"), one["_row"], 1,
                        {c: pl.Series(c, [v]) for c, v in mapping.constants.items()})
    read = mapping.source_columns
    _require_columns(frame, read, "filter, expressions or lookups", file)
    row_numbers = pl.int_range(1, frame.height + 1, dtype=pl.Int64, eager=True).alias("_row")
    work = _cleaned(frame.select(sorted(read)), read, fmt).with_columns(row_numbers) if read else row_numbers.to_frame()
    if mapping.filter:
        try:
            keep = work.select(pl.sql_expr(mapping.filter).fill_null(False).alias("keep"))["keep"]
        except Exception as exc:  # e.g. a CAST that some value of this file cannot take
            raise FileFault(file, f"the profile's filter ({mapping.filter!r}) fails on this file's values "
                                  f"({type(exc).__name__}); TRY_CAST instead of CAST gives null where a value "
                                  "does not convert") from None
        work = work.filter(keep)
        frame = frame.filter(keep)
    rows = work["_row"]
    computed: dict[str, pl.Series] = {}
    for column, value in mapping.constants.items():
        computed[column] = pl.Series(column, [value] * frame.height, dtype=pl.String)
    for column, text in mapping.expressions.items():
        try:
            computed[column] = work.select(pl.sql_expr(text).alias(column)).to_series()
        except Exception as exc:  # an expression valid in the profile that cannot run on this file's values
            raise FileFault(file, f"the profile's expression for {column} ({text!r}) fails on this file's values "
                                  f"({type(exc).__name__}); TRY_CAST instead of CAST gives null where a value "
                                  "does not convert") from None
    lookup_keys: dict[str, pl.Series] = {}
    for column, lookup in mapping.lookups.items():
        table = _lookup_table(profile, lookup.entity, folder, lookup.key, lookup.value, file)
        keys = work[lookup.from_column].cast(pl.String)
        computed[column] = keys.replace_strict(table[lookup.key].cast(pl.String), table[lookup.value],
                                               default=None, return_dtype=table.schema[lookup.value]).alias(column)
        lookup_keys[column] = keys.alias(lookup.from_column)
    return Prepared(frame, rows, rows_in_file, computed, lookup_keys)
