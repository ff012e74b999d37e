"""Check every row of a source frame against its canonical entity and type it (SPEC §3).

Steps: map the profile's headers (and the columns it computes: ingest/mapping.py) onto canonical columns,
blank/null values to null, translate codes, type each column with the profile's formats, then reject rows: a value
that cannot be typed (`unparseable_date`, `unparseable_number`), a required value missing (`missing_required`), a
value outside the column's domain (`out_of_domain`), a lookup key the other file lacks (`lookup_missing`), an id or
code with a control character (`control_character`; free text loses its control characters other than tab and line
ends instead), an observed date after the extract date plus a margin (`implausible_date`), a key already seen
earlier in the file (`duplicate_key`). Reason codes load in upper case. One quarantine row per failing (row,
column); each rejected row counts once. Everything else loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from ingest.entities import ENTITIES, Entity
from ingest.mapping import Prepared, is_constant_only, prepare
from ingest.profiles import EntityMapping, Profile
from ingest.read import FileFault, read_source_frame

POLARS_TYPES = {"VARCHAR": pl.String, "DATE": pl.Date, "TIMESTAMP": pl.Datetime("us"), "DOUBLE": pl.Float64,
                "BIGINT": pl.Int64, "BOOLEAN": pl.Boolean}
DEFAULT_TRUE = ("true", "1", "yes", "y", "x")
DEFAULT_FALSE = ("false", "0", "no", "n")
EXCEL_EPOCH = date(1899, 12, 30)
QUARANTINE_SCHEMA = {"row": pl.Int64, "column": pl.String, "raw_value": pl.String, "reason": pl.String}
EXCEL_CELL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
CONTROL = r"[\x00-\x1f\x7f]"  # in an id or code, any control character quarantines the row
CONTROL_CHARS = [chr(c) for c in (*range(32), 127)]  # the same, for str.contains_any (Aho-Corasick: faster)
CONTROL_IN_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # removed from free text (tab and line ends stay)
CONTROL_IN_TEXT_CHARS = [c for c in CONTROL_CHARS if c not in "\t\n\r"]
PLAUSIBLE_DAYS_AFTER_EXTRACT = 14  # default margin: a stop still open at the extract, time zones; not a typo'd year
PLAUSIBLE_FROM = "1900-01-01"


@dataclass
class ContractResult:
    """A typed canonical frame (only loadable rows, plus `_row`) and the quarantine rows of one file."""

    typed: pl.DataFrame
    quarantine: pl.DataFrame  # row, column, raw_value, reason
    rows_read: int
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine["row"].n_unique() if self.quarantine.height else 0


def resolve_columns(headers: list[str], entity: Entity, mapping: EntityMapping, file: str,
                    computed: set[str] = frozenset()) -> tuple[dict[str, str], list[str], list[str]]:
    """({canonical: source header}, missing optional canonical columns, unmapped source headers).

    A header matches exactly, else ignoring case; a canonical column the profile does not map may appear
    under its canonical name. `computed`: canonical columns the profile computes (constants, expressions,
    lookups), read from no header. Unmapped headers leave out the profile's `ignore:` list and the columns its
    filter, expressions and lookups read. A missing required column is a FileFault."""
    by_lower = {h.lower(): h for h in headers}
    found: dict[str, str] = {}
    missing_required, missing_optional = [], []
    for column in entity.columns:
        if column.name in computed:
            continue
        accepted = mapping.columns.get(column.name, ()) + (column.name,)
        header = next((h for h in accepted if h in headers), None) or next(
            (by_lower[h.lower()] for h in accepted if h.lower() in by_lower), None)
        if header is not None:
            found[column.name] = header
        elif column.required:
            missing_required.append(f"{column.name} (header {accepted[0]!r})")
        else:
            missing_optional.append(column.name)
    if missing_required:
        none_matched = not found and not computed
        hint = ("; no header row? none of the profile's headers is in the first row (if the file has no header row, "
                "list its columns in order under `headers:`)") if none_matched else ""
        shown = ", ".join(headers) if mapping.headers is None else "(header-less: " + ", ".join(headers) + ")"
        raise FileFault(file, f"missing required column(s): {', '.join(missing_required)}; "
                              f"the header row reads: {shown[:300]}{hint}")
    used = set(found.values()) | mapping.source_columns | set(mapping.ignore)
    unknown = [h for h in headers if h not in used]
    return found, missing_optional, unknown


def _as_text(series: pl.Series) -> pl.Series:
    return series if series.dtype == pl.String else series.cast(pl.String)


def _clean(text: pl.Series, null_values: set[str]) -> pl.Series:
    """Trimmed text with the profile's null markers (and blanks) as null. One query: for the many small files of
    master data, each Polars call's fixed cost outweighs its rows."""
    markers = sorted(null_values | {""})
    return text.to_frame().select(pl.first().str.strip_chars().replace(markers, None)).to_series()


