"""What a night with nothing new must rebuild, by dbt's own state comparison.

A successful dbt build leaves its manifest and vars in the working copy (`audit.dbt_build_state`), so they are
published with the warehouse they built and every later working copy starts with them. A night whose ingest loaded,
replaced or quarantined nothing, that reprocesses nothing and passes the same vars, has the same inputs as that build:
it builds only what dbt's `state:modified+` selects against that manifest (the selector `changed_since_published` in
dbt_project/selectors.yml): the models and tests whose code or config changed, and everything downstream of them;
nothing when the project is unchanged. A night that did load something, with the same vars and a project byte for
byte the published build's (`project_fingerprint`), builds what the night's new rows reach: every model and test
downstream, in dbt's graph, of a source the ingest changed (`changed_sources`); the rest (on a +1-day night the ERP and
pilot-register staging and their tests) are excluded and stand as published. Any other night builds the whole project.
The build's test results are kept too: a test left alone saw the same SQL on the same rows, so its result is the
published build's.

A night that would find nothing new, with the same vars and a project whose files are byte for byte the ones the
published build ran (`project_fingerprint`), has nothing for dbt to do at all: `quiet_night` tells the one place that
runs a job (orchestration/runtime.py) before the run starts, and the run leaves the dbt step, its checks and the
readiness checks out (Dagster plans, runs and records none of their few hundred events). If a file lands between
that decision and the landing step, publishing refuses the night (orchestration/warehouse/assets.py): the next night
loads and builds it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb

import ingest
from ingest.domains import DOMAINS_FILE
from orchestration.transform.project import DBT_PROJECT_DIR, project_files

STATE_TABLE = "audit.dbt_build_state"
STATE_SELECTOR = "changed_since_published"
QUIET_TAG = "opsready/dbt_build_stands"  # a quiet night's run tag: when the build whose results stand ran


def nothing_new(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether this run's ingest changed nothing: every landing file it looked at was skipped (already loaded)."""
    changed = con.execute("select count(*) from audit.load_log where run_id = ? and status <> 'skipped'",
                          [run_id]).fetchone()[0]
    return changed == 0


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over every file that shapes what dbt builds and tests (transform/project.py) and the domain values its
    rules read (config/domains.yaml, written to `raw.domain_values` every night), names and bytes."""
    digest = hashlib.sha256()
    for path in [*project_files(project_dir), DOMAINS_FILE]:
        digest.update(path.relative_to(project_dir.parent).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _vars_key(dbt_vars: dict) -> str:
    """How a build's vars are recorded and looked up: one JSON text, keys sorted."""
    return json.dumps(dbt_vars, sort_keys=True)


