"""Shared fixtures: two real nightlies, each run once per session and read by many tests.

`nightly` generates the default sample estate (seed 7, scale 1) into a temporary `OPSREADY_DATA`, materializes every
Dagster asset of the nightly job in this process (ingest → dbt build → publish → report) and hands the result to the
tests. `small_nightly` is the same estate at scale 0.05 after one real `opsready run --no-report` (the command, in a
subprocess, so its console is tested too): the first night of every end-to-end test that goes on to change landing
files, profiles or the warehouse, each on its own copy (`SmallNight.copy_to`), so no test sees another's changes.

`make test` runs the suite on three pytest-xdist workers (`-n 3 --dist loadscope`: on two cores a third worker uses
the time the others wait on subprocesses), scheduled by
`pytest_xdist_make_scheduler` below: every module in NIGHTLY_MODULES (their tests read `nightly`, whose in-process
Dagster result cannot leave the process, and building it twice costs minutes) is one work unit, so one worker runs
them all and builds `nightly` once; every other module is a unit of its own (its module fixtures built once). The
nightly unit goes first, then the modules that run whole nights, then the rest, so the other workers take the rest
and the session does not end on one long module. Each worker has a dbt target and log folder of its own
(`DBT_TARGET_PATH`, `DBT_LOG_PATH`): every nightly re-parses the project there for its data root's warehouse, so a
worker never reads a manifest another is writing. `small_nightly` and `two_nights` (files only) are built once per
session by the first worker that needs them; the others read them (`built_once`).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

try:  # pytest-xdist (the test extra) runs `make test` on three workers; without it the hook below is never called
    from xdist import __version__ as xdist_version
    from xdist.scheduler import LoadScopeScheduling
except ImportError:
    xdist_version, LoadScopeScheduling = None, object

from opsready import cli
from opsready.paths import Settings
from opsready.sample import generate
from orchestration.runtime import run_job
from orchestration.transform.project import dbt_target_dir
from tests.two_nights import two_nights  # noqa: F401  (a session fixture shared by two test files)

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "test-output"
OPSREADY = str(Path(sys.executable).with_name("opsready"))
SMALL_SCALE = 0.05
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist
#: Every module with a test that reads the session `nightly` (directly or through `published_warehouse`/`warehouse`):
#: one xdist work unit (checked at collection: a test reading `nightly` elsewhere is refused).
NIGHTLY_MODULES = frozenset({"test_bench.py", "test_dbt_unit_tests.py", "test_generate.py", "test_nightly.py",
                             "test_readiness_history.py", "test_report.py", "test_report_changes.py",
                             "test_seed_reproduction.py"})
WHOLE_NIGHT_FIXTURES = {"nightly", "small_nightly", "two_nights"}
#: The pytest-xdist release whose LoadScopeScheduling._split_scope (not public API) NightlyFirstScheduling overrides.
XDIST_CHECKED = "3.8.0"


def pytest_configure(config):
    """This process's own dbt target and log folders, relative to the dbt project as dbt and dagster-dbt resolve the
    target (so a probe project elsewhere keeps its own)."""
    os.environ["DBT_TARGET_PATH"] = f"target/pytest-{WORKER}"
    os.environ["DBT_LOG_PATH"] = str(dbt_target_dir() / "logs")


def module_file(nodeid: str) -> str:
    """The file name of a test's module (`tests/test_x.py::test_y[p]` -> `test_x.py`)."""
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def pytest_collection_modifyitems(config, items):
    """Refuse a test that reads `nightly` outside NIGHTLY_MODULES (under xdist it would build a second nightly). Under
    xdist, order the modules: NIGHTLY_MODULES first, then the modules that run whole nights, then the rest (xdist
    hands out work units in collection order as workers get free; each worker sorts alike, as xdist requires)."""
    strays = sorted({item.nodeid for item in items
                     if "nightly" in item.fixturenames and module_file(item.nodeid) not in NIGHTLY_MODULES})
    if strays:
        raise pytest.UsageError("tests/conftest.py: add these tests' modules to NIGHTLY_MODULES (they read the "
                                "session nightly): " + ", ".join(strays))
    if WORKER == "main":
        return  # not under xdist: pytest's own order
    heavy = {module_file(item.nodeid) for item in items if WHOLE_NIGHT_FIXTURES & set(item.fixturenames)}
    items.sort(key=lambda item: (module_file(item.nodeid) not in NIGHTLY_MODULES,
                                 module_file(item.nodeid) not in heavy))


