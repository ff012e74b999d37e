"""Source profiles: one YAML file per source system under `ingest/profiles/`.

A profile says how one system writes its extracts (file format, delimiter, decimal comma, date formats,
encoding, header rows, Excel sheets) and maps each of its files onto a canonical entity of
`ingest.entities`: which header holds which canonical column and which codes translate to which canonical
values. Adding a system is a new YAML file; see `ingest/README.md`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ingest.entities import ENTITIES, SOURCE_KINDS

# OPSREADY_PROFILES: a deployment's own profile folder instead of the one beside this module
PROFILE_DIR = Path(os.environ.get("OPSREADY_PROFILES") or Path(__file__).resolve().parent / "profiles")
FILE_TYPES = ("csv", "parquet", "xlsx")


class ProfileError(ValueError):
    """A profile YAML that cannot be used (names the file and the problem)."""


@dataclass(frozen=True)
class EntityMapping:
    """How one canonical entity is found in a system's files."""

    entity: str
    file: str | None  # file name in the extract folder (csv/parquet), or None for a workbook sheet
    sheet: str | None  # sheet name (xlsx)
    columns: dict[str, tuple[str, ...]]  # canonical column -> accepted source headers (first is the usual one)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column -> {source code: canonical}


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


def _fail(path: Path, message: str):
    raise ProfileError(f"profile {path.name}: {message}")


def parse_profile(path: Path) -> Profile:
    """Read and validate one profile YAML; raise ProfileError naming the file and the problem."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        _fail(path, f"not valid YAML: {exc}")
    if not isinstance(doc, dict):
        _fail(path, "must be a mapping with keys profile, kind, format, entities")
    for key in ("profile", "kind", "format", "entities"):
        if key not in doc:
            _fail(path, f"missing key {key!r}")
    name, kind, fmt = str(doc["profile"]), doc["kind"], dict(doc["format"] or {})
    if name != path.stem:
        _fail(path, f"profile name {name!r} must equal the file name {path.stem!r} (it names the landing folder)")
    if kind not in SOURCE_KINDS:
        _fail(path, f"kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    if fmt.get("type") not in FILE_TYPES:
        _fail(path, f"format.type {fmt.get('type')!r} is not one of {', '.join(FILE_TYPES)}")
    if fmt["type"] == "xlsx" and not fmt.get("file"):
        _fail(path, "an xlsx profile needs format.file (the workbook name)")
    entities: dict[str, EntityMapping] = {}
    for entity_name, spec in (doc["entities"] or {}).items():
        if entity_name not in ENTITIES:
            _fail(path, f"unknown entity {entity_name!r}; known: {', '.join(ENTITIES)}")
        canonical = ENTITIES[entity_name]
        if canonical.kind != kind:
            _fail(path, f"entity {entity_name!r} is delivered by {canonical.kind} sources, not {kind}")
        spec = spec or {}
        columns: dict[str, tuple[str, ...]] = {}
        for column, headers in (spec.get("columns") or {}).items():
            if column not in canonical.column_names:
                _fail(path, f"entity {entity_name}: {column!r} is not a canonical column "
                            f"({', '.join(canonical.column_names)})")
            headers = headers if isinstance(headers, list) else [headers]
            columns[column] = tuple(str(h) for h in headers)
        codes = {}
        for column, mapping in (spec.get("codes") or {}).items():
            if column not in canonical.column_names:
                _fail(path, f"entity {entity_name}: codes for unknown column {column!r}")
            codes[column] = {str(k): str(v) for k, v in (mapping or {}).items()}
        if fmt["type"] == "xlsx":
            if not spec.get("sheet"):
                _fail(path, f"entity {entity_name}: an xlsx profile needs a sheet per entity")
        elif not spec.get("file"):
            _fail(path, f"entity {entity_name}: missing file name")
        entities[entity_name] = EntityMapping(entity_name, spec.get("file"), spec.get("sheet"), columns, codes)
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
