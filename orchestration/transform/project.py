"""The one dbt project, with its manifest parsed when the models changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from opsready import paths

DBT_PROJECT_DIR = paths.project_root() / "dbt_project"


def project_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """Every file that shapes what dbt builds and tests: the project and profile files, the gates config, and
    everything under models, macros, snapshots, seeds and tests."""
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml", paths.project_root() / "config" / "gates.yaml"]
    for sub in ("models", "macros", "snapshots", "seeds", "tests"):
        files += sorted(p for p in (project_dir / sub).rglob("*") if p.is_file())
    return [p for p in files if p.exists()]


def _newest_source_mtime(project_dir: Path) -> float:
    return max((p.stat().st_mtime for p in project_files(project_dir)), default=0.0)


def dbt_executable() -> str:
    """The `dbt` next to this interpreter (the venv), falling back to PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run `dbt parse` when `target/manifest.json` is missing or older than any model, macro or config file, or was
    parsed for another warehouse file, memory limit or gates.

    It parses exactly as the nightly's `dbt build` will run (same vars, same profile values), so the partial-parse
    state it leaves is reused and a run re-parses only what changed: dbt re-parses everything when the vars or the
    profile (which holds the warehouse path) differ."""
    from opsready.gates import dbt_vars

    manifest = project_dir / "target" / "manifest.json"
    stamp = project_dir / "target" / "opsready_parsed_for.json"
    paths.export_warehouse_env()
    parsed_for = json.dumps({"warehouse": os.environ["OPSREADY_WAREHOUSE"],
                             "memory_limit": os.environ["OPSREADY_DUCKDB_MEMORY_LIMIT"], "vars": dbt_vars()},
                            sort_keys=True)
    if (manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir)
            and (project_dir / "target" / "partial_parse.msgpack").exists()
            and stamp.exists() and stamp.read_text() == parsed_for):
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--quiet",
         "--vars", json.dumps(dbt_vars())],
        env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    stamp.write_text(parsed_for)
    return manifest


@cache
def dbt_project() -> DbtProject:
    ensure_manifest()
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
