# opsready — two commands for a new user: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export OPSREADY_DATA ?= $(CURDIR)/data
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test test-spark ui bench setup setup-test setup-spark chromium java clean

## Set up everything, generate the sample estate, run the nightly once, publish warehouse and report.
run: setup
	@if [ ! -d "$(OPSREADY_DATA)/landing" ]; then $(BIN)/opsready generate; fi
	$(BIN)/opsready run
	@$(BIN)/opsready where

## Set up what the tests need (incl. Debian chromium) and run the whole suite on three pytest-xdist workers, which
## keep two cores busy while one waits on a subprocess (tests/conftest.py says which tests share a worker).
test: setup-test
	$(BIN)/python -m pytest tests -n 3 --dist loadscope --durations=25

## The same dbt project on Apache Spark (docs/scale-out.md): Java 17 and the [spark] extra (dbt-spark, pyspark), then
## the real nightly on DuckDB and with OPSREADY_ENGINE=spark (one Thrift server from the pyspark package, stopped
## after), every mart compared, every unit test on Spark (docs/scale-out.md).
test-spark: setup setup-spark
	$(BIN)/python -m pytest tests_spark -s --durations=10

## Dagster UI on http://127.0.0.1:3000
ui: setup
	$(BIN)/opsready ui

## Benchmark: scales 1 and 10, full and incremental nightly against a DuckDB scan floor.
bench: setup
	$(BIN)/python -m opsready.bench

setup: $(VENV)/.installed reports/node_modules/.installed

setup-test: setup chromium

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

reports/node_modules/.installed: reports/package.json reports/package-lock.json $(wildcard reports/patches/*) $(VENV)/.installed
	cd reports && ../$(BIN)/npm install --no-audit --no-fund --loglevel=error
	touch $@

setup-spark: $(VENV)/.installed-spark java

$(VENV)/.installed-spark: pyproject.toml constraints.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,spark]'
	touch $@

# Java 17 or newer for Spark 4 (pyspark starts it). apt-get needs root: run directly as root, else through sudo.
AS_ROOT := $(if $(filter 0,$(shell id -u)),,sudo)
JAVA_17_OR_NEWER := version "(1[7-9]|[2-9][0-9])

java:
	@if ! java -version 2>&1 | grep -qE '$(JAVA_17_OR_NEWER)'; then \
	  if [ -n "$(AS_ROOT)" ] && ! command -v sudo >/dev/null; then \
	    echo "Java 17 is missing and installing it needs root: apt-get install openjdk-17-jre-headless" >&2; exit 1; fi; \
	  $(AS_ROOT) apt-get update -qq && \
	  $(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi
	@java -version 2>&1 | head -1

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

clean:
	rm -rf $(VENV) reports/node_modules reports/.evidence reports/build dbt_project/target
