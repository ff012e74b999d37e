"""Add one more day of MES data to a generated estate: the "+1 day" of an incremental nightly.

`extend_one_day(root)` writes a new extract folder `YYYY-MM-DD` (the day after the newest MES extract) into
`landing/mes-midstate/` and `landing/mes-globaltech/`, holding that UTC day's machine states and hourly production
counts for every work center of the estate, each in its source's profile shape (Parquet with numeric state codes,
CSV with text states, defect rows included) through the generator's own renderer. The work centers, materials and
state mix are the estate's (same seed and scale, from manifest.json); the day's intervals start at 00:00 UTC, where
the estate's (or the previous extension's) last interval ends, and the last one ends at the next midnight. The
manifest gains the new files and `extended_to`. Deterministic: the same estate and day give the same bytes.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

from . import master, mes
from .build import _Writer
from .estate import MES_SOURCE, PLANT_BY_ID, PLANTS, PERIOD_END


def latest_mes_extract(root: Path) -> date:
    """The newest extract date of any MES source in the estate's landing folder."""
    dates = [date.fromisoformat(p.name) for source in MES_SOURCE.values()
             for p in (Path(root) / "landing" / source).glob("????-??-??") if p.is_dir()]
    return max(dates) if dates else PERIOD_END


def _day_intervals(company: str, wc: dict, day: date, rng: np.random.Generator, stretch: float):
    """(starts, ends, state index) covering [day 00:00, next day 00:00) UTC with the generator's state mix."""
    t0 = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    t1 = t0 + 86400
    d = mes.downtime_target(company, wc, day.replace(day=1))
    means = mes.MEAN_DURATION_S * stretch
    pbt = 1.0 - mes.PLANNED_STOP_SHARE - mes.NO_ORDER_SHARE
    shares = np.array([pbt * (1 - d - mes.SETUP_SHARE_OF_PBT), pbt * mes.SETUP_SHARE_OF_PBT, mes.PLANNED_STOP_SHARE,
                       pbt * d, mes.NO_ORDER_SHARE])
    p = shares / means
    p /= p.sum()
    n = int(86400 / float((p * means).sum()) * 3) + 16
    s = rng.choice(5, size=n, p=p)
    dur = np.maximum(60, np.rint(rng.gamma(2.0, means[s] / 2.0))).astype(np.int64)
    st = t0 + np.concatenate([[0], np.cumsum(dur)[:-1]])
    keep = st < t1
    st, dur, s = st[keep], dur[keep], s[keep]
    return st, np.minimum(st + dur, t1), s


def day_frames(day: date, seed: int, scale: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Canonical machine_states and production_counts of every work center for one UTC day."""
    rng = np.random.default_rng([seed, 1])  # the generator's master-data stream: same work centers and materials
    work_centers = master.work_centers_frame(scale, rng)
    materials = master.materials_frame(rng)
    finished = {p: g["material_id"].to_list() for (p,), g in
                materials.filter(pl.col("material_type") == "FERT").group_by("plant_id", maintain_order=True)}
    stretch = 1.0 / scale if scale < 1 else 1.0
    state_parts, count_parts = [], []
    for k, wc in enumerate(work_centers.iter_rows(named=True)):
        plant = PLANT_BY_ID[wc["plant_id"]]
        if plant.mes_live_from > day:
            continue
        company = plant.company
        rng = np.random.default_rng([seed, 7000, day.toordinal(), k])
        st, en, sa = _day_intervals(company, wc, day, rng, stretch)
        hours = np.arange(st[0], st[0] + 86400, 3600, dtype=np.int64)
        run_s = mes._running_seconds_per_hour(st, en, sa, hours)
        perf = np.clip(rng.normal(mes.PERFORMANCE[company], 0.04, size=hours.size), 0.5, 0.99)
        produced = np.floor(run_s * perf / wc["ideal_cycle_time_s"]).astype(np.int64)
        rejected = rng.binomial(produced, mes.REJECT_RATE[company])
        mats = finished[wc["plant_id"]]
        has = produced > 0
        count_parts.append(pl.DataFrame({
            "plant_id": wc["plant_id"], "work_center_id": wc["work_center_id"],
            "hour": hours[has] * 1_000_000, "material_id": mats[int(rng.integers(0, len(mats)))],
            "produced_qty": produced[has].astype(np.float64), "good_qty": (produced - rejected)[has].astype(np.float64),
            "reject_qty": rejected[has].astype(np.float64)}).with_columns(pl.col("hour").cast(pl.Datetime("us"))))
        codes = [c for c, _, _ in mes.REASON_CATALOGUE[company]]
        reason = np.array(codes, dtype=object)[rng.integers(0, len(codes), size=st.size)]
        u = rng.uniform(size=st.size)
        unplanned = sa == 3
        missing = unplanned & (u < mes.REASON_MISSING[company])
        unknown = unplanned & (u >= mes.REASON_MISSING[company]) & (
            u < mes.REASON_MISSING[company] + mes.REASON_UNKNOWN[company])
        unknown_codes = mes.UNKNOWN_CODES[company]
        reason[unknown] = np.array(unknown_codes, dtype=object)[rng.integers(0, len(unknown_codes), unknown.sum())]
        reason[~unplanned | missing] = None
        state_parts.append(pl.DataFrame({
            "plant_id": wc["plant_id"], "work_center_id": wc["work_center_id"],
            "started_at": st * 1_000_000, "ended_at": en * 1_000_000,
            "state": np.array(mes.STATES, dtype=object)[sa].tolist(), "reason_code": reason.tolist()},
            schema_overrides={"reason_code": pl.Utf8}).with_columns(
            pl.col("started_at").cast(pl.Datetime("us")), pl.col("ended_at").cast(pl.Datetime("us"))))
    return pl.concat(state_parts), pl.concat(count_parts)


def extend_one_day(root: Path, day: date | None = None) -> dict:
    """Write the MES extracts of `day` (default: the day after the newest MES extract) into `root/landing`."""
    root = Path(root)
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    day = day or latest_mes_extract(root) + timedelta(days=1)
    seed, scale = int(manifest["seed"]), float(manifest["scale"])
    states, counts = day_frames(day, seed, scale)
    writer = _Writer(root, seed)
    for company, source in MES_SOURCE.items():
        plants = [p.plant_id for p in PLANTS if p.company == company]
        for entity, frame in (("machine_states", states), ("production_counts", counts)):
            writer.entity_file(source, day, entity, frame.filter(pl.col("plant_id").is_in(plants)))
    manifest["files"] = sorted(manifest["files"] + writer.files, key=lambda f: (f["path"], f["entity"]))
    manifest["extended_to"] = day.isoformat()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return dict(day=day.isoformat(), files=writer.files,
                rows={e: int(f.height) for e, f in (("machine_states", states), ("production_counts", counts))})


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="data root of a generated estate (holds landing/ and manifest.json)")
    parser.add_argument("--day", help="YYYY-MM-DD (default: the day after the newest MES extract)")
    args = parser.parse_args(argv)
    out = extend_one_day(Path(args.root), date.fromisoformat(args.day) if args.day else None)
    print(f"extended {args.root} by {out['day']}: {len(out['files'])} files, {out['rows']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
