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

.PHONY: run run-hosts test lint format install install-dev browser-deps clean messages translations

run: run-hosts install  ## Serve a demo portfolio on the embedded SQLite database
	$(FLASK) db upgrade
	TRUSTED_HOSTS='$(RUN_TRUSTED_HOSTS)' DEMO_BASE_URL=http://$(DEMO_HOST):$(PORT) $(FLASK) demo
	TRUSTED_HOSTS='$(RUN_TRUSTED_HOSTS)' $(FLASK) run --host $(HOST) --port $(PORT)

# The app answers only the loopback names unless TRUSTED_HOSTS lists others (SPEC 11): a
# HOST other machines reach needs the names they will use. `make run` serves those, HOST
# itself and the loopback names; the demo's curl line goes to HOST, or to 127.0.0.1 when
# HOST is every address (0.0.0.0, ::).
LOOPBACK := 127.0.0.1 localhost ::1
DEMO_HOST := $(if $(filter $(HOST),0.0.0.0 ::),127.0.0.1,$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
RUN_TRUSTED_HOSTS := $(TRUSTED_HOSTS),$(DEMO_HOST),.localhost,127.0.0.1,[::1]

run-hosts:
	@if [ -z "$(filter $(HOST),$(LOOPBACK))" ] && [ -z "$(TRUSTED_HOSTS)" ]; then \
	  echo "HOST=$(HOST) lets other machines connect, but the app answers only localhost," \
	    "127.0.0.1 and [::1] unless TRUSTED_HOSTS lists the names they use. For example:" >&2; \
	  echo "  make run HOST=$(HOST) TRUSTED_HOSTS=$$(hostname),$$(hostname -I 2>/dev/null | cut -d' ' -f1)" >&2; \
	  exit 2; \
	fi

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
