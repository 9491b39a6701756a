# Two commands do all the set-up on a fresh machine (python3, pip and make):
#   make run    - one daily run (installs from the lock file on first use)
#   make check  - every check CI runs: lint, types, SQL lint, tests
# The first call creates .tools/ (uv, pinned) and .venv/ (the locked environment, with
# bytecode compiled: `import great_expectations` costs ~16 s without .pyc, ~3-7 s with).

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
SYNCED := $(VENV)/.synced
ARGS ?=

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: install run demo check lint types sql-lint test test-scale bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $(SYNCED)

install: $(SYNCED)

run: $(SYNCED)  ## one daily run; e.g. make run ARGS="--replay DIR --date 2025-09-26"
	$(VENV)/bin/rotation run $(ARGS)

demo: $(SYNCED)  ## a run on the real recorded data in ../shared/data, no network needed
	$(VENV)/bin/python -m cli.demo

check: lint types sql-lint test

lint: $(SYNCED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(SYNCED)
	$(VENV)/bin/mypy

sql-lint: $(SYNCED)
	$(VENV)/bin/sqlfluff lint sql

# Two pytest-xdist workers, one test file per work unit, the slow files first (tests/conftest.py):
# the crash tests (~3 min, mostly a subprocess and a server working) overlap the rest.
TEST_WORKERS ?= 2
test: $(SYNCED)
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The index-scale tests (marker `scale`, deselected by `make test`); .ci/run runs them after.
# pytest's exit code 5 is "no tests collected" (none carries the marker yet): not a failure.
test-scale: $(SYNCED)
	$(VENV)/bin/python -m pytest -m scale || [ $$? -eq 5 ]

bench: $(SYNCED)
	$(VENV)/bin/python benchmarks/marts_vs_pandas.py --symbols 500

clean:
	rm -rf $(TOOLS) $(VENV)
