"""The project is self-contained: generated docs match their YAML, and no document points outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from opsready import docs

REPO = docs.REPO
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _tracked(pattern: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", pattern], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_generated_pages_match_their_yaml():
    done = subprocess.run([sys.executable, "-m", "opsready.docs", "--check"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_metrics_page_lists_every_mart_and_column():
    text = docs.METRICS_DOC.read_text()
    for path in sorted(docs.MARTS.glob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            assert f"\n## {model['name']}\n" in text, model["name"]
            for column in model.get("columns") or []:
                assert f"| `{column['name']}` |" in text, (model["name"], column["name"])


def test_gates_page_lists_every_criterion_with_its_threshold():
    text = docs.GATES_DOC.read_text()
    config = yaml.safe_load(docs.GATES.read_text())
    for gate in config["gates"]:
        assert f"## Gate {gate['from']} → {gate['to']}" in text
        for c in gate["criteria"]:
            assert f"| `{c['criterion']}` |" in text and f"value {c['comparator']} {c['threshold']} |" in text


def test_no_file_refers_outside_the_repository():
    hits = subprocess.run(["git", "grep", "-n", "-I", r"\.\./shared"], cwd=REPO, capture_output=True, text=True)
    assert hits.stdout == "", hits.stdout


def test_every_markdown_link_resolves_inside_the_repository():
    broken = []
    for name in _tracked("*.md"):
        if name.startswith("reports/pages/"):
            continue  # Evidence page links are site routes, not files
        path = REPO / name
        for target in LINK.findall(path.read_text()):
            if target.startswith("#"):
                continue
            if re.match(r"[a-z]+://", target) and not re.match(r"https?://(127\.0\.0\.1|localhost)", target):
                broken.append(f"{name}: {target} leaves the repository")
                continue
            if "://" in target:
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.exists() or REPO not in resolved.parents:
                broken.append(f"{name}: {target} does not exist in the repository")
    assert broken == []


def test_every_dbt_model_is_described_in_a_yaml_file_of_its_own_name_beside_it():
    # a newcomer reading a model's SQL finds its description and tests in the .yml of the same name, next to it
    models = sorted((REPO / "dbt_project" / "models").rglob("*.sql"))
    assert len(models) > 60
    undescribed = []
    for sql in models:
        beside = sql.with_suffix(".yml")
        described = yaml.safe_load(beside.read_text()).get("models", []) if beside.exists() else []
        if [m["name"] for m in described] != [sql.stem] or not described[0].get("description", "").strip():
            undescribed.append(str(sql.relative_to(REPO)))
    assert undescribed == []
