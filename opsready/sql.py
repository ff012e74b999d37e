"""`opsready sql`: the SQL workbench on the published warehouse.

Statements come from the argument, `-f FILE` or standard input; with none of them on a terminal it opens an
interactive session (readline history in `$OPSREADY_DATA/.sql_history`). Every statement runs on the read-only,
locked-down connection of `opsready.connect`, so it can read the published warehouse and nothing else. Results are
shown as a table or written as CSV, JSON or Parquet: DuckDB writes those itself (`COPY`), from the query's Arrow
result, on a separate in-memory connection of this process, to `--output FILE` or to standard output.
CSV text cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
leading `'`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from opsready import connect, paths

FORMATS = ("table", "csv", "json", "parquet")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HISTORY_LENGTH = 1000


class SqlError(Exception):
    """A statement or an option the workbench refuses; the message names it."""


def statements(sql: str) -> list[str]:
    """The statements of `sql` (DuckDB's own parser splits them), each without its trailing semicolon."""
    with duckdb.connect() as parser:
        return [s.query.strip().rstrip(";").strip() for s in parser.extract_statements(sql)]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _neutralised_select(relation: duckdb.DuckDBPyRelation) -> str:
    """A select over `result` that prefixes `'` to text cells starting with a formula character."""
    starts = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_STARTS)
    columns = []
    for name, dtype in zip(relation.columns, relation.types, strict=True):
        column = _quote(name)
        if str(dtype) == "VARCHAR":
            columns.append(f"CASE WHEN left({column}, 1) IN ({starts}) THEN '''' || {column} ELSE {column} END "
                           f"AS {column}")
        else:
            columns.append(column)
    return "SELECT " + ", ".join(columns) + " FROM result"


def write_result(relation: duckdb.DuckDBPyRelation, fmt: str, target: Path) -> int:
    """DuckDB writes the query's result to `target` as csv, json or parquet, on an in-memory connection of its own
    (the locked-down one cannot write files). Returns the number of rows written."""
    table = relation.to_arrow_table()  # the query runs once, on the locked-down connection
    with duckdb.connect() as writer:
        writer.register("result", table)
        if fmt == "csv":
            source, options = _neutralised_select(writer.table("result")), "FORMAT csv, HEADER true"
        elif fmt == "json":
            source, options = "SELECT * FROM result", "FORMAT json, ARRAY true"
        else:
            source, options = "SELECT * FROM result", "FORMAT parquet"
        path = str(target).replace("'", "''")
        writer.execute(f"COPY ({source}) TO '{path}' ({options})")
    return table.num_rows


def show(relation: duckdb.DuckDBPyRelation, fmt: str, out, max_rows: int) -> None:
    """Print one result to the text stream `out` in `fmt` (table, csv or json)."""
    if fmt == "table":
        shown = relation.limit(max_rows).fetchall()
        total = relation.aggregate("count(*)").fetchall()[0][0] if len(shown) == max_rows else len(shown)
        out.write(format_table(relation.columns, shown))
        out.write(f"({total:,} row{'s' if total != 1 else ''}"
                  + (f", first {max_rows:,} shown; --max-rows to see more)\n" if total > len(shown) else ")\n"))
        return
    with tempfile.TemporaryDirectory(prefix="opsready-sql-") as scratch:
        target = Path(scratch) / f"result.{fmt}"
        write_result(relation, fmt, target)
        out.flush()
        with open(target, "rb") as written:
            shutil.copyfileobj(written, out.buffer)
        out.buffer.flush()


TABLE_CELL_WIDTH = 80  # a table shows this much of a cell; csv, json and parquet hold all of it


def _cell(value) -> str:
    text = "NULL" if value is None else " ".join(str(value).split("\n"))
    return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A plain aligned text table: header, rule, rows; numbers right-aligned, NULL shown as NULL."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], int | float) or row[i] is None for row in rows) and rows for i in
               range(len(columns))]

    def line(values):
        return " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric,
                                                                                   strict=True)).rstrip()

    return "\n".join([line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]) + "\n"


