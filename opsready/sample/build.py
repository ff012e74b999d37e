"""`generate(out, seed, scale)`: write the whole sample estate under out/landing plus out/manifest.json."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from . import estate, master, mes, render
from .estate import GLOBALTECH, MIDSTATE, PLANT_BY_ID, PLANTS

PILOTS_SOURCE = "pilots"


def _company_of(plant_id: str) -> str:
    return PLANT_BY_ID[plant_id].company


def _month_end_expr(col: str) -> pl.Expr:
    return pl.col(col).dt.month_end().cast(pl.Date).alias("_extract_date")


def cost_ledger_frame(seed: int) -> pl.DataFrame:
    """Postings per initiative, month, plant and category summing exactly to each initiative's spend."""
    pilots, _ = estate.pilot_rows()
    rng = np.random.default_rng([seed, 31])
    rows = []
    for init in estate.initiative_rows():
        plants = sorted({p["plant_id"] for p in pilots if p["initiative_id"] == init["initiative_id"]
                         and p["pilot_name"] not in (estate.SCRIPT_PILOT_NAME, estate.UNICODE_PILOT_NAME)})
        first, months = init["spend_window"]
        shares = estate.SPEND_SHARES[init["company"]]
        for category, share in shares.items():
            cells = [(estate.add_months(first, m), p) for m in range(months) for p in plants]
            weights = rng.uniform(0.6, 1.4, size=len(cells))
            cents = np.floor(weights / weights.sum() * init["spend"] * share * 100).astype(np.int64)
            cents[-1] += int(round(init["spend"] * share * 100)) - int(cents.sum())
            for (month, plant), c in zip(cells, cents):
                day = int(rng.integers(1, 28))
                rows.append(dict(posting_date=date(month.year, month.month, day), initiative_id=init["initiative_id"],
                                 plant_id=plant, category=category, amount=c / 100.0, currency="USD"))
    frame = pl.DataFrame(rows).sort("posting_date", "initiative_id", "plant_id", "category")
    is_ms = frame["plant_id"].str.starts_with("MS")
    ids = [f"49{n:08d}" if m else f"JL-{n:07d}" for n, m in enumerate(is_ms.to_list(), 1)]
    return frame.with_columns(pl.Series("posting_id", ids)).select(
        "posting_id", "posting_date", "initiative_id", "plant_id", "category", "amount", "currency")


def _defect_budget(source: str, extract: date, rng) -> int:
    """How many format defects a file gets: MidState rarely one, GlobalTech one to three."""
    if source.endswith("globaltech"):
        return int(rng.integers(1, 4))
    if source == PILOTS_SOURCE:
        return int(rng.integers(0, 2))
    return int(rng.random() < 0.4)


class _Writer:
    """Writes landing files and records them for the manifest."""

    def __init__(self, out: Path, seed: int):
        self.out, self.seed, self.files = out, seed, []

    def entity_file(self, source: str, extract: date, entity: str, frame: pl.DataFrame) -> None:
        profile = render.load_profile(source)
        file_name = profile["entities"][entity]["file"]
        rel = f"landing/{source}/{extract.isoformat()}/{file_name}"
        rng = render.file_seed(self.seed, rel)
        n = _defect_budget(source, extract, rng)
        if profile["format"]["type"] == "parquet":
            data, rows, quarantine = render.parquet_bytes(frame, entity, profile, n, rng)
        else:
            data, rows, quarantine = render.csv_bytes(frame, entity, profile, n, rng)
        self._write(rel, data)
        self.files.append(dict(path=rel, source=source, entity=entity, extract_date=extract.isoformat(), rows=rows,
                               quarantine=quarantine))

    def workbook(self, extract: date, frames: dict[str, pl.DataFrame]) -> None:
        profile = render.load_profile(PILOTS_SOURCE)
        rel = f"landing/{PILOTS_SOURCE}/{extract.isoformat()}/{profile['format']['file']}"
        rng = render.file_seed(self.seed, rel)
        data, stats = render.xlsx_bytes(frames, profile, _defect_budget(PILOTS_SOURCE, extract, rng), rng)
        self._write(rel, data)
        for entity, (rows, quarantine) in stats.items():
            self.files.append(dict(path=rel, source=PILOTS_SOURCE, entity=entity, extract_date=extract.isoformat(),
                                   rows=rows, quarantine=quarantine))

    def _write(self, rel: str, data: bytes) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _write_events(writer: _Writer, sources: dict[str, str], entity: str, frame: pl.DataFrame, ts: str) -> None:
    """Month-end extracts: each month's rows in the file of that month's last day, per company source."""
    frame = frame.with_columns(_month_end_expr(ts))
    for company, source in sources.items():
        plants = [p.plant_id for p in PLANTS if p.company == company]
        part = frame.filter(pl.col("plant_id").is_in(plants))
        for (extract,), rows in sorted(part.partition_by("_extract_date", as_dict=True).items()):
            writer.entity_file(source, extract, entity, rows.drop("_extract_date"))


