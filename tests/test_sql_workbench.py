"""`opsready sql` on a small published warehouse made here: every format, -f, stdin, several statements, --output,
and the read-only lockdown (each forbidden statement refused with a clear message), on a real DuckDB file. Each call
goes through the command line's own entry in this process (`tests.conftest.opsready_in_process`), so some twenty calls
do not each pay an interpreter's start; `test_version` runs the installed `opsready` command as a process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import opsready_in_process

OPSREADY = str(Path(sys.executable).with_name("opsready"))

ROWS = [  # plant_id, name, oee, opened
    ("MS-01", "=HYPERLINK(\"http://x\")", 0.75, "2025-01-31"),
    ("GT-02", "Plain plant", None, "2025-02-28"),
    ("GT-03", "-minus start", 0.5, "2025-03-31"),
]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sqlwb")
    (root / "warehouse").mkdir()
    with duckdb.connect(str(root / "warehouse" / "opsready.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.plants (plant_id varchar, name varchar, oee double, opened date)")
        con.executemany("insert into marts.plants values (?, ?, ?, ?)", ROWS)
    (root / "other.duckdb").unlink(missing_ok=True)
    duckdb.connect(str(root / "other.duckdb")).close()
    return root


def sql(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return opsready_in_process("sql", *args, env={"OPSREADY_DATA": str(root), "OPSREADY_WAREHOUSE": None}, stdin=stdin)


QUERY = "select plant_id, name, oee, opened from marts.plants order by plant_id"


def test_table_format_shows_every_row_aligned(root):
    proc = sql(root, QUERY)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split(" | ")[0].strip() == "plant_id" and "opened" in lines[0]
    # sorted by plant_id: GT-02, GT-03, MS-01; the missing OEE shows as NULL, numbers right-aligned
    assert [line.split(" | ")[0].strip() for line in lines[2:5]] == ["GT-02", "GT-03", "MS-01"]
    assert "NULL" in lines[2]
    assert lines[5] == "(3 rows)"
    capped = sql(root, QUERY, "--max-rows", "2")
    assert capped.stdout.splitlines()[-1] == "(3 rows, first 2 shown; --max-rows to see more)"


def test_csv_neutralises_formulas_and_keeps_values(root):
    proc = sql(root, QUERY, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["plant_id", "name", "oee", "opened"]
    expected = sorted(ROWS)
    for got, (plant, name, oee, opened) in zip(rows[1:], expected, strict=True):
        safe = "'" + name if name[0] in "=+-@" else name
        assert got == [plant, safe, "" if oee is None else str(oee), opened]
    assert rows[3][1] == "'=HYPERLINK(\"http://x\")"


def test_json_is_an_array_of_objects(root):
    proc = sql(root, QUERY, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == [{"plant_id": p, "name": n, "oee": o, "opened": d} for p, n, o, d in sorted(ROWS)]


def test_parquet_needs_output_and_reads_back(root, tmp_path):
    refused = sql(root, QUERY, "--format", "parquet")
    assert refused.returncode == 2 and "--output" in refused.stderr
    target = tmp_path / "plants.parquet"
    proc = sql(root, QUERY, "--output", str(target))  # the format from the suffix
    assert proc.returncode == 0, proc.stderr
    assert f"3 rows written to {target}" in proc.stderr
    with duckdb.connect() as con:
        back = con.execute(f"select * from read_parquet('{target}') order by plant_id").fetchall()
    assert [(p, n, o, str(d)) for p, n, o, d in back] == sorted(ROWS)


def test_csv_output_file(root, tmp_path):
    target = tmp_path / "plants.csv"
    proc = sql(root, "select plant_id from marts.plants where oee is not null order by 1", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().splitlines() == ["plant_id", "GT-03", "MS-01"]


def test_file_and_stdin_and_several_statements(root, tmp_path):
    script = tmp_path / "q.sql"
    script.write_text("select count(*) as n from marts.plants;\n"
                      "select max(oee) as best from marts.plants;\n")
    from_file = sql(root, "-f", str(script), "--format", "csv")
    assert from_file.returncode == 0, from_file.stderr
    lines = from_file.stdout.splitlines()
    assert lines == ["-- statement 1 (select count(*) as n from marts.plants)", "n", "3",
                     "-- statement 2 (select max(oee) as best from marts.plants)", "best", "0.75"]
    from_stdin = sql(root, "--format", "csv", stdin=script.read_text())
    assert from_stdin.stdout == from_file.stdout
    dash = sql(root, "-f", "-", "--format", "csv", stdin=script.read_text())
    assert dash.stdout == from_file.stdout
    # a failing statement in the middle: its error, and the others still shown
    mixed = sql(root, "select 1 as a; select * from marts.nope; select 2 as b", "--format", "csv")
    assert mixed.returncode == 2
    assert mixed.stdout.splitlines()[-2:] == ["b", "2"] and mixed.stdout.splitlines()[1:3] == ["a", "1"]
    assert "statement 2 (select * from marts.nope) failed:" in mixed.stderr and "nope" in mixed.stderr
    several_out = sql(root, "select 1; select 2", "-o", str(tmp_path / "x.csv"))
    assert several_out.returncode == 2 and "--output takes one statement; 2 given" in several_out.stderr
    missing = sql(root, "-f", str(tmp_path / "absent.sql"))
    assert missing.returncode == 2 and "absent.sql" in missing.stderr


@pytest.mark.parametrize("statement, hint", [
    ("COPY marts.plants TO '{tmp}/leak.csv'", "file system operations are disabled"),
    ("ATTACH '{root}/other.duckdb' AS other (READ_WRITE)", "file system operations are disabled"),
    ("select * from read_text('/etc/hostname')", "file system operations are disabled"),
    ("INSTALL httpfs", "file system operations are disabled"),
    ("LOAD httpfs", "Loading external extensions is disabled"),
    ("SET enable_external_access = true", "configuration has been locked"),
    ("drop table marts.plants", "read-only"),
])
def test_forbidden_statements_are_refused(root, tmp_path, statement, hint):
    proc = sql(root, statement.format(tmp=tmp_path, root=root))
    assert proc.returncode == 2, proc.stdout
    assert hint in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "leak.csv").exists()
    with duckdb.connect(str(root / "warehouse" / "opsready.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.plants").fetchone()[0] == len(ROWS)


def test_a_second_published_connection_in_one_process_opens_and_is_locked_down_too(root, tmp_path):
    # connections to one file in one process share its settings: the second must open (not fail on a SET the first
    # locked) and refuse what the first refuses
    from opsready import connect

    with connect.published(root / "warehouse" / "opsready.duckdb") as first, \
            connect.published(root / "warehouse" / "opsready.duckdb") as second:
        assert second.execute("select count(*) from marts.plants").fetchone()[0] == len(ROWS)
        for con in (first, second):
            with pytest.raises(duckdb.Error, match="file system operations are disabled"):
                con.execute(f"copy marts.plants to '{tmp_path}/leak.csv'")
            with pytest.raises(duckdb.Error, match="configuration has been locked"):
                con.execute("SET enable_external_access = true")
    assert not (tmp_path / "leak.csv").exists()


def test_interactive_session_runs_statements_until_quit(root, capsys):
    from opsready import connect
    from opsready.sql import interactive

    lines = iter(["select count(*)", "  as n from marts.plants;", ".tables", ".quit", "select 'never';"])
    with connect.published(root / "warehouse" / "opsready.duckdb") as con:
        assert interactive(con, root, 10, read_line=lambda prompt: next(lines)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:4] == ["n", "-", "3"] and out[4] == "(1 row)"
    assert "marts.plants" in out and "never" not in "\n".join(out)


def test_version():
    proc = subprocess.run([OPSREADY, "--version"], capture_output=True, text=True, timeout=60)
    from opsready import __version__

    assert proc.returncode == 0 and proc.stdout.strip() == f"opsready {__version__}"


def test_gate_matches_plant_ids_case_insensitively(tmp_path):
    from opsready.gates import GateConfigError
    from opsready.verdict import read_verdict

    db = tmp_path / "opsready.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema audit")
        con.execute("create table audit.readiness_history (plant_id varchar, as_of date, company varchar, gate varchar,"
                    " gate_from int, gate_to int, criterion varchar, metric varchar, value double, comparator varchar,"
                    " threshold double, window_days int, passed boolean, not_evaluated_reason varchar, detail varchar,"
                    " current_wave int, next_wave int, ready boolean, evaluated_at timestamp, criterion_order int)")
        con.execute("insert into audit.readiness_history values ('MS01', '2025-12-31', 'MidState', '1->2', 1, 2, "
                    "'mdq_score', 'mdq_score', 0.9, '>=', 0.95, 92, false, null, null, 1, 2, false, now(), 1)")
    assert read_verdict(db, "ms01", None)["plant_id"] == "MS01"
    assert read_verdict(db, "MS01", None)["criteria"][0]["value"] == 0.9
    with pytest.raises(GateConfigError, match="unknown plant 'MS02'"):
        read_verdict(db, "MS02", None)
