"""Spark's Thrift server from the pyspark package, for `make test-spark`: one local Spark (2 cores, a small driver)
that dbt-spark's `thrift` method talks to. `python -m tests_spark.thrift_server start|stop STATE_DIR` by hand;
the test session starts and stops it itself (tests_spark/conftest.py).

Everything the server writes (its log, pid file, Derby metastore and Spark warehouse) stays under STATE_DIR.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).resolve().parent
# what sbin/start-thriftserver.sh of a Spark distribution starts; the pyspark wheel has the class (its jars) and
# spark-daemon.sh, not that script
SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
DEFAULT_PORT = 10000
START_TIMEOUT_S = 240  # ~20 s on a quiet machine; the shared CI machine can be much slower

# A small Spark: the sample estate is megabytes, and the machine runs other work beside it. ANSI mode stays on
# (Spark 4's default) so a bad cast fails as it does on DuckDB instead of turning into NULL.
SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    # `timestamp` means what it means on DuckDB: a naive (UTC) timestamp, as raw holds them
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.sql.adaptive.enabled": "true",
    # dbt-spark rebuilds a table by drop and create; a table with a location (the marts, under the lake) leaves its
    # files on drop, and the new table replaces them
    "spark.sql.legacy.allowNonEmptyLocationInCTAS": "true",
}


def server_env(state_dir: Path) -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOG_DIR": str(state_dir / "logs"),
            "SPARK_PID_DIR": str(state_dir), "SPARK_IDENT_STRING": "opsready"}


def listening(port: int, host: str = "localhost") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def start(state_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Start the server and wait until it accepts connections."""
    launch(state_dir, port)
    wait_until_listening(state_dir, port)


def launch(state_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Start the server (nice 5) in the background; `wait_until_listening` waits for it."""
    if listening(port):
        raise RuntimeError(f"port {port} is already taken: stop what listens there or set OPSREADY_SPARK_PORT")
    state_dir.mkdir(parents=True, exist_ok=True)
    warehouse = state_dir / "spark-warehouse"
    conf = {**SPARK_CONF, "spark.sql.warehouse.dir": str(warehouse),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={state_dir}"}
    args = ["nice", "-n", "5", str(SPARK_HOME / "sbin" / "spark-daemon.sh"), "submit", SERVER_CLASS, "1",
            "--name", "opsready Thrift server"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    args += ["--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf", "hive.server2.thrift.bind.host=localhost",
             "--hiveconf", f"javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={state_dir}/metastore_db;create=true"]
    subprocess.run(args, env=server_env(state_dir), cwd=state_dir, check=True, capture_output=True)


def wait_until_listening(state_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Wait until the launched server accepts connections; stops it and raises with its log's tail if it does not
    within START_TIMEOUT_S."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not listening(port):
        if time.monotonic() > deadline:
            stop(state_dir)
            raise RuntimeError(f"Spark's Thrift server did not listen on {port} within {START_TIMEOUT_S} s:\n"
                               + log_tail(state_dir))
        time.sleep(2)


def stop(state_dir: Path) -> None:
    """Stop the server started with this state dir (by its pid file); nothing if none runs."""
    subprocess.run([str(SPARK_HOME / "sbin" / "spark-daemon.sh"), "stop", SERVER_CLASS, "1"], env=server_env(state_dir), cwd=state_dir,
                   check=False, capture_output=True)


def log_tail(state_dir: Path, lines: int = 40) -> str:
    logs = sorted((state_dir / "logs").glob("*.out"))
    return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:]) if logs else "(no log)"


if __name__ == "__main__":
    command, state = sys.argv[1], Path(sys.argv[2]).resolve()
    port = int(os.environ.get("OPSREADY_SPARK_PORT", DEFAULT_PORT))
    start(state, port) if command == "start" else stop(state)