def _add(total: dict, company: str, counts: dict) -> None:
    for entity, defects in counts.items():
        slot = total.setdefault(company, {}).setdefault(entity, {})
        for k, v in defects.items():
            slot[k] = slot.get(k, 0) + v


def register_snapshot(extract: date, pilots, log, benefits, systems) -> dict[str, pl.DataFrame]:
    """The pilot register as it stood on `extract` (canonical frames per sheet)."""
    init_cols = [c.name for c in render.ENTITIES["initiatives"].columns]
    initiatives = pl.DataFrame([{c: r[c] for c in init_cols} for r in estate.initiative_rows()],
                               schema_overrides={"outcome_target": pl.Utf8, "exit_criteria": pl.Utf8,
                                                 "dependencies": pl.Utf8, "systems_sunset": pl.Utf8})
    sys_rows = []
    for s in systems:
        if s["introduced_on"] > extract:
            continue
        retired = s["retired_on"] is not None and s["retired_on"] <= extract
        sys_rows.append(dict(system_id=s["system_id"], plant_id=s["plant_id"], name=s["name"], category=s["category"],
                             status="retired" if retired else "active", retired_on=s["retired_on"] if retired else None,
                             replaced_by_initiative=s["replaced_by_initiative"] if retired else None))
    schema = {"work_center_id": pl.Utf8, "retired_on": pl.Date, "replaced_by_initiative": pl.Utf8}

    def frame(rows, cols):
        return pl.DataFrame(rows, schema_overrides={k: v for k, v in schema.items() if k in cols}).select(cols) \
            if rows else pl.DataFrame(schema={c: pl.Utf8 for c in cols})

    return {
        "initiatives": initiatives,
        "pilots": frame([p for p in pilots if p["started_on"] <= extract], render.ENTITIES["pilots"].column_names),
        "pilot_status_log": frame([e for e in log if e["status_on"] <= extract],
                                  render.ENTITIES["pilot_status_log"].column_names),
        "benefit_log": frame([b for b in benefits if b["month"] <= extract],
                             render.ENTITIES["benefit_log"].column_names),
        "systems": frame(sys_rows, render.ENTITIES["systems"].column_names),
    }


def funnel(pilots, log, as_of: date = estate.AS_OF) -> dict[str, dict]:
    """Pilots by fate per company as of a date, with the pilot-to-scale rate."""
    out = {}
    for company, prefix in [(MIDSTATE, "MS"), (GLOBALTECH, "GT")]:
        fates = [estate.pilot_fate(p, log, as_of) for p in pilots if p["pilot_id"].startswith(prefix)]
        counts = {f: fates.count(f) for f in ("running", "scaled", "stopped", "stalled")}
        concluded = counts["scaled"] + counts["stopped"] + counts["stalled"]
        out[company] = dict(started=sum(f is not None for f in fates), **counts, concluded=concluded,
                            pilot_to_scale_rate=counts["scaled"] / concluded if concluded else None)
    return out


