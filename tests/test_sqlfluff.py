"""Every dbt model passes SQLFluff with the project's .sqlfluff (dbt_project/.sqlfluff: jinja templater, lower-case
keywords, functions, literals and types, lines of at most 120 characters, explicit table aliases), and that
configuration does catch a violation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
SQLFLUFF = Path(sys.executable).parent / "sqlfluff"


def _lint(path: Path, *args: str) -> tuple[int, list[dict], str]:
    done = subprocess.run([str(SQLFLUFF), "lint", str(path), "--format", "json", "--processes", "1", *args],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    return done.returncode, json.loads(done.stdout or "[]"), done.stderr


def test_every_model_passes_sqlfluff():
    code, files, stderr = _lint(DBT_PROJECT / "models")
    problems = [f"{Path(f['filepath']).relative_to(REPO)}:{v['start_line_no']} {v['code']} {v['description']}"
                for f in files for v in f["violations"]]
    assert problems == []
    assert code == 0, stderr[-2000:]
    # every model was rendered and linted (a model the templater cannot render would be missing here)
    assert {Path(f["filepath"]).resolve() for f in files} == set(DBT_PROJECT.joinpath("models").rglob("*.sql"))


def test_the_configuration_catches_upper_case_keywords_and_long_lines(tmp_path):
    model = tmp_path / "bad_model.sql"
    model.write_text("SELECT plant_id, " + ", ".join(f"column_{i}" for i in range(20)) + "\nfrom {{ ref('x') }}\n")
    code, files, _ = _lint(model, "--config", str(DBT_PROJECT / ".sqlfluff"))
    assert code == 1
    assert {v["code"] for v in files[0]["violations"]} == {"CP01", "LT05"}
