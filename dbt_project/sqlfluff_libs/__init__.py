"""Jinja context for SQLFluff's jinja templater (dbt_project/.sqlfluff): dbt's `var()` with the project's own defaults
from dbt_project.yml, so a model that reads a dict or list var renders as it does under dbt (SQLFluff's stub returns
a placeholder object). A var the project does not set returns the model's default, as dbt does."""

from pathlib import Path

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "dbt_project.yml").read_text()).get("vars") or {}


def var(name, default=None):
    value = _VARS.get(name)
    return default if value is None else value


class _Exceptions:
    """dbt's `exceptions` namespace: a compiler error stops the render as it stops dbt."""

    @staticmethod
    def raise_compiler_error(message):
        raise RuntimeError(message)


exceptions = _Exceptions()
