"""`opsready preview`: a profile applied to files without a warehouse, to write and check a profile.

For each file and each entity the profile maps it to: the canonical columns and where each comes from, the first
rows after mapping and typing, the rows the load would quarantine (counts by reason, with examples), the
columns no profile key reads (they would be reported as schema drift) and those its `ignore:` list names. A
file that could not load at all gets its one-line fault instead. Observed dates are checked against the extract
date when the file lies in a `<YYYY-MM-DD>` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ingest.contract import apply_contract, resolve_columns
from ingest.entities import ENTITIES
from ingest.mapping import is_constant_only, prepare
from ingest.profiles import EntityMapping, Profile
from ingest.read import FileFault, read_source_frame

FIRST_ROWS = 5
EXAMPLES = 3


@dataclass
class FilePreview:
    file: str
    entity: str | None
    text: str
    fault: str | None = None  # the whole-file fault, if the file could not load


def entities_of(profile: Profile, file_name: str) -> list[str]:
    """The entities the profile maps to a file of this name (a workbook carries several; `<entity>.<ext>`, the
    canonical name, is accepted too)."""
    lower = file_name.lower()
    if profile.file_type == "xlsx":
        return list(profile.entities) if lower == (profile.workbook or "").lower() else []
    hits = [name for name, m in profile.entities.items() if m.file and m.file.lower() == lower]
    stem, _, ext = lower.rpartition(".")
    return hits or ([stem] if stem in profile.entities and ext == profile.file_type else [])


def _extract_date(path: Path) -> date | None:
    """The extract date of a file in a landing folder (`<source>/<YYYY-MM-DD>/<file>`): the plausibility window of
    observed dates ends there; None elsewhere (not checked)."""
    try:
        return date.fromisoformat(path.parent.name)
    except ValueError:
        return None


def _origin(mapping: EntityMapping, column: str, found: dict[str, str]) -> str:
    """Where a canonical column's values come from, in the profile's words."""
    if column in mapping.constants:
        origin = f"constant {mapping.constants[column]!r}"
    elif column in mapping.expressions:
        origin = f"sql: {mapping.expressions[column]}"
    elif column in mapping.lookups:
        lk = mapping.lookups[column]
        origin = f"lookup {lk.from_column} in {lk.entity}.{lk.key} -> {lk.value}"
    elif column in found:
        origin = f"column {found[column]!r}"
    else:
        return "(absent: loads as null)"
    return origin + (", then codes:" if column in mapping.codes else "")


def preview_file(path: Path, profile: Profile, entity_name: str) -> FilePreview:
    """The preview of one file as one entity."""
    file = path.name
    mapping = profile.entities[entity_name]
    entity = ENTITIES[entity_name]
    sheet = mapping.sheet
    lines = [f"== {file} -> {entity_name} (profile {profile.name})"]
    try:
        frame = pl.DataFrame() if is_constant_only(mapping) else read_source_frame(path, profile, sheet, file, mapping)
        prepared = prepare(frame, profile, mapping, path.parent, file)
        found, _, unmapped = resolve_columns(list(prepared.frame.columns), entity, mapping, file,
                                             set(prepared.computed))
        result = apply_contract(frame, entity, mapping, profile.format, file, excel=profile.file_type == "xlsx",
                                prepared=prepared, extract_date=_extract_date(path))
    except FileFault as fault:
        lines.append(f"the whole file would be quarantined: {fault}")
        return FilePreview(file, entity_name, "\n".join(lines), str(fault))
    lines.append(f"rows read {result.rows_read}, would load {result.typed.height}, would quarantine "
                 f"{result.rows_quarantined}" + (f"; the filter left out {prepared.rows_filtered} of "
                                                 f"{prepared.rows_in_file} rows" if prepared.rows_filtered else ""))
    lines.append("mapped columns:")
    width = max(len(c) for c in entity.column_names)
    for column in entity.columns:
        lines.append(f"  {column.name:<{width}}  <- {_origin(mapping, column.name, found)}")
    lines.append(f"first rows after mapping ({min(FIRST_ROWS, result.typed.height)} of {result.typed.height}):")
    with pl.Config(tbl_rows=FIRST_ROWS, tbl_cols=-1, tbl_width_chars=160, fmt_str_lengths=30,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        lines.append(str(result.typed.head(FIRST_ROWS)))
    quarantine = result.quarantine
    if quarantine.height:
        lines.append("quarantine by reason:")
        for reason, group in quarantine.group_by("reason", maintain_order=True):
            examples = ", ".join(f"row {r} {c}={v!r}" for r, c, v in
                                 group.select("row", "column", "raw_value").head(EXAMPLES).iter_rows())
            lines.append(f"  {reason[0]}: {group['row'].n_unique()} row(s), e.g. {examples}")
    else:
        lines.append("quarantine by reason: none")
    lines.append("unmapped columns (schema drift): " + (", ".join(unmapped) or "none"))
    lines.append("ignored columns: " + (", ".join(mapping.ignore) or "none"))
    return FilePreview(file, entity_name, "\n".join(lines))


def preview(profile: Profile, paths: list[Path]) -> list[FilePreview]:
    """The preview of every file as every entity the profile maps it to."""
    previews = []
    for path in paths:
        entities = entities_of(profile, path.name)
        if not entities:
            known = sorted({m.file for m in profile.entities.values() if m.file} | (
                {profile.workbook} if profile.workbook else set()))
            fault = f"{path.name}: profile {profile.name} maps no entity to this file name (expected one of: " \
                    f"{', '.join(known)})"
            previews.append(FilePreview(path.name, None, f"== {path.name}\n{fault}", fault))
            continue
        previews.extend(preview_file(path, profile, entity) for entity in entities)
    return previews
