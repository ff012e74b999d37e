"""Master-data quality models (SPEC §4) on hand-written raw rows: a real DuckDB file, the real `dbt build`.

Snapshots of plant P1 on 2024-03-31 and 2024-06-30; the readiness date is the latest load, 2024-07-15, which reads
the 2024-06-30 snapshot. Every expected share is counted by hand from the rows in `_write_raw`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.warehouse import ensure_warehouse
from tests.dbt_runner import build_on_raw

REPO = Path(__file__).resolve().parent.parent
MDQ_SELECTION = ["+plant_mdq", "+plant_entity_mdq", "+mdq_failing_records"]


def insert(con, table: str, rows: list[tuple], extract_date: str, source: str = "erp-test") -> None:
    n_cols = len(con.execute(f"select * from raw.{table} limit 0").description) - 5
    for i, row in enumerate(rows, start=1):
        assert len(row) == n_cols, (table, row)
        con.execute(f"insert into raw.{table} values ({', '.join(['?'] * (n_cols + 5))})",
                    [*row, source, extract_date, f"{source}/{extract_date}/{table}.csv", i, f"load-{table}"])


def _write_raw(con) -> None:
    ensure_warehouse(con)
    for snap in ("2024-03-31", "2024-06-30"):
        insert(con, "plants", [("P1", "Plant one", "Co", "DE", "Europe/Berlin")], snap)
        insert(con, "work_centers", [("WC1", "P1", "L1", "CNC", True, 60.0, "A")], snap)
    # 2024-03-31: two clean materials, M5 last changed 2022 (outside the 365-day window before 2024-03-31)
    insert(con, "materials", [
        ("P1", "M1", "ROH", "EA", "Bar stock", 10.0, 5, "buy", "2024-03-01 00:00:00"),
        ("P1", "M5", "ROH", "KG", "Wire", 3.0, 9, "buy", "2022-01-01 00:00:00"),
    ], "2024-03-31")
    insert(con, "equipment", [("E1", "P1", "WC1", "spindle", "A", "2020-01-01")], "2024-03-31")
    # 2024-06-30
    insert(con, "materials", [
        ("P1", "M1", "ROH", "EA", "Bar stock", 10.0, 5, "buy", "2024-06-01 00:00:00"),  # clean
        ("P1", "M2", "ROH", "EA", "  BAR  stock ", 10.0, 5, "buy", "2024-06-01 00:00:00"),  # duplicate of M1
        ("P1", "M3", "ROH", "STK", "Sheet", 0.0, -1, "buy", "2020-01-01 00:00:00"),  # 3 validity rules + stale
        ("P1", "M4", "HALB", "EA", "Shaft", 5.0, None, "make", "2024-05-01 00:00:00"),  # lead time missing
    ], "2024-06-30")
    insert(con, "bom", [
        ("P1", "M4", "M1", 2.0, "EA"),  # clean
        ("P1", "M4", "MX", 1.0, "EA"),  # component not in the master
        ("P1", "M4", "M3", 1.0, "KG"),  # uom KG but M3's base_uom is STK
    ], "2024-06-30")
    insert(con, "equipment", [
        ("E1", "P1", "WC1", "spindle", "A", "2020-01-01"),  # clean
        ("E2", "P1", "WCX", "drive", "D", "2020-01-01"),  # criticality D invalid, work center unknown
    ], "2024-06-30")
    insert(con, "production_orders", [
        ("O1", "P1", "WC1", "M1", 100.0, 90.0, 10.0, "2024-06-10 00:00:00", "2024-06-11 00:00:00"),  # clean
        ("O2", "P1", "WC1", "M9", 100.0, 90.0, 10.0, "2024-06-12 00:00:00", "2024-06-13 00:00:00"),  # M9 unknown
    ], "2024-06-30")
    con.execute("insert into audit.load_log (load_id, extract_date, rows_loaded, status) "
                "values ('load-x', DATE '2024-07-15', 1, 'loaded')")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    con = build_on_raw(tmp_path_factory.mktemp("dbt_mdq"), _write_raw, MDQ_SELECTION)
    yield con
    con.close()


def row(con, sql: str, args: list) -> dict:
    cur = con.execute(sql, args)
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip([d[0] for d in cur.description], rows[0]))


def test_as_of_dates_are_snapshots_plus_readiness_date(built):
    rows = built.execute("select as_of, is_readiness_date from marts.plant_mdq order by as_of").fetchall()
    assert [(str(a), r) for a, r in rows] == [("2024-03-31", False), ("2024-06-30", False), ("2024-07-15", True)]


def test_plant_mdq_rows_weighted_across_entities(built):
    p = row(built, "select * from marts.plant_mdq where as_of = '2024-07-15'", [])
    # checked rows: materials 4, bom 3, equipment 2, work_centers 1, production_orders 2
    assert p["completeness"] == pytest.approx(11 / 12)  # M4 lead time missing
    assert p["validity"] == pytest.approx(10 / 12)  # M3, E2
    assert p["uniqueness"] == pytest.approx(11 / 12)  # M2
    assert p["consistency"] == pytest.approx(3 / 7)  # bom 1/3, equipment 1/2, orders 1/2
    assert p["timeliness"] == pytest.approx(3 / 4)  # M3 changed 2020
    assert p["mdq_score"] == pytest.approx((11 / 12 + 10 / 12 + 11 / 12 + 3 / 7 + 3 / 4) / 5)
    assert (p["company"], p["consistency_checked_rows"], p["consistency_passing_rows"]) == ("Co", 7, 3)
    old = row(built, "select * from marts.plant_mdq where as_of = '2024-03-31'", [])
    # materials M1, M5; equipment E1; work center WC1; no orders, no bom
    assert (old["completeness"], old["validity"], old["uniqueness"], old["consistency"]) == (1, 1, 1, 1)
    assert old["timeliness"] == pytest.approx(0.5)
    assert old["mdq_score"] == pytest.approx(0.9)


def test_plant_entity_mdq(built):
    bom = row(built, "select * from marts.plant_entity_mdq where entity = 'bom' and as_of = '2024-06-30'", [])
    assert bom["records"] == 3
    assert bom["consistency"] == pytest.approx(1 / 3)
    assert bom["timeliness"] is None  # no timeliness rule for BOM lines → left out of the score
    assert bom["mdq_score"] == pytest.approx((1 + 1 + 1 + 1 / 3) / 4)
    wc = row(built, "select * from marts.plant_entity_mdq where entity = 'work_centers' and as_of = '2024-06-30'", [])
    assert wc["consistency"] is None and wc["mdq_score"] == 1


def test_failing_records_for_the_steward(built):
    rows = built.execute("select entity, record_key, dimension, rule from marts.mdq_failing_records "
                         "order by entity, record_key, rule").fetchall()
    assert rows == [
        ("bom", "M4 > M3", "consistency", "uom_matches_component_base_uom"),
        ("bom", "M4 > MX", "consistency", "component_in_material_master"),
        ("equipment", "E2", "validity", "criticality_allowed"),
        ("equipment", "E2", "consistency", "work_center_in_master"),
        ("materials", "M2", "uniqueness", "description_type_uom_unique"),
        ("materials", "M3", "validity", "base_uom_allowed"),
        ("materials", "M3", "timeliness", "changed_within_window"),
        ("materials", "M3", "validity", "lead_time_days_not_negative"),
        ("materials", "M3", "validity", "standard_cost_positive"),
        ("materials", "M4", "completeness", "lead_time_days_present"),
        ("production_orders", "O2", "consistency", "material_in_master"),
    ]
    assert {str(r[0]) for r in built.execute("select distinct as_of from marts.mdq_failing_records").fetchall()} == {
        "2024-07-15"}
