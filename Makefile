# The README's commands. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HTMX := static/vendor/htmx.min.js
AXE := static/vendor/axe.min.js
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard consult/translations/*/LC_MESSAGES/messages.po))

.PHONY: setup run test test-sqlite test-postgres browser cluster-test lint translations-extract bench-page bench-board clean

setup: $(VENV)/.installed $(HTMX) $(AXE) $(CATALOGUES)

# pip prints errors only (--quiet twice): a failed install still stops here, with its reason.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --quiet --upgrade pip
	$(BIN)/pip install --quiet --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(HTMX): node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(AXE): node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/axe-core/axe.min.js $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

## run: install, migrate the SQLite database, load the demo and serve on http://127.0.0.1:5000
run: setup
	$(FLASK) db upgrade
	$(FLASK) demo
	CONSULT_SECURE_COOKIES=0 $(FLASK) run --host 127.0.0.1 --port 5000

## browser: Debian's Chromium for the end-to-end tests (installed once, needs root or sudo)
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

## test: the linters, then every test, on SQLite (with the browser tests) and on PostgreSQL,
## then the cluster behind nginx
test: lint browser test-sqlite test-postgres cluster-test

# One pytest-xdist worker per core, each on a file at a time and a database of its own
# (PostgreSQL: $(PG_TEST_URL) with the worker's name appended, created when missing). The
# files are handed out in the order tests/conftest.py gives (the slowest first).
PYTEST := $(BIN)/pytest -q -n auto --dist loadfile --no-loadscope-reorder

test-sqlite: setup
	$(PYTEST)

# On PostgreSQL, the tests that use the database (the others ran on SQLite).
test-postgres: setup
	CONSULT_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) --database-tests-only -m "not e2e" --ignore=tests/nlp

## cluster-test: nginx (Debian's, installed once, needs root or sudo) in front of two
## gunicorn app servers, the RQ worker and the notification worker, on PostgreSQL and Redis,
## checked through nginx (deploy/cluster_test.py). The database CLUSTER_DATABASE_URL is
## dropped and created and the Redis database CLUSTER_REDIS_URL emptied: use them for
## nothing else.
CLUSTER_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/consult_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/9
cluster-test: setup
	@test -x /usr/sbin/nginx || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx; }
	$(BIN)/python -m deploy.cluster_test --database-url $(CLUSTER_DATABASE_URL) --redis-url $(CLUSTER_REDIS_URL)

## lint: ruff over the code and the tests, and the import contracts of pyproject.toml
lint: setup
	$(BIN)/ruff check consult nlp tests deploy
	$(BIN)/lint-imports --no-logo --no-cache

translations-extract: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o consult/translations/messages.pot --no-location --project Consult --version 0.1 .
	$(BIN)/pybabel update -i consult/translations/messages.pot -d consult/translations --no-fuzzy-matching --ignore-obsolete

## bench-page: median time of the consultation page with the full demo data
bench-page: setup
	$(BIN)/python -m tests.bench_page

## bench-board: median and p90 of the theme board and a drill-down against a running app
## (after flask demo, flask demo-large and flask analysis run rus-vasterbotten-2030-stor 1;
## BENCH_URL is the app, CONSULT_DATABASE_URL its database)
BENCH_URL ?= http://127.0.0.1:5198
bench-board: setup
	$(BIN)/python -m tests.bench_board --url $(BENCH_URL)

clean:
	rm -rf $(VENV) node_modules static/vendor

## bench-exports: wall time and memory of the .xlsx and CSV exports of the large round through
## their download routes (after flask demo, flask demo-large --comments 100000 and, for the
## theme columns, flask analysis run rus-vasterbotten-2030-stor 1; BENCH_DATABASES is one or
## more database URLs, default $CONSULT_DATABASE_URL)
.PHONY: bench-exports
BENCH_DATABASES ?= $(CONSULT_DATABASE_URL)
bench-exports: setup
	$(BIN)/python -m tests.bench_exports $(foreach url,$(BENCH_DATABASES),--database-url $(url))

## wrk: Debian's HTTP load generator for bench-load, and nginx for its cluster (each installed
## once, needs root or sudo)
## bench-load: figures under load through nginx in front of two app servers (deploy/load.py),
## each beside a bare Flask route, on SQLite and then PostgreSQL (the prepared databases are
## cached under instance/load and as PostgreSQL template databases consult_load_tpl_*)
.PHONY: wrk bench-load
wrk:
	@command -v wrk >/dev/null && test -x /usr/sbin/nginx || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk nginx; }

bench-load: setup wrk
	$(BIN)/python -m deploy.load --database sqlite; sqlite=$$?; \
	$(BIN)/python -m deploy.load --database postgresql && exit $$sqlite
