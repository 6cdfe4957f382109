# llm-finops developer commands. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint fmt run worker beat migrations-check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) ## Install, migrate, create the demo login, simulate 30 days, serve on 127.0.0.1:8000
	$(PY) manage.py demo

test: $(STAMP) ## Install if needed and run the whole test suite
	$(PY) -m pytest

lint: $(STAMP) ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(STAMP) ## Format the code with ruff
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

run: $(STAMP) ## Serve the app with gunicorn on 127.0.0.1:8000 (no simulation)
	$(PY) manage.py migrate
	$(PY) -m gunicorn config.wsgi:application --bind 127.0.0.1:8000 --workers 2 --threads 4

worker: $(STAMP) ## Run a Celery worker (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: $(STAMP) ## Run Celery beat (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config beat --loglevel=info

migrations-check: $(STAMP) ## Fail if models changed without a migration
	$(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP) ## Run the benchmarks in bench/ (see bench/README.md); BENCH=dashboard runs one
	@ls bench/[!_]*.py >/dev/null 2>&1 && for b in $(if $(BENCH),bench/$(BENCH).py,bench/[!_]*.py); do $(PY) $$b || exit 1; done || echo "no benchmarks yet"

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var .pytest_cache .ruff_cache
