"""ERP master data (plants, work centers, equipment, materials, BOM) and its dirt level per snapshot.

The clean master is built once; each quarter-end snapshot marks row defects where a fixed per-row uniform draw is
below the company's dirt level on that date, so MidState's master gets cleaner over 2022 (the dirty rows of a
later snapshot are a subset of the earlier ones) and GlobalTech's stays dirty.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from .estate import GLOBALTECH, MIDSTATE, PLANTS, lines_per_plant

# Share of rows carrying each semantic defect, by company and snapshot date.
MIDSTATE_DIRT = {date(2022, 3, 31): 0.28, date(2022, 6, 30): 0.20, date(2022, 9, 30): 0.11}
MIDSTATE_CLEAN_DIRT = 0.006
GLOBALTECH_DIRT = 0.35

INVALID_UOM = {MIDSTATE: "STK", GLOBALTECH: "pcs"}  # system codes missing from the profiles' UoM maps
UNKNOWN_WORK_CENTER = "ZZ-UNKNOWN"
DESCRIPTIONS = {MIDSTATE: {"FERT": "Gearbox housing type", "HALB": "Machined shaft type", "ROH": "Bar stock type"},
                GLOBALTECH: {"FERT": "Getriebegehäuse Typ", "HALB": "Welle gefräst Typ", "ROH": "Rundstahl Ø40 Typ"}}


def dirt_level(company: str, snapshot: date) -> float:
    """Share of master rows carrying each kind of semantic defect on a snapshot date."""
    if company == GLOBALTECH:
        return GLOBALTECH_DIRT
    return MIDSTATE_DIRT.get(snapshot, MIDSTATE_CLEAN_DIRT if snapshot > date(2022, 9, 30) else MIDSTATE_DIRT[date(2022, 3, 31)])


def plants_frame() -> pl.DataFrame:
    """The plants entity for every company."""
    return pl.DataFrame([dict(plant_id=p.plant_id, plant_name=p.plant_name, company=p.company, country=p.country,
                              timezone=p.timezone) for p in PLANTS])


def work_centers_frame(scale: float, rng: np.random.Generator) -> pl.DataFrame:
    """Two work centers per line: a bottleneck CNC (criticality A) and an assembly cell (B)."""
    rows = []
    for p in PLANTS:
        for n in range(1, lines_per_plant(p, scale) + 1):
            line = f"{p.plant_id}-L{n}"
            rows.append(dict(work_center_id=f"{line}-CNC", plant_id=p.plant_id, line_id=line,
                             description=f"CNC machining centre {line}", is_bottleneck=True,
                             ideal_cycle_time_s=float(rng.choice([40.0, 45.0, 48.0, 52.0])), criticality="A"))
            rows.append(dict(work_center_id=f"{line}-ASM", plant_id=p.plant_id, line_id=line,
                             description=f"Assembly cell {line}", is_bottleneck=False,
                             ideal_cycle_time_s=float(rng.choice([30.0, 32.0, 36.0])), criticality="B"))
    return pl.DataFrame(rows)


def equipment_frame(work_centers: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Three pieces of equipment per work center (spindle, drive, sensor pack)."""
    rows, n = [], 0
    for wc in work_centers.iter_rows(named=True):
        for kind, crit in [("spindle", wc["criticality"]), ("drive", "B"), ("sensor_pack", "C")]:
            n += 1
            rows.append(dict(equipment_id=f"{10000000 + n}", plant_id=wc["plant_id"],
                             work_center_id=wc["work_center_id"], equipment_type=kind, criticality=crit,
                             install_date=date(2008, 1, 1) + timedelta(days=int(rng.integers(0, 4000)))))
    return pl.DataFrame(rows)


def materials_frame(rng: np.random.Generator) -> pl.DataFrame:
    """150 materials per plant: 20 finished (FERT), 40 semi-finished (HALB), 90 raw (ROH)."""
    rows = []
    uoms = ["EA", "EA", "EA", "KG", "M", "L", "PAC"]
    for p in PLANTS:
        names = DESCRIPTIONS[p.company]
        for kind, count, base in [("FERT", 20, 100000), ("HALB", 40, 200000), ("ROH", 90, 300000)]:
            for i in range(count):
                uom = "EA" if kind != "ROH" else uoms[int(rng.integers(0, len(uoms)))]
                rows.append(dict(
                    plant_id=p.plant_id, material_id=f"{base + i + 1:08d}" if p.company == MIDSTATE
                    else f"GT-{kind[0]}{base + i + 1}",
                    material_type=kind, base_uom=uom,
                    description=f"{names[kind]} {i + 1:03d}",
                    standard_cost=round(float(rng.uniform(2, 400)), 2), lead_time_days=int(rng.integers(1, 60)),
                    procurement_type="make" if kind != "ROH" else "buy"))
    return pl.DataFrame(rows)


