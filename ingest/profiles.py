"""Source profiles: one YAML file per source system under `ingest/profiles/`.

A profile says how one system writes its extracts (file format, delimiter, decimal comma, date formats,
encoding, header rows or the columns of a header-less file, Excel sheets) and maps each of its files onto a
canonical entity of `ingest.entities`: which header holds which canonical column, which columns are constants,
SQL expressions or lookups in another file of the extract, which codes translate to which canonical values, which
rows to read (`filter`) and which columns are known and not wanted (`ignore`). Everything is checked here, when the
profile is loaded; an error names the profile file and the key. Adding a system is a new YAML file; see
`ingest/README.md` (every key is documented there).
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from ingest.entities import ENTITIES, SOURCE_KINDS

# OPSREADY_PROFILES: a deployment's own profile folder instead of the one beside this module
PROFILE_DIR = Path(os.environ.get("OPSREADY_PROFILES") or Path(__file__).resolve().parent / "profiles")
FILE_TYPES = ("csv", "parquet", "xlsx")
FORMAT_KEYS = {"type", "file", "delimiter", "decimal", "thousands", "encoding", "skip_rows", "quote", "header_row",
               "date_format", "timestamp_format", "true_values", "false_values", "null_values", "excel_serial_dates",
               "plausible_from", "plausible_days_after_extract"}
ENTITY_KEYS = {"file", "sheet", "headers", "columns", "codes", "ignore", "filter"}
LOOKUP_KEYS = {"entity", "key", "value", "from"}


class ProfileError(ValueError):
    """A profile YAML that cannot be used (names the file, the key and the problem)."""


@dataclass(frozen=True)
class Lookup:
    """A canonical column read from another entity's file of the same extract folder, by key.

    `from_column` of this file is matched against `key` of the other entity's file; the value of its `value`
    column is taken. A key the other file does not hold quarantines the row (`lookup_missing`)."""

    entity: str  # the other entity of the same profile whose file is read
    key: str  # column of the other file holding the key
    value: str  # column of the other file holding the value taken
    from_column: str  # column of this file holding the key


@dataclass(frozen=True)
class EntityMapping:
    """How one canonical entity is found in a system's files."""

    entity: str
    file: str | None  # file name in the extract folder (csv/parquet), or None for a workbook sheet
    sheet: str | None  # sheet name (xlsx)
    columns: dict[str, tuple[str, ...]]  # canonical column -> accepted source headers (first is the usual one)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column -> {source code: canonical}
    headers: tuple[str, ...] | None = None  # the file has no header row; its columns are these, in order
    constants: dict[str, str] = field(default_factory=dict)  # canonical column -> the same value on every row
    expressions: dict[str, str] = field(default_factory=dict)  # canonical column -> Polars SQL expression
    lookups: dict[str, Lookup] = field(default_factory=dict)  # canonical column -> lookup in another file
    ignore: tuple[str, ...] = ()  # source columns known and not wanted (not reported as schema drift)
    filter: str | None = None  # Polars SQL condition: only rows where it is true are read

    @property
    def source_columns(self) -> set[str]:
        """The source columns the profile's expressions, lookups and filter read (each must be in the file)."""
        names = {lk.from_column for lk in self.lookups.values()}
        for text in [*self.expressions.values(), *([self.filter] if self.filter else [])]:
            names |= set(pl.sql_expr(text).meta.root_names())
        return names


@dataclass(frozen=True)
class Profile:
    """One source system's profile."""

    name: str
    kind: str
    description: str
    format: dict
    entities: dict[str, EntityMapping]
    path: Path

    @property
    def file_type(self) -> str:
        return self.format["type"]

    @property
    def workbook(self) -> str | None:
        """The workbook file name for xlsx profiles (one sheet per entity)."""
        return self.format.get("file")


def _fail(path: Path, key: str, message: str):
    raise ProfileError(f"profile {path.name}: {key}: {message}" if key else f"profile {path.name}: {message}")


def _check_sql(path: Path, key: str, text, headers: tuple[str, ...] | None) -> str:
    """A Polars SQL expression (https://docs.pola.rs/api/python/stable/reference/sql/), parsed now so that a typo
    fails when the profile is loaded, not in the night; its columns must be among `headers` when those are known."""
    if not isinstance(text, str) or not text.strip():
        _fail(path, key, "must be a SQL expression in a string, e.g. \"EndDate IS NULL\"")
    try:
        names = set(pl.sql_expr(text).meta.root_names())
    except Exception as exc:  # polars raises SQLSyntaxError, SQLInterfaceError, ComputeError ...
        _fail(path, key, f"not a valid SQL expression {text!r}: {str(exc).splitlines()[0]}")
    if headers is not None and names - set(headers):
        _fail(path, key, f"{text!r} reads column(s) {', '.join(sorted(names - set(headers)))} that are not in "
                         f"this entity's headers")
    return text


