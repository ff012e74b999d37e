"""`opsready preview` (the real command, in a subprocess): a profile applied to files without a warehouse."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTRACT = REPO / "examples" / "adventureworks" / "extract"
OPSREADY = Path(sys.executable).parent / "opsready"


def preview(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), OPSREADY_DATA=str(data))
    return subprocess.run([str(OPSREADY), "preview", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def tab_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_preview_of_a_good_file_shows_the_mapping_and_touches_no_warehouse(tmp_path):
    bom = tab_rows(EXTRACT / "BillOfMaterials.csv")
    current = [b for b in bom if b[4] == "" and b[1] != ""]  # EndDate empty, ProductAssemblyID present
    product_number = {p[0]: p[2] for p in tab_rows(EXTRACT / "Product.csv")}
    first = current[0]
    run = preview("--source", "erp-adventureworks", str(EXTRACT / "BillOfMaterials.csv"), data=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "== BillOfMaterials.csv -> bom (profile erp-adventureworks)" in out
    assert (f"rows read {len(current)}, would load {len(current)}, would quarantine 0; the filter left out "
            f"{len(bom) - len(current)} of {len(bom)} rows") in out
    assert "parent_material_id     <- lookup ProductAssemblyID in materials.ProductID -> ProductNumber" in out
    assert "quantity               <- column 'PerAssemblyQty'" in out
    # the first row after mapping: the first current line, its ids looked up in Product.csv
    assert product_number[first[1]] in out and product_number[first[2]] in out
    assert "quarantine by reason: none" in out
    assert "unmapped columns (schema drift): none" in out
    assert "ignored columns: BillOfMaterialsID, StartDate, BOMLevel, ModifiedDate" in out
    assert not (tmp_path / "warehouse").exists()


def test_preview_of_a_broken_file_counts_quarantine_by_reason_with_examples(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    shutil.copyfile(EXTRACT / "Product.csv", folder / "Product.csv")
    bom = tab_rows(EXTRACT / "BillOfMaterials.csv")
    current_rows = [i for i, b in enumerate(bom) if b[4] == "" and b[1] != ""]
    unknown, bad_qty = current_rows[0], current_rows[1]
    bom[unknown][2] = "99999"  # a ComponentID Product.csv does not have
    bom[bad_qty][7] = "1,5x"  # PerAssemblyQty not a number
    with open(folder / "BillOfMaterials.csv", "w", encoding="utf-8", newline="") as handle:
        handle.writelines("\t".join(b) + "\n" for b in bom)
    run = preview("--source", "erp-adventureworks", str(folder / "BillOfMaterials.csv"), data=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"rows read {len(current_rows)}, would load {len(current_rows) - 2}, would quarantine 2" in out
    assert f"  lookup_missing: 1 row(s), e.g. row {unknown + 1} component_material_id='99999'" in out
    assert f"  unparseable_number: 1 row(s), e.g. row {bad_qty + 1} quantity='1,5x'" in out


def test_preview_of_an_unreadable_file_names_the_fault_and_exits_1(tmp_path):
    broken = tmp_path / "Product.csv"
    broken.write_text("1\tAdjustable Race\tAR-5381\n", encoding="utf-8")  # 3 fields, the profile lists 25
    run = preview("--source", "erp-adventureworks", str(broken), data=tmp_path)
    assert run.returncode == 1
    assert ("the whole file would be quarantined: Product.csv: the first row has 3 fields but the profile's headers "
            "list 25") in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_preview_of_a_file_without_its_header_row_hints_at_it(tmp_path):
    marc = tmp_path / "MARC.csv"
    marc.write_text("P100;M-1;ROH;ST;Bar;1,5;3;F;01.01.2024 00:00:00\n", encoding="utf-8")
    run = preview("--source", "erp-midstate", str(marc), data=tmp_path)
    assert run.returncode == 1
    line = next(x for x in run.stdout.splitlines() if "quarantined" in x)
    assert line.count("MARC.csv") == 1
    assert "missing required column(s): plant_id (header 'WERKS'), material_id (header 'MATNR')" in line
    assert "the header row reads: P100, M-1, ROH, ST, Bar, 1,5, 3, F, 01.01.2024 00:00:00" in line
    assert "no header row?" in line
