"""The sample estate's fixed story (SPEC §7): companies, plants, lines, initiatives, pilots, benefits, systems, spend.

Everything here is canonical (entity columns of `ingest/entities.py`); `render.py` turns it into system shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MIDSTATE = "MidState Components"
GLOBALTECH = "GlobalTech"
PERIOD_START = date(2022, 1, 1)
PERIOD_END = date(2025, 12, 31)
AS_OF = PERIOD_END
STALL_GRACE_DAYS = 90

ERP_SOURCE = {MIDSTATE: "erp-midstate", GLOBALTECH: "erp-globaltech"}
MES_SOURCE = {MIDSTATE: "mes-midstate", GLOBALTECH: "mes-globaltech"}


@dataclass(frozen=True)
class Plant:
    plant_id: str
    plant_name: str
    company: str
    country: str
    timezone: str
    mes_live_from: date
    base_lines: int


PLANTS = [
    Plant("MS01", "MidState Dayton", MIDSTATE, "US", "America/New_York", date(2022, 1, 1), 3),
    Plant("MS02", "MidState Peoria", MIDSTATE, "US", "America/Chicago", date(2022, 1, 1), 3),
    Plant("MS03", "MidState Pueblo", MIDSTATE, "US", "America/Denver", date(2022, 1, 1), 3),
    Plant("MS04", "MidState Fresno", MIDSTATE, "US", "America/Los_Angeles", date(2022, 1, 1), 3),
    Plant("GT01", "Stuttgart-Feuerbach Werk", GLOBALTECH, "DE", "Europe/Berlin", date(2022, 1, 1), 2),
    Plant("GT02", "Besançon Usine", GLOBALTECH, "FR", "Europe/Paris", date(2022, 1, 1), 2),
    Plant("GT03", "Zürich Fertigung", GLOBALTECH, "CH", "Europe/Zurich", date(2022, 1, 1), 2),
    Plant("GT04", "Málaga Planta", GLOBALTECH, "ES", "Europe/Madrid", date(2022, 7, 1), 2),
    Plant("GT05", "Göteborg Fabrik", GLOBALTECH, "SE", "Europe/Stockholm", date(2022, 7, 1), 2),
    Plant("GT06", "São Paulo Fábrica", GLOBALTECH, "BR", "America/Sao_Paulo", date(2022, 7, 1), 2),
    Plant("GT07", "Querétaro Planta", GLOBALTECH, "MX", "America/Mexico_City", date(2022, 7, 1), 2),
    Plant("GT08", "Greenville Plant", GLOBALTECH, "US", "America/New_York", date(2022, 7, 1), 2),
]
PLANT_BY_ID = {p.plant_id: p for p in PLANTS}


def lines_per_plant(plant: Plant, scale: float) -> int:
    """Lines at a plant: the plant's base line count times scale, at least one."""
    return max(1, round(plant.base_lines * scale))


def month_ends(start: date = PERIOD_START, end: date = PERIOD_END) -> list[date]:
    """Every month end from start to end, inclusive."""
    out, y, m = [], start.year, start.month
    while True:
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        d = nxt - timedelta(days=1)
        if d > end:
            return out
        out.append(d)
        y, m = nxt.year, nxt.month


def quarter_ends() -> list[date]:
    """Quarter ends of the sample period (snapshot extract dates)."""
    return [d for d in month_ends() if d.month in (3, 6, 9, 12)]


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


# ---------------------------------------------------------------- initiatives
# Category shares of spend per company: MidState change multiple (int+chg+trn)/license = 0.35/0.20 = 1.75;
# GlobalTech = 0.10/0.35 = 0.29 (change under-budgeted).
SPEND_SHARES = {
    MIDSTATE: {"license": 0.20, "integration": 0.15, "change_management": 0.12, "training": 0.08,
               "hardware": 0.20, "services": 0.25},
    GLOBALTECH: {"license": 0.35, "integration": 0.06, "change_management": 0.02, "training": 0.02,
                 "hardware": 0.35, "services": 0.20},
}

