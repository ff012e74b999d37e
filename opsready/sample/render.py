"""Render canonical frames into a source system's file shape, through its profile (`ingest/profiles/*.yaml`).

Format-level defects (which ingest must quarantine) are added as extra rows, one defect per row, so the clean
rows and every total built from them stay intact: a copy of a clean row with its key made unique and one cell
broken, or an exact duplicate of a clean row (the second occurrence is the defect).
"""

from __future__ import annotations

import io
import zlib
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter
import yaml

from ingest.entities import ENTITIES

PROFILE_DIR = Path(__file__).resolve().parents[2] / "ingest" / "profiles"
WORKBOOK_CREATED = datetime(2022, 1, 1)

# Decimal places when a DOUBLE canonical column is written as text.
DECIMALS = {"ideal_cycle_time_s": 1, "standard_cost": 2, "quantity": 3, "planned_qty": 0, "yield_qty": 0,
            "scrap_qty": 0, "amount": 2, "produced_qty": 0, "good_qty": 0, "reject_qty": 0}


def load_profile(source: str) -> dict:
    """The parsed YAML profile of a source system."""
    path = PROFILE_DIR / f"{source}.yaml"
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def inverted_codes(profile: dict, entity: str) -> dict[str, dict[str, str]]:
    """canonical value -> system code per column (the first system code that maps onto it)."""
    out: dict[str, dict[str, str]] = {}
    for column, mapping in (profile["entities"][entity].get("codes") or {}).items():
        inv: dict[str, str] = {}
        for system, canonical in mapping.items():
            inv.setdefault(str(canonical), str(system))
        out[column] = inv
    return out


def file_seed(seed: int, rel_path: str) -> np.random.Generator:
    """A generator that depends only on the seed and the file's path (stable across runs)."""
    return np.random.default_rng([seed, zlib.crc32(rel_path.encode("utf-8"))])


# ---------------------------------------------------------------- defects
BAD_VALUES = {
    "erp-midstate": {"date": "31.02.2024", "number": "12,3,4", "domain": "REISE"},
    "erp-globaltech": {"date": "2024-02-31", "number": "12.3.4", "domain": "Travel"},
    "mes-midstate": {"domain": "9"},
    "mes-globaltech": {"date": "2024-13-01T25:00:00Z", "number": "1O5", "domain": "Maintenance Mode"},
    "pilots": {"date": "31.02.2024", "number": "n/a", "domain": "on hold"},
}


def applicable_defects(entity: str, source: str) -> list[tuple[str, str]]:
    """(reason, canonical column) pairs that can be injected into this entity in this source's format."""
    ent = ENTITIES[entity]
    text_format = source != "mes-midstate"
    out = []
    dates = [c.name for c in ent.columns if c.type in ("DATE", "TIMESTAMP")]
    numbers = [c.name for c in ent.columns if c.type in ("DOUBLE", "BIGINT")]
    required = [c.name for c in ent.columns if c.required]
    domains = [c.name for c in ent.columns if c.domain]
    if text_format and dates:
        out.append(("unparseable_date", dates[0]))
    if text_format and numbers:
        out.append(("unparseable_number", numbers[-1]))
    if required:
        out.append(("missing_required", required[0]))
    if domains:
        out.append(("out_of_domain", domains[0]))
    out.append(("duplicate_key", ""))
    return out


def defect_rows(frame: pl.DataFrame, entity: str, source: str, n_defects: int, rng: np.random.Generator):
    """Extra canonical rows (each a copy of a clean row) and the (reason, column) each will be broken in."""
    kinds = applicable_defects(entity, source)
    if frame.height == 0 or n_defects == 0:
        return frame.clear(), []
    picks = rng.choice(len(kinds), size=min(n_defects, len(kinds)), replace=False)
    chosen = [kinds[i] for i in sorted(picks)]
    templates = rng.choice(frame.height, size=len(chosen), replace=frame.height < len(chosen))
    key = ENTITIES[entity].key
    extra = []
    for j, ((reason, column), t) in enumerate(zip(chosen, templates)):
        row = frame.row(int(t), named=True)
        if reason != "duplicate_key":
            string_keys = [k for k in key if k != column and isinstance(row[k], str)]
            if string_keys:
                row[string_keys[-1]] = f"{row[string_keys[-1]]}-Q{j + 1}"
        extra.append(row)
    return pl.DataFrame(extra, schema=frame.schema), chosen


