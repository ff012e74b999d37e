"""Domain values (`config/domains.yaml`): the codes a canonical column may hold, each with its description.

The landing contract (`ingest.entities`) takes its checked domains from here; `write_domain_values` copies the
file into `raw.domain_values` so that the dbt master-data rules read the same values (macro `mdq_domain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl
import yaml

DOMAINS_FILE = Path(__file__).resolve().parent.parent / "config" / "domains.yaml"
CHECKERS = ("ingest", "mdq")


class DomainsError(ValueError):
    """config/domains.yaml cannot be used (names the domain and the problem)."""


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    checked_by: str
    codes: dict[str, str]  # code -> description
    fixed: bool = False


@lru_cache(maxsize=None)
def load_domains(path: Path = DOMAINS_FILE) -> dict[str, Domain]:
    """Every domain of the file, validated."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    domains = {}
    for name, spec in doc.items():
        where = f"{path.name}: {name}"
        if not isinstance(spec, dict) or not isinstance(spec.get("codes"), dict) or not spec["codes"]:
            raise DomainsError(f"{where}: needs codes: {{code: description, ...}}")
        if spec.get("checked_by") not in CHECKERS:
            raise DomainsError(f"{where}: checked_by must be one of {', '.join(CHECKERS)}")
        if not spec.get("description"):
            raise DomainsError(f"{where}: needs a description")
        codes = {str(code): str(text or "") for code, text in spec["codes"].items()}
        undocumented = [code for code, text in codes.items() if not text.strip()]
        if undocumented:
            raise DomainsError(f"{where}: code(s) without description: {', '.join(undocumented)}")
        domains[name] = Domain(name, str(spec["description"]), spec["checked_by"], codes, bool(spec.get("fixed")))
    return domains


def domain_codes(name: str) -> tuple[str, ...]:
    """The codes of one domain, in the file's order."""
    return tuple(load_domains()[name].codes)


def domain_frame(path: Path = DOMAINS_FILE) -> pl.DataFrame:
    rows = [(d.name, code, text, d.checked_by) for d in load_domains(path).values() for code, text in d.codes.items()]
    return pl.DataFrame(rows, schema={"domain": pl.String, "code": pl.String, "description": pl.String,
                                      "checked_by": pl.String}, orient="row")


def write_domain_values(con: duckdb.DuckDBPyConnection, path: Path = DOMAINS_FILE) -> None:
    """Replace `raw.domain_values` by the file's current values (a few dozen rows; one statement, so atomic)."""
    con.register("_domain_values", domain_frame(path).to_arrow())
    try:
        con.execute("CREATE OR REPLACE TABLE raw.domain_values AS SELECT * FROM _domain_values")
    finally:
        con.unregister("_domain_values")
