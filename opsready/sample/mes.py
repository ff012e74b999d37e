"""MES events (machine states, hourly counts, monthly quality escapes) and ERP production orders.

Per work center a continuous sequence of state intervals is drawn month by month (numpy), with the state mix set
so that unplanned downtime / planned busy time hits the story's target for that month; intervals run on across
midnight and month ends. Hourly counts follow from the RUNNING seconds in each hour.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import polars as pl

from .estate import (AI_QUALITY_LINE, GLOBALTECH, MIDSTATE, PDM_EFFECTIVE, PERIOD_END, PLANT_BY_ID, add_months,
                     month_start)

STATES = ("RUNNING", "SETUP", "PLANNED_STOP", "UNPLANNED_STOP", "NO_ORDER")
MEAN_DURATION_S = np.array([5400.0, 1500.0, 2700.0, 1500.0, 5400.0])
SETUP_SHARE_OF_PBT = 0.10
PLANNED_STOP_SHARE, NO_ORDER_SHARE = 0.08, 0.10
PERFORMANCE = {MIDSTATE: 0.88, GLOBALTECH: 0.80}
REJECT_RATE = {MIDSTATE: 0.015, GLOBALTECH: 0.03}
REASON_MISSING = {MIDSTATE: 0.025, GLOBALTECH: 0.28}  # share of unplanned stops without a reason code
REASON_UNKNOWN = {MIDSTATE: 0.01, GLOBALTECH: 0.12}   # share with a code outside the plant's catalogue
OVERLAPS_PER_WC = {MIDSTATE: 1, GLOBALTECH: 4}
ESCAPE_PPM_AI_LINE = {2024: 900.0, 2025: 540.0}

REASON_CATALOGUE = {
    MIDSTATE: [("M10", "mechanical", "Spindle failure"), ("M11", "mechanical", "Tool breakage"),
               ("M12", "mechanical", "Coolant pump"), ("E20", "electrical", "Drive fault"),
               ("E21", "electrical", "Sensor fault"), ("P30", "material", "Material shortage"),
               ("P31", "material", "Wrong material"), ("Q40", "quality", "Quality hold"),
               ("O50", "operator", "No operator"), ("O51", "operator", "Operator training")],
    GLOBALTECH: [("BRK-MECH", "mechanical", "Mechanische Störung"), ("BRK-ELEC", "electrical", "Panne électrique"),
                 ("BRK-HYD", "mechanical", "Hydraulik"), ("MAT-SHORT", "material", "Falta de material"),
                 ("QUAL", "quality", "Contrôle qualité"), ("OPR", "operator", "Sin operario")],
}
UNKNOWN_CODES = {MIDSTATE: ["M99"], GLOBALTECH: ["XX", "OTHER", "BRK-??"]}


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def downtime_target(company: str, work_center: dict, month: date) -> float:
    """Target unplanned downtime / planned busy time for a work center in a month."""
    if company == GLOBALTECH:
        return 0.11
    if not work_center["is_bottleneck"]:
        return 0.06
    if month.year <= 2022:
        return 0.095
    pilot_line = work_center["line_id"].endswith("-L1")
    effective = PDM_EFFECTIVE[work_center["plant_id"]]["pilot_line" if pilot_line else "other_lines"]
    return 0.09 if month < effective else 0.04


def reason_catalogue_frame(plant_ids: list[str]) -> pl.DataFrame:
    """Each plant's reason catalogue (canonical reason_codes)."""
    rows = []
    for plant in plant_ids:
        company = PLANT_BY_ID[plant].company
        for code, cat, text in REASON_CATALOGUE[company]:
            rows.append(dict(plant_id=plant, reason_code=code, category=cat, description=text))
    return pl.DataFrame(rows)