def _has_state(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    return con.execute("select count(*) from duckdb_columns() where schema_name = 'audit' "
                       "and table_name = 'dbt_build_state' and column_name = ?", [column]).fetchone()[0] > 0


def published_build(con: duckdb.DuckDBPyConnection, dbt_vars: dict) -> tuple[str, str, str | None] | None:
    """The manifest, run results and project fingerprint (None if not recorded) of the build behind this warehouse,
    when it ran with `dbt_vars`."""
    if not _has_state(con, "run_results"):
        return None
    fingerprint = "project_fingerprint" if _has_state(con, "project_fingerprint") else "null"
    return con.execute(f"select manifest, run_results, {fingerprint} from {STATE_TABLE} where dbt_vars = ?",
                       [_vars_key(dbt_vars)]).fetchone()


def changed_sources(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """The dbt sources ('source_name.table', as in dbt's `source()`) this run's ingest changed: `raw.<entity>` of
    every entity with a file loaded, replaced or quarantined, and the audit tables every such file is logged in."""
    entities = {entity for (entity,) in con.execute(
        "select distinct entity from audit.load_log where run_id = ? and status <> 'skipped'", [run_id]).fetchall()}
    if not entities:
        return set()
    return {f"raw.{entity}" for entity in entities if entity} | {"audit.load_log", "audit.quarantine"}


def untouched_nodes(manifest: dict, sources: set[str]) -> list[str]:
    """The names of the models and data tests that none of `sources` reaches in dbt's graph (the manifest's child
    map): on a night whose project and vars are the published build's, their tables and results are that build's."""
    reached, todo = set(), [uid for uid, source in manifest["sources"].items()
                            if f"{source['source_name']}.{source['name']}" in sources]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in reached:
                reached.add(child)
                todo.append(child)
    return sorted(node["name"] for uid, node in manifest["nodes"].items()
                  if node["resource_type"] in ("model", "test") and uid not in reached)


def quiet_night(published: Path, landing_dir: Path, dbt_vars: dict) -> datetime | None:
    """When the published build (at `published`) ran with `dbt_vars` on the project as it is now, and every landing
    file is loaded already (as the landing step will find): that build's time, for the night to say its results
    stand. Otherwise (or on any doubt, e.g. a warehouse without this record) None: the night runs dbt."""
    if not published.exists():
        return None
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            if not _has_state(con, "project_fingerprint"):
                return None
            built = con.execute(f"select built_at from {STATE_TABLE} where dbt_vars = ? and project_fingerprint = ?",
                                [_vars_key(dbt_vars), project_fingerprint()]).fetchone()
            if built is None or ingest.unloaded_files(con, landing_dir):
                return None
    except duckdb.Error:  # e.g. a warehouse of an older layout: the night builds, and the build says what is wrong
        return None
    return built[0]


def test_results(manifest: str, run_results: str) -> dict[str, dict]:
    """Each data test's result in a build, by the test's name: dbt's status ('pass', 'warn', 'fail') and failures."""
    nodes = json.loads(manifest)["nodes"]
    return {nodes[r["unique_id"]]["name"]: {"status": r["status"], "failures": r.get("failures")}
            for r in json.loads(run_results)["results"]
            if r["unique_id"].startswith("test.") and r["unique_id"] in nodes}


def unchanged_build(warehouse: Path, run_id: str, dbt_vars: dict, reprocessing: bool, state_dir: Path,
                    fingerprint: str) -> tuple[list[str], dict[str, dict], str]:
    """What this night's build may leave as the published build left it, for dbt's arguments: on a night with the
    published build's vars that reprocesses nothing, when the ingest changed nothing, `--selector
    changed_since_published --state <state_dir>` (that build's manifest written there); when it changed some sources
    and the project is that build's (`fingerprint`), `--exclude` of the models and tests none of them reaches (what
    dbt's `source:<changed>+` would select is built). With them that build's test results and a note saying why what
    is left out stands. Otherwise no arguments (the whole project), no results."""
    if reprocessing:
        return [], {}, ""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build = published_build(con, dbt_vars)
        if build is None:
            return [], {}, ""
        manifest, run_results, built_on = build
        if nothing_new(con, run_id):
            state_dir.mkdir(parents=True, exist_ok=True)
            (state_dir / "manifest.json").write_text(manifest)
            return (["--selector", STATE_SELECTOR, "--state", str(state_dir)], test_results(manifest, run_results),
                    "nothing new since the published build and the SQL unchanged (dbt state:modified): not run again")
        if built_on != fingerprint:
            return [], {}, ""
        sources = changed_sources(con, run_id)
    untouched = untouched_nodes(json.loads(manifest), sources)
    if not untouched:
        return [], {}, ""
    # cautious: a test is left out only with all its parents (dbt's default, eager, would also leave out a test of new
    # rows against a model that stands, e.g. MES work centers against the ERP master)
    return (["--exclude", " ".join(untouched), "--indirect-selection", "cautious"], test_results(manifest, run_results),
            f"no new rows upstream (tonight's ingest changed {', '.join(sorted(sources))}) and the project "
            "unchanged: not run again")


def record_build(warehouse: Path, target_path: Path, dbt_vars: dict, earlier_results: dict[str, dict],
                 fingerprint: str) -> None:
    """Keep the manifest, vars, project fingerprint (taken when the build started) and test results of the build
    that just succeeded in the working copy, replacing the last ones. A build that ran only some tests keeps the
    earlier results of the others."""
    run_results = json.loads((target_path / "run_results.json").read_text())
    manifest = (target_path / "manifest.json").read_text()
    nodes = json.loads(manifest)["nodes"]
    ran = {nodes[r["unique_id"]]["name"] for r in run_results["results"] if r["unique_id"] in nodes}
    run_results["results"] += [
        {"unique_id": uid, **earlier_results[node["name"]]} for uid, node in nodes.items()
        if node["resource_type"] == "test" and node["name"] in earlier_results and node["name"] not in ran]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create or replace table {STATE_TABLE} (built_at timestamp, dbt_vars varchar, "
                    "manifest varchar, run_results varchar, project_fingerprint varchar)")
        con.execute(f"insert into {STATE_TABLE} values (current_timestamp, ?, ?, ?, ?)",
                    [_vars_key(dbt_vars), manifest, json.dumps(run_results), fingerprint])
