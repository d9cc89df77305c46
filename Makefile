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

bench: install
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.api
	$(BIN)/python -m benchmarks.projections
	$(BIN)/python -m benchmarks.exports
	$(BIN)/python -m benchmarks.chain
	$(BIN)/python -m benchmarks.access_log
	$(BIN)/python -m benchmarks.portal
	$(BIN)/python -m benchmarks.observability

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
