# One entry point for developers and CI. `make run` starts the platform, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WEB_STAMP := static_site/node_modules/.installed

.PHONY: help install web run seed test lint format pytest coverage bench clean package gen-proto

help:
	@echo "make run     start the whole platform locally (SQLite, no broker, no Docker)"
	@echo "make test    lint + the whole test suite (needs MariaDB/RabbitMQ for the full run)"
	@echo "make seed    add a demo client with devices and 30 days of data"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make coverage  the coverage report of the last test run (var/coverage.txt)"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(WEB_STAMP): static_site/package.json static_site/package-lock.json
	cd static_site && npm ci --no-audit --no-fund
	@touch $(WEB_STAMP)

web: $(WEB_STAMP)
	cd static_site && npm run build

run: install web
	$(PY) -m local.run

seed: install
	$(PY) -m shared.seed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared local infra functions sensor_client chat_container

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The browser suite runs in its own process: Playwright's sync API keeps an event loop running
# in the main thread, which the asyncio tests must not inherit. Both runs add to one coverage
# file (settings in pyproject's [tool.coverage]); the per-file table goes to var/coverage.txt,
# the total is printed last, with the 15 slowest tests of the main run above it.
COV := --cov --cov-report=
pytest: install web
	rm -f .coverage
	$(VENV)/bin/pytest --ignore=tests/browser $(COV) --durations=15
	$(VENV)/bin/pytest tests/browser $(COV) --cov-append --durations=5
	@mkdir -p var && $(VENV)/bin/coverage report --sort=cover > var/coverage.txt
	@echo "coverage (lines + branches, in-process code): $$($(VENV)/bin/coverage report --format=total)% (per file: var/coverage.txt)"

test: lint pytest
	cd static_site && npm test --silent

coverage: install
	$(VENV)/bin/coverage report --sort=cover

gen-proto: install
	$(PY) -m chat_container.codegen

package: install
	$(PY) -m infra.package

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) static_site/node_modules static_site/dist var .coverage htmlcov
