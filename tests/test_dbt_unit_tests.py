"""Every dbt unit test (the models' SQL on fixed inputs) passes. The nightly leaves unit tests out (they test code,
not the night's data), so this is where they run: on a copy of the session nightly's published warehouse, whose
tables give dbt the column types of the models' inputs."""

from __future__ import annotations

import json
import shutil

import yaml

from opsready.gates import dbt_vars
from tests.dbt_runner import DBT_PROJECT, dbt_build


def declared_unit_tests() -> set[str]:
    """`<model>.<unit test name>` of every unit test declared in the project's YAML files, read without dbt."""
    names = set()
    for path in (DBT_PROJECT / "models").rglob("*.yml"):
        for unit_test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []) or []:
            names.add(f"{unit_test['model']}.{unit_test['name']}")
    return names


def test_every_unit_test_runs_and_passes(published_warehouse, tmp_path):
    copy = tmp_path / "opsready.duckdb"
    shutil.copy(published_warehouse, copy)
    result = dbt_build(copy, tmp_path, ["resource_type:unit_test"], dbt_vars=dbt_vars(), command="test")
    assert result.returncode == 0, result.stdout[-4000:]
    ran = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"].removeprefix("unit_test.opsready."): r["status"] for r in ran}
    declared = declared_unit_tests()
    assert len(declared) >= 14  # at least one per YAML file that declares unit tests (14 files)
    assert set(statuses) == declared
    assert set(statuses.values()) == {"pass"}


def test_the_nightly_leaves_unit_tests_out(nightly):
    """The session nightly's dbt run (dagster-dbt's run folder is named after the Dagster run id; the fixture keeps a
    copy) ran models and data tests, no unit test."""
    runs = list(nightly.dbt_runs.glob(f"opsready_dbt_models-{nightly.result.run_id[:7]}-*/run_results.json"))
    assert len(runs) == 1, f"expected the nightly's one dbt run folder, found {runs}"
    kinds = {r["unique_id"].split(".")[0] for r in json.loads(runs[0].read_text())["results"]}
    assert "test" in kinds and "model" in kinds
    assert "unit_test" not in kinds
