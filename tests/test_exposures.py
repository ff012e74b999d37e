"""The report's exposures in dbt list every model each page's queries read (worked out here from the pages and the
source queries under reports/), with a URL the report server answers, not a path with a variable in it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "reports" / "pages"
SOURCES = REPO / "reports" / "sources" / "opsready"
EXPOSURES = REPO / "dbt_project" / "models" / "exposures.yml"
PAGE_EXPOSURE = {"index.md": "report_portfolio", "plants/index.md": "report_plants",
                 "plants/[plant_id].md": "report_plant_page", "gates.md": "report_gates",
                 "data-quality.md": "report_data_quality", "methodology.md": "report_methodology"}


def dbt_models() -> set[str]:
    return {p.stem for p in (REPO / "dbt_project" / "models").rglob("*.sql")}


def models_read_by(page: Path) -> set[str]:
    """The dbt models the page's source queries read (`opsready.<query>` in the page → `<schema>.<table>` in the
    query's SQL); tables the report's export makes itself (audit summaries) are not dbt models."""
    queries = set(re.findall(r"\bopsready\.(\w+)", page.read_text()))
    tables = set()
    for query in queries:
        tables |= set(re.findall(r"\b(?:marts|audit)\.(\w+)", (SOURCES / f"{query}.sql").read_text()))
    return tables & dbt_models()


def test_every_page_has_an_exposure_listing_every_model_it_reads():
    exposures = {e["name"]: e for e in yaml.safe_load(EXPOSURES.read_text())["exposures"]}
    pages = {p.relative_to(PAGES).as_posix() for p in PAGES.rglob("*.md")}
    assert pages == set(PAGE_EXPOSURE), "a report page without an exposure (or an exposure without its page)"
    every = set()
    for page, name in PAGE_EXPOSURE.items():
        listed = {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposures[name]["depends_on"]}
        read = models_read_by(PAGES / page)
        assert listed == read, f"{name} ({page}): missing {read - listed}, extra {listed - read}"
        every |= listed
    referenced_marts = set()
    for sql in SOURCES.glob("*.sql"):
        referenced_marts |= set(re.findall(r"\bmarts\.(\w+)", sql.read_text()))
    assert referenced_marts <= every
    for exposure in exposures.values():
        assert exposure["url"].startswith("http://127.0.0.1:8000/") and "$" not in exposure["url"]