def generate(out: Path, seed: int = 7, scale: float = 1.0) -> dict:
    """Write the deterministic sample estate to out/landing/... and out/manifest.json; return the manifest.

    Same seed and scale give byte-identical files. `scale` multiplies lines (hence work centers and MES events).
    """
    started = time.perf_counter()
    out = Path(out)
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    rng = np.random.default_rng([seed, 1])
    writer = _Writer(out, seed)
    semantic: dict = {}
    by_snapshot: dict = {}

    plants = master.plants_frame()
    work_centers = master.work_centers_frame(scale, rng)
    materials = master.materials_frame(rng)
    clean = dict(plants=plants, work_centers=work_centers, equipment=master.equipment_frame(work_centers, rng),
                 materials=materials, bom=master.bom_frame(materials, rng))

    # ERP master + MES reason catalogue: quarter-end snapshots.
    for extract in estate.quarter_ends():
        for company, source in estate.ERP_SOURCE.items():
            frames, counts = master.dirty_snapshot(clean, company, extract, seed)
            for entity in ("plants", "work_centers", "equipment", "materials", "bom"):
                writer.entity_file(source, extract, entity, frames[entity])
            by_snapshot.setdefault(extract.isoformat(), {})[company] = counts
            if extract == estate.AS_OF:
                _add(semantic, company, counts)
            plant_ids = [p.plant_id for p in PLANTS if p.company == company]
            writer.entity_file(estate.MES_SOURCE[company], extract, "reason_codes",
                               mes.reason_catalogue_frame(plant_ids))

    # MES events and production orders: month-end extracts.
    finished = {p: g["material_id"].to_list() for (p,), g in
                materials.filter(pl.col("material_type") == "FERT").group_by("plant_id", maintain_order=True)}
    states, counts, escapes, mes_semantic = mes.mes_frames(work_centers, finished, seed, scale)
    for company, c in mes_semantic.items():
        _add(semantic, company, c)
    _write_events(writer, estate.MES_SOURCE, "machine_states", states, "started_at")
    _write_events(writer, estate.MES_SOURCE, "production_counts", counts, "hour")
    _write_events(writer, estate.MES_SOURCE, "quality_escapes", escapes, "month")
    orders, order_semantic = mes.production_orders_frame(counts, seed)
    for company, c in order_semantic.items():
        _add(semantic, company, c)
    _write_events(writer, estate.ERP_SOURCE, "production_orders", orders, "started_at")
    _write_events(writer, estate.ERP_SOURCE, "cost_ledger", cost_ledger_frame(seed), "posting_date")

    # Pilot register: quarter-end workbook snapshots.
    pilots, log = estate.pilot_rows()
    benefits = estate.benefit_rows(np.random.default_rng([seed, 41]))
    systems = estate.system_rows()
    for extract in estate.quarter_ends():
        writer.workbook(extract, register_snapshot(extract, pilots, log, benefits, systems))

    quarantine_total: dict[str, int] = {}
    for f in writer.files:
        for k, v in f["quarantine"].items():
            quarantine_total[k] = quarantine_total.get(k, 0) + v
    manifest = dict(
        seed=seed, scale=scale,
        period=dict(start=estate.PERIOD_START.isoformat(), end=estate.PERIOD_END.isoformat()),
        as_of=estate.AS_OF.isoformat(),
        companies={c: sorted(p.plant_id for p in PLANTS if p.company == c) for c in (MIDSTATE, GLOBALTECH)},
        pilots=funnel(pilots, log),
        semantic_defects=semantic,
        semantic_defects_by_snapshot=by_snapshot,
        quarantine_total=dict(sorted(quarantine_total.items())),
        rows_by_entity=_rows_by_entity(writer.files),
        files=sorted(writer.files, key=lambda f: (f["path"], f["entity"])),
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    manifest["generation_seconds"] = round(time.perf_counter() - started, 2)  # not written: varies run to run
    return manifest


def _rows_by_entity(files: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in files:
        out[f["entity"]] = out.get(f["entity"], 0) + f["rows"]
    return dict(sorted(out.items()))
