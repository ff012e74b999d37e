"""Ingest: landing files → source profiles → contracts → quarantine → `raw` + `audit` in DuckDB.

Public interface: `discover(landing_dir)`, `load_entity(con, entity, landing_dir, run_id)`,
`load_entities(con, entities, landing_dir, run_id, found)` (two lanes side by side),
`record_unmapped_files(con, landing_dir, run_id)`, `unloaded_files(con, landing_dir)`, `LandingFile`,
`LoadResult`; GX suites in `ingest.gx`.
"""

from ingest.discover import LandingFile, discover
from ingest.load import (LoadResult, load_entities, load_entity, load_file, parse_file,
                         record_unmapped_files, unloaded_files)

__all__ = ["LandingFile", "LoadResult", "discover", "load_entities", "load_entity", "load_file", "parse_file",
           "record_unmapped_files", "unloaded_files"]