# initiative_id, company, name, technology, wave, capability, kpi, target, dependencies, exit criteria,
# total budget, spend (cost ledger), spend window (first month, months), planned annual benefit, systems_sunset
INITIATIVES = [
    ("MS-I01", MIDSTATE, "Foundation: master data cleanup and MES connectivity", "master data", 1,
     "Trusted material, BOM and work-center master", "material_master_errors_per_1000_orders", "< 10",
     "Data owners named per plant", "MDQ >= 0.97 at every plant", 4.0e6, 4.0e6, (date(2022, 1, 1), 12), 6.0e6,
     "Access material database"),
    ("MS-I02", MIDSTATE, "MES and real-time OEE", "mes", 2,
     "Shift-level OEE and downtime visibility", "oee_pct", ">= 65", "MS-I01 master data",
     "OEE live on every line for 90 days", 9.0e6, 9.0e6, (date(2023, 1, 1), 12), 15.0e6, "Excel OEE tracker"),
    ("MS-I03", MIDSTATE, "Predictive maintenance on bottleneck CNCs", "predictive maintenance", 2,
     "Failure prediction on criticality-A spindles", "unplanned_downtime_pct", "<= 4.5",
     "MS-I02 MES state data", "Unplanned downtime on bottleneck CNCs <= 4.5 % for 3 months", 6.0e6, 6.0e6,
     (date(2024, 1, 1), 12), 13.0e6, "Legacy CMMS planner"),
    ("MS-I04", MIDSTATE, "AI visual quality inspection", "ai quality", 3,
     "Inline defect detection before shipment", "defect_escape_ppm", "-40 %", "MS-I02 MES counts",
     "Escape rate -30 % over 6 months", 3.0e6, 3.0e6, (date(2025, 1, 1), 12), 8.0e6, "Paper inspection log"),
    ("GT-I01", GLOBALTECH, "Global MES rollout", "mes", 2, "Standard MES at every site", "oee_pct", ">= 70",
     "ERP harmonisation", "MES live at 8 sites", 14.0e6, 12.0e6, (date(2022, 1, 1), 36), 20.0e6, ""),
    ("GT-I02", GLOBALTECH, "Digital twins of every line", "digital twin", 3, "Virtual commissioning",
     "changeover_minutes", "-30 %", "MES data", None, 12.0e6, 10.0e6, (date(2022, 2, 1), 30), 15.0e6, ""),
    ("GT-I03", GLOBALTECH, "AI production scheduling", "ai scheduling", 3, "Optimised sequencing",
     "schedule_adherence_pct", ">= 95", "MES data, clean routings", "Adherence >= 95 % for 3 months",
     10.0e6, 8.0e6, (date(2022, 2, 1), 30), 12.0e6, ""),
    ("GT-I04", GLOBALTECH, "AMR intralogistics fleet", "amr", 4, "Autonomous material flow", "forklift_hours",
     None, "Digital twin, WMS", None, 12.0e6, 9.0e6, (date(2022, 3, 1), 24), 18.0e6, ""),
    ("GT-I05", GLOBALTECH, "Predictive maintenance", "predictive maintenance", 2, "Failure prediction",
     "unplanned_downtime_pct", "<= 6", "MES state data", "Downtime <= 6 % for 3 months", 6.0e6, 5.0e6,
     (date(2022, 3, 1), 24), 8.0e6, "Legacy CMMS"),
    ("GT-I06", GLOBALTECH, "Supply-chain control tower", "control tower", 3, "End-to-end supply visibility",
     "otif_pct", ">= 95", None, "OTIF >= 95 % for 3 months", 6.0e6, 4.0e6, (date(2022, 4, 1), 24), 7.0e6, ""),
]
INITIATIVE_COLUMNS = ["initiative_id", "company", "name", "technology", "wave", "capability_enabled",
                      "outcome_kpi", "outcome_target", "dependencies", "exit_criteria", "total_budget", "spend",
                      "spend_window", "planned_annual_benefit", "systems_sunset"]


