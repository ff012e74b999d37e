"""The Dagster code location loads, validates and holds the whole nightly graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import dagster_dbt as dg_dbt
import pytest

from ingest.entities import ENTITIES
from opsready.cli import failure_headline, main
from opsready.gates import dbt_vars
from opsready.paths import SettingError, Settings
from orchestration.definitions import build_definitions
from orchestration.resources import NightOptions, SettingsResource
from orchestration.runtime import FAILURE_LINE_LIMIT, prepare_dagster_home, step_failure_lines
from orchestration.schedules import new_landing_files
from orchestration.transform.assets import build_dbt_assets, prune_run_targets
from orchestration.transform.dbt_cli import (LEAN_START_VERSION, LeanStartDbtCliResource, dbt_resource,
                                             lean_start_applies)
from orchestration.transform.project import dbt_project, prepare_manifest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    from tests.conftest import point_at

    point_at(tmp_path_factory.mktemp("defs"))
    settings = Settings.from_env()
    prepare_manifest(settings)
    return build_definitions(settings)


def test_every_layer_is_an_asset(defs):
    keys = {"/".join(k.path) for k in defs.resolve_all_asset_keys()}
    assert {f"raw/{name}" for name in ENTITIES} <= keys
    assert {"warehouse/working_copy", "warehouse/published", "report/readiness_site"} <= keys
    assert "marts/pilot_to_scale" in keys
    assert "staging/stg_pilots__pilots" in keys


def test_dbt_sources_join_up_with_ingest_assets(defs):
    graph = defs.resolve_asset_graph()
    parents = {"/".join(k.path) for k in graph.get(dg.AssetKey(["staging", "stg_mes__machine_states"])).parent_keys}
    assert "raw/machine_states" in parents
    assert all(p.startswith(("raw/", "staging/")) for p in parents)


def test_models_grouped_by_folder(defs):
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["marts", "pilot_to_scale"])).group_name == "marts"
    assert graph.get(dg.AssetKey(["staging", "stg_erp__materials"])).group_name == "staging"
    assert graph.get(dg.AssetKey(["raw", "materials"])).group_name == "landing"


def test_dbt_tests_are_asset_checks(defs):
    check_keys = {f"{'/'.join(k.asset_key.path)}:{k.name}" for k in defs.resolve_asset_graph().asset_check_keys}
    assert any(k.startswith("staging/stg_pilots__pilots:") and "unique" in k for k in check_keys)
    assert "raw/machine_states:rows_read_equal_loaded_plus_quarantined" in check_keys


def test_dbt_tests_do_not_block(defs):
    # dbt itself fails the build on an error-severity test; as Dagster checks the tests block nothing, so a night
    # whose dbt selection leaves a test out does not leave a blocking check without a result
    dbt_checks = [spec for assets in defs.assets if getattr(assets, "op", None) is not None
                  and assets.op.name == "opsready_dbt_models" for spec in assets.check_specs]
    assert len(dbt_checks) > 100
    assert not any(spec.blocking for spec in dbt_checks)


def test_schedule_and_sensor(defs):
    schedule = defs.get_schedule_def("nightly_at_two")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "nightly"
    assert defs.get_sensor_def("new_landing_files").job_name == "nightly"


def test_landing_sensor_fires_on_new_files_only(tmp_path):
    from tests.conftest import point_at

    point_at(tmp_path)
    resources = {"settings": SettingsResource.of(Settings.from_env())}
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, resources=resources)
    assert isinstance(new_landing_files(context), dg.SkipReason)  # nothing landed
    target = tmp_path / "landing" / "mes-midstate" / "2025-12-31"
    target.mkdir(parents=True)
    (target / "state_events.parquet").write_bytes(b"x")
    first = new_landing_files(context)
    assert isinstance(first, dg.RunRequest)
    context = dg.build_sensor_context(instance=instance, cursor=context.cursor, resources=resources)
    assert isinstance(new_landing_files(context), dg.SkipReason)  # same files, no second run


def test_dagster_definitions_validate(tmp_path):
    env = {**os.environ, "OPSREADY_DATA": str(tmp_path), "DAGSTER_HOME": str(tmp_path),
           "OPSREADY_WAREHOUSE": str(tmp_path / "w.duckdb")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Validation successful" in proc.stdout + proc.stderr


def test_old_dbt_run_targets_are_pruned(tmp_path):
    for i in range(5):
        run = tmp_path / f"opsready_dbt_models-{i}"
        run.mkdir()
        os.utime(run, (1_000_000 + i, 1_000_000 + i))  # run 4 is the newest
    (tmp_path / "compiled").mkdir()  # not a run folder: left alone
    prune_run_targets(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compiled", "opsready_dbt_models-2", "opsready_dbt_models-3", "opsready_dbt_models-4"]


def test_the_instance_is_dagsters_own_with_telemetry_off(tmp_path):
    """opsready's DAGSTER_HOME holds a dagster.yaml that turns telemetry off and names no storage of its own: runs
    are recorded by Dagster's stock sqlite storage, where Dagster keeps it."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    settings = Settings.from_env({"OPSREADY_DATA": str(tmp_path)})
    home = prepare_dagster_home(settings)
    assert home == tmp_path / "dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        assert not instance.telemetry_enabled
        result = dg.materialize([dg.asset(name="one")(lambda: 1)], instance=instance)
        assert result.success
        assert (home / "history" / "runs" / f"{result.run_id}.db").exists()