def _check_format(path: Path, fmt: dict) -> None:
    unknown = set(fmt) - FORMAT_KEYS
    if unknown:
        _fail(path, "format", f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(FORMAT_KEYS))}")
    if fmt.get("type") not in FILE_TYPES:
        _fail(path, "format.type", f"{fmt.get('type')!r} is not one of {', '.join(FILE_TYPES)}")
    if fmt["type"] == "xlsx" and not fmt.get("file"):
        _fail(path, "format.file", "an xlsx profile needs the workbook name")
    encoding = fmt.get("encoding", "utf-8")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        _fail(path, "format.encoding", f"unknown encoding {encoding!r} (e.g. utf-8, utf-8-sig, utf-16, cp1252, "
                                       "latin-1)")
    for key in ("delimiter", "decimal", "thousands", "quote"):
        if key == "quote" and fmt.get(key, '"') is None:
            continue  # quote: null -- the files quote nothing
        if key in fmt and (not isinstance(fmt[key], str) or len(fmt[key]) != 1):
            _fail(path, f"format.{key}", f"must be one character, not {fmt[key]!r}")
    for key, sample in (("date_format", "%Y"), ("timestamp_format", "%Y")):
        pattern = fmt.get(key)
        if pattern is None:
            continue
        if not isinstance(pattern, str) or "%" not in pattern:
            _fail(path, f"format.{key}", f"{pattern!r} is not a strftime pattern such as \"%d.%m.%Y\"")
        try:
            pl.Series([sample]).str.strptime(pl.Datetime("us"), pattern, strict=False)
        except Exception as exc:
            _fail(path, f"format.{key}", f"{pattern!r} is not a valid pattern: {str(exc).splitlines()[0]}")
    for key in ("skip_rows", "header_row", "plausible_days_after_extract"):
        if key in fmt and (not isinstance(fmt[key], int) or fmt[key] < 0):
            _fail(path, f"format.{key}", f"must be a whole number >= 0, not {fmt[key]!r}")
    if "plausible_from" in fmt:
        try:
            fmt["plausible_from"] = str(pl.Series([str(fmt["plausible_from"])]).str.to_date("%Y-%m-%d")[0])
        except Exception:
            _fail(path, "format.plausible_from", f"{fmt['plausible_from']!r} is not a date YYYY-MM-DD")