def _break(values: list, reason: str, source: str, as_text: bool):
    """The broken value for one cell."""
    if reason == "missing_required":
        return None
    kind = {"unparseable_date": "date", "unparseable_number": "number", "out_of_domain": "domain"}[reason]
    return BAD_VALUES[source][kind]


# ---------------------------------------------------------------- text rendering
def _format_numbers(values: list, decimals: int, decimal_sep: str, thousands: str | None) -> list:
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        s = f"{v:,.{decimals}f}"
        s = s.replace(",", "\0").replace(".", decimal_sep).replace("\0", thousands or "")
        out.append(s)
    return out


def render_text(frame: pl.DataFrame, entity: str, profile: dict) -> pl.DataFrame:
    """Every canonical column as the system's text (codes, numbers, dates, booleans), renamed to system headers."""
    fmt = profile["format"]
    spec = profile["entities"][entity]
    codes = inverted_codes(profile, entity)
    decimal_sep, thousands = fmt.get("decimal", "."), fmt.get("thousands")
    true_value = (fmt.get("true_values") or ["true"])[0]
    false_value = (fmt.get("false_values") or ["false"])[0]
    cols = []
    for column, header in spec["columns"].items():
        s = frame[column]
        ctype = ENTITIES[entity].column(column).type
        if column in codes:
            inv = codes[column]
            s = s.cast(pl.Utf8).replace_strict(inv, default=s.cast(pl.Utf8))
        elif ctype == "TIMESTAMP":
            s = s.dt.strftime(fmt["timestamp_format"])
        elif ctype == "DATE":
            s = s.dt.strftime(fmt["date_format"])
        elif ctype == "BOOLEAN":
            # An empty false value is written as an empty field (it reads back like a null, as in SAP downloads).
            s = pl.Series(column, [None if v is None else (true_value if v else (false_value or None))
                                   for v in s.to_list()], dtype=pl.Utf8)
        elif ctype == "DOUBLE":
            d = DECIMALS.get(column, 2)
            if d == 0 and thousands is None:
                s = s.cast(pl.Int64).cast(pl.Utf8)
            else:
                s = pl.Series(column, _format_numbers(s.to_list(), d, decimal_sep, thousands), dtype=pl.Utf8)
        elif ctype == "BIGINT":
            s = s.cast(pl.Int64).cast(pl.Utf8)
        cols.append(s.cast(pl.Utf8).alias(header))
    return pl.DataFrame(cols)


def _break_text(text: pl.DataFrame, extra_start: int, chosen, spec: dict, source: str) -> pl.DataFrame:
    """Overwrite the chosen cell of each extra row (rows from extra_start on) with its broken value."""
    for j, (reason, column) in enumerate(chosen):
        if reason == "duplicate_key":
            continue
        header = spec["columns"][column]
        values = text[header].to_list()
        values[extra_start + j] = _break(values, reason, source, True)
        text = text.with_columns(pl.Series(header, values, dtype=pl.Utf8))
    return text


def csv_bytes(frame: pl.DataFrame, entity: str, profile: dict, n_defects: int, rng) -> tuple[bytes, int, dict]:
    """The CSV file bytes for one entity (with defect rows), its data row count and quarantine counts."""
    extra, chosen = defect_rows(frame, entity, profile["profile"], n_defects, rng)
    full = pl.concat([frame, extra]) if extra.height else frame
    text = render_text(full, entity, profile)
    text = _break_text(text, frame.height, chosen, profile["entities"][entity], profile["profile"])
    fmt = profile["format"]
    buf = io.BytesIO()
    text.write_csv(buf, separator=fmt.get("delimiter", ","), null_value="", quote_style="necessary",
                   line_terminator="\r\n" if fmt.get("encoding", "").startswith("utf-8-sig") else "\n")
    data = buf.getvalue().decode("utf-8")
    encoding = fmt.get("encoding", "utf-8")
    raw = data.encode("latin-1") if encoding in ("latin-1", "latin1", "iso-8859-1") else data.encode("utf-8")
    if encoding == "utf-8-sig":
        raw = b"\xef\xbb\xbf" + raw
    return raw, text.height, _tally(chosen)