@pytest.hookimpl(optionalhook=True)  # optional: pytest runs without xdist too
def pytest_xdist_make_scheduler(config, log):
    """Under `-n` with `--dist load` (the default) or `loadscope`: NightlyFirstScheduling; another `--dist` mode is
    xdist's own. Where the xdist release is not XDIST_CHECKED (or its scheduler failed to import): xdist's `loadfile`
    (every module whole; `nightly` then built on each worker that runs one of NIGHTLY_MODULES: slower, still right)."""
    if config.getvalue("dist") not in ("load", "loadscope"):
        return None
    if xdist_version != XDIST_CHECKED or LoadScopeScheduling is object:
        config.get_terminal_writer().line(f"tests/conftest.py: pytest-xdist {xdist_version} is not {XDIST_CHECKED}: "
                                          "scheduling by module (--dist loadfile)", yellow=True)
        config.option.dist = "loadfile"
        return None  # xdist's own hook then makes its loadfile scheduler
    return NightlyFirstScheduling(config, log)


class NightlyFirstScheduling(LoadScopeScheduling):
    """xdist's LoadScope with NIGHTLY_MODULES as one scope and every other module as a scope of its own, sent out in
    collection order (pytest_collection_modifyitems puts the nightly scope, the longest, first)."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        config.option.loadscopereorder = False  # xdist's reordering by test count would undo that order

    def _split_scope(self, nodeid: str) -> str:
        return "NIGHTLY_MODULES" if module_file(nodeid) in NIGHTLY_MODULES else nodeid.split("::", 1)[0]


def shared_tmp(tmp_path_factory) -> Path:
    """A folder every worker of this session sees (the session's temp root under xdist, else this run's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if WORKER != "main" else base


@contextmanager
def built_once(tmp_path_factory, name: str):
    """`with built_once(f, name) as (folder, record):` the session's one `folder` for a fixture built once for every
    worker. The first worker to get here builds into `folder` and writes `record` (JSON); others wait for the lock and
    find `record` written (a failed build writes none: the next worker tries again and fails the same way)."""
    shared = shared_tmp(tmp_path_factory)
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield shared / name, shared / f"{name}.json"


def point_at(root: Path) -> None:
    """Make every part of opsready (paths, Dagster resources, dbt profile) use this data root."""
    os.environ["OPSREADY_DATA"] = str(root)
    os.environ["OPSREADY_WAREHOUSE"] = str(root / "warehouse" / "build" / "opsready.duckdb")
    os.environ["DAGSTER_HOME"] = str(root / "dagster")


@contextmanager
def pointed_at(root: Path):
    """`point_at(root)` for the block only: the variables it sets are restored (or removed) afterwards."""
    saved = {k: os.environ.get(k) for k in ("OPSREADY_DATA", "OPSREADY_WAREHOUSE", "DAGSTER_HOME")}
    point_at(root)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class DataRoot:
    """An OPSREADY_DATA folder after a published night."""

    root: Path

    @property
    def published(self) -> Path:
        return self.root / "warehouse" / "opsready.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"


@dataclass
class NightlyRun(DataRoot):
    manifest: dict
    result: object  # dagster ExecuteInProcessResult

    @property
    def site(self) -> Path:
        return self.root / "reports" / "site"

    @property
    def dbt_runs(self) -> Path:
        """A copy of the night's dagster-dbt run folder (under the target folder only until later nights prune it)."""
        return self.root / "dbt-runs"

    @property
    def dbt_log(self) -> Path:
        """The night's dbt.log."""
        return next(self.dbt_runs.glob("*/dbt.log"))


@pytest.fixture(scope="session")
def nightly(tmp_path_factory) -> NightlyRun:
    root = tmp_path_factory.mktemp("estate")
    point_at(root)
    manifest = generate(root, seed=7, scale=1.0)
    result = run_job(Settings.from_env())
    failures = [f"{e.step_key}: {e.step_failure_data.error.message[:3000]}" for e in result.all_events
                if e.is_step_failure]
    assert result.success, "nightly failed:\n" + "\n".join(failures)
    # keep the night's dbt run folder: later nights in the session prune older ones (KEEP_RUN_TARGETS)
    folders = list(dbt_target_dir().glob(f"opsready_dbt_models-{result.run_id[:7]}-*"))
    assert len(folders) == 1, folders
    shutil.copytree(folders[0], root / "dbt-runs" / folders[0].name)
    return NightlyRun(root=root, manifest=manifest, result=result)


@pytest.fixture(scope="session")
def published_warehouse(nightly) -> Path:
    """The published DuckDB file after a full real nightly run (for report and metric tests)."""
    return nightly.published


@pytest.fixture(scope="session")
def warehouse(published_warehouse):
    """A read-only connection to the published warehouse."""
    import duckdb

    con = duckdb.connect(str(published_warehouse), read_only=True)
    yield con
    con.close()


def dbt_nodes(run_id: str) -> dict[str, list[str]]:
    """The names of the data tests ("test") and models ("model") a nightly's dbt build ran, from dagster-dbt's run
    folder (named after the Dagster run id)."""
    folders = list(dbt_target_dir().glob(f"opsready_dbt_models-{run_id[:7]}-*"))
    assert len(folders) == 1, folders
    results = json.loads((folders[0] / "run_results.json").read_text())["results"]
    return {kind: sorted(r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith(f"{kind}."))
            for kind in ("test", "model")}


def opsready_in_process(*args: str, env: dict[str, str | None], stdin: str = "") -> subprocess.CompletedProcess:
    """`opsready ARGS` through the command line's own entry (`opsready.cli.main`) in this process, with `env` set
    (None: unset) and `stdin` on its standard input (not a terminal): its exit status and what it printed, as a process
    would give them, without an interpreter's start per call. Tests that need the installed command itself (exit
    through `entry_point`, signals) run it as a process."""
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="") for _ in range(2))  # with .buffer
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.delenv(name, raising=False) if value is None else patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(list(args))
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8"))
    return subprocess.CompletedProcess(["opsready", *args], code, *texts)


