"""Profile features that describe real extracts without code (header-less files, constants, SQL expressions, code
maps over several columns, lookups in another file of the extract, row filters, ignore lists), checked when the
profile is loaded, and loaded through the real ingest into DuckDB. Expected values are read off the files written
here."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import load_entity  # noqa: E402
from ingest.profiles import ProfileError, all_profiles, parse_profile  # noqa: E402

PROFILE = """\
profile: erp-tiny
kind: erp
format: {type: csv, delimiter: "|", timestamp_format: "%Y-%m-%d %H:%M:%S%.f"}
entities:
  materials:
    file: items.txt
    headers: [id, number, make, finished, cost, unit, changed, colour]
    columns:
      plant_id: {constant: T1}
      material_id: number
      material_type: {sql: "make || finished"}
      standard_cost: cost
      base_uom: unit
      changed_at: changed
    codes:
      material_type: {"11": FERT, "10": HALB, "00": ROH}
    ignore: [id, colour]
  bom:
    file: lines.txt
    headers: [parent, child, qty, valid_to]
    filter: "valid_to IS NULL"
    columns:
      plant_id: {constant: T1}
      parent_material_id: {lookup: {entity: materials, key: id, value: number, from: parent}}
      component_material_id: {lookup: {entity: materials, key: id, value: number, from: child}}
      quantity: qty