def initiative_rows() -> list[dict]:
    """Initiatives with license and change budgets derived from the company's category shares."""
    rows = []
    for values in INITIATIVES:
        r = dict(zip(INITIATIVE_COLUMNS, values))
        shares = SPEND_SHARES[r["company"]]
        r["license_budget"] = round(r["total_budget"] * shares["license"], 2)
        r["change_budget"] = round(r["total_budget"] * (shares["integration"] + shares["change_management"]
                                                        + shares["training"]), 2)
        r["systems_sunset"] = r["systems_sunset"] or None
        rows.append(r)
    return rows


INITIATIVE_BY_ID = {r["initiative_id"]: r for r in initiative_rows()}

# ---------------------------------------------------------------- pilots
MIDSTATE_PLANTS = [p.plant_id for p in PLANTS if p.company == MIDSTATE]
GLOBALTECH_PLANTS = [p.plant_id for p in PLANTS if p.company == GLOBALTECH]
SCRIPT_PILOT_NAME = "<script>alert(1)</script>"
UNICODE_PILOT_NAME = "Qualitätsprüfung Linie 2 – Ø"
AI_QUALITY_LINE = "MS01-L1"

# MidState rolls each wave out plant by plant (SPEC §4 "big bang": no initiative may start pilots at >= 3 plants
# within 90 days). Plant k (0..3 in MIDSTATE_PLANTS order) starts `k × stagger` days after the first plant. One pilot
# per plant: 46 days keep plants k and k+2 92 days apart. PdM runs two vendors per plant, vendor B 21 days after
# vendor A, so its stagger is 61 days: vendor B at plant k and vendor A at plant k+2 are 2 × 61 − 21 = 101 days apart.
MS_STAGGER_DAYS = {"MS-I01": 46, "MS-I02": 46, "MS-I03": 61}
PDM_VENDOR_B_LAG_DAYS = 21
STALLED_PLANT = "MS03"  # its MES pilot stalls past planned end + grace (visible at 2023-09-30), then is scaled


def _next_month(d: date) -> date:
    return add_months(month_start(d), 1)


def midstate_schedule() -> dict[tuple[str, str], dict]:
    """Per (initiative, plant): MidState pilot dates and the first benefit month that follows from them.

    Waves stay in order at every plant: master data in 2022 (gate 1 → 2 passed by the turn of 2022/23), MES and OEE
    from 2023-01-16, predictive maintenance in 2024 with >= 3 measured benefit months at every plant by 2024-12-31
    (gate 2 → 3 during 2024), AI quality at MS01 in 2025.
    """
    out = {}
    for k, plant in enumerate(MIDSTATE_PLANTS):
        o = timedelta(days=MS_STAGGER_DAYS["MS-I01"] * k)
        scaled = date(2022, 7, 15) + o
        out[("MS-I01", plant)] = dict(start=date(2022, 2, 1) + o, planned_end=date(2022, 6, 30) + o, scaled=scaled,
                                      benefit_from=max(date(2022, 10, 1), _next_month(scaled)))
        o = timedelta(days=MS_STAGGER_DAYS["MS-I02"] * k)
        start = date(2023, 1, 16) + o
        if plant == STALLED_PLANT:
            planned_end, scaled = date(2023, 6, 30), date(2023, 10, 16)
        else:
            planned_end, scaled = date(2023, 4, 30) + o, date(2023, 5, 15) + o
        out[("MS-I02", plant)] = dict(start=start, planned_end=planned_end, scaled=scaled,
                                      benefit_from=max(date(2023, 6, 1), _next_month(scaled)))
        o = timedelta(days=MS_STAGGER_DAYS["MS-I03"] * k)
        a_start = date(2024, 1, 3) + o
        b_start = a_start + timedelta(days=PDM_VENDOR_B_LAG_DAYS)
        b_scaled = b_start + timedelta(days=135)
        out[("MS-I03", plant)] = dict(
            vendor_a_start=a_start, vendor_a_planned_end=a_start + timedelta(days=83),
            vendor_a_stopped=a_start + timedelta(days=67),
            start=b_start, planned_end=b_start + timedelta(days=120), scaled=b_scaled,
            # the model goes live on the pilot line two months into vendor B's pilot, on the plant's other lines
            # the month after it is scaled; measured benefit months start with the pilot line
            benefit_from=add_months(month_start(b_start), 2), other_lines_from=_next_month(b_scaled))
    return out


