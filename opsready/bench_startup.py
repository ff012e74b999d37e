"""What the stack itself costs before a night touches any data: the lower bound under every nightly (`make bench`).

Four probes, each a fresh process as a nightly is, timed the same way as the nightlies (`bench_measure.run_measured`), the
fastest of three runs kept (a lower bound: it favours the stack):

  dagster   a one-asset Dagster run in process, with dagster-dbt imported (what any dbt asset needs)
  dbt       `dbt run` of a one-model dbt-duckdb project (`select 1`), as dagster-dbt starts dbt: a subprocess
  dbt_in_process
            the same run through dbt's Python API (dbtRunner) in a process that has already imported dagster-dbt:
            what running dbt inside the Dagster process instead would add to it (the probe prints its own
            measure, around the import of dbtRunner and the invocation, as `probe_seconds=`: that is its time,
            and the process's is kept as process_seconds)
  gx        `import great_expectations` (the landing suites' library)

An incremental night with this stack runs dbt inside a Dagster run after the day's landing files are validated, so
it takes at least dagster + dbt (dagster + dbt_in_process if dbt ran in the Dagster process), and GX's import can
only overlap the Dagster start on a second core.
Meeting the full target (<= 10x the floor) and the incremental share (<= 15 % of the full) together leaves an
incremental night 1.5x the floor; `budget_line` compares the two.
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

DBT_IN_PROCESS = """\
import sys
import time

import dagster_dbt  # noqa: F401  (already imported by any process that holds dbt assets)

started = time.perf_counter()
from dbt.cli.main import dbtRunner  # noqa: E402

result = dbtRunner().invoke(["run", "--project-dir", sys.argv[1], "--profiles-dir", sys.argv[1], "--quiet"])
assert result.success, result.exception
print(f"probe_seconds={time.perf_counter() - started:.3f}")
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
    "dbt_in_process": "start-up: the same dbt run in process (dbtRunner, after dagster-dbt)",
    "gx": "start-up: import Great Expectations",
}


def write_probes(folder: Path) -> dict[str, list[str]]:
    """Write the one-asset Dagster script and the one-model dbt project into folder; return each step's command."""
    project = folder / "dbt"
    (project / "models").mkdir(parents=True, exist_ok=True)
    (project / "dbt_project.yml").write_text(DBT_PROJECT)
    (project / "profiles.yml").write_text(DBT_PROFILES.format(path=project / "startup.duckdb"))
    (project / "models" / "one.sql").write_text("select 1 as one\n")
    (folder / "dagster_run.py").write_text(DAGSTER_RUN)
    (folder / "dbt_in_process.py").write_text(DBT_IN_PROCESS)
    dbt = str(Path(sys.executable).parent / "dbt")
    return {
        "dagster": [sys.executable, str(folder / "dagster_run.py")],
        "dbt": [dbt, "run", "--project-dir", str(project), "--profiles-dir", str(project)],
        "dbt_in_process": [sys.executable, str(folder / "dbt_in_process.py"), str(project)],
        "gx": [sys.executable, "-c", "import great_expectations"],
    }


def time_startup(folder: Path, timeout_s: float = 300, repeats: int = 3) -> dict[str, dict]:
    """The fastest of `repeats` runs of each probe: {step: run_measured's dict}; a failed run is kept as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DAGSTER_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    env.pop("DAGSTER_HOME", None)  # the one-asset run uses an ephemeral instance, never the estate's
    best: dict[str, dict] = {}
    for step, cmd in write_probes(folder).items():
        for attempt in range(repeats):
            log = folder / f"{step}-{attempt + 1}.log"
            run = run_measured(cmd, env, log, timeout_s)
            if run["exit_code"] != 0:
                best[step] = run
                break
            if "probe_seconds=" in (output := log.read_text()):  # a probe that times only part of its process
                run.update(process_seconds=run["seconds"], seconds=float(output.split("probe_seconds=")[-1].split()[0]))
            if step not in best or run["seconds"] < best[step]["seconds"]:
                best[step] = run
    return best


def rows_for_scale(scale: float, startup: dict[str, dict]) -> list[dict]:
    return [dict(scale=scale, step=STEPS[step], **run) for step, run in startup.items()]


def budget_line(scale: float, floor_s: float, startup: dict[str, dict]) -> str:
    """What both speed targets leave an incremental night, against the stack's own start-up."""
    budget = 0.15 * 10 * floor_s
    dagster, dbt, in_process, gx = (startup[s]["seconds"] for s in ("dagster", "dbt", "dbt_in_process", "gx"))
    return (f"scale {scale:g}: full <= 10x the floor and incremental <= 15 % of the full leave an incremental night "
            f"{budget:.1f} s (1.5x the floor); a one-asset Dagster run and a one-model dbt run in it take "
            f"{dagster + dbt:.1f} s before any data ({max(dagster, gx) + dbt:.1f} s with Great Expectations' import "
            f"on the second core), {dagster + in_process:.1f} s with dbt in process "
            f"({max(dagster, gx) + in_process:.1f} s)")
