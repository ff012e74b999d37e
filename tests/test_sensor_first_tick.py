"""The landing sensor's first tick (the UI just started) records the landed files without starting a nightly,
unless OPSREADY_SENSOR_RUN_ON_START=1 asks for it; a later change starts one."""

from __future__ import annotations

import dagster as dg


def landed(root):
    target = root / "landing" / "mes-midstate" / "2025-12-31"
    target.mkdir(parents=True)
    (target / "state_events.parquet").write_bytes(b"x")


def test_first_tick_starts_no_run_unless_asked(tmp_path, monkeypatch):
    from tests.conftest import point_at

    point_at(tmp_path)
    landed(tmp_path)
    from opsready.paths import Settings
    from orchestration.resources import SettingsResource
    from orchestration.schedules import new_landing_files

    resources = {"settings": SettingsResource.of(Settings.from_env())}
    monkeypatch.delenv("OPSREADY_SENSOR_RUN_ON_START", raising=False)
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources=resources)
    first = new_landing_files(context)
    assert isinstance(first, dg.SkipReason) and "first tick: 1 landing files recorded" in first.skip_message
    assert isinstance(new_landing_files(dg.build_sensor_context(cursor=context.cursor, resources=resources)),
                      dg.SkipReason)
    (tmp_path / "landing" / "mes-midstate" / "2025-12-31" / "counts.csv").write_text("a\n")
    assert isinstance(new_landing_files(dg.build_sensor_context(cursor=context.cursor, resources=resources)),
                      dg.RunRequest)

    monkeypatch.setenv("OPSREADY_SENSOR_RUN_ON_START", "1")
    assert isinstance(new_landing_files(dg.build_sensor_context(resources=resources)), dg.RunRequest)