def test_a_dagster_home_from_an_earlier_opsready_gets_the_stock_storage(tmp_path):
    # earlier versions wrote a dagster.yaml naming their own event-log storage module, which no longer exists
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nevent_log_storage:\n  module: "
                                       "orchestration.event_log\n  class: PooledSqliteEventLogStorage\n")
    prepare_dagster_home(Settings.from_env({"OPSREADY_DATA": str(tmp_path)}))
    assert "event_log" not in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.__class__.__module__.startswith("dagster.")


@pytest.mark.parametrize("fails", ["warehouse__published", "report__readiness_site"])
def test_a_failed_run_says_whether_it_published_the_warehouse(fails, tmp_path):
    def step(name):
        @dg.op(name=name, ins={"after": dg.In(dg.Nothing)})
        def _step():
            if name == fails:
                raise RuntimeError(f"{name} broke")
        return _step

    @dg.job
    def nightly_like():
        step("report__readiness_site")(step("warehouse__published")())

    result = nightly_like.execute_in_process(raise_on_error=False)
    assert not result.success
    headline = failure_headline(result, Settings.from_env({"OPSREADY_DATA": str(tmp_path)}))
    if fails == "warehouse__published":
        assert headline.endswith("FAILED; the last published warehouse and report are unchanged.")
    else:
        assert "FAILED after publishing the warehouse at" in headline
        assert headline.endswith("the last published report is unchanged.")


def test_a_failed_dbt_step_is_summed_up_by_dbts_error_not_by_its_command_line(tmp_path, monkeypatch):
    # A real dbt failure through dagster-dbt, with the nightly's vars (the readiness gates) on the command line: a mart
    # built on an empty warehouse, whose upstream tables do not exist. dagster-dbt's message starts with the whole
    # command line; the summary line must carry dbt's error instead.
    import json

    monkeypatch.setenv("OPSREADY_WAREHOUSE", str(tmp_path / "empty.duckdb"))
    prepare_manifest(Settings.from_env())
    gates_vars = json.dumps(dbt_vars())
    assert len(gates_vars) > FAILURE_LINE_LIMIT  # the command line alone would fill a cut-off message
    target = tmp_path / "target"

    @dg.op
    def build_a_mart():
        dbt_resource(dbt_project()).cli(["run", "--vars", gates_vars, "--select", "pilot_to_scale"],
                           manifest=dbt_project().manifest_path, target_path=target).wait()

    @dg.job
    def one_dbt_step():
        build_a_mart()

    result = one_dbt_step.execute_in_process(raise_on_error=False)
    assert not result.success
    [line] = step_failure_lines(result)
    # dbt's own account of the failure, read from the run_results.json it wrote
    [failed] = [r for r in json.loads((target / "run_results.json").read_text())["results"] if r["status"] == "error"]
    assert failed["unique_id"] == "model.opsready.pilot_to_scale"
    first_line_of_cause = failed["message"].strip().splitlines()[-1].strip()
    assert line.startswith("- build_a_mart: dbt failed: ")
    assert "pilot_to_scale" in line and first_line_of_cause in line, line
    assert "--vars" not in line and len(line) <= len("- build_a_mart: ") + FAILURE_LINE_LIMIT