def _tally(chosen) -> dict[str, int]:
    out: dict[str, int] = {}
    for reason, _ in chosen:
        out[reason] = out.get(reason, 0) + 1
    return out


# ---------------------------------------------------------------- parquet
def parquet_bytes(frame: pl.DataFrame, entity: str, profile: dict, n_defects: int, rng) -> tuple[bytes, int, dict]:
    """Parquet bytes: typed columns under system names, coded columns as text codes, nulls for missing values."""
    extra, chosen = defect_rows(frame, entity, profile["profile"], n_defects, rng)
    spec = profile["entities"][entity]
    codes = inverted_codes(profile, entity)
    for j, (reason, column) in enumerate(chosen):
        if reason == "missing_required":
            values = extra[column].to_list()
            values[j] = None
            extra = extra.with_columns(pl.Series(column, values, dtype=extra.schema[column]))
    full = pl.concat([frame, extra]) if extra.height else frame
    cols = []
    for column, header in spec["columns"].items():
        s = full[column]
        if column in codes:
            s = s.cast(pl.Utf8).replace_strict(codes[column], default=s.cast(pl.Utf8))
            bad = [frame.height + j for j, (r, c) in enumerate(chosen) if r == "out_of_domain" and c == column]
            if bad:
                values = s.to_list()
                for i in bad:
                    values[i] = BAD_VALUES[profile["profile"]]["domain"]
                s = pl.Series(column, values, dtype=pl.Utf8)
        cols.append(s.alias(header))
    buf = io.BytesIO()
    pl.DataFrame(cols).write_parquet(buf, compression="zstd", statistics=True, row_group_size=256_000)
    return buf.getvalue(), full.height, _tally(chosen)


# ---------------------------------------------------------------- xlsx
def xlsx_bytes(frames: dict[str, pl.DataFrame], profile: dict, n_defects: int, rng) -> tuple[bytes, dict]:
    """The register workbook: one sheet per entity, real Excel dates; returns bytes and {entity: (rows, quarantine)}."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    wb.set_properties({"title": "Roadmap pilot register", "author": "Transformation office",
                       "created": WORKBOOK_CREATED})
    wb.set_custom_property("opsready", "sample estate")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    head_fmt = wb.add_format({"bold": True})
    stats = {}
    for entity, spec in profile["entities"].items():
        frame = frames[entity]
        extra, chosen = defect_rows(frame, entity, "pilots", n_defects, rng)
        full = pl.concat([frame, extra]) if extra.height else frame
        broken = {(frame.height + j, column): _break([], reason, "pilots", True)
                  for j, (reason, column) in enumerate(chosen) if reason != "duplicate_key"}
        ws = wb.add_worksheet(spec["sheet"])
        columns = list(spec["columns"].items())
        for c, (_, header) in enumerate(columns):
            ws.write_string(0, c, header, head_fmt)
            ws.set_column(c, c, max(12, len(header) + 2))
        for r, row in enumerate(full.iter_rows(named=True)):
            for c, (column, _) in enumerate(columns):
                value = broken.get((r, column), row[column]) if (r, column) in broken else row[column]
                if value is None:
                    continue
                if isinstance(value, datetime):
                    ws.write_datetime(r + 1, c, value, date_fmt)
                elif isinstance(value, date):
                    ws.write_datetime(r + 1, c, datetime(value.year, value.month, value.day), date_fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r + 1, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r + 1, c, value)
                else:
                    ws.write_string(r + 1, c, str(value))
        stats[entity] = (full.height, _tally(chosen))
    wb.close()
    return buf.getvalue(), stats
