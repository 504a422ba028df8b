# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.netcoach-installed
# Tools that look after the dependencies (uv for `make lock`, pip-audit for `make audit`),
# in an environment of their own: they are not part of netcoach or of its lock.
TOOLS ?= .tools
TOOLS_STAMP := $(TOOLS)/.installed
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest version allowed.
LOCK_FLAGS ?=
LOCK := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock"

.PHONY: run test lint typecheck unit install clean bench lock audit

# Exactly the locked versions, each checked against its hash, then netcoach itself on top.
# bot/__init__.py holds the version, which the installed metadata copies.
$(STAMP): pyproject.toml requirements.lock bot/__init__.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "netcoach needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(TOOLS_STAMP):
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet "uv==0.13.9" "pip-audit==2.10.1"
	touch $(TOOLS_STAMP)

# requirements.lock: runtime and test dependencies (what `make` and CI install);
# requirements-runtime.lock: the same pins without the test tools (what the image installs).
lock: $(TOOLS_STAMP)
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra test $(LOCK) $(LOCK_FLAGS) --quiet -o requirements.lock
	$(TOOLS)/bin/uv pip compile pyproject.toml --constraint requirements.lock $(LOCK) --quiet -o requirements-runtime.lock

# Fails on a known vulnerability; says so, without failing, when no advisory source answers.
audit: $(TOOLS_STAMP)
	$(TOOLS)/bin/python tools/audit.py --pip-audit $(TOOLS)/bin/pip-audit requirements.lock

install: $(STAMP)

run: $(STAMP)
	$(BIN)/netcoach run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest workers per core: most tests wait rather than compute (tests/conftest.py;
# PYTEST_WORKERS=0 runs everything in this process).
PYTEST_WORKERS ?= auto

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

test: lint typecheck unit

# Benchmarks (not tests; results in BENCHMARKS.md). PostgreSQL runs need
# NETCOACH_TEST_POSTGRES_URL; without it only the SQLite runs happen.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.updates
	$(BIN)/python -m benchmarks.size
	$(BIN)/python -m benchmarks.startup_imports
	$(BIN)/python -m benchmarks.due_query --database sqlite $${NETCOACH_TEST_POSTGRES_URL:+postgres}
	$(BIN)/python -m benchmarks.sealing --database sqlite $${NETCOACH_TEST_POSTGRES_URL:+postgres}
	$(BIN)/python -m benchmarks.dispatch --rate 30
	$(BIN)/python -m benchmarks.dispatch --rate 1000
	$(BIN)/python -m benchmarks.isolation parser
	$(BIN)/python -m benchmarks.isolation flood
	$(BIN)/python -m benchmarks.isolation contacts
	$(BIN)/python -m benchmarks.dispatch_isolation
	if [ -n "$$NETCOACH_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python -m benchmarks.dispatch --rate 30 --database postgres && \
		$(BIN)/python -m benchmarks.dispatch --rate 1000 --database postgres && \
		$(BIN)/python -m benchmarks.scale_out --processes 1,2 --members 300 --rate 30 && \
		$(BIN)/python -m benchmarks.scale_out --processes 1,2 --members 10000 --paid; fi

clean:
	rm -rf $(VENV) $(TOOLS) build *.egg-info
