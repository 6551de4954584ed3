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

# axe-core for the browser tests' accessibility checks, installed from npm by `make test`.
BROWSER_NODE := tests/browser/node_modules/.package-lock.json

# Message catalogues (SPEC 12): a .po per language, compiled to the .mo the app reads.
# The .mo files are committed too, so a checkout runs (pytest, gunicorn) without a build step;
# these rules recompile whichever .po is newer, and a test fails when a .mo is stale.
TRANSLATIONS := portfolio_app/translations
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
PYBABEL := $(BIN)/pybabel

.PHONY: run test lint format install install-dev browser-deps clean messages translations

run: install  ## Serve a demo portfolio on the embedded SQLite database
	$(FLASK) db upgrade
	DEMO_BASE_URL=http://$(HOST):$(PORT) $(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev browser-deps  ## Run the whole test suite (SQLite, PostgreSQL when reachable)
	$(BIN)/pytest $(PYTEST_ARGS)

# Without npm the accessibility checks skip (or fail when REQUIRE_BROWSER=1).
browser-deps:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(BROWSER_NODE); \
	else echo "npm not found: the browser tests' accessibility checks need it"; fi

$(BROWSER_NODE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

lint: install-dev  ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

translations: $(CATALOGUES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	$(PYBABEL) compile --statistics -d $(TRANSLATIONS) -l $* -i $< -o $@

# After adding strings (or merging a branch that did): extract them all again, bring every
# catalogue up to date (new entries empty, removed ones dropped), and compile. Then translate
# the new entries of each language's messages.po and run `make translations`.
messages: $(VENV)/.runtime  ## Re-extract the strings into messages.pot and update every catalogue
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext --add-location=file --sort-output \
	  --no-wrap --project "Portfolio Links" -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap \
	  --no-fuzzy-matching --ignore-obsolete
	$(PYBABEL) compile --statistics -d $(TRANSLATIONS)

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
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/browser/node_modules