"""
ITEMS = ("1|FG-1|1|1|10.5|EA|2025-01-02 03:04:05.678|red\n"
         "2|SA-2|1|0|0|KG|2025-01-02 03:04:05|blue\n"
         "3|RM-3|0|0||EA|2025-01-02 00:00:00.5|\n")
LINES = ("1|2|2|2024-12-31\n"  # an expired version of the next line: left out by the filter
         "1|2|3|\n"
         "2|3|1.5|\n"
         "2|9|1|\n")  # product 9 is not in items.txt


def write_profile(folder: Path, text: str, name: str = "erp-tiny") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path):
    profiles = tmp_path / "profiles"
    write_profile(profiles, PROFILE)
    folder = tmp_path / "landing" / "erp-tiny" / "2025-01-31"
    folder.mkdir(parents=True)
    (folder / "items.txt").write_text(ITEMS, encoding="utf-8")
    (folder / "lines.txt").write_text(LINES, encoding="utf-8")
    con = duckdb.connect()
    results = {e: load_entity(con, e, tmp_path / "landing", "run-1", profile_dir=profiles)[0]
               for e in ("materials", "bom")}
    yield con, results
    con.close()


def test_header_less_file_with_constants_expressions_and_code_map(loaded):
    con, results = loaded
    m = results["materials"]
    assert (m.status, m.rows_read, m.rows_loaded, m.rows_quarantined) == ("loaded", 3, 3, 0)
    assert "schema drift" not in m.message + " ".join(m.warnings)  # id and colour are ignored, not drift
    rows = con.execute("SELECT plant_id, material_id, material_type, standard_cost, base_uom, "
                       "strftime(changed_at, '%H:%M:%S.%f') FROM raw.materials ORDER BY _row").fetchall()
    assert rows == [("T1", "FG-1", "FERT", 10.5, "EA", "03:04:05.678000"),
                    ("T1", "SA-2", "HALB", 0.0, "KG", "03:04:05.000000"),
                    ("T1", "RM-3", "ROH", None, "EA", "00:00:00.500000")]


def test_lookup_filter_and_the_missing_key(loaded):
    con, results = loaded
    b = results["bom"]
    # 4 rows in the file, the filter keeps 3: 2 load, the one whose child 9 is not in items.txt is quarantined
    assert (b.status, b.rows_read, b.rows_loaded, b.rows_quarantined) == ("loaded", 3, 2, 1)
    assert "the profile's filter left out 1 of 4 rows" in " ".join(b.warnings)
    assert con.execute("SELECT parent_material_id, component_material_id, quantity FROM raw.bom ORDER BY _row"
                       ).fetchall() == [("FG-1", "SA-2", 3.0), ("SA-2", "RM-3", 1.5)]
    assert con.execute('SELECT "row", "column", raw_value, reason FROM audit.quarantine').fetchall() == [
        (4, "component_material_id", "9", "lookup_missing")]  # the file's row number, the key that is missing


def test_shipped_profiles_load():
    assert {"erp-adventureworks", "erp-midstate", "erp-globaltech", "mes-globaltech", "mes-midstate", "pilots"} <= set(
        all_profiles())


@pytest.mark.parametrize("change, message", [
    (("filter: \"valid_to IS NULL\"", "filter: \"valid_to IS NUL AND\""),
     "profile erp-tiny.yaml: entities.bom.filter: not a valid SQL expression"),
    (("filter: \"valid_to IS NULL\"", "filter: \"validto IS NULL\""),
     "profile erp-tiny.yaml: entities.bom.filter: 'validto IS NULL' reads column(s) validto that are not in this "
     "entity's headers"),
    (("{sql: \"make || finished\"}", "{sql: \"make || finishd\"}"),
     "profile erp-tiny.yaml: entities.materials.columns.material_type.sql: 'make || finishd' reads column(s) finishd"),
    (("entity: materials, key: id, value: number, from: parent",
      "entity: material, key: id, value: number, from: parent"),
     "profile erp-tiny.yaml: entities.bom.columns.parent_material_id.lookup.entity: 'material' is not an entity of "
     "this profile"),
    (("key: id, value: number, from: child", "key: id, value: numbr, from: child"),
     "profile erp-tiny.yaml: entities.bom.columns.component_material_id.lookup.value: 'numbr' is not in the headers "
     "of materials"),
    (("{lookup: {entity: materials, key: id, value: number, from: child}}",
      "{lookup: {entity: materials, key: id, value: number}}"),
     "profile erp-tiny.yaml: entities.bom.columns.component_material_id.lookup: needs exactly the keys entity, from, "
     "key, value"),
    (("plant_id: {constant: T1}\n      material_id", "plant_id: {constant: T1, sql: x}\n      material_id"),
     "profile erp-tiny.yaml: entities.materials.columns.plant_id: a mapping must have exactly one of constant:, "
     "sql:, lookup:"),
    (("material_id: number", "material_id: nummer"),
     "profile erp-tiny.yaml: entities.materials.columns.material_id: 'nummer' is not in this entity's headers"),
    (("timestamp_format: \"%Y-%m-%d %H:%M:%S%.f\"", "timestamp_format: \"YYYY-MM-DD\""),
     "profile erp-tiny.yaml: format.timestamp_format: 'YYYY-MM-DD' is not a strftime pattern"),
    (("delimiter: \"|\"", "delimiter: \"||\""), "profile erp-tiny.yaml: format.delimiter: must be one character"),
    (("delimiter: \"|\"", "delimiter: \"|\", encodng: utf-8"), "profile erp-tiny.yaml: format: unknown key(s) encodng"),
    (("delimiter: \"|\"", "delimiter: \"|\", encoding: utf-9"), "profile erp-tiny.yaml: format.encoding: unknown "
                                                                  "encoding 'utf-9'"),
    (("    ignore: [id, colour]", "    ignore: id"), "profile erp-tiny.yaml: entities.materials.ignore: must be a "
                                                      "list of source column names"),
    (("    filter:", "    filtre:"), "profile erp-tiny.yaml: entities.bom: unknown key(s) filtre"),
])
def test_profile_errors_name_the_file_and_the_key(tmp_path, change, message):
    old, new = change
    assert old in PROFILE
    path = write_profile(tmp_path, PROFILE.replace(old, new, 1))
    with pytest.raises(ProfileError) as caught:
        parse_profile(path)
    assert str(caught.value).startswith(message), str(caught.value)


def test_an_expression_reading_a_column_the_file_lacks_fails_the_file_naming_it(tmp_path):
    profiles = tmp_path / "profiles"
    write_profile(profiles, """\
        profile: erp-headed
        kind: erp
        format: {type: csv}
        entities:
          materials:
            file: items.csv
            columns: {plant_id: {constant: T1}, material_id: number, material_type: {sql: "kind || subkind"}}
        """, name="erp-headed")
    folder = tmp_path / "landing" / "erp-headed" / "2025-01-31"
    folder.mkdir(parents=True)
    (folder / "items.csv").write_text("number,kind\nA,1\n", encoding="utf-8")
    con = duckdb.connect()
    result = load_entity(con, "materials", tmp_path / "landing", "run-1", profile_dir=profiles)[0]
    assert result.status == "quarantined"
    assert result.message == ("erp-headed/2025-01-31/items.csv: the file lacks column(s) subkind, which the profile's "
                              "filter, expressions or lookups read; the file's header: number, kind")


def test_an_expression_failing_on_a_value_fails_the_file_without_printing_the_value(tmp_path):
    profiles = tmp_path / "profiles"
    write_profile(profiles, """\
        profile: erp-headed
        kind: erp
        format: {type: csv}
        entities:
          materials:
            file: items.csv
            filter: "CAST(cost AS DOUBLE) > 0"
            columns: {plant_id: {constant: T1}, material_id: number}
        """, name="erp-headed")
    folder = tmp_path / "landing" / "erp-headed" / "2025-01-31"
    folder.mkdir(parents=True)
    (folder / "items.csv").write_text("number,cost\nA,1\nB,secret-7\n", encoding="utf-8")
    result = load_entity(duckdb.connect(), "materials", tmp_path / "landing", "run-1", profile_dir=profiles)[0]
    assert result.status == "quarantined"
    assert result.message.startswith("erp-headed/2025-01-31/items.csv: the profile's filter ('CAST(cost AS DOUBLE) > "
                                     "0') fails on this file's values (")
    assert "TRY_CAST" in result.message and "secret-7" not in result.message
