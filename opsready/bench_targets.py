"""The targets `make bench` judges (issue 25), each worked out from the bench's own rows of one run.

- full: the full nightly at the largest scale (10) takes at most 10x the floor (one DuckDB scan of the landing files);
  shown beside it, where its time went (before the run starts, ingest, dbt build, the rest) and what its fixed
  parts cost together (Dagster's start-up probe, DuckDB's own typed load, dbt's build of the project with no rows)
- ingest (issue 23): ingest alone (the full nightly's landing step) at the largest scale takes at most 3x the floor;
  shown beside it, DuckDB's own typed load of the same files (no checks), the least any ingest into DuckDB costs
- memory: no nightly's process tree peaks above 4 GiB RSS
- growth: a +1-day night at the largest scale costs at most 1.3x the same night at the smallest (1): a night does not
  grow with history (the median of the same consecutive nights at both scales)
- fixed cost: a night with nothing new, at the largest scale, takes at most 2.5x the stack's own start-up (a
  one-asset Dagster run plus a one-model dbt run, timed in the same bench run)
- duration: the whole bench finishes in 15 minutes
A target whose rows are missing (a scale not run) is "not measured"; one whose run failed is missed.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL_X_FLOOR = 10.0
INGEST_X_FLOOR = 3.0
PEAK_RSS_MIB = 4096.0
GROWTH_X = 1.3
NOTHING_NEW_X_START_UP = 2.5
BENCH_SECONDS = 15 * 60
# the full night's parts (opsready/bench.py, full_night_parts), in the order they run, as its verdict names them
FULL_PARTS = {"before run": "before the run starts", "ingest": "ingest", "dbt build": "dbt build"}
NIGHTLY_KINDS = ("full", "incremental", "nothing new", "incremental, stock dbt resource")


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run

    def line(self) -> str:
        outcome = {True: "met", False: "missed", None: "not measured"}[self.met]
        return f"{self.target}: {self.measured} — {outcome}"


def _one(rows: list[dict], scale: float, kind: str) -> dict | None:
    found = [r for r in rows if r["scale"] == scale and r["kind"] == kind]
    return found[0] if found else None


def _judged(ok: bool, *used: dict) -> bool:
    return ok and all(r["exit_code"] == 0 for r in used)


def _against_floor(target: str, row: dict | None, floor: dict | None, limit: float,
                   bound: dict | None = None) -> Verdict:
    """A step's seconds as a multiple of the floor, judged against `limit` (ingest alone comes from the full
    nightly's log, so either missing means no full nightly). `bound`: a step that does less than this one (DuckDB's
    own typed load for ingest), whose ratio is shown beside it as the least this step could reach."""
    if not (floor and row):
        return Verdict(target, "no full nightly", None)
    ratio = row["seconds"] / floor["seconds"]
    measured = f"{ratio:.1f}x ({row['seconds']:.1f} s / {floor['seconds']:.1f} s)"
    if bound and bound["exit_code"] == 0:
        measured += f"; DuckDB's own typed load of the same files: {bound['seconds'] / floor['seconds']:.1f}x"
    return Verdict(target, measured, _judged(ratio <= limit, row))


def _all_ran(rows: list[dict | None]) -> bool:
    return all(r and r["exit_code"] == 0 for r in rows)


def _with_parts(verdict: Verdict, full: dict | None, parts: list[dict | None]) -> Verdict:
    """The full night's verdict with where its time went (the parts its log showed), so that a missed target says
    which part to look at; no parts are shown when any is missing."""
    if not full or not _all_ran(parts):
        return verdict
    named = [f"{FULL_PARTS[p['kind']]} {p['seconds']:.1f} s" for p in parts]
    rest = full["seconds"] - sum(p["seconds"] for p in parts)
    return Verdict(verdict.target, f"{verdict.measured}: {', '.join(named)}, the rest {rest:.1f} s", verdict.met)


def _with_fixed_parts(verdict: Verdict, floor: dict | None, fixed: list[dict | None]) -> Verdict:
    """The full night's verdict with what its fixed parts cost together, as a multiple of the floor: Dagster's
    start-up probe, DuckDB's own typed load of the landing files and dbt's build of the project with no rows. A full
    night pays at least these (whatever its checks and models do with the data); shown only when all were measured."""
    if not (floor and floor["seconds"] and _all_ran(fixed)):
        return verdict
    ratio = sum(p["seconds"] for p in fixed) / floor["seconds"]
    return Verdict(verdict.target, f"{verdict.measured}; its fixed parts (Dagster's start, DuckDB's typed load, dbt "
                                   f"build with no rows): {ratio:.1f}x", verdict.met)


def verdicts(rows: list[dict], start_up: dict[str, dict], bench_seconds: float) -> list[Verdict]:
    """One verdict per target. `rows` carry scale, kind ('floor', 'full', 'incremental median', 'nothing new', ...),
    seconds, exit_code and peak_rss_mib; `start_up` the probes 'dagster' and 'dbt' with their seconds."""
    scales = sorted({r["scale"] for r in rows})
    large, small = (scales[-1], scales[0]) if scales else (None, None)
    out = []

    floor = _one(rows, large, "floor")
    full_row = _one(rows, large, "full")
    full = _against_floor(f"full nightly at scale {large:g} <= {FULL_X_FLOOR:g}x the floor" if scales
                          else "full nightly", full_row, floor, FULL_X_FLOOR)
    full = _with_parts(full, full_row, [_one(rows, large, k) for k in FULL_PARTS])
    out.append(_with_fixed_parts(full, floor, [start_up.get("dagster"), _one(rows, large, "typed load"),
                                               _one(rows, large, "dbt without rows")]))
    out.append(_against_floor(f"ingest alone at scale {large:g} <= {INGEST_X_FLOOR:g}x the floor" if scales
                              else "ingest alone", _one(rows, large, "ingest"), floor, INGEST_X_FLOOR,
                              bound=_one(rows, large, "typed load")))

    nightly = [r for r in rows if r["kind"] in NIGHTLY_KINDS and r.get("peak_rss_mib") is not None]
    target = f"peak RSS <= {PEAK_RSS_MIB / 1024:g} GiB"
    if nightly:
        peak = max(nightly, key=lambda r: r["peak_rss_mib"])
        out.append(Verdict(target, f"{peak['peak_rss_mib']:.0f} MiB (scale {peak['scale']:g}, {peak['kind']})",
                           peak["peak_rss_mib"] <= PEAK_RSS_MIB))
    else:
        out.append(Verdict(target, "no nightly", None))

    big, little = _one(rows, large, "incremental median"), _one(rows, small, "incremental median")
    target = (f"+1-day night at scale {large:g} <= {GROWTH_X:g}x the same night at scale {small:g}" if scales
              else "+1-day night")
    if big and little and large != small:
        ratio = big["seconds"] / little["seconds"]
        out.append(Verdict(target, f"{ratio:.2f}x ({big['seconds']:.1f} s / {little['seconds']:.1f} s)",
                           _judged(ratio <= GROWTH_X, big, little)))
    else:
        out.append(Verdict(target, "needs +1-day nights at two scales", None))

    idle = _one(rows, large, "nothing new")
    target = (f"nothing-new night at scale {large:g} <= {NOTHING_NEW_X_START_UP:g}x the start-up probe" if scales
              else "nothing-new night")
    if idle and {"dagster", "dbt"} <= set(start_up):
        probe = start_up["dagster"]["seconds"] + start_up["dbt"]["seconds"]
        ratio = idle["seconds"] / probe
        out.append(Verdict(target, f"{ratio:.2f}x ({idle['seconds']:.1f} s / {probe:.1f} s)",
                           _judged(ratio <= NOTHING_NEW_X_START_UP, idle, start_up["dagster"], start_up["dbt"])))
    else:
        out.append(Verdict(target, "no nothing-new night or no start-up probe", None))

    out.append(Verdict(f"make bench <= {BENCH_SECONDS // 60} min", f"{bench_seconds / 60:.1f} min",
                       bench_seconds <= BENCH_SECONDS))
    return out