def _parse_column(path: Path, key: str, value, headers: tuple[str, ...] | None):
    """('headers', (...)) | ('constant', text) | ('sql', text) | ('lookup', dict) for one `columns:` entry."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("constant", "sql", "lookup"):
            _fail(path, key, "a mapping must have exactly one of constant:, sql:, lookup:")
        form, spec = next(iter(value.items()))
        if form == "constant":
            if spec is None or isinstance(spec, (dict, list)):
                _fail(path, key + ".constant", "must be one value")
            return form, str(spec)
        if form == "sql":
            return form, _check_sql(path, key + ".sql", spec, headers)
        if not isinstance(spec, dict) or set(spec) != LOOKUP_KEYS:
            _fail(path, key + ".lookup", f"needs exactly the keys {', '.join(sorted(LOOKUP_KEYS))}")
        if headers is not None and spec["from"] not in headers:
            _fail(path, key + ".lookup.from", f"{spec['from']!r} is not in this entity's headers")
        return form, {k: str(v) for k, v in spec.items()}
    values = value if isinstance(value, list) else [value]
    if not values or any(v is None or isinstance(v, (dict, list)) for v in values):
        _fail(path, key, "must be a source header, a list of accepted headers, or one of constant:, sql:, lookup:")
    if headers is not None and str(values[0]) not in headers:
        _fail(path, key, f"{values[0]!r} is not in this entity's headers")
    return "headers", tuple(str(v) for v in values)


def _parse_entity(path: Path, fmt: dict, kind: str, entity_name: str, spec) -> EntityMapping:
    where = f"entities.{entity_name}"
    if entity_name not in ENTITIES:
        _fail(path, where, f"unknown entity; known: {', '.join(ENTITIES)}")
    canonical = ENTITIES[entity_name]
    if canonical.kind != kind:
        _fail(path, where, f"this entity is delivered by {canonical.kind} sources, not {kind}")
    spec = spec or {}
    if not isinstance(spec, dict):
        _fail(path, where, "must be a mapping (file, columns, ...)")
    unknown = set(spec) - ENTITY_KEYS
    if unknown:
        _fail(path, where, f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(ENTITY_KEYS))}")
    headers = None
    if spec.get("headers") is not None:
        headers = spec["headers"]
        if fmt["type"] != "csv":
            _fail(path, f"{where}.headers", "only CSV files can be header-less")
        if not isinstance(headers, list) or not headers:
            _fail(path, f"{where}.headers", "must list the file's columns in order")
        headers = tuple(str(h) for h in headers)
        if len(set(headers)) != len(headers):
            _fail(path, f"{where}.headers", "names a column twice")
    columns, constants, expressions, lookups = {}, {}, {}, {}
    for column, value in (spec.get("columns") or {}).items():
        key = f"{where}.columns.{column}"
        if column not in canonical.column_names:
            _fail(path, key, f"not a canonical column of {entity_name} ({', '.join(canonical.column_names)})")
        form, parsed = _parse_column(path, key, value, headers)
        if form == "headers":
            columns[column] = parsed
        elif form == "constant":
            constants[column] = parsed
        elif form == "sql":
            expressions[column] = parsed
        else:
            lookups[column] = Lookup(parsed["entity"], parsed["key"], parsed["value"], parsed["from"])
    codes = {}
    for column, mapping in (spec.get("codes") or {}).items():
        if column not in canonical.column_names:
            _fail(path, f"{where}.codes.{column}", "not a canonical column")
        if not isinstance(mapping, dict):
            _fail(path, f"{where}.codes.{column}", "must map source codes to canonical values")
        codes[column] = {str(k): str(v) for k, v in mapping.items()}
    ignore = spec.get("ignore") or []
    if not isinstance(ignore, list):
        _fail(path, f"{where}.ignore", "must be a list of source column names")
    row_filter = spec.get("filter")
    if row_filter is not None:
        row_filter = _check_sql(path, f"{where}.filter", row_filter, headers)
    if fmt["type"] == "xlsx":
        if not spec.get("sheet"):
            _fail(path, f"{where}.sheet", "an xlsx profile needs a sheet per entity")
    elif not spec.get("file"):
        _fail(path, f"{where}.file", "missing file name")
    return EntityMapping(entity_name, spec.get("file"), spec.get("sheet"), columns, codes, headers, constants,
                         expressions, lookups, tuple(str(c) for c in ignore), row_filter)


def _check_lookups(path: Path, entities: dict[str, EntityMapping]) -> None:
    for name, mapping in entities.items():
        for column, lookup in mapping.lookups.items():
            key = f"entities.{name}.columns.{column}.lookup"
            other = entities.get(lookup.entity)
            if other is None:
                _fail(path, f"{key}.entity", f"{lookup.entity!r} is not an entity of this profile "
                                             f"({', '.join(entities)})")
            if other.file is None:
                _fail(path, f"{key}.entity", "lookups read CSV or Parquet files, not workbook sheets")
            for part in ("key", "value"):
                wanted = getattr(lookup, part)
                if other.headers is not None and wanted not in other.headers:
                    _fail(path, f"{key}.{part}", f"{wanted!r} is not in the headers of {lookup.entity}")


def parse_profile(path: Path) -> Profile:
    """Read and validate one profile YAML; raise ProfileError naming the file, the key and the problem."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        _fail(path, "", f"not valid YAML: {exc}")
    if not isinstance(doc, dict):
        _fail(path, "", "must be a mapping with keys profile, kind, format, entities")
    for key in ("profile", "kind", "format", "entities"):
        if key not in doc:
            _fail(path, key, "missing")
    name, kind, fmt = str(doc["profile"]), doc["kind"], dict(doc["format"] or {})
    if name != path.stem:
        _fail(path, "profile", f"{name!r} must equal the file name {path.stem!r} (it names the landing folder)")
    if kind not in SOURCE_KINDS:
        _fail(path, "kind", f"{kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    _check_format(path, fmt)
    if not isinstance(doc["entities"], dict):
        _fail(path, "entities", "must map entity names to their files")
    entities = {entity_name: _parse_entity(path, fmt, kind, entity_name, spec)
                for entity_name, spec in doc["entities"].items()}
    _check_lookups(path, entities)
    return Profile(name, kind, str(doc.get("description", "")), fmt, entities, path)


@lru_cache(maxsize=None)
def _cached(path: Path, mtime_ns: int) -> Profile:
    return parse_profile(path)


def load_profile(name: str, profile_dir: Path = PROFILE_DIR) -> Profile | None:
    """The profile for a source id (landing folder name), or None when no such profile exists."""
    path = profile_dir / f"{name}.yaml"
    if not path.is_file():
        return None
    return _cached(path, path.stat().st_mtime_ns)


def all_profiles(profile_dir: Path = PROFILE_DIR) -> dict[str, Profile]:
    """Every profile in the folder, by name."""
    return {p.stem: load_profile(p.stem, profile_dir) for p in sorted(profile_dir.glob("*.yaml"))}
