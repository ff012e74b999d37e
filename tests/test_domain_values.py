"""Domain values live in config/domains.yaml: ingest writes them into raw.domain_values and the master-data rules
read them there (real dbt on a real DuckDB file). Adding a code to the file changes the next build's MDQ figures,
also for the as_of dates the incremental MDQ models already held."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.domains import DOMAINS_FILE, DomainsError, load_domains, write_domain_values
from ingest.entities import ENTITIES
from ingest.warehouse import ensure_warehouse
from tests.dbt_runner import dbt_build
from tests.test_dbt_mdq import insert

SELECTION = ["+plant_entity_mdq", "+mdq_failing_records"]


def test_every_domain_and_code_is_documented():
    doc = yaml.safe_load(DOMAINS_FILE.read_text(encoding="utf-8"))
    assert {"unit_of_measure", "material_type", "criticality", "machine_state", "cost_category"} <= set(doc)
    for name, spec in doc.items():
        assert spec["description"] and spec["checked_by"] in ("ingest", "mdq"), name
        assert all(str(text).strip() for text in spec["codes"].values()), name
    # the landing contract's domains are the file's
    assert ENTITIES["machine_states"].column("state").domain == tuple(doc["machine_state"]["codes"])
    assert ENTITIES["cost_ledger"].column("category").domain == tuple(doc["cost_category"]["codes"])


def test_a_code_without_description_is_refused(tmp_path):
    path = tmp_path / "domains.yaml"
    path.write_text("unit_of_measure:\n  description: units\n  checked_by: mdq\n  codes: {EA: each, STK: }\n")
    with pytest.raises(DomainsError, match="domains.yaml: unit_of_measure: code.s. without description: STK"):
        load_domains(path)


def _raw(con) -> None:
    ensure_warehouse(con)
    insert(con, "plants", [("P1", "Plant one", "Co", "DE", "Europe/Berlin")], "2024-06-30")
    insert(con, "materials", [
        ("P1", "M1", "ROH", "EA", "Bar", 10.0, 5, "buy", "2024-06-01 00:00:00"),
        ("P1", "M2", "ROH", "STK", "Sheet", 10.0, 5, "buy", "2024-06-01 00:00:00"),  # STK: not a unit of the file
        ("P1", "M3", "ZZZ", "KG", "Wire", 10.0, 5, "buy", "2024-06-01 00:00:00"),  # ZZZ: not a material type
    ], "2024-06-30")
    con.execute("insert into audit.load_log (load_id, extract_date, rows_loaded, status) "
                "values ('load-x', DATE '2024-06-30', 1, 'loaded')")


def _validity(warehouse: Path) -> tuple[float, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        share = con.execute("select validity from marts.plant_entity_mdq where entity = 'materials' and "
                            "as_of = DATE '2024-06-30'").fetchone()[0]
        failing = con.execute("select record_key, rule from marts.mdq_failing_records where dimension = 'validity' "
                              "order by 1").fetchall()
    return share, failing


def test_adding_a_code_to_the_file_changes_the_next_build(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        _raw(con)
    assert dbt_build(warehouse, tmp_path / "first", SELECTION).returncode == 0
    assert _validity(warehouse) == (pytest.approx(1 / 3), [("M2", "base_uom_allowed"),
                                                           ("M3", "material_type_allowed")])

    doc = yaml.safe_load(DOMAINS_FILE.read_text(encoding="utf-8"))
    doc["unit_of_measure"]["codes"]["STK"] = "piece (German Stück)"
    changed = tmp_path / "domains.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with duckdb.connect(str(warehouse)) as con:
        write_domain_values(con, changed)  # what the next run's ingest does with the edited file
    result = dbt_build(warehouse, tmp_path / "second", SELECTION)
    assert result.returncode == 0, result.stdout[-3000:]
    assert _validity(warehouse) == (pytest.approx(2 / 3), [("M3", "material_type_allowed")])


def test_great_expectations_value_sets_are_the_domains(tmp_path):
    """expectations/materials.json names the domain; a unit of the file passes the in-set expectation, another fails."""
    import polars as pl

    from ingest.gx import validate_frame

    def base_uom_outcome(units: list[str]):
        frame = pl.DataFrame({"plant_id": ["P1"] * len(units), "material_id": [f"M{i}" for i in range(len(units))],
                              "base_uom": units})
        return next(o for o in validate_frame("materials", frame) if "in_set(base_uom)" in o.expectation)

    assert base_uom_outcome(["EA", "LB", "OZ"]).success  # LB and OZ: codes of config/domains.yaml
    failed = base_uom_outcome(["EA", "STK"])
    assert not failed.success and failed.severity == "warning" and "1 of 2" in failed.observed
