"""The retry policy of the steps that can fail transiently, on a real in-process Dagster job with real assets: a
step failing once succeeds on its retry; a step failing every time stops after the policy's limit, and the run's
failure line names the step and the cause."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from opsready.paths import Settings
from orchestration.definitions import build_definitions
from orchestration.retry import TRANSIENT_RETRY
from orchestration.runtime import step_failure_lines
from orchestration.transform.project import prepare_manifest


# the steps' policy without its waits (5 s, then 10 s): the same retries, which is what these tests count
UNDELAYED_RETRY = dg.RetryPolicy(max_retries=TRANSIENT_RETRY.max_retries)


def attempts_job(flag_dir: Path, fail_times: int) -> dg.JobDefinition:
    """One asset with the transient retry policy (less its waits) that fails on its first `fail_times` attempts
    (counted in a file, as a locked landing share would fail a step from outside the process)."""
    counter = flag_dir / "attempts"

    @dg.asset(retry_policy=UNDELAYED_RETRY)
    def flaky_copy() -> int:
        attempt = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))
        if attempt <= fail_times:
            raise OSError(f"[Errno 11] Resource temporarily unavailable: {flag_dir / 'share.lock'}")
        return attempt

    return dg.Definitions(assets=[flaky_copy]).resolve_implicit_global_asset_job_def()


def test_the_policy_is_on_the_steps_that_touch_shared_files(tmp_path):
    settings = Settings.from_env({"OPSREADY_DATA": str(tmp_path)})
    prepare_manifest(settings)
    defs = build_definitions(settings)
    for key in (["warehouse", "working_copy"], ["raw", "plants"], ["warehouse", "published"]):
        assert defs.resolve_assets_def(dg.AssetKey(key)).op.retry_policy == TRANSIENT_RETRY, key
    # and not on the dbt build, whose failing tests would fail again
    assert defs.resolve_assets_def(dg.AssetKey(["marts", "plant_readiness"])).op.retry_policy is None


def test_a_step_failing_once_succeeds_on_retry(tmp_path):
    result = attempts_job(tmp_path, fail_times=1).execute_in_process(raise_on_error=False)
    assert result.success
    assert int((tmp_path / "attempts").read_text()) == 2
    assert result.output_for_node("flaky_copy") == 2
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retried) == 1


def test_a_step_failing_every_time_stops_after_the_limit(tmp_path):
    result = attempts_job(tmp_path, fail_times=99).execute_in_process(raise_on_error=False)
    assert not result.success
    assert int((tmp_path / "attempts").read_text()) == TRANSIENT_RETRY.max_retries + 1 == 3
    lines = step_failure_lines(result)
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("- flaky_copy: OSError: [Errno 11] Resource temporarily unavailable:")
    assert lines[0].endswith("share.lock (after 2 retries)")