def _state_intervals(company: str, wc: dict, rng: np.random.Generator, stretch: float):
    """(starts, ends, state index) arrays for one work center over its MES-live period."""
    plant = PLANT_BY_ID[wc["plant_id"]]
    t = _epoch(plant.mes_live_from)
    end_all = _epoch(PERIOD_END) + 86400
    means = MEAN_DURATION_S * stretch
    starts, durs, states = [], [], []
    month = month_start(plant.mes_live_from)
    while t < end_all:
        month_end = min(_epoch(add_months(month, 1)), end_all)
        d = downtime_target(company, wc, month)
        pbt = 1.0 - PLANNED_STOP_SHARE - NO_ORDER_SHARE
        shares = np.array([pbt * (1 - d - SETUP_SHARE_OF_PBT), pbt * SETUP_SHARE_OF_PBT, PLANNED_STOP_SHARE,
                           pbt * d, NO_ORDER_SHARE])
        p = shares / means
        p /= p.sum()
        while t < month_end:
            n = int((month_end - t) / float((p * means).sum()) * 1.3) + 8
            s = rng.choice(5, size=n, p=p)
            dur = np.maximum(60, np.rint(rng.gamma(2.0, means[s] / 2.0))).astype(np.int64)
            st = t + np.concatenate([[0], np.cumsum(dur)[:-1]])
            keep = st < month_end
            starts.append(st[keep]); durs.append(dur[keep]); states.append(s[keep])
            t = int(st[keep][-1] + dur[keep][-1])
        month = add_months(month, 1)
    st, du, sa = np.concatenate(starts), np.concatenate(durs), np.concatenate(states)
    keep = st < end_all
    st, du, sa = st[keep], du[keep], sa[keep]
    en = np.minimum(st + du, end_all)  # the last interval ends with the period
    return st, en, sa


def _running_seconds_per_hour(starts, ends, states, hours):
    """RUNNING seconds inside each hour [h, h+3600) from non-overlapping intervals."""
    run = np.where(states == 0, ends - starts, 0)
    cum = np.concatenate([[0], np.cumsum(run)])

    def running_until(t):
        i = np.searchsorted(starts, t, side="right") - 1
        inside = np.where(i >= 0, np.clip(t - starts[np.maximum(i, 0)], 0, (ends - starts)[np.maximum(i, 0)]), 0)
        inside = np.where((i >= 0) & (states[np.maximum(i, 0)] == 0), inside, 0)
        return cum[np.maximum(i, 0)] * (i >= 0) + inside

    return running_until(hours + 3600) - running_until(hours)


def mes_frames(work_centers: pl.DataFrame, finished: dict[str, list[str]], seed: int, scale: float):
    """Canonical machine_states, production_counts and quality_escapes for every work center, plus defect counts."""
    stretch = 1.0 / scale if scale < 1 else 1.0
    state_parts, count_parts = [], []
    semantic: dict[str, dict[str, dict[str, int]]] = {c: {"machine_states": {
        "missing_reason_code": 0, "unknown_reason_code": 0, "overlapping_interval": 0}} for c in (MIDSTATE, GLOBALTECH)}
    for k, wc in enumerate(work_centers.iter_rows(named=True)):
        company = PLANT_BY_ID[wc["plant_id"]].company
        rng = np.random.default_rng([seed, 1000 + k])
        st, en, sa = _state_intervals(company, wc, rng, stretch)
        # Production counts from the clean intervals.
        first_hour = st[0] - st[0] % 3600
        hours = np.arange(first_hour, en[-1], 3600, dtype=np.int64)
        run_s = _running_seconds_per_hour(st, en, sa, hours)
        perf = np.clip(rng.normal(PERFORMANCE[company], 0.04, size=hours.size), 0.5, 0.99)
        produced = np.floor(run_s * perf / wc["ideal_cycle_time_s"]).astype(np.int64)
        rejected = rng.binomial(produced, REJECT_RATE[company])
        mats = finished[wc["plant_id"]]
        day_index = (hours - hours[0]) // 86400
        material = np.array(mats, dtype=object)[rng.integers(0, len(mats), size=int(day_index[-1]) + 1)][day_index]
        has = produced > 0
        count_parts.append(pl.DataFrame({
            "plant_id": wc["plant_id"], "work_center_id": wc["work_center_id"],
            "hour": hours[has] * 1_000_000, "material_id": material[has].tolist(),
            "produced_qty": produced[has].astype(np.float64), "good_qty": (produced - rejected)[has].astype(np.float64),
            "reject_qty": rejected[has].astype(np.float64)}).with_columns(pl.col("hour").cast(pl.Datetime("us"))))
        # Reason codes on unplanned stops: catalogue codes, some missing, some unknown.
        codes = [c for c, _, _ in REASON_CATALOGUE[company]]
        reason = np.array(codes, dtype=object)[rng.integers(0, len(codes), size=st.size)]
        u = rng.uniform(size=st.size)
        unplanned = sa == 3
        missing = unplanned & (u < REASON_MISSING[company])
        unknown = unplanned & (u >= REASON_MISSING[company]) & (u < REASON_MISSING[company] + REASON_UNKNOWN[company])
        unknown_codes = UNKNOWN_CODES[company]
        reason[unknown] = np.array(unknown_codes, dtype=object)[rng.integers(0, len(unknown_codes), unknown.sum())]
        reason[~unplanned | missing] = None
        semantic[company]["machine_states"]["missing_reason_code"] += int(missing.sum())
        semantic[company]["machine_states"]["unknown_reason_code"] += int(unknown.sum())
        # Overlapping intervals: a few intervals end after the next one started.
        n_over = OVERLAPS_PER_WC[company]
        over = rng.choice(st.size - 1, size=n_over, replace=False)
        en = en.copy()
        en[over] = st[over + 1] + rng.integers(60, 900, size=n_over)
        semantic[company]["machine_states"]["overlapping_interval"] += n_over
        state_parts.append(pl.DataFrame({
            "plant_id": wc["plant_id"], "work_center_id": wc["work_center_id"],
            "started_at": st * 1_000_000, "ended_at": en * 1_000_000,
            "state": np.array(STATES, dtype=object)[sa].tolist(), "reason_code": reason.tolist()},
            schema_overrides={"reason_code": pl.Utf8}).with_columns(
            pl.col("started_at").cast(pl.Datetime("us")), pl.col("ended_at").cast(pl.Datetime("us"))))
    states = pl.concat(state_parts)
    counts = pl.concat(count_parts)
    escapes = quality_escapes_frame(counts, work_centers, seed)
    return states, counts, escapes, semantic


