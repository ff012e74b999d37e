"""Dagster's sqlite event log, keeping its database connections open instead of opening one per statement.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine and a new sqlite connection for every statement it runs
(about 5 per event), so its compiled-statement cache starts empty each time. A nightly writes ~390 "planned" events
before its first step and ~600 more while it runs. Measured on a run of the nightly job with its 255 dbt tests as
asset checks: creating the run took 4.7-7.5 s with Dagster's storage and 1.6-2.4 s with this one.

This storage keeps one engine per shard (the index and the most recent runs' databases) with one connection per
thread (`SingletonThreadPool`), and closes the engines of shards it stopped using. Everything else is Dagster's:
same files, same schema, same locking. It is named in `$DAGSTER_HOME/dagster.yaml` (opsready.cli.dagster_home).
It overrides `_connect`, a private method of the pinned Dagster version (constraints.txt): every test that runs the
nightly goes through it, so a Dagster upgrade that changes it fails `make test`, not a night. It also remembers the
tables `has_table` found, which Dagster asks about on every asset-check event.
"""

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool

OPEN_SHARDS = 8  # the index and the last few runs' databases; a long-lived webserver reading old runs closes them


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    """WAL with `synchronous=NORMAL`: a commit no longer waits for the disk (fsync) each time, only checkpoints do.
    A crashed process loses nothing; a power cut can lose the last events, never corrupt the file. The run history
    opsready reports is `audit.run_log` in the warehouse, not this log."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with its connections kept open per shard and thread."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        # default: where Dagster keeps a sqlite event log, under $DAGSTER_HOME (so the home folder can move)
        base_dir = config_value.get("base_dir") or os.path.join(os.environ["DAGSTER_HOME"], "history", "runs")
        return cls(base_dir=base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=SingletonThreadPool,
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            event.listen(engine, "connect", _sync_at_checkpoints)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            with self._engine(shard).connect() as conn:
                with conn.begin():
                    yield conn

    def has_table(self, table_name: str) -> bool:
        """Dagster asks whether a table exists on every asset-check event and with every asset event's tags (about
        550 times a night), each time through a new engine and connection. Tables are not dropped while the storage
        lives (a wipe forgets them), so a table found once is remembered; one not found is asked again."""
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # wipe deletes the shard files
        self._tables_found.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
