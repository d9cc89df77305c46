# Two commands set Polarity up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock run demo test lint pytest fuzz bench clean

# What is installed is what uv.lock pins (`make lock` updates it after pyproject.toml changes);
# --locked refuses a lock that no longer agrees with pyproject.toml, --inexact keeps pip and uv.
UV_VERSION := 0.13.9
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Polarity needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --quiet --locked --inexact --extra dev
	touch $@

install: $(STAMP)

# After a change to pyproject.toml's dependencies: resolve again and pin the result in uv.lock.
lock:
	$(BIN)/uv lock

run: install
	$(BIN)/polarity db init
	$(BIN)/polarity demo --if-empty
	$(BIN)/polarity serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint pytest

# A long fuzz campaign over HTTP (the suite runs a short one): FUZZ_EXAMPLES operations.
FUZZ_EXAMPLES ?= 10000
fuzz: install
	POLARITY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -s tests/api/test_fuzz.py

# make bench: every benchmark, then the closing note of issue 18 (each figure beside its same-run
# baseline). wrk drives the HTTP load: Debian's package, installed when missing as .ci/run installs
# Chromium. The views' catch-up and rebuild run against a server URL (their worker processes hang
# on the embedded server): POLARITY_BENCH_DATABASE_URL, else BENCH_DATABASE_URL below.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_EVENTS ?= 1000000
BENCH_VIEWS_URL = POLARITY_BENCH_DATABASE_URL=$${POLARITY_BENCH_DATABASE_URL:-$(BENCH_DATABASE_URL)}
bench: install
	$(eval BENCH_SINCE := $(shell date -u +%Y-%m-%dT%H:%M:%S))
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq wrk) || echo "wrk could not be installed: HTTP load runs are skipped"
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.api
	$(BENCH_VIEWS_URL) $(BIN)/python -m benchmarks.projections
	$(BIN)/python -m benchmarks.exports
	$(BIN)/python -m benchmarks.chain
	$(BIN)/python -m benchmarks.access_log
	$(BIN)/python -m benchmarks.portal
	$(BIN)/python -m benchmarks.observability
	$(BIN)/python -m benchmarks.reads
	$(BIN)/python -m benchmarks.history
	$(BIN)/python -m benchmarks.live_runner
	$(BENCH_VIEWS_URL) $(BIN)/python -m benchmarks.projections --rebuild --events $(BENCH_EVENTS)
	$(BIN)/python -m benchmarks.closing --since $(BENCH_SINCE)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
