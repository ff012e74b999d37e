"""The one dbt project: a cached `DbtProject`, and the manifest prepared where a process starts, never at import."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from opsready import gates
from opsready.paths import Settings, project_root

DBT_PROJECT_DIR = project_root() / "dbt_project"


def dbt_target_dir(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """dbt's target folder: dbt's own `DBT_TARGET_PATH` (dagster-dbt puts its run folders there too; the tests give
    each process its own), default `target` in the project."""
    return project_dir / os.environ.get("DBT_TARGET_PATH", "target")


@functools.cache
def dbt_project() -> DbtProject:
    """dagster-dbt's handle on the project (paths only; nothing is parsed here)."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())


def project_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """Every file that shapes what dbt builds and tests: the project, profile and selector files, the gates config,
    and everything under models, macros, snapshots, seeds and tests."""
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml", project_dir / "selectors.yml",
             gates.gates_file()]
    for sub in ("models", "macros", "snapshots", "seeds", "tests"):
        files += sorted(p for p in (project_dir / sub).rglob("*") if p.is_file())
    return [p for p in files if p.exists()]


def dbt_executable() -> str:
    """The `dbt` next to this interpreter (the venv), falling back to PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_build_args(dbt_vars: dict) -> list[str]:
    """The nightly's `dbt build` arguments (the bench's dbt with no rows uses them too). Unit tests check the models'
    SQL on fixed inputs, not the night's data: `make test` runs them (tests/test_dbt_unit_tests.py), the nightly leaves
    them out (dbt's advice for production runs)."""
    return ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"]


def prepare_manifest(settings: Settings, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """What dagster-dbt's `prepare_if_dev()` does under `dagster dev`, for every process that runs the nightly:
    `dbt parse` when `target/manifest.json` is missing or older than any model, macro or config file, or was parsed
    for another warehouse file, memory limit or gates; otherwise nothing.

    It parses exactly as the nightly's `dbt build` will run (same vars, same profile values), so the partial-parse
    state it leaves is reused and a run re-parses only what changed: dbt re-parses everything when the vars or the
    profile (which holds the warehouse path) differ."""
    target = dbt_target_dir(project_dir)
    manifest, stamp = target / "manifest.json", target / "opsready_parsed_for.json"
    gate_vars = gates.dbt_vars()
    parsed_for = json.dumps({"warehouse": str(settings.working_warehouse),
                             "memory_limit": settings.duckdb_memory_limit, "vars": gate_vars}, sort_keys=True)
    newest = max((p.stat().st_mtime for p in project_files(project_dir)), default=0.0)
    if (manifest.exists() and manifest.stat().st_mtime >= newest
            and (target / "partial_parse.msgpack").exists()
            and stamp.exists() and stamp.read_text() == parsed_for):
        return manifest
    result = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--quiet",
         "--target-path", str(target), "--vars", json.dumps(gate_vars)],
        env={**os.environ, **settings.child_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    stamp.write_text(parsed_for)
    return manifest