def _parse_number(text: pl.Series, fmt: dict, integer: bool) -> pl.Series:
    thousands, decimal = fmt.get("thousands"), fmt.get("decimal", ".")
    s = text
    if s.str.ends_with("-").any():  # SAP writes negatives with a trailing minus (the regex only when needed)
        s = s.str.replace(r"^(.*\d)-$", "-$1")
    if thousands:
        s = s.str.replace_all(thousands, "", literal=True)
    if decimal != ".":
        s = s.str.replace_all(decimal, ".", literal=True)
    values = s.cast(pl.Float64, strict=False)
    values = pl.select(pl.when(values.is_finite()).then(values).otherwise(None)).to_series()
    if not integer:
        return values
    whole = pl.select(pl.when(values == values.round(0)).then(values).otherwise(None)).to_series()
    return whole.cast(pl.Int64, strict=False)


def _excel_serial(text: pl.Series, to_datetime: bool) -> pl.Series:
    serial = text.cast(pl.Float64, strict=False)
    serial = pl.select(pl.when((serial > 0) & (serial < 2958466)).then(serial).otherwise(None)).to_series()
    micros = (serial * 86_400_000_000).round(0).cast(pl.Int64)
    stamps = pl.lit(EXCEL_EPOCH).cast(pl.Datetime("us")) + pl.duration(microseconds=micros)
    out = pl.select(stamps.alias("v")).to_series()
    return out if to_datetime else out.dt.date()


def _parse_temporal(text: pl.Series, fmt: dict, target: str, excel: bool) -> pl.Series:
    date_format = fmt.get("date_format", "%Y-%m-%d")
    if target == "DATE":
        formats = [date_format]
    else:
        formats = [fmt.get("timestamp_format", "%Y-%m-%d %H:%M:%S"), date_format]
    if excel:
        formats += [f for f in EXCEL_CELL_FORMATS if f not in formats]
    dtype = pl.Date if target == "DATE" else pl.Datetime("us")
    # Polars caches each distinct text it parses: worth it for dates, which repeat; timestamps rarely do, and
    # without the cache a million of them parse in half the time.
    cache = target == "DATE"

    def parse(cells: pl.Series, f: str) -> pl.Series:
        if f in ("%Y-%m-%d %H:%M:%S",) and target == "DATE":
            return cells.str.strptime(pl.Datetime("us"), f, strict=False, cache=cache).dt.date()
        if dtype == pl.Datetime("us") and "%H" not in f:
            return cells.str.strptime(pl.Date, f, strict=False, cache=cache).cast(pl.Datetime("us"))
        return cells.str.strptime(dtype, f, strict=False, cache=cache)

    result = parse(text, formats[0])
    for f in formats[1:]:
        unparsed = result.is_null() & text.is_not_null()
        if not unparsed.any():
            break  # every value parsed: the other formats cannot add anything
        # only the cells no format has parsed yet: a few typos must not parse a million cells again
        positions = unparsed.arg_true()
        result = result.scatter(positions, parse(text.gather(positions), f))
    if excel or fmt.get("excel_serial_dates"):
        result = result.fill_null(_excel_serial(text, target == "TIMESTAMP"))
    return result