MIDSTATE_SCHEDULE = midstate_schedule()
# When predictive maintenance takes bottleneck-CNC unplanned downtime from 9 % to 4 % at each MidState plant.
PDM_EFFECTIVE = {plant: {"pilot_line": MIDSTATE_SCHEDULE[("MS-I03", plant)]["benefit_from"],
                         "other_lines": MIDSTATE_SCHEDULE[("MS-I03", plant)]["other_lines_from"]}
                 for plant in MIDSTATE_PLANTS}


def pilot_rows() -> tuple[list[dict], list[dict]]:
    """All pilots and their status logs: (pilots, status log entries)."""
    pilots, log = [], []

    def add(pilot_id, initiative_id, plant_id, name, scope, wc, start, planned_end, events):
        pilots.append(dict(pilot_id=pilot_id, initiative_id=initiative_id, plant_id=plant_id, pilot_name=name,
                           scope=scope, work_center_id=wc, started_on=start, planned_end_on=planned_end))
        log.append(dict(pilot_id=pilot_id, status_on=start, status="running", note="Pilot started"))
        for on, status, note in events:
            log.append(dict(pilot_id=pilot_id, status_on=on, status=status, note=note))

    n = 0
    for plant in MIDSTATE_PLANTS:
        d = MIDSTATE_SCHEDULE[("MS-I01", plant)]
        n += 1
        add(f"MS-P{n:02d}", "MS-I01", plant, f"Master data cleanup {plant}-L1", "line", f"{plant}-L1-ASM",
            d["start"], d["planned_end"], [(d["scaled"], "scaled", "Rolled out to all lines")])
        d = MIDSTATE_SCHEDULE[("MS-I02", plant)]
        n += 1
        if plant == STALLED_PLANT:  # stalls past planned end + grace, then is scaled: the funnel edge case
            events = [(date(2023, 6, 1), "running", "Waiting for network upgrade"),
                      (d["scaled"], "scaled", "Rolled out after network upgrade")]
        else:
            events = [(d["scaled"], "scaled", "Rolled out to all lines")]
        add(f"MS-P{n:02d}", "MS-I02", plant, f"MES and OEE {plant}-L1", "line", f"{plant}-L1-CNC",
            d["start"], d["planned_end"], events)
        d = MIDSTATE_SCHEDULE[("MS-I03", plant)]
        n += 1
        add(f"MS-P{n:02d}", "MS-I03", plant, f"PdM vendor A {plant}-L1 CNC", "line", f"{plant}-L1-CNC",
            d["vendor_a_start"], d["vendor_a_planned_end"],
            [(d["vendor_a_stopped"], "stopped", "Model missed exit criteria")])
        n += 1
        add(f"MS-P{n:02d}", "MS-I03", plant, f"PdM vendor B {plant}-L1 CNC", "line", f"{plant}-L1-CNC",
            d["start"], d["planned_end"], [(d["scaled"], "scaled", "Rolled out to all bottleneck CNCs")])
    n += 1
    add(f"MS-P{n:02d}", "MS-I04", "MS01", "AI visual inspection MS01-L1", "line", f"{AI_QUALITY_LINE}-ASM",
        date(2025, 1, 13), date(2026, 3, 31), [])

    fates = {  # (initiative, plant): fate
        ("GT-I01", "GT01"): ("scaled", date(2023, 2, 15)), ("GT-I01", "GT02"): ("scaled", date(2023, 3, 1)),
        ("GT-I01", "GT03"): ("stopped", date(2023, 1, 31)),
        ("GT-I02", "GT03"): ("stalled", None), ("GT-I02", "GT04"): ("stopped", date(2023, 3, 31)),
        ("GT-I02", "GT05"): ("stalled", None),
        ("GT-I03", "GT04"): ("stopped", date(2023, 2, 28)), ("GT-I03", "GT06"): ("stalled", None),
        ("GT-I03", "GT07"): ("stopped", date(2023, 4, 30)),
        ("GT-I04", "GT05"): ("stalled", None), ("GT-I04", "GT07"): ("stopped", date(2023, 6, 30)),
        ("GT-I04", "GT08"): ("stalled", None),
        ("GT-I05", "GT06"): ("stopped", date(2023, 1, 15)), ("GT-I05", "GT08"): ("stopped", date(2023, 5, 31)),
        ("GT-I05", "GT01"): ("stalled", None),
        ("GT-I06", "GT02"): ("stalled", None), ("GT-I06", "GT03"): ("stopped", date(2023, 3, 15)),
        ("GT-I06", "GT08"): ("stopped", date(2023, 7, 31)),
    }
    order = ["GT-I01", "GT-I02", "GT-I03", "GT-I04", "GT-I05", "GT-I06"]
    g = 0
    for i, init in enumerate(order):
        plants = [p for (ii, p) in fates if ii == init]
        scope = "plant" if i % 2 == 0 else "multi_plant"
        for k, plant in enumerate(plants):
            g += 1
            start = date(2022, 2, 1) + timedelta(days=10 * i + 25 * k)
            fate, on = fates[(init, plant)]
            events = [] if fate == "stalled" else [(on, fate, "Scaled to site" if fate == "scaled" else
                                                    "Stopped: business case not met")]
            if fate == "stalled":
                events = [(start + timedelta(days=200), "running", "Extended: waiting for integration")]
            name = f"{INITIATIVE_BY_ID[init]['name']} {plant}"
            add(f"GT-P{g:02d}", init, plant, name, scope, None, start, start + timedelta(days=180), events)
    add("GT-P19", "GT-I03", "GT02", SCRIPT_PILOT_NAME, "plant", None, date(2025, 9, 1), date(2026, 3, 31), [])
    add("GT-P20", "GT-I02", "GT05", UNICODE_PILOT_NAME, "plant", None, date(2025, 10, 1), date(2026, 4, 30), [])
    return pilots, log