def run_statements(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, output: Path | None, max_rows: int,
                   out=None, err=None) -> int:
    """Run every statement of `sql`; show each result (or write the one result to `output`), print a clear error
    for each failed statement and go on. Returns 0 when all succeeded, 2 otherwise."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        parts = statements(sql)
    except duckdb.Error as exc:
        err.write(f"opsready sql: {connect.explain(exc)}\n")
        return 2
    if not parts:
        err.write("opsready sql: no statement given\n")
        return 2
    if output is not None and len(parts) > 1:
        err.write(f"opsready sql: --output takes one statement; {len(parts)} given\n")
        return 2
    if fmt == "parquet" and output is None:
        err.write("opsready sql: --format parquet needs --output FILE\n")
        return 2
    failed = 0
    for number, statement in enumerate(parts, start=1):
        label = f"statement {number} ({_snippet(statement)})" if len(parts) > 1 else _snippet(statement)
        try:
            relation = con.sql(statement)
            if relation is None:
                if len(parts) > 1:
                    out.write(f"-- {label}: done\n")
                continue
            if len(parts) > 1:
                out.write(f"-- {label}\n")
            if output is not None:
                count = write_result(relation, "csv" if fmt == "table" else fmt, output)
                err.write(f"opsready sql: {count:,} rows written to {output}\n")
            else:
                show(relation, fmt, out, max_rows)
        except duckdb.Error as exc:
            failed += 1
            out.flush()
            err.write(f"opsready sql: {label} failed: {connect.explain(exc)}\n")
    return 2 if failed else 0


def _snippet(statement: str, width: int = 60) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def history_file() -> Path:
    return paths.data_root() / ".sql_history"


def interactive(con: duckdb.DuckDBPyConnection, db: Path, max_rows: int, read_line=input) -> int:
    """A read-only session: statements end with `;`, `.quit` (or end of input) leaves; readline history."""
    try:
        import readline
    except ImportError:  # not on every platform; the session works without history
        readline = None
    history = history_file()
    if readline is not None and read_line is input:
        readline.set_history_length(HISTORY_LENGTH)
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    print(f"opsready sql: {db} (read-only). End statements with ';'. .tables lists tables, .quit leaves.")
    buffer: list[str] = []
    try:
        while True:
            try:
                line = read_line("sql> " if not buffer else "...> ")
            except EOFError:
                print()
                break
            stripped = line.strip()
            if not buffer and stripped in (".quit", ".exit", "exit", "quit"):
                break
            if not buffer and stripped == ".tables":
                line = ("select table_schema || '.' || table_name as name from information_schema.tables "
                        "where table_schema not in ('information_schema', 'pg_catalog') order by 1;")
                stripped = line
            if not stripped:
                continue
            buffer.append(line)
            if stripped.endswith(";"):
                run_statements(con, "\n".join(buffer), "table", None, max_rows)
                buffer = []
    except KeyboardInterrupt:
        print()
    finally:
        if readline is not None and read_line is input:
            try:
                readline.write_history_file(history)
            except OSError:
                pass
    return 0


def cmd_sql(args) -> int:
    db = paths.published_warehouse()
    if not db.exists():
        print(f"opsready: no published warehouse at {db}; run `make run` (or `opsready run`) first", file=sys.stderr)
        return 2
    if args.query is not None and args.file is not None:
        print("opsready sql: give a query or -f FILE, not both", file=sys.stderr)
        return 2
    if args.file is not None:
        try:
            sql = Path(args.file).read_text() if args.file != "-" else sys.stdin.read()
        except OSError as exc:
            print(f"opsready sql: -f {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    elif args.query is not None:
        sql = args.query
    elif not sys.stdin.isatty():
        sql = sys.stdin.read()
    else:
        sql = None
    output = Path(args.output).resolve() if args.output else None
    if output is not None and not output.parent.is_dir():
        print(f"opsready sql: --output {args.output}: no such folder {output.parent}", file=sys.stderr)
        return 2
    fmt = args.format or (output.suffix.lstrip(".").lower() if output is not None
                          and output.suffix.lstrip(".").lower() in FORMATS else "table")
    try:
        con = connect.published(db)
    except duckdb.Error as exc:
        print(f"opsready sql: cannot open {db}: {exc}", file=sys.stderr)
        return 2
    with con:
        if sql is None:
            return interactive(con, db, args.max_rows)
        return run_statements(con, sql, fmt, output, args.max_rows)


def register_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql", help="query the published warehouse read-only (no query: an interactive session)",
        description="Run SQL read-only on the published warehouse. Statements come from QUERY, -f FILE or standard "
                    "input; with none of them on a terminal, an interactive session opens. Several statements run "
                    "in turn, each result shown. Files outside the warehouse cannot be read or written from SQL: "
                    "export a result with --output.")
    p.add_argument("query", nargs="?", help="one or more SQL statements separated by ';'")
    p.add_argument("-f", "--file", metavar="FILE", help="read the statements from FILE ('-' for standard input)")
    p.add_argument("--format", choices=FORMATS,
                   help="table (default on screen), csv, json (an array of objects) or parquet (needs --output); "
                        "with --output, taken from its suffix when not given")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the result (one statement) to FILE, as csv unless --format or the suffix says "
                        "json or parquet")
    p.add_argument("--max-rows", type=int, default=100, metavar="N",
                   help="rows a table shows per result (default 100); csv, json and parquet hold every row")
    p.set_defaults(func=cmd_sql)
