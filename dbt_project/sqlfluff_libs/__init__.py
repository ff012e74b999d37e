"""Jinja context for SQLFluff's jinja templater (dbt_project/.sqlfluff): dbt's `var()` with the project's own defaults
from dbt_project.yml, so a model that reads a dict or list var renders as it does under dbt (SQLFluff's stub returns
a placeholder object). A var the project does not set returns the model's default, as dbt does. `adapter.dispatch`
renders a portable macro's DuckDB implementation (macros/portable/)."""

from pathlib import Path

import jinja2
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


class _Return(Exception):
    """dbt's `return()` inside a macro: stops the macro with a value."""

    def __init__(self, value):
        super().__init__()
        self.value = value


def _return(value):
    raise _Return(value)


class _Adapter:
    """dbt's `adapter.dispatch` as on the DuckDB target: the `default__` implementation of a portable macro
    (macros/portable/, plain Jinja), so SQLFluff lints the SQL DuckDB runs."""

    def __init__(self):
        self._module = None

    def _macros(self):
        if self._module is None:
            environment = jinja2.Environment(extensions=["jinja2.ext.do"])
            environment.globals["return"] = _return
            portable = Path(__file__).resolve().parent.parent / "macros" / "portable"
            source = "\n".join(p.read_text() for p in sorted(portable.glob("*.sql")))
            self._module = environment.from_string(source).module
        return self._module

    def dispatch(self, name, macro_namespace=None):
        macro = getattr(self._macros(), f"default__{name}")

        def call(*args, **kwargs):
            try:
                return macro(*args, **kwargs)
            except _Return as returned:
                return returned.value
        return call


adapter = _Adapter()
