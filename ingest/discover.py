"""Find every landing file and say which profile and canonical entity it belongs to.

Layout: `<landing>/<source>/<extract_date YYYY-MM-DD>/<file>`; `<source>` names the profile
(`ingest/profiles/<source>.yaml`). A workbook yields one LandingFile per entity (sheet) its profile maps.
Files that cannot be placed (unknown source folder, bad date folder, file no entity maps) are returned with
`error` set, so the loader quarantines them whole instead of skipping them silently; so are folders that cannot be
listed (named, with the system's reason) and links that lead out of the landing folder (refused unread: rows from
elsewhere must not be published, nor a line of them printed).
"""

from __future__ import annotations

import os
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


def _kind(path: Path, real_root: Path, ancestors: frozenset = frozenset()) -> str:
    """'file', 'folder', or why the entry is neither read nor entered (a link out of the landing folder, a loop of
    links, a broken link, a pipe)."""
    if path.is_symlink():
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a loop of links
            return "a link that cannot be followed (a loop?): refused"
        if not target.is_relative_to(real_root):
            return f"a link to {target}, outside the landing folder: refused, not read"
        if target in ancestors:
            return "a link to a folder that contains it: refused"
    if path.is_dir():
        return "folder"
    if path.is_file():
        return "file"
    return "neither a file nor a folder (a broken link, a pipe?): not read"


def _walk(folder: Path, real_root: Path, ancestors: frozenset = frozenset()
          ) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(files, [(path, problem)]) under `folder`, sorted, hidden entries left out. A folder that cannot be listed
    and a link whose target lies outside the landing folder are problems, not files: neither is read."""
    files, problems = [], []
    ancestors = ancestors | {folder.resolve()}
    try:
        entries = sorted(entry.name for entry in os.scandir(folder))
    except OSError as exc:
        return files, [(folder, f"folder cannot be read: {exc.strerror}")]
    for name in entries:
        if name.startswith("."):
            continue
        path = folder / name
        kind = _kind(path, real_root, ancestors)
        if kind == "folder":
            more_files, more_problems = _walk(path, real_root, ancestors)
            files += more_files
            problems += more_problems
        elif kind == "file":
            files.append(path)
        else:
            problems.append((path, kind))
    return files, problems


def discover(landing_dir: Path, profile_dir: Path = PROFILE_DIR) -> list[LandingFile]:
    """Every landing file under `landing_dir`, one LandingFile per (file, entity), sorted by source, date, entity;
    folders that cannot be read, links out of the landing folder and files outside any source folder as
    LandingFiles with `error` set."""
    landing_dir = Path(landing_dir)
    found: list[LandingFile] = []
    if not landing_dir.is_dir():
        return found
    real_root = landing_dir.resolve()
    try:
        entries = sorted(p for p in landing_dir.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise OSError(f"landing folder {landing_dir} cannot be read: {exc.strerror}") from None
    source_dirs = []
    for entry in entries:
        kind = _kind(entry, real_root)
        if kind == "folder":
            source_dirs.append(entry)
            continue
        problem = "expected <source>/<extract_date>/<file>" if kind == "file" else kind
        found.append(LandingFile(entry.name, None, None, None, None, entry, entry.name,
                                 error=f"{entry.name}: {problem}", profile_dir=profile_dir))
    for source_dir in source_dirs:
        source = source_dir.name
        try:
            profile = load_profile(source, profile_dir)
            profile_error = None if profile else f"unknown profile: no ingest/profiles/{source}.yaml for landing folder {source!r}"
        except ProfileError as exc:
            profile, profile_error = None, str(exc)
        files, problems = _walk(source_dir, real_root)
        for path, problem in problems:
            rel = path.relative_to(landing_dir).as_posix()
            found.append(LandingFile(source, profile.name if profile else None, profile.kind if profile else None,
                                     None, None, path, rel, error=f"{rel}: {problem}", profile_dir=profile_dir))
        for path in files:
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
