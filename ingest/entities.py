"""The canonical landing contract (SPEC §3): every entity, its key and its typed columns.

This module is the one place that says what a canonical row looks like. Source profiles
(`ingest/profiles/*.yaml`) map a system's own files onto these entities; the sample-estate
generator renders these entities into the systems' shapes; ingest checks every row against
them; the dbt sources (`dbt_project/models/staging/__sources.yml`) name the resulting
`raw.<entity>` tables.

Types are DuckDB type names. Timestamps are naive UTC; dates are calendar dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.domains import domain_codes

# Lineage columns ingest adds to every raw table.
LINEAGE_COLUMNS: dict[str, str] = {
    "_source": "VARCHAR",  # landing folder name = source system id, e.g. erp-midstate
    "_extract_date": "DATE",  # the <extract_date> folder
    "_file": "VARCHAR",  # path relative to $OPSREADY_DATA/landing
    "_row": "BIGINT",  # 1-based data row number in the file (sheet row for Excel)
    "_load_id": "VARCHAR",  # audit.load_log.load_id
}

SOURCE_KINDS = ("erp", "mes", "pilots")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, DATE, TIMESTAMP, DOUBLE, BIGINT, BOOLEAN
    required: bool = False  # a null here quarantines the row
    domain: tuple[str, ...] | None = None  # allowed values (after profile code mapping)
    # VARCHAR: free text (control characters other than tab and line ends are removed) or, if False, an id or code
    # (a control character quarantines the row: a NUL in an id would make a phantom record)
    text: bool = False
    upper: bool = False  # codes compared without case: loaded in upper case (reason codes)
    # DATE/TIMESTAMP: something the extract observed, so not later than its extract date plus the profile's margin
    observed: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str  # erp, mes or pilots: which source kind delivers it
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""
    snapshot: bool = False  # True: each extract is a full snapshot; False: each extract adds events
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name, type_="VARCHAR", required=False, domain=None, text=False, upper=False, observed=False):
    return Column(name, type_, required, tuple(domain) if domain else None, text, upper, observed)


def _text(name):
    return _c(name, text=True)


# Checked domains: config/domains.yaml (each code with its description).
STATES = domain_codes("machine_state")
COST_CATEGORIES = domain_codes("cost_category")
PILOT_SCOPES = domain_codes("pilot_scope")
PILOT_STATUSES = domain_codes("pilot_status")
DIRECTIONS = domain_codes("benefit_direction")

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "plants", "erp", ("plant_id",),
            (_c("plant_id", required=True), _text("plant_name"), _c("company", required=True), _c("country"),
             _c("timezone", required=True)),
            "Plants with the company that owns them and their IANA time zone.", snapshot=True,
        ),
        Entity(
            "work_centers", "erp", ("work_center_id",),
            (_c("work_center_id", required=True), _c("plant_id", required=True), _c("line_id", required=True),
             _text("description"), _c("is_bottleneck", "BOOLEAN"), _c("ideal_cycle_time_s", "DOUBLE"),
             _c("criticality")),
            "Work centers (machines or cells) grouped into lines.", snapshot=True,
        ),
        Entity(
            "equipment", "erp", ("equipment_id",),
            (_c("equipment_id", required=True), _c("plant_id", required=True), _c("work_center_id"),
             _c("equipment_type"), _c("criticality"), _c("install_date", "DATE")),
            "Maintainable equipment; criticality A/B/C.", snapshot=True,
        ),
        Entity(
            "materials", "erp", ("plant_id", "material_id"),
            (_c("plant_id", required=True), _c("material_id", required=True), _c("material_type"),
             _c("base_uom"), _text("description"), _c("standard_cost", "DOUBLE"), _c("lead_time_days", "BIGINT"),
             _c("procurement_type"), _c("changed_at", "TIMESTAMP", observed=True)),
            "Plant-level material master.", snapshot=True,
        ),
        Entity(
            "bom", "erp", ("plant_id", "parent_material_id", "component_material_id"),
            (_c("plant_id", required=True), _c("parent_material_id", required=True),
             _c("component_material_id", required=True), _c("quantity", "DOUBLE"), _c("uom")),
            "Bill of materials lines.", snapshot=True,
        ),
        Entity(
            "production_orders", "erp", ("order_id",),
            (_c("order_id", required=True), _c("plant_id", required=True), _c("work_center_id"),
             _c("material_id"), _c("planned_qty", "DOUBLE"), _c("yield_qty", "DOUBLE"), _c("scrap_qty", "DOUBLE"),
             _c("started_at", "TIMESTAMP", observed=True), _c("finished_at", "TIMESTAMP", observed=True)),
            "Production orders with confirmed yield and scrap.",
        ),
        Entity(
            "cost_ledger", "erp", ("posting_id",),
            (_c("posting_id", required=True), _c("posting_date", "DATE", required=True, observed=True), _c("initiative_id"),
             _c("plant_id"), _c("category", required=True, domain=COST_CATEGORIES),
             _c("amount", "DOUBLE", required=True), _c("currency", required=True)),
            "Cost postings against roadmap initiatives.",
        ),
        Entity(
            "machine_states", "mes", ("plant_id", "work_center_id", "started_at"),
            (_c("plant_id", required=True), _c("work_center_id", required=True),
             _c("started_at", "TIMESTAMP", required=True, observed=True),
             _c("ended_at", "TIMESTAMP", required=True, observed=True),
             _c("state", required=True, domain=STATES), _c("reason_code", upper=True)),
            "Machine state intervals from MES.",
        ),
        Entity(
            "production_counts", "mes", ("plant_id", "work_center_id", "hour"),
            (_c("plant_id", required=True), _c("work_center_id", required=True),
             _c("hour", "TIMESTAMP", required=True, observed=True), _c("material_id"), _c("produced_qty", "DOUBLE", required=True),
             _c("good_qty", "DOUBLE", required=True), _c("reject_qty", "DOUBLE")),
            "Hourly produced, good and rejected quantities from MES.",
        ),
        Entity(
            "quality_escapes", "mes", ("plant_id", "work_center_id", "month"),
            (_c("plant_id", required=True), _c("work_center_id", required=True), _c("month", "DATE", required=True, observed=True),
             _c("shipped_units", "BIGINT", required=True), _c("escaped_defects", "BIGINT", required=True)),
            "Monthly shipped units and defects that escaped to customers, per work center.",
        ),
        Entity(
            "reason_codes", "mes", ("plant_id", "reason_code"),
            (_c("plant_id", required=True), _c("reason_code", required=True, upper=True), _c("category"),
             _text("description")),
            "Each plant's standard downtime reason catalogue.", snapshot=True,
        ),
        Entity(
            "initiatives", "pilots", ("initiative_id",),
            (_c("initiative_id", required=True), _c("company", required=True), _text("name"), _text("technology"),
             _c("wave", "BIGINT", required=True), _text("capability_enabled"), _text("outcome_kpi"),
             _text("outcome_target"), _text("dependencies"), _text("exit_criteria"), _c("license_budget", "DOUBLE"),
             _c("change_budget", "DOUBLE"), _c("total_budget", "DOUBLE"), _c("planned_annual_benefit", "DOUBLE"),
             _text("systems_sunset")),
            "Roadmap initiatives with the four answers, budgets and planned benefit.", snapshot=True,
        ),
        Entity(
            "pilots", "pilots", ("pilot_id",),
            (_c("pilot_id", required=True), _c("initiative_id", required=True), _c("plant_id", required=True),
             _text("pilot_name"), _c("scope", domain=PILOT_SCOPES), _c("work_center_id"),
             _c("started_on", "DATE", required=True), _c("planned_end_on", "DATE")),
            "Pilots of initiatives at plants.", snapshot=True,
        ),
        Entity(
            "pilot_status_log", "pilots", ("pilot_id", "status_on"),
            (_c("pilot_id", required=True), _c("status_on", "DATE", required=True, observed=True),
             _c("status", required=True, domain=PILOT_STATUSES), _text("note")),
            "Every status change of every pilot.", snapshot=True,
        ),
        Entity(
            "benefit_log", "pilots", ("initiative_id", "plant_id", "month"),
            (_c("initiative_id", required=True), _c("plant_id", required=True),
             _c("month", "DATE", required=True, observed=True), _text("kpi"), _c("direction", domain=DIRECTIONS), _c("baseline_value", "DOUBLE"),
             _c("measured_value", "DOUBLE"), _c("value_per_unit", "DOUBLE"), _c("volume", "DOUBLE")),
            "Monthly measured benefit per initiative and plant.", snapshot=True,
        ),
        Entity(
            "systems", "pilots", ("system_id",),
            (_c("system_id", required=True), _c("plant_id"), _text("name"), _text("category"),
             _c("status", domain=domain_codes("system_status")), _c("retired_on", "DATE"), _c("replaced_by_initiative")),
            "The application landscape: which systems are active and which were retired by which initiative.",
            snapshot=True,
        ),
    ]
}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(ENTITIES)}") from None


# Why a row goes to audit.quarantine (one reason per rejected row and column).
QUARANTINE_REASONS = {
    "unparseable_date": "the value is not a date/timestamp in the profile's format",
    "unparseable_number": "the value is not a number in the profile's number format",
    "missing_required": "a required column is empty",
    "out_of_domain": "the value (after the profile's code mapping) is not in the column's domain",
    "duplicate_key": "the entity key already appeared earlier in the same file",
    "lookup_missing": "the key (raw_value) of a profile lookup is not in the other entity's file of the extract",
    "control_character": "an id or code contains a control character (e.g. NUL, shown as \\x00 in raw_value)",
    "implausible_date": "an observed date/timestamp lies after the extract date plus the profile's margin "
                        "(plausible_days_after_extract) or before plausible_from",
}
