# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.netcoach-installed

.PHONY: run test lint typecheck unit install clean bench

# bot/__init__.py holds the version, which the installed metadata copies.
$(STAMP): pyproject.toml bot/__init__.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "netcoach needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/netcoach run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck unit

# Benchmarks (not tests; results in BENCHMARKS.md). PostgreSQL runs need
# NETCOACH_TEST_POSTGRES_URL; without it only the SQLite runs happen.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.updates
	$(BIN)/python -m benchmarks.size
	$(BIN)/python -m benchmarks.due_query --database sqlite $${NETCOACH_TEST_POSTGRES_URL:+postgres}
	$(BIN)/python -m benchmarks.sealing --database sqlite $${NETCOACH_TEST_POSTGRES_URL:+postgres}
	$(BIN)/python -m benchmarks.dispatch --rate 30
	$(BIN)/python -m benchmarks.dispatch --rate 1000
	if [ -n "$$NETCOACH_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python -m benchmarks.dispatch --rate 30 --database postgres && \
		$(BIN)/python -m benchmarks.dispatch --rate 1000 --database postgres; fi

clean:
	rm -rf $(VENV) build *.egg-info