def bom_frame(materials: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Each finished material takes 3 semi-finished parts; each semi-finished part takes 2 raw materials."""
    rows = []
    for plant, group in materials.group_by("plant_id", maintain_order=True):
        by_type = {t: group.filter(pl.col("material_type") == t)["material_id"].to_list()
                   for t in ("FERT", "HALB", "ROH")}
        uom_of = dict(zip(group["material_id"], group["base_uom"]))
        for parent_type, child_type, k in [("FERT", "HALB", 3), ("HALB", "ROH", 2)]:
            for parent in by_type[parent_type]:
                for child in rng.choice(by_type[child_type], size=k, replace=False):
                    rows.append(dict(plant_id=plant[0], parent_material_id=parent, component_material_id=str(child),
                                     quantity=float(rng.integers(1, 5)), uom=uom_of[str(child)]))
    return pl.DataFrame(rows)


def _marks(n: int, seed: int, salt: int) -> np.ndarray:
    """A fixed uniform draw per row, stable across snapshots."""
    return np.random.default_rng([seed, salt]).uniform(size=n)


def dirty_snapshot(master: dict[str, pl.DataFrame], company: str, snapshot: date, seed: int
                   ) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, int]]]:
    """The company's master entities as extracted on `snapshot`, with semantic defects and their counts."""
    d = dirt_level(company, snapshot)
    plants = master["plants"].filter(pl.col("company") == company)
    ids = plants["plant_id"].to_list()
    out: dict[str, pl.DataFrame] = {"plants": plants}
    counts: dict[str, dict[str, int]] = {}
    company_salt = 1 if company == MIDSTATE else 2

    wc = master["work_centers"].filter(pl.col("plant_id").is_in(ids))
    miss = _marks(wc.height, seed, 10 + company_salt) < d
    wc = wc.with_columns(pl.when(pl.Series(miss)).then(None).otherwise(pl.col("description")).alias("description"))
    out["work_centers"] = wc
    counts["work_centers"] = {"missing_optional": int(miss.sum())}

    eq = master["equipment"].filter(pl.col("plant_id").is_in(ids))
    u = _marks(eq.height, seed, 20 + company_salt)
    unknown, missing = u < d / 2, (u >= d / 2) & (u < d)
    eq = eq.with_columns(
        pl.when(pl.Series(unknown)).then(pl.lit(UNKNOWN_WORK_CENTER)).otherwise(pl.col("work_center_id"))
        .alias("work_center_id"),
        pl.when(pl.Series(missing)).then(None).otherwise(pl.col("install_date")).alias("install_date"))
    out["equipment"] = eq
    counts["equipment"] = {"unknown_work_center": int(unknown.sum()), "missing_optional": int(missing.sum())}

    mat = master["materials"].filter(pl.col("plant_id").is_in(ids))
    n = mat.height
    u_miss, u_uom, u_cost, u_dup, u_stale = (_marks(n, seed, 30 + 10 * k + company_salt) for k in range(5))
    miss, bad_uom, bad_cost = u_miss < d, u_uom < d / 2, u_cost < d / 2
    stale = u_stale < d
    age_days = np.random.default_rng([seed, 99, company_salt, snapshot.toordinal()]).integers(1, 300, size=n)
    changed = [datetime.combine(snapshot, datetime.min.time()) - timedelta(days=int(a), hours=9) for a in age_days]
    changed = [datetime(2016, 5, 3, 14, 0) - timedelta(days=int(a)) if s else c
               for c, s, a in zip(changed, stale, age_days)]
    mat = mat.with_columns(
        pl.when(pl.Series(miss)).then(None).otherwise(pl.col("lead_time_days")).alias("lead_time_days"),
        pl.when(pl.Series(bad_uom)).then(pl.lit(INVALID_UOM[company])).otherwise(pl.col("base_uom")).alias("base_uom"),
        pl.when(pl.Series(bad_cost)).then(pl.lit(0.0)).otherwise(pl.col("standard_cost")).alias("standard_cost"),
        pl.Series("changed_at", changed, dtype=pl.Datetime("us")),
    )
    dup_idx = np.flatnonzero(u_dup < d)
    dups = mat[dup_idx.tolist()].with_columns(
        (pl.col("material_id") + "-D").alias("material_id") if company == GLOBALTECH
        else (pl.lit("9") + pl.col("material_id").str.slice(1)).alias("material_id"),
        pl.col("description").str.to_uppercase().str.replace(" ", "  ").alias("description"),
        pl.lit(None, dtype=pl.Int64).alias("lead_time_days").cast(mat.schema["lead_time_days"]),
    ) if len(dup_idx) else mat.clear()
    # The duplicate rows are clean apart from being duplicates (lead time missing is counted separately).
    dups = dups.with_columns(pl.lit(1).cast(mat.schema["lead_time_days"]).alias("lead_time_days"))
    out["materials"] = pl.concat([mat, dups])
    counts["materials"] = {"missing_optional": int(miss.sum()), "invalid_uom": int(bad_uom.sum()),
                           "nonpositive_cost": int(bad_cost.sum()), "duplicate_material": len(dup_idx),
                           "stale_changed_at": int(stale.sum())}

    bom = master["bom"].filter(pl.col("plant_id").is_in(ids))
    orphan = _marks(bom.height, seed, 90 + company_salt) < d
    bom = bom.with_columns(
        pl.when(pl.Series(orphan)).then(pl.lit("ORPH-") + pl.col("component_material_id"))
        .otherwise(pl.col("component_material_id")).alias("component_material_id"))
    out["bom"] = bom
    counts["bom"] = {"orphan_component": int(orphan.sum())}
    return out, counts