def _native_temporal(series: pl.Series, target: str) -> pl.Series:
    """A Parquet column that already holds dates/timestamps: naive UTC, the canonical type."""
    if isinstance(series.dtype, pl.Datetime):
        if series.dtype.time_zone:
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        series = series.cast(pl.Datetime("us"))
        return series.dt.date() if target == "DATE" else series
    return series.cast(pl.Date).cast(pl.Datetime("us")) if target == "TIMESTAMP" else series.cast(pl.Date)


def _parse_boolean(raw: pl.Series, fmt: dict) -> pl.Series:
    lower = raw.fill_null("").str.strip_chars().str.to_lowercase()
    trues = [v.lower() for v in fmt.get("true_values", DEFAULT_TRUE)]
    falses = [v.lower() for v in fmt.get("false_values", DEFAULT_FALSE)]
    return pl.select(pl.when(lower.is_in(trues)).then(True).when(lower.is_in(falses)).then(False)
                     .otherwise(None).alias(raw.name)).to_series()


def _quarantine_rows(rows: pl.Series, mask: pl.Series, column: str, source: pl.Series, reason: str) -> pl.DataFrame:
    """One quarantine row per masked row; the raw value is the source cell as text (only these cells are cast), its
    control characters written as \\xNN so that they can be seen and stored."""
    raw = _as_text(source.filter(mask)).fill_null("")
    if reason == "control_character":
        for code in sorted({ord(ch) for value in raw.str.extract_all(CONTROL).explode().drop_nulls() for ch in value}):
            raw = raw.str.replace_all(chr(code), f"\\x{code:02x}", literal=True)
    return pl.DataFrame({"row": rows.filter(mask), "column": column, "raw_value": raw, "reason": reason},
                        schema=QUARANTINE_SCHEMA)


def _implausible(values: pl.Series, target: str, fmt: dict, extract_date: date) -> pl.Series:
    """Observed dates/timestamps after the extract date plus the profile's margin, or before plausible_from."""
    latest = extract_date + timedelta(days=int(fmt.get("plausible_days_after_extract", PLAUSIBLE_DAYS_AFTER_EXTRACT)))
    earliest = date.fromisoformat(str(fmt.get("plausible_from", PLAUSIBLE_FROM)))
    if target == "TIMESTAMP":
        too_late = values >= datetime.combine(latest + timedelta(days=1), time())
        too_early = values < datetime.combine(earliest, time())
    else:
        too_late, too_early = values > latest, values < earliest
    return (too_late | too_early).fill_null(False)


DISTINCT_SAMPLE = 10_000  # rows sampled to tell a column of few distinct values (_per_distinct)


def _type_cells(source: pl.Series, column, fmt: dict, null_values: set[str], code_map: dict | None, excel: bool,
                extract_date: date | None) -> tuple[pl.Series, dict[str, pl.Series]]:
    """One column's cells typed, and a mask per quarantine reason (implausible_date, unparseable_date,
    unparseable_number, control_character, missing_required, out_of_domain). Every step depends on the cell's
    value alone, so the result for a cell is the same whatever the other cells are (_per_distinct relies on it)."""
    target = column.type
    failed, reason = None, None
    if target == "BOOLEAN" and source.dtype == pl.Boolean:
        values = source
    elif target == "BOOLEAN":
        raw = _as_text(source)
        values = _parse_boolean(raw, fmt)
        present = _clean(raw, null_values - {v for v in fmt.get("false_values", [])}).is_not_null()
        failed, reason = present & values.is_null(), "out_of_domain"
    elif target in ("DATE", "TIMESTAMP") and source.dtype.is_temporal():
        values = _native_temporal(source, target)
    elif target in ("DOUBLE", "BIGINT") and source.dtype.is_numeric():
        values = source.cast(POLARS_TYPES[target], strict=False)
        failed, reason = source.is_not_null() & values.is_null(), "unparseable_number"
    else:
        text = _clean(_as_text(source), null_values)
        if code_map:
            text = text.replace(code_map)
        if target == "VARCHAR":
            if column.text:
                if text.str.contains_any(CONTROL_IN_TEXT_CHARS).any():
                    text = text.str.replace_all(CONTROL_IN_TEXT, "")
            else:
                control = text.str.contains_any(CONTROL_CHARS).fill_null(False)
                if control.any():
                    failed, reason = control, "control_character"
            if column.upper:
                text = text.str.to_uppercase()
            values = text
        elif target in ("DATE", "TIMESTAMP"):
            values = _parse_temporal(text, fmt, target, excel)
            failed, reason = text.is_not_null() & values.is_null(), "unparseable_date"
        else:
            values = _parse_number(text, fmt, integer=target == "BIGINT")
            failed, reason = text.is_not_null() & values.is_null(), "unparseable_number"
    failing = {}
    if column.observed and extract_date is not None and target in ("DATE", "TIMESTAMP"):
        failing["implausible_date"] = _implausible(values, target, fmt, extract_date)
    if failed is not None:
        failing[reason] = failed
    if column.required:
        failing["missing_required"] = values.is_null() if failed is None else (values.is_null() & ~failed)
    if column.domain:
        failing["out_of_domain"] = values.is_not_null() & ~values.is_in(list(column.domain))
    return values, failing