def test_a_malformed_as_of_fails_the_run_before_any_step(tmp_path, monkeypatch):
    # as launched from Dagster's UI (the command line refuses it before any run): the run says what is wrong
    monkeypatch.setenv("OPSREADY_DATA", str(tmp_path))
    monkeypatch.delenv("OPSREADY_WAREHOUSE", raising=False)
    settings = Settings.from_env()
    prepare_manifest(settings)
    project = dbt_project()
    result = dg.materialize([build_dbt_assets(project)], raise_on_error=False,
                            resources={"dbt": dbt_resource(project), "night": NightOptions(),
                                       "settings": SettingsResource.of(settings)},
                            run_config={"resources": {"night": {"config": {"as_of": "2025-13-01"}}}})
    assert not result.success
    [line] = step_failure_lines(result)
    assert line.startswith("- run: ") and "as_of" in line, line
    assert "month must be in 1..12 (expected YYYY-MM-DD)" in line, line
    assert not list(tmp_path.rglob("*.duckdb"))  # dbt never opened a warehouse


def test_report_and_generate_refuse_with_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPSREADY_DATA", str(tmp_path))
    assert main(["report", "--serve-only"]) == 1
    assert capsys.readouterr().err == (f"opsready report: no built report at {tmp_path / 'reports' / 'site'}; "
                                       "run `opsready report` first\n")
    assert main(["report"]) == 1
    assert capsys.readouterr().err == (f"opsready report: published warehouse not found: "
                                       f"{tmp_path / 'warehouse' / 'opsready.duckdb'} (run `opsready run` first)\n")
    with pytest.raises(SystemExit) as refused:
        main(["generate", "--scale", "-1", "--out", str(tmp_path / "estate")])
    assert refused.value.code == 2
    assert "opsready generate: error: argument --scale: must be > 0, got -1" in capsys.readouterr().err
    assert not (tmp_path / "estate").exists()


def test_an_unexpected_error_in_a_step_is_summed_up_by_itself_not_by_dagsters_wrapper():
    @dg.op
    def breaks():
        raise KeyError("plant_id")

    @dg.job
    def one_step():
        breaks()

    result = one_step.execute_in_process(raise_on_error=False)
    assert step_failure_lines(result) == ["- breaks: KeyError: 'plant_id'"]


@pytest.mark.parametrize("setting, value, expected", [
    ("OPSREADY_NIGHTLY_CRON", "every night", "OPSREADY_NIGHTLY_CRON='every night'"),
    ("OPSREADY_TIMEZONE", "Mars/Base", "OPSREADY_TIMEZONE='Mars/Base'"),
    ("OPSREADY_DUCKDB_MEMORY_LIMIT", "lots", "OPSREADY_DUCKDB_MEMORY_LIMIT='lots' is not a DuckDB memory limit"),
])
def test_a_bad_setting_is_refused_naming_it(setting, value, expected):
    env = {**os.environ, setting: value}
    done = subprocess.run([sys.executable, "-c", "from orchestration.definitions import defs; defs()"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert expected in done.stderr.strip().splitlines()[-1], done.stderr[-2000:]


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    # `opsready sql ... | head -1`: the pipe closes while the command still prints
    import duckdb

    (tmp_path / "warehouse").mkdir()
    duckdb.connect(str(tmp_path / "warehouse" / "opsready.duckdb")).close()  # a published (empty) warehouse
    opsready = Path(sys.executable).with_name("opsready")
    env = {**os.environ, "OPSREADY_DATA": str(tmp_path)}
    with subprocess.Popen([str(opsready), "sql", "select * from range(300000)", "--format", "csv"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline() == "range\n"
        proc.stdout.close()
        stderr = proc.stderr.read()
        assert proc.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_the_lean_dbt_resource_applies_only_to_the_dagster_dbt_it_was_made_for():
    """The private-method override runs only on the dagster-dbt release it was measured on, and knows the version
    that the stock resource asks `dbt --version` for; any other release, or OPSREADY_DBT_RESOURCE=stock, gets the
    stock resource."""
    project = dbt_project()
    assert lean_start_applies(LEAN_START_VERSION)
    assert not lean_start_applies("0.29.28") and not lean_start_applies("0.30.0")
    assert not lean_start_applies(LEAN_START_VERSION, wanted="stock")
    assert type(dbt_resource(project, "stock")) is dg_dbt.DbtCliResource
    lean = dbt_resource(project)
    assert isinstance(lean, LeanStartDbtCliResource) is (dg_dbt.__version__ == LEAN_START_VERSION)
    stock = dbt_resource(project, "stock")
    assert lean._cli_version == stock._cli_version  # the stock one runs `dbt --version`
    with pytest.raises(SettingError, match="OPSREADY_DBT_RESOURCE='fast' is not one of lean, stock"):
        Settings.from_env({"OPSREADY_DBT_RESOURCE": "fast"})
