# SafeServe — two commands for a newcomer:
#   make run    set up everything, load demo data on first run, serve http://127.0.0.1:8000
#   make test   the whole suite as CI runs it (checks, ruff, pytest with the browser tests)
# Every step is idempotent; stamp files make a second run fast (pip/npm rerun only when
# requirements*.txt / package-lock.json change).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ENTERPRISES ?= 2000
DEMO_SEED ?= 1
SIM_DEVICES ?= 6
PYTEST_ARGS ?=
# pytest runs in parallel (pytest-xdist), one worker per core; a test file stays on one worker so
# module fixtures (a browser, a broker) start once. Serially: make test PYTEST_ARGS=-n0
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile
PG_URL ?= postgres://postgres@127.0.0.1:5432/safeserve
# Debian packages the test suite needs: Chromium for the Playwright tests, CJK fonts so Chinese
# renders in screenshots, Pango for WeasyPrint (PDF reports), Mosquitto for the MQTT ingest tests,
# Redis and the PostgreSQL client (pg_dump) for the production topology and backup tests.
SYSTEM_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 mosquitto redis-server postgresql-client

VENV_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
ASSETS_STAMP := safeserve/static/vendor/.installed

.PHONY: serve lock help run test setup venv assets migrate demo logins lint format check test-postgres system-deps clean

help:
	@echo "make run            set up, migrate, load demo data (first run), serve http://$(HOST):$(PORT)"
	@echo "make test           manage.py check, makemigrations --check, ruff, pytest (incl. browser tests)"
	@echo "make setup          .venv + pip install, npm ci, copy front-end assets"
	@echo "make migrate        apply migrations (SQLite in var/ unless DATABASE_URL is set)"
	@echo "make demo           load demo data if the database has none"
	@echo "make lint           ruff check + ruff format --check + lint-imports (the layer contract)"
	@echo "make format         ruff format + ruff check --fix"
	@echo "make test-postgres  pytest on PostgreSQL ($(PG_URL))"
	@echo "make serve          production mode: gunicorn + job worker + 2 MQTT ingestion workers on PostgreSQL/Redis/MQTT"
	@echo "make lock           re-pin requirements*.txt (with hashes) from requirements*.in"

# ---------------------------------------------------------------- setup
setup: $(VENV_STAMP) assets

$(PY):
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c "import ensurepip" >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo ">> installing python3-venv"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	  else \
	    echo "!! $(PYTHON) cannot create virtual environments. Run:  sudo apt-get install python3-venv" >&2; exit 1; \
	  fi; \
	fi
	$(PYTHON) -m venv $(VENV)

$(VENV_STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r requirements-dev.txt
	@touch $@

venv: $(VENV_STAMP)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "!! npm not found. Run:  sudo apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS_STAMP): $(NPM_STAMP) scripts/vendor.sh
	sh scripts/vendor.sh
	@touch $@

assets: $(ASSETS_STAMP)

# ---------------------------------------------------------------- run
migrate: $(VENV_STAMP)
	$(PY) manage.py migrate --noinput -v 0

# Demo data only when the database has neither enterprises nor demo accounts (first run).
demo: migrate
	@status=0; $(PY) manage.py shell -v 0 -c "import sys; \
	from safeserve.registry.models import Enterprise; from safeserve.accounts.models import User; \
	sys.exit(3 if not Enterprise.objects.exists() and not User.objects.filter(username__startswith='demo_').exists() else 0)" \
	  || status=$$?; \
	if [ $$status = 3 ]; then \
	  echo ">> first run: loading demo data ($(DEMO_ENTERPRISES) enterprises, seed $(DEMO_SEED))"; \
	  $(PY) manage.py seed_demo --enterprises $(DEMO_ENTERPRISES) --seed $(DEMO_SEED); \
	elif [ $$status != 0 ]; then exit $$status; \
	else echo ">> database already has data: demo data not reloaded"; fi

logins:
	@$(PY) manage.py shell -v 0 -c "from safeserve.accounts.demo import DEMO_PASSWORD, demo_accounts; \
	rows = demo_accounts(); \
	print(); print('Demo logins (password for all: %s)' % DEMO_PASSWORD); \
	[print('  %-18s %s' % (r['username'], r['label'])) for r in rows]; \
	rows or print('  (no demo accounts in this database)'); print()"

# The development server, with a background-job worker (huey) beside it; Ctrl-C stops both.
run: setup demo logins
	@echo ">> SafeServe on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo ">> background jobs (huey) and $(SIM_DEVICES) simulated electrical-safety devices feeding live data"
	@worker=""; sim=""; \
	if $(PY) manage.py help run_huey >/dev/null 2>&1; then \
	  $(PY) manage.py run_huey --workers 1 --quiet & worker=$$!; \
	fi; \
	if [ "$(SIM_DEVICES)" != "0" ]; then \
	  mkdir -p var; $(PY) manage.py simulate_devices --direct --devices $(SIM_DEVICES) --rate 0.2 -v 0 >var/simulator.log 2>&1 & sim=$$!; \
	fi; \
	trap '[ -n "$$worker" ] && kill $$worker 2>/dev/null; [ -n "$$sim" ] && kill $$sim 2>/dev/null; true' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# ---------------------------------------------------------------- test
system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  case $$p in redis-server) command -v redis-server >/dev/null && continue;; postgresql-client) command -v pg_dump >/dev/null && continue;; esac; \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	[ -x /usr/bin/chromium ] || case "$$missing" in *chromium*) ;; *) missing="$$missing chromium";; esac; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo ">> installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "!! The test suite needs these Debian packages:$$missing" >&2; \
	    echo "!! Install them with:  sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

check: $(VENV_STAMP)
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

lint: $(VENV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup system-deps check lint
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-postgres: setup system-deps
	@$(PY) -c "import psycopg, sys; from urllib.parse import urlsplit; \
	u = urlsplit(sys.argv[1]); name = u.path.lstrip('/'); \
	c = psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password or None, dbname='postgres', autocommit=True); \
	c.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,)).fetchone() or c.execute('CREATE DATABASE \"%s\"' % name)" "$(PG_URL)"
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules safeserve/static/vendor staticfiles

# ---------------------------------------------------------------- production mode (docs/deployment.md)
serve: setup
	scripts/serve.sh

# Re-pin every Python dependency with hashes from the ranges in requirements*.in (docs/dependencies.md).
lock: $(PY)
	$(PY) -m pip install -q pip-tools
	$(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links --no-emit-index-url $(LOCK_ARGS) -o requirements.txt requirements.in
	$(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links --no-emit-index-url $(LOCK_ARGS) -o requirements-dev.txt requirements-dev.in
