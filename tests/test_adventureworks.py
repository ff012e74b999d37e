"""A real public extract onboarded by YAML alone: Microsoft's AdventureWorks product master and bill of materials
(examples/adventureworks, MIT) through `ingest/profiles/erp-adventureworks.yaml` and the real nightly (`opsready
run`: ingest, dbt build and tests, publish) on an estate of only this source.

Every expected figure is counted here from the raw CSV files with the csv module, without ingest or dbt: the
files are tab-separated without a header row, the BOM names products by their numeric ProductID and keeps expired
line versions (EndDate), and the material type is two flag columns.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
EXTRACT = REPO / "examples" / "adventureworks" / "extract"
EXTRACT_DATE = "2025-02-07"
PLANT = "AW01"
# columns of the header-less files (the CREATE TABLE statements of the AdventureWorks install script)
PRODUCT = {"ProductID": 0, "ProductNumber": 2, "MakeFlag": 3, "FinishedGoodsFlag": 4, "StandardCost": 8,
           "WeightUnitMeasureCode": 12}
BOM = {"ProductAssemblyID": 1, "ComponentID": 2, "EndDate": 4, "UnitMeasureCode": 5}


def rows(name: str) -> list[list[str]]:
    with open(EXTRACT / name, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def expected() -> dict:
    """The figures the warehouse must show, from the raw files."""
    products = rows("Product.csv")
    number_of = {p[PRODUCT["ProductID"]]: p[PRODUCT["ProductNumber"]] for p in products}
    weight_unit = {p[PRODUCT["ProductNumber"]]: p[PRODUCT["WeightUnitMeasureCode"]].strip() for p in products}
    types = {("1", "1"): "FERT", ("1", "0"): "HALB", ("0", "0"): "ROH", ("0", "1"): "HAWA"}
    bom = rows("BillOfMaterials.csv")
    current = [b for b in bom if b[BOM["EndDate"]] == "" and b[BOM["ProductAssemblyID"]] != ""]
    lines = [(number_of.get(b[BOM["ProductAssemblyID"]]), number_of.get(b[BOM["ComponentID"]]),
              b[BOM["UnitMeasureCode"]].strip()) for b in current]
    return {
        "products": len(products),
        "material_types": Counter(types[(p[PRODUCT["MakeFlag"]], p[PRODUCT["FinishedGoodsFlag"]])] for p in products),
        "without_cost": sum(float(p[PRODUCT["StandardCost"]]) <= 0 for p in products),
        "without_weight_unit": sum(p[PRODUCT["WeightUnitMeasureCode"]].strip() == "" for p in products),
        "bom_rows": len(bom),
        "bom_current": len(current),
        "orphan_parents": sum(parent not in weight_unit for parent, _, _ in lines),
        "orphan_components": sum(component not in weight_unit for _, component, _ in lines),
        "uom_mismatch": sum(1 for _, component, uom in lines
                            if weight_unit.get(component) and uom != weight_unit[component]),
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("adventureworks")
    folder = root / "landing" / "erp-adventureworks" / EXTRACT_DATE
    folder.mkdir(parents=True)
    for name in ("Product.csv", "BillOfMaterials.csv"):
        shutil.copyfile(EXTRACT / name, folder / name)
    env = dict(os.environ, OPSREADY_DATA=str(root), OPSREADY_WAREHOUSE=str(root / "warehouse" / "build" / "wh.duckdb"),
               DAGSTER_HOME=str(root / "dagster"), PYTHONPATH=str(REPO))
    run = subprocess.run([str(Path(sys.executable).parent / "opsready"), "run", "--no-report"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    con = duckdb.connect(str(root / "warehouse" / "opsready.duckdb"), read_only=True)
    yield con
    con.close()


def failing(con, rule: str) -> int:
    return con.execute("SELECT count(*) FROM marts.mdq_failing_records WHERE plant_id = ? AND rule = ? AND as_of = "
                       "(SELECT max(as_of) FROM marts.mdq_failing_records)", [PLANT, rule]).fetchone()[0]


def test_every_row_is_accounted_for(published):
    want = expected()
    log = {entity: (read, loaded, quarantined, status, message) for entity, read, loaded, quarantined, status, message
           in published.execute("SELECT entity, rows_read, rows_loaded, rows_quarantined, status, message "
                                "FROM audit.load_log WHERE source = 'erp-adventureworks'").fetchall()}
    assert log["materials"][:4] == (want["products"], want["products"], 0, "loaded")
    assert log["bom"][:4] == (want["bom_current"], want["bom_current"], 0, "loaded")
    # the row filter's rows are neither loaded nor quarantined: the message says how many it left out
    left_out = want["bom_rows"] - want["bom_current"]
    assert f"filter left out {left_out} of {want['bom_rows']} rows" in log["bom"][4]
    assert "schema drift" not in log["materials"][4] and "schema drift" not in log["bom"][4]  # ignore: lists them
    assert log["plants"][:4] == (1, 1, 0, "loaded")
    assert published.execute("SELECT plant_id, company, timezone FROM raw.plants").fetchall() == [
        (PLANT, "Adventure Works Cycles", "America/Los_Angeles")]


def test_two_flag_columns_make_the_material_type(published):
    got = dict(published.execute("SELECT material_type, count(*) FROM raw.materials GROUP BY 1").fetchall())
    assert got == dict(expected()["material_types"])


def test_bom_refers_to_material_numbers_through_the_lookup(published):
    want = expected()
    got = published.execute("SELECT count(*), count(DISTINCT parent_material_id || '>' || component_material_id) "
                            "FROM raw.bom WHERE parent_material_id IN (SELECT material_id FROM raw.materials)"
                            ).fetchone()
    assert got == (want["bom_current"] - want["orphan_parents"], want["bom_current"] - want["orphan_parents"])


def test_mdq_figures_match_the_raw_files(published):
    want = expected()
    assert failing(published, "standard_cost_positive") == want["without_cost"]
    assert failing(published, "base_uom_present") == want["without_weight_unit"]
    assert failing(published, "parent_in_material_master") == want["orphan_parents"]
    assert failing(published, "component_in_material_master") == want["orphan_components"]
    assert failing(published, "uom_matches_component_base_uom") == want["uom_mismatch"]
    # LB, G, OZ, IN and HAWA are domain values of config/domains.yaml: no validity failure for them
    assert failing(published, "base_uom_allowed") == 0
    assert failing(published, "uom_allowed") == 0
    assert failing(published, "material_type_allowed") == 0
    assert want["without_cost"] == 200 and want["without_weight_unit"] == 299  # the sample's known shape
