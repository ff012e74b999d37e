"""Write the bad-input corpus: one landing folder per case under tests/bad_inputs/cases/<case>/.

The files are committed; this script documents how each was made and rebuilds them
(`python tests/bad_inputs/build_corpus.py`). Expected outcomes are in `expected.yaml`, worked out by hand.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

HERE = Path(__file__).resolve().parent / "cases"
D = "2023-03-31"
BOM = b"\xef\xbb\xbf"
MARC_HEADER = "WERKS;MATNR;MTART;MEINS;MAKTX;STPRS;PLIFZ;BESKZ;LAEDA"
MARC_ROW_1 = "M100;A1;FERT;ST;Widget;12,50;5;E;31.03.2023 10:00:00"
MARC_ROW_2 = "M100;A2;ROH;KG;Stahl;0,75;2;F;30.03.2023 09:15:00"
MARC_ROW_3 = "M100;A3;HALB;ST;Gehäuse;3,00;0;X;29.03.2023 00:00:00"
ITEMS_HEADER = "Site Code,Item Number,Item Type,Unit,Item Description,Std Cost,Lead Time (d),Make/Buy,Last Changed"
STATES_HEADER = "site,resource,start_utc,end_utc,status,reason_code"


def write(case: str, source: str, name: str, data: bytes, folder: str = D) -> None:
    path = HERE / case / source / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def lines(*rows: str, encoding: str = "utf-8", bom: bool = True, end: str = "\n") -> bytes:
    return (BOM if bom else b"") + (end.join(rows) + end).encode(encoding)


def marc(case: str, *rows: str, **kw) -> None:
    write(case, "erp-midstate", "MARC.csv", lines(MARC_HEADER, *rows, **kw))


def items(case: str, *rows: str, encoding: str = "latin-1") -> None:
    write(case, "erp-globaltech", "items.csv", lines(ITEMS_HEADER, *rows, encoding=encoding, bom=False))


def states(case: str, *rows: str) -> None:
    write(case, "mes-globaltech", "machine_states.csv", lines(STATES_HEADER, *rows, bom=False))


def state_parquet(case: str, frame: pl.DataFrame, cut: int | None = None) -> None:
    path = HERE / case / "mes-midstate" / D / "state_events.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    if cut:
        path.write_bytes(path.read_bytes()[:cut])


def parquet_states(codes: list[int], with_end: bool = True) -> pl.DataFrame:
    n = len(codes)
    data = {"plant": ["M100"] * n, "workcenter": ["WC1"] * n,
            "ts_start": [datetime(2023, 3, 1, h) for h in range(n)]}
    if with_end:
        data["ts_end"] = [datetime(2023, 3, 1, h, 30) for h in range(n)]
    data |= {"state_code": codes, "reason": [None] * n}
    return pl.DataFrame(data)


PILOT_HEADER = ["Pilot ID", "Initiative ID", "Plant", "Pilot", "Scope", "Work center", "Started", "Planned end"]
STATUS_HEADER = ["Pilot ID", "Date", "Status", "Note"]


def workbook(case: str, sheets: dict[str, list[list]], cut: int | None = None) -> None:
    """sheets: name -> rows (first row = header); date/datetime cells are written as Excel dates."""
    path = HERE / case / "pilots" / D / "roadmap_register.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, (date, datetime)):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), date_format)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    if cut:
        path.write_bytes(path.read_bytes()[:cut])


def build() -> None:
    shutil.rmtree(HERE, ignore_errors=True)
    # --- erp-midstate: SAP headers, ';', decimal comma, DD.MM.YYYY, UTF-8 with BOM -----------------------------
    marc("ms_clean_reference", MARC_ROW_1, MARC_ROW_2, MARC_ROW_3)
    marc("ms_no_bom", MARC_ROW_1, MARC_ROW_2, bom=False)
    marc("ms_crlf_line_ends", MARC_ROW_1, MARC_ROW_2, end="\r\n")
    marc("ms_impossible_date", MARC_ROW_1, "M100;A2;ROH;KG;Stahl;0,75;2;F;31.02.2023 10:00:00", MARC_ROW_3)
    marc("ms_iso_date_in_sap_file", MARC_ROW_1, "M100;A2;ROH;KG;Stahl;0,75;2;F;2023-03-30 09:15:00")
    marc("ms_bad_number", MARC_ROW_1, "M100;A2;ROH;KG;Stahl;0,7,5;2;F;30.03.2023 09:15:00")
    marc("ms_fractional_lead_time", MARC_ROW_1, "M100;A2;ROH;KG;Stahl;0,75;4,5;F;30.03.2023 09:15:00")
    marc("ms_missing_plant", MARC_ROW_1, ";A2;ROH;KG;Stahl;0,75;2;F;30.03.2023 09:15:00")
    marc("ms_duplicate_key", MARC_ROW_1, MARC_ROW_2, "M100;A1;FERT;ST;Widget v2;13,00;5;E;31.03.2023 11:00:00")
    marc("ms_two_faults_one_row", MARC_ROW_1, "M100;A2;ROH;KG;Stahl;abc;2;F;99.99.2023 00:00:00")
    marc("ms_thousands_and_trailing_minus", "M100;A1;FERT;ST;Widget;1.234,50;5;E;31.03.2023 10:00:00",
         "M100;A2;ROH;KG;Stahl;5,00-;2;F;30.03.2023 09:15:00")
    marc("ms_unmapped_uom_code", MARC_ROW_1, "M100;A2;ROH;KAR;Stahl;0,75;2;F;30.03.2023 09:15:00")
    write("ms_missing_required_column", "erp-midstate", "MARC.csv",
          lines("WERKS;MTART;MEINS;MAKTX;STPRS;PLIFZ;BESKZ;LAEDA", "M100;FERT;ST;Widget;12,50;5;E;31.03.2023 10:00:00"))
    write("ms_unknown_extra_column", "erp-midstate", "MARC.csv",
          lines(MARC_HEADER + ";ZZ_CUSTOM", MARC_ROW_1 + ";foo", MARC_ROW_2 + ";bar"))
    write("ms_wrong_encoding_latin1", "erp-midstate", "MARC.csv",
          lines(MARC_HEADER, MARC_ROW_1, MARC_ROW_3, encoding="latin-1"))
    write("ms_truncated", "erp-midstate", "MARC.csv", lines(MARC_HEADER, MARC_ROW_1, MARC_ROW_2) + b"M100;A3;HA")
    write("ms_empty_file", "erp-midstate", "MARC.csv", b"")
    write("ms_header_only_snapshot", "erp-midstate", "MARC.csv", lines(MARC_HEADER))
    write("ms_wrong_delimiter", "erp-midstate", "MARC.csv",
          lines(MARC_HEADER.replace(";", ","), MARC_ROW_1.replace(";", ",").replace("12,50", "12.50")))
    marc("ms_ragged_row", MARC_ROW_1, MARC_ROW_2 + ";extra;fields", MARC_ROW_3)
    write("ms_bottleneck_flags", "erp-midstate", "CRHD.csv",
          lines("ARBPL;WERKS;LINIE;KTEXT;ENGPASS;VGW01;ABCKZ", "WC1;M100;L1;CNC 1;X;42,5;A", "WC2;M100;L1;CNC 2;;30;B",
                "WC3;M100;L1;CNC 3;J;30;B"))
    write("ms_unknown_cost_category", "erp-midstate", "COEP.csv",
          lines("BELNR;BUDAT;POSID;WERKS;KSTAR;WRBTR;WAERS", "100001;15.03.2023;INI-1;M100;LIZENZ;10.000,00;USD",
                "100002;16.03.2023;INI-1;M100;MARKETING;500,00;USD"))
    write("ms_unmapped_file_name", "erp-midstate", "MARA.csv", lines("MATNR;MTART", "A1;FERT"))
    write("ms_bad_extract_folder", "erp-midstate", "MARC.csv", lines(MARC_HEADER, MARC_ROW_1), folder="latest")
    # --- erp-globaltech: English headers, ',', ISO dates, Latin-1 ---------------------------------------------
    items("gt_latin1_text", "G1,X1,FG,Each,Müller Gehäuse,12.5,3,Make,2023-03-01 08:00")
    items("gt_utf8_in_latin1_profile", "G1,X1,FG,Each,Müller Gehäuse,12.5,3,Make,2023-03-01 08:00", encoding="utf-8")
    items("gt_null_markers", "G1,X1,FG,Each,Bolt,N/A,3,Make,2023-03-01 08:00",
          "N/A,X2,FG,Each,Nut,1.5,3,Buy,2023-03-01 08:00")
    items("gt_bad_iso_date", "G1,X1,FG,Each,Bolt,1.5,3,Make,2023-13-01 08:00",
          "G1,X2,FG,Each,Nut,1.5,3,Buy,2023-03-01 08:00")
    items("gt_quoted_comma_text", 'G1,X1,FG,Each,"Bolt, M8",1.5,3,Make,2023-03-01 08:00')
    write("gt_case_insensitive_headers", "erp-globaltech", "items.csv",
          lines(ITEMS_HEADER.upper(), "G1,X1,FG,Each,Bolt,1.5,3,Make,2023-03-01 08:00", bom=False))
    # --- mes-globaltech: CSV, text states, ISO UTC timestamps -------------------------------------------------
    states("mg_unknown_state", "G1,R1,2023-03-01T00:00:00Z,2023-03-01T01:00:00Z,Run,",
           "G1,R1,2023-03-01T01:00:00Z,2023-03-01T02:00:00Z,Exploded,E1")
    states("mg_timestamp_without_zone", "G1,R1,2023-03-01 00:00,2023-03-01T01:00:00Z,Run,",
           "G1,R1,2023-03-01T01:00:00Z,2023-03-01T02:00:00Z,Breakdown,E1")
    states("mg_duplicate_interval", "G1,R1,2023-03-01T00:00:00Z,2023-03-01T01:00:00Z,Run,",
           "G1,R1,2023-03-01T00:00:00Z,2023-03-01T00:30:00Z,Setup,")
    states("mg_ended_before_started", "G1,R1,2023-03-01T02:00:00Z,2023-03-01T01:00:00Z,Breakdown,",
           "G1,R1,2023-03-01T03:00:00Z,2023-03-01T04:00:00Z,Run,")
    states("mg_missing_state", "G1,R1,2023-03-01T00:00:00Z,2023-03-01T01:00:00Z,,")
    # --- mes-midstate: Parquet, numeric state codes -----------------------------------------------------------
    state_parquet("mm_state_codes", parquet_states([1, 2, 3, 4, 5, 9]))
    state_parquet("mm_truncated_parquet", parquet_states([1, 2, 3]), cut=200)
    state_parquet("mm_missing_end_column", parquet_states([1, 2], with_end=False))
    # --- pilots: Excel workbook, one sheet per entity ---------------------------------------------------------
    status_rows = [STATUS_HEADER, ["P1", date(2023, 1, 10), "running", "kick-off"], ["P1", date(2023, 3, 1), "paused", ""]]
    pilot_rows = [PILOT_HEADER,
                  ["P1", "INI-1", "M100", "PdM CNC", "line", "WC1", date(2023, 1, 10), date(2023, 6, 30)],
                  ["P2", "INI-1", "M200", "PdM CNC 2", "line", "WC2", 44927, "2023-09-30"],
                  ["P3", "INI-2", "M100", "AI vision", "line", "WC3", "next week", None]]
    workbook("px_dates_cells_serials_text", {"Pilots": pilot_rows})
    workbook("px_bad_status", {"Status log": status_rows})
    workbook("px_missing_sheet", {"Status log": status_rows[:2]})
    workbook("px_truncated_workbook", {"Pilots": pilot_rows, "Status log": status_rows}, cut=600)
    # --- a landing folder no profile knows --------------------------------------------------------------------
    write("unknown_source_folder", "sap-s4-newplant", "MARC.csv", lines(MARC_HEADER, MARC_ROW_1))


if __name__ == "__main__":
    build()
    print(f"wrote {sum(1 for p in HERE.iterdir())} cases to {HERE}")