def pilot_fate(pilot: dict, log: list[dict], as_of: date = AS_OF) -> str | None:
    """running / scaled / stopped / stalled on as_of (None if not started): SPEC §4 funnel rule."""
    entries = sorted((e["status_on"], e["status"]) for e in log
                     if e["pilot_id"] == pilot["pilot_id"] and e["status_on"] <= as_of)
    if not entries:
        return None
    status = entries[-1][1]
    if status == "running" and pilot["planned_end_on"] + timedelta(days=STALL_GRACE_DAYS) < as_of:
        return "stalled"
    return status


# ---------------------------------------------------------------- benefits
# (initiative, plants, first month (or {plant: first month}), months or None = to the end, monthly benefit $,
#  kpi direction, baseline, measured). MidState's first months follow each plant's pilots (MIDSTATE_SCHEDULE).
def _ms_first(initiative_id: str) -> dict[str, date]:
    return {plant: MIDSTATE_SCHEDULE[(initiative_id, plant)]["benefit_from"] for plant in MIDSTATE_PLANTS}


BENEFIT_PLANS = [
    ("MS-I01", MIDSTATE_PLANTS, _ms_first("MS-I01"), None, 5.6e6 / 12 / 4, "lower_is_better", 42.0, 9.0),
    ("MS-I02", MIDSTATE_PLANTS, _ms_first("MS-I02"), None, 14.0e6 / 12 / 4, "higher_is_better", 58.0, 67.0),
    ("MS-I03", MIDSTATE_PLANTS, _ms_first("MS-I03"), None, 12.0e6 / 12 / 4, "lower_is_better", 9.0, 4.0),
    ("MS-I04", ["MS01"], date(2025, 3, 1), None, 6.4e6 / 10, "lower_is_better", 900.0, 540.0),
    ("GT-I01", ["GT01", "GT02"], date(2023, 4, 1), None, 0.30e6, "higher_is_better", 55.0, 60.0),
    ("GT-I02", ["GT03"], date(2022, 9, 1), 2, 0.20e6, "lower_is_better", 95.0, 80.0),
    ("GT-I03", ["GT04"], date(2022, 10, 1), 4, -0.15e6, "higher_is_better", 88.0, 85.0),
]