def cli_env(root: Path) -> dict:
    """The environment of an `opsready` subprocess on the data root `root`, every other setting at its default."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPSREADY_WAREHOUSE", "DAGSTER_HOME", "OPSREADY_PROFILES")}
    return {**env, "OPSREADY_DATA": str(root)}


@dataclass
class SmallNight(DataRoot):
    """The small estate after its first published night. Tests read it; a test that changes anything copies it."""

    console: subprocess.CompletedProcess  # what `opsready run --no-report` printed
    run_id: str
    dbt: dict[str, list[str]]  # `dbt_nodes` of its run

    def copy_to(self, root: Path) -> Path:
        """A data root of its own at `root` (created) holding this night as published: the landing files (their
        modification times kept, so the next night skips them unread, as it would here), the published warehouse
        and Dagster's run storage (not the run's log file)."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.landing, root / "landing")
        (root / "warehouse").mkdir()
        shutil.copy2(self.published, root / "warehouse" / "opsready.duckdb")
        shutil.copytree(self.root / "dagster", root / "dagster")
        shutil.copy2(self.root / "manifest.json", root / "manifest.json")
        return root


@pytest.fixture(scope="session")
def small_nightly(tmp_path_factory) -> SmallNight:
    with built_once(tmp_path_factory, "small-estate") as (root, record):
        if not record.exists():
            shutil.rmtree(root, ignore_errors=True)  # what a failed build left
            generate(root, seed=7, scale=SMALL_SCALE)
            done = subprocess.run([OPSREADY, "run", "--no-report"], env=cli_env(root), capture_output=True, text=True,
                                  timeout=1800)
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            run_id = re.search(r"nightly run (\S+) succeeded", done.stdout).group(1)
            record.write_text(json.dumps(dict(args=done.args, stdout=done.stdout, stderr=done.stderr, run_id=run_id,
                                              dbt=dbt_nodes(run_id))))
        night = json.loads(record.read_text())
    console = subprocess.CompletedProcess(night["args"], 0, night["stdout"], night["stderr"])
    return SmallNight(root=root, console=console, run_id=night["run_id"], dbt=night["dbt"])


def read_manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())
