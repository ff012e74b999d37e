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

## Set up what the tests need (incl. Debian chromium) and run the whole suite.
test: setup-test
	$(BIN)/python -m pytest tests --durations=25

## The same dbt project on Apache Spark (docs/scale-out.md): Java 17 and the [spark] extra (dbt-spark, pyspark), then
## the nightly on DuckDB and on Spark (its Thrift server started from the pyspark package and stopped after), every
## mart compared, every unit test on Spark.
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

java:
	@java -version >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	@java -version 2>&1 | head -1

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

clean:
	rm -rf $(VENV) reports/node_modules reports/.evidence reports/build dbt_project/target