def _per_distinct(source: pl.Series, type_cells) -> tuple[pl.Series, dict[str, pl.Series]]:
    """`type_cells(cells)` for a text column, computed once per distinct value and spread back to the rows when
    the column has few distinct values (plants, work centers, states, reason codes, quantities: a few hundred in a
    million rows), else on the column itself. Trimming, code maps, checks and parsing then cost a few hundred
    values, and the column one dictionary encoding and a gather per result."""
    height = source.len()
    if source.dtype != pl.String or height < 4 * DISTINCT_SAMPLE or (
            source.gather_every(height // DISTINCT_SAMPLE).n_unique() > DISTINCT_SAMPLE // 10):
        return type_cells(source)
    distinct = source.unique().drop_nulls()
    if distinct.len() > height // 10:
        return type_cells(source)
    codes = source.cast(pl.Enum(distinct)).to_physical().cast(pl.UInt32).fill_null(distinct.len())  # null: last
    values, failing = type_cells(distinct.append(pl.Series([None], dtype=pl.String)))
    return values.gather(codes), {reason: mask.gather(codes) for reason, mask in failing.items()}


def _key_text(sources: list[pl.Series], positions: pl.Series) -> pl.Series:
    """The key's source cells at the given frame positions as text joined by `|`, e.g. `P100|WC-1|2025-01-01`."""
    cells = [_as_text(s.gather(positions)).fill_null("") for s in sources]
    return pl.DataFrame(cells).select(pl.concat_str([c.name for c in cells], separator="|"))[:, 0]


def _later_of_key(frame: pl.DataFrame, key: list[str]) -> pl.Series | None:
    """True for each row whose key an earlier row of the frame holds; None when no key repeats. The key's columns
    are hashed to one number per row first, and only the rows whose number repeats (few or none) are compared by
    value: equal keys hash alike, so no repeat is missed, at a fraction of the cost of comparing every key."""
    hashes = frame.select(pl.struct(key).hash(0))[:, 0]
    if hashes.n_unique() == hashes.len():  # the common case, told by counting alone
        return None
    candidates = hashes.is_duplicated()
    later = frame.filter(candidates).select(pl.struct(key).is_first_distinct().not_())[:, 0]
    if not later.any():
        return None
    return pl.repeat(False, frame.height, eager=True).scatter(candidates.arg_true(), later)


def apply_contract(frame: pl.DataFrame, entity: Entity, mapping: EntityMapping, fmt: dict, file: str,
                   excel: bool = False, prepared: Prepared | None = None,
                   extract_date: date | None = None) -> ContractResult:
    """Map, type and check one file's frame; return the loadable typed rows and the quarantine rows.

    `prepared`: the profile's filter and computed columns applied to `frame` (ingest.mapping.prepare); without it,
    every row of `frame` is read and every column comes from a header. `extract_date`: the plausibility window of
    observed dates ends there (plus the profile's margin); without it, it is not checked."""
    if prepared is None:
        prepared = Prepared(frame, pl.Series("_row", range(1, frame.height + 1), dtype=pl.Int64), frame.height)
    frame = prepared.frame
    computed = prepared.computed
    headers = list(frame.columns)
    found, missing_optional, unknown = resolve_columns(headers, entity, mapping, file, set(computed))
    warnings = []
    if unknown:
        warnings.append(f"schema drift: unknown column(s) ignored: {', '.join(unknown)}")
    if missing_optional:
        warnings.append(f"optional column(s) absent, loaded as null: {', '.join(missing_optional)}")
    if prepared.rows_filtered:
        warnings.append(f"the profile's filter left out {prepared.rows_filtered} of {prepared.rows_in_file} rows")
    null_values = {str(v) for v in fmt.get("null_values", [""])}
    rows = prepared.rows.alias("_row")
    height = rows.len()
    typed: dict[str, pl.Series] = {}
    key_sources: dict[str, pl.Series] = {}
    problems: list[pl.DataFrame] = []
    for column in entity.columns:
        name, target = column.name, column.type
        if name not in found and name not in computed:
            typed[name] = pl.Series(name, [None] * height, dtype=POLARS_TYPES[target])
            if column.required:  # unreachable: resolve_columns raised
                raise FileFault(file, f"missing required column {name}")
            continue
        source = (computed[name] if name in computed else frame[found[name]]).alias(name)
        unmatched = None
        if name in prepared.lookup_keys:
            key = prepared.lookup_keys[name]
            unmatched = key.is_not_null() & source.is_null()
            if unmatched.any():  # the raw value is the key the other file does not hold
                problems.append(_quarantine_rows(rows, unmatched, name, key, "lookup_missing"))
        if name in entity.key:
            key_sources[name] = source
        values, failing = _per_distinct(source, lambda cells: _type_cells(
            cells, column, fmt, null_values, mapping.codes.get(name), excel, extract_date))
        for reason, mask in failing.items():
            if reason == "missing_required" and unmatched is not None:
                mask = mask & ~unmatched
            if mask.any():
                problems.append(_quarantine_rows(rows, mask, name, source, reason))
        typed[name] = values.alias(name)
    canonical = pl.DataFrame(list(typed.values())).with_columns(rows, pl.int_range(height, dtype=pl.Int64)
                                                                .alias("_pos"))
    key = list(entity.key)
    quarantine = pl.concat(problems) if problems else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    good = canonical.filter(~pl.col("_row").is_in(quarantine["row"].unique().implode())) if problems else canonical
    later = _later_of_key(good, key)
    if later is not None:  # a key seen earlier in the file: the later rows are quarantined
        repeated = good.filter(later)
        sources = [key_sources.get(k, typed[k]) for k in key]
        quarantine = pl.concat([quarantine, pl.DataFrame(
            {"row": repeated["_row"], "column": "+".join(key),
             "raw_value": _key_text(sources, repeated["_pos"]), "reason": "duplicate_key"},
            schema=QUARANTINE_SCHEMA)])
        good = good.filter(~later)
    quarantine = quarantine.sort(["row", "column"])
    return ContractResult(good.drop("_pos"), quarantine, height, warnings)


def check_file(path: Path, profile: Profile, entity_name: str, file: str, sheet: str | None = None,
               extract_date: date | None = None) -> ContractResult:
    """Read one file through its profile (filter and computed columns included) and check it against the
    entity's contract; raise FileFault for a fault of the whole file. Touches no database."""
    mapping = profile.entities[entity_name]
    if is_constant_only(mapping):
        if not path.is_file():
            raise FileFault(file, "file not found")
        frame = pl.DataFrame()
    else:
        frame = read_source_frame(path, profile, sheet, file, mapping)
    prepared = prepare(frame, profile, mapping, path.parent, file)
    return apply_contract(frame, ENTITIES[entity_name], mapping, profile.format, file,
                          excel=profile.file_type == "xlsx", prepared=prepared, extract_date=extract_date)
