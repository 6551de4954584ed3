# The two commands: `make run` (the demo on SQLite) and `make test` (the whole suite).
# Each sets up what it needs first: a virtual environment in .venv with pinned packages.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on SQLite, and on PostgreSQL when this server answers (CI requires it).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

.PHONY: run test lint format install install-dev clean

run: install  ## Serve a demo portfolio on the embedded SQLite database
	$(FLASK) db upgrade
	DEMO_BASE_URL=http://$(HOST):$(PORT) $(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev  ## Run the whole test suite (SQLite, PostgreSQL when reachable)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev  ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