def benefit_rows(rng) -> list[dict]:
    """Monthly benefit log rows; monthly realised benefit ≈ the plan's monthly $ with ±3 % noise."""
    rows = []
    for init, plants, firsts, months, monthly, direction, baseline, measured in BENEFIT_PLANS:
        kpi = INITIATIVE_BY_ID[init]["outcome_kpi"]
        improvement = abs(measured - baseline)
        sign = 1.0 if monthly >= 0 else -1.0
        for plant in plants:
            first = firsts[plant] if isinstance(firsts, dict) else firsts
            n = months or ((PERIOD_END.year - first.year) * 12 + PERIOD_END.month - first.month + 1)
            base_volume = 1000.0 + 250.0 * (int(plant[2:]) % 4)
            value_per_unit = round(abs(monthly) / (improvement * base_volume), 4)
            for k in range(n):
                month = add_months(first, k)
                noise = 1.0 + rng.uniform(-0.03, 0.03)
                step = improvement * noise * sign
                m = baseline - step if direction == "lower_is_better" else baseline + step
                rows.append(dict(initiative_id=init, plant_id=plant, month=month, kpi=kpi, direction=direction,
                                 baseline_value=baseline, measured_value=round(m, 4),
                                 value_per_unit=value_per_unit,
                                 volume=round(base_volume * (1 + rng.uniform(-0.02, 0.02)), 1)))
    return rows


def realised_benefit(row: dict) -> float:
    """SPEC §4: improvement (sign by direction) × value_per_unit × volume."""
    d = row["baseline_value"] - row["measured_value"]
    if row["direction"] == "higher_is_better":
        d = -d
    return d * row["value_per_unit"] * row["volume"]


# ---------------------------------------------------------------- systems
def system_rows() -> list[dict]:
    """Application landscape with introduction dates (introduced_on is not a landed column)."""
    rows = []
    for plant in MIDSTATE_PLANTS:
        sched = {i: MIDSTATE_SCHEDULE[(i, plant)] for i in ("MS-I01", "MS-I02", "MS-I03")}

        def retire(on: date, initiative_id: str) -> date:  # never before the replacing pilot is scaled at the plant
            return max(on, sched[initiative_id]["scaled"] + timedelta(days=30))

        retired = [("Access material database", "master_data", retire(date(2022, 12, 15), "MS-I01"), "MS-I01"),
                   ("Excel OEE tracker", "reporting", retire(date(2023, 9, 30), "MS-I02"), "MS-I02"),
                   ("Legacy CMMS planner", "maintenance", retire(date(2024, 10, 31), "MS-I03"), "MS-I03")]
        new = [("SAP MDG", "master_data", max(date(2022, 3, 1), sched["MS-I01"]["start"])),
               ("MES", "mes", sched["MS-I02"]["start"]), ("PdM platform", "maintenance", sched["MS-I03"]["start"])]
        if plant == "MS01":
            retired.append(("Paper inspection log", "quality", date(2025, 9, 30), "MS-I04"))
            new.append(("Vision QA", "quality", date(2025, 1, 13)))
        for name, cat, on, init in retired:
            rows.append(dict(plant_id=plant, name=name, category=cat, introduced_on=date(2015, 1, 1),
                             retired_on=on, replaced_by_initiative=init))
        for name, cat, on in new:
            rows.append(dict(plant_id=plant, name=name, category=cat, introduced_on=on, retired_on=None,
                             replaced_by_initiative=None))
    for plant in GLOBALTECH_PLANTS:
        for name, cat, on in [("Legacy MES v2", "mes", date(2012, 1, 1)),
                              ("Excel scheduling", "planning", date(2010, 1, 1)),
                              ("Legacy CMMS", "maintenance", date(2011, 1, 1)),
                              ("MES (GlobalTech)", "mes", date(2022, 3, 1)),
                              ("Digital twin platform", "simulation", date(2022, 4, 1)),
                              ("AI scheduler", "planning", date(2022, 4, 15)),
                              ("AMR fleet manager", "logistics", date(2022, 5, 1))]:
            rows.append(dict(plant_id=plant, name=name, category=cat, introduced_on=on, retired_on=None,
                             replaced_by_initiative=None))
    for i, r in enumerate(rows, 1):
        r["system_id"] = f"SYS-{i:04d}"
    return rows