def quality_escapes_frame(counts: pl.DataFrame, work_centers: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Monthly shipped units (= good quantity) and escaped defects per work center."""
    monthly = (counts.group_by("plant_id", "work_center_id", pl.col("hour").dt.truncate("1mo").dt.date().alias("month"))
               .agg(pl.col("good_qty").sum().cast(pl.Int64).alias("shipped_units"))
               .sort("plant_id", "work_center_id", "month"))
    line_of = dict(zip(work_centers["work_center_id"], work_centers["line_id"]))
    rng = np.random.default_rng([seed, 77])
    base_ppm = {wc: float(rng.uniform(500, 1500)) for wc in work_centers["work_center_id"]}
    escaped = []
    for wc, month, shipped in monthly.select("work_center_id", "month", "shipped_units").iter_rows():
        if line_of[wc] == AI_QUALITY_LINE:
            ppm = ESCAPE_PPM_AI_LINE[min(max(month.year, 2024), 2025)]
        else:
            ppm = base_ppm[wc]
        escaped.append(int(round(shipped * ppm / 1e6)))
    return monthly.with_columns(pl.Series("escaped_defects", escaped, dtype=pl.Int64))


def production_orders_frame(counts: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, dict]:
    """One production order per work center and UTC day, confirmed from the hourly counts; a few orphan materials."""
    daily = (counts.group_by("plant_id", "work_center_id", pl.col("hour").dt.date().alias("day"))
             .agg(pl.col("material_id").first(), pl.col("produced_qty").sum(), pl.col("good_qty").sum(),
                  pl.col("reject_qty").sum(), pl.col("hour").min().alias("started_at"),
                  (pl.col("hour").max() + pl.duration(hours=1)).alias("finished_at"))
             .sort("plant_id", "work_center_id", "day"))
    rng = np.random.default_rng([seed, 55])
    company = daily["plant_id"].str.starts_with("MS")
    orphan_rate = np.where(company.to_numpy(), 0.002, 0.03)
    orphan = rng.uniform(size=daily.height) < orphan_rate
    daily = daily.with_columns(
        pl.when(pl.Series(orphan)).then(pl.lit("ORPH-") + pl.col("material_id")).otherwise(pl.col("material_id"))
        .alias("material_id"),
        (pl.col("produced_qty") * 1.05 / 10).ceil().mul(10).alias("planned_qty"),
        pl.col("good_qty").alias("yield_qty"), pl.col("reject_qty").alias("scrap_qty"))
    ms = daily.filter(pl.col("plant_id").str.starts_with("MS"))
    gt = daily.filter(~pl.col("plant_id").str.starts_with("MS"))
    ms = ms.with_columns((pl.int_range(ms.height) + 1_000_001).cast(pl.Utf8).str.zfill(12).alias("order_id"))
    gt = gt.with_columns((pl.lit("WO-") + (pl.int_range(gt.height) + 500_001).cast(pl.Utf8)).alias("order_id"))
    cols = ["order_id", "plant_id", "work_center_id", "material_id", "planned_qty", "yield_qty", "scrap_qty",
            "started_at", "finished_at"]
    orders = pl.concat([ms.select(cols), gt.select(cols)])
    semantic = {MIDSTATE: {"production_orders": {"orphan_material": int(orphan[company.to_numpy()].sum())}},
                GLOBALTECH: {"production_orders": {"orphan_material": int(orphan[~company.to_numpy()].sum())}}}
    return orders, semantic
