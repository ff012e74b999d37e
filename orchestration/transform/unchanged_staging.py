"""What a night may leave out of its dbt build: the staging views, and the tests of staging models, whose raw tables
did not change.

A staging model is a view over its `raw.<entity>` tables and nothing else (no vars, no readiness date, no audit
table), so a test that reads only staging models gives the same answer as long as those raw tables and the
project's code are the same, and re-creating such a view writes the same definition again. A night builds on a
copy of the published warehouse; if this run loaded nothing into a test's raw tables (no `loaded` or `replaced`
file) and the dbt project is byte for byte the one the published build ran (`audit.dbt_builds.project_fingerprint`),
the published build saw the same rows with the same test, and passed it (a failing error-severity test stops the
publish). By induction over published builds, every left-out test last ran on exactly these rows, and every left-out
view is in the working copy as that build created it. A view is left out only when every test that reads it is
left out too (dbt's `--exclude` of a model also drops its tests), so no test of a changed table is lost, and when
every view it reads is left out too (Dagster takes a multi-asset's outputs in topological order; the left-out ones
are reported first). On a night with one new MES day this leaves out 112 of the 184 data tests and 19
of the 22 staging views, so the MES chain starts at once instead of queueing behind them; the first night, a
changed project, and any test or view that reads a changed raw table run as always. Tests of intermediate models
and marts always run: they read the readiness date, which moves every night.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from opsready import paths
from orchestration.transform.project import project_files

BUILDS_TABLE = ("run_id VARCHAR PRIMARY KEY, project_fingerprint VARCHAR, tests_left_out BIGINT, "
                "finished_at TIMESTAMP, views_left_out BIGINT")


def project_fingerprint(project_dir: Path) -> str:
    """sha256 over the dbt-core version and every project file's relative path and bytes."""
    from dbt.version import __version__

    digest = hashlib.sha256(f"dbt-core {__version__}\n".encode())
    for path in project_files(project_dir):
        label = path.relative_to(project_dir if path.is_relative_to(project_dir) else paths.project_root())
        digest.update(f"{label}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _raw_sources(manifest: Mapping[str, Any], unique_id: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """The `raw.<entity>` tables a node reads, directly or through its parents (other sources count as `*`)."""
    if unique_id in memo:
        return memo[unique_id]
    if unique_id.startswith("source."):
        source = manifest["sources"][unique_id]
        found = frozenset([source["name"] if source["source_name"] == "raw" else "*"])
    else:
        found = frozenset().union(*(_raw_sources(manifest, parent, memo)
                                    for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]))
    memo[unique_id] = found
    return found


def _is_staging_model(manifest: Mapping[str, Any], unique_id: str) -> bool:
    node = manifest["nodes"].get(unique_id, {})
    return node.get("resource_type") == "model" and node.get("fqn", [None, None])[1] == "staging"


def staging_tests_on_unchanged_raw(manifest: Mapping[str, Any], changed_entities: Iterable[str]) -> list[str]:
    """Names of the data tests that read only staging models (and raw sources) none of whose raw tables are in
    `changed_entities`, sorted."""
    changed = set(changed_entities)
    memo: dict[str, frozenset[str]] = {}
    names = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        parents = node["depends_on"]["nodes"]
        if not parents or not all(_is_staging_model(manifest, p) or p.startswith("source.") for p in parents):
            continue
        read = _raw_sources(manifest, unique_id, memo)
        if "*" not in read and not read & changed:
            names.append(node["name"])
    return sorted(names)


def staging_views_on_unchanged_raw(manifest: Mapping[str, Any], changed_entities: Iterable[str],
                                   tests_left_out: Iterable[str]) -> list[str]:
    """Names of the staging views none of whose raw tables are in `changed_entities`, all of whose tests are in
    `tests_left_out` and all of whose parent views are left out too, each after the views it reads (a view may read
    another, e.g. the equipment view the plants view; a view that a night rebuilds is not followed by one left out)."""
    changed, tests = set(changed_entities), set(tests_left_out)
    memo: dict[str, frozenset[str]] = {}
    decided: dict[str, bool] = {}
    ordered: list[str] = []

    def left_out(unique_id: str) -> bool:
        if unique_id not in decided:
            node = manifest["nodes"][unique_id]
            parents = node["depends_on"]["nodes"]
            read = _raw_sources(manifest, unique_id, memo)
            child_tests = {manifest["nodes"][c]["name"] for c in manifest["child_map"][unique_id]
                           if c.startswith("test.")}
            parents_left_out = [p.startswith("source.") or left_out(p) for p in sorted(parents)]  # parents first
            decided[unique_id] = (_is_staging_model(manifest, unique_id) and node["config"]["materialized"] == "view"
                                  and "*" not in read and not read & changed and child_tests <= tests
                                  and all(parents_left_out))
            if decided[unique_id]:
                ordered.append(node["name"])
        return decided[unique_id]

    for unique_id in sorted(manifest["nodes"]):
        if _is_staging_model(manifest, unique_id):
            left_out(unique_id)
    return ordered


@dataclass(frozen=True)
class LeftOut:
    """What this night's build leaves out (see the module docstring)."""

    tests: list[str]
    views: list[str]


def changed_entities(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """The raw tables this run wrote rows into or deleted rows from (a `loaded` or `replaced` file)."""
    return {entity for (entity,) in con.execute(
        "select distinct entity from audit.load_log where run_id = ? and status in ('loaded', 'replaced')",
        [run_id]).fetchall()}


def published_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The project fingerprint of the build this working copy was copied from (None before the first record)."""
    has_table = con.execute("select count(*) from information_schema.tables where table_schema = 'audit' "
                            "and table_name = 'dbt_builds'").fetchone()[0]
    if not has_table:
        return None
    row = con.execute("select project_fingerprint from audit.dbt_builds order by finished_at desc limit 1").fetchone()
    return row[0] if row else None


def nodes_to_leave_out(warehouse: Path, manifest: Mapping[str, Any], run_id: str, fingerprint: str) -> LeftOut:
    """The staging tests and views this run may leave out (see the module docstring); none unless the working copy
    holds a published build of the same project."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if published_fingerprint(con) != fingerprint:
            return LeftOut(tests=[], views=[])
        changed = changed_entities(con, run_id)
    tests = staging_tests_on_unchanged_raw(manifest, changed)
    return LeftOut(tests=tests, views=staging_views_on_unchanged_raw(manifest, changed, tests))


def record_build(warehouse: Path, run_id: str, fingerprint: str, left_out: LeftOut) -> None:
    """Remember in the working copy which project this build ran and what it left out (published with it)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create table if not exists audit.dbt_builds ({BUILDS_TABLE})")
        con.execute("alter table audit.dbt_builds add column if not exists views_left_out BIGINT")  # before 2026-11-27
        con.execute("insert or replace into audit.dbt_builds by name select ? as run_id, ? as project_fingerprint, "
                    "? as tests_left_out, ? as finished_at, ? as views_left_out",
                    [run_id, fingerprint, len(left_out.tests), datetime.now(timezone.utc).replace(tzinfo=None),
                     len(left_out.views)])
