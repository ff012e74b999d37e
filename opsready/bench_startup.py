"""What the stack itself costs before a night touches any data (`make bench`): the start-up probe the nothing-new
target is set against (opsready/bench_targets.py).

Two probes, each a fresh process as a nightly is, timed the same way as the nightlies (`bench_measure.run_measured`),
the fastest of three runs kept (a lower bound: it favours the stack):

  dagster   a one-asset Dagster run in process, with dagster-dbt imported (what any dbt asset needs)
  dbt       `dbt run` of a one-model dbt-duckdb project (`select 1`), as dagster-dbt starts dbt: a subprocess
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from opsready.bench_measure import run_measured

DAGSTER_RUN = """\
import dagster as dg
import dagster_dbt  # noqa: F401  (every dbt asset needs it)


@dg.asset
def one() -> int:
    return 1


result = dg.materialize([one])
assert result.success and result.output_for_node("one") == 1
"""

DBT_PROJECT = """\
name: startup
version: "1.0"
profile: startup
models:
  startup:
    +materialized: table
"""

DBT_PROFILES = """\
startup:
  target: local
  outputs:
    local:
      type: duckdb
      path: "{path}"
      threads: 1
"""

STEPS = {
    "dagster": "start-up: a one-asset Dagster run (dagster-dbt imported)",
    "dbt": "start-up: `dbt run` of a one-model project",
}


def write_probes(folder: Path) -> dict[str, list[str]]:
    """Write the one-asset Dagster script and the one-model dbt project into folder; return each step's command."""
    project = folder / "dbt"
    (project / "models").mkdir(parents=True, exist_ok=True)
    (project / "dbt_project.yml").write_text(DBT_PROJECT)
    (project / "profiles.yml").write_text(DBT_PROFILES.format(path=project / "startup.duckdb"))
    (project / "models" / "one.sql").write_text("select 1 as one\n")
    (folder / "dagster_run.py").write_text(DAGSTER_RUN)
    dbt = str(Path(sys.executable).parent / "dbt")
    return {
        "dagster": [sys.executable, str(folder / "dagster_run.py")],
        "dbt": [dbt, "run", "--project-dir", str(project), "--profiles-dir", str(project)],
    }


def time_startup(folder: Path, timeout_s: float = 300, repeats: int = 3) -> dict[str, dict]:
    """The fastest of `repeats` runs of each probe: {step: run_measured's dict}; a failed run is kept as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DAGSTER_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    env.pop("DAGSTER_HOME", None)  # the one-asset run uses an ephemeral instance, never the estate's
    best: dict[str, dict] = {}
    for step, cmd in write_probes(folder).items():
        for attempt in range(repeats):
            run = run_measured(cmd, env, folder / f"{step}-{attempt + 1}.log", timeout_s)
            if run["exit_code"] != 0:
                best[step] = run
                break
            if step not in best or run["seconds"] < best[step]["seconds"]:
                best[step] = run
    return best


def rows_for_scale(scale: float, startup: dict[str, dict]) -> list[dict]:
    return [dict(scale=scale, step=STEPS[step], kind="start-up", **run) for step, run in startup.items()]
