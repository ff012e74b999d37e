"""Find every landing file and say which profile and canonical entity it belongs to.

Layout: `<landing>/<source>/<extract_date YYYY-MM-DD>/<file>`; `<source>` names the profile
(`ingest/profiles/<source>.yaml`). A workbook yields one LandingFile per entity (sheet) its profile maps.
Files that cannot be placed (unknown source folder, bad date folder, file no entity maps) are returned with
`error` set, so the loader records a file-level failure instead of skipping them silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.profiles import PROFILE_DIR, Profile, ProfileError, load_profile


@dataclass(frozen=True)
class LandingFile:
    """One (file, entity) pair to load. `entity` is None only for files no profile maps (then `error` is set)."""

    source: str
    profile: str | None
    kind: str | None
    extract_date: date | None
    entity: str | None
    path: Path
    rel_path: str  # relative to the landing folder, with '/' separators
    sheet: str | None = None
    error: str | None = None
    profile_dir: Path = PROFILE_DIR


def _entity_for_file(profile: Profile, file_name: str) -> list[str]:
    """The entities a file carries under this profile (a workbook carries several)."""
    lower = file_name.lower()
    if profile.file_type == "xlsx":
        if lower == profile.workbook.lower():
            return list(profile.entities)
        return []
    hits = [name for name, m in profile.entities.items() if m.file and m.file.lower() == lower]
    if hits:
        return hits
    # The canonical name `<entity>.<ext>` (SPEC §3) is accepted too.
    stem, _, ext = lower.rpartition(".")
    return [stem] if stem in profile.entities and ext == profile.file_type else []


def discover(landing_dir: Path, profile_dir: Path = PROFILE_DIR) -> list[LandingFile]:
    """Every landing file under `landing_dir`, one LandingFile per (file, entity), sorted by source, date, entity."""
    landing_dir = Path(landing_dir)
    found: list[LandingFile] = []
    if not landing_dir.is_dir():
        return found
    for source_dir in sorted(p for p in landing_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        source = source_dir.name
        try:
            profile = load_profile(source, profile_dir)
            profile_error = None if profile else f"unknown profile: no ingest/profiles/{source}.yaml for landing folder {source!r}"
        except ProfileError as exc:
            profile, profile_error = None, str(exc)
        for path in sorted(p for p in source_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            rel = path.relative_to(landing_dir).as_posix()
            parts = path.relative_to(source_dir).parts
            extract_date, error = None, profile_error
            if len(parts) != 2:
                error = error or f"{rel}: expected <source>/<extract_date>/<file>"
            else:
                try:
                    extract_date = date.fromisoformat(parts[0])
                except ValueError:
                    error = error or f"{rel}: extract date folder {parts[0]!r} is not YYYY-MM-DD"
            kind = profile.kind if profile else None
            name = profile.name if profile else None
            if error is not None:
                found.append(LandingFile(source, name, kind, extract_date, None, path, rel, error=error,
                                         profile_dir=profile_dir))
                continue
            entities = _entity_for_file(profile, path.name)
            if not entities:
                known = sorted({m.file for m in profile.entities.values() if m.file} | (
                    {profile.workbook} if profile.workbook else set()))
                found.append(LandingFile(source, name, kind, extract_date, None, path, rel,
                                         error=f"{rel}: profile {name} maps no entity to file {path.name!r} "
                                               f"(expected one of: {', '.join(known)})",
                                         profile_dir=profile_dir))
                continue
            for entity in entities:
                sheet = profile.entities[entity].sheet
                found.append(LandingFile(source, name, kind, extract_date, entity, path, rel, sheet=sheet,
                                         profile_dir=profile_dir))
    found.sort(key=lambda f: (f.source, f.extract_date or date.min, f.entity or "", f.rel_path))
    return found
