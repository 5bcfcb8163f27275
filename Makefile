# Developer set-up: `make run` or `make test` on a machine with Python >= 3.11 is all it takes.
# The venv (.venv) is made and (re)installed when missing or when pyproject.toml or
# constraints.txt changed; dev/services.py finds or starts PostgreSQL and Redis.

PYTHON ?= python3
# auto: use the machine's PostgreSQL/Redis on their default ports if they run; local: throwaway ones.
SERVICES ?= auto
# The tests' own throwaway servers by default: the run holds more connections than a default
# server allows, and neither its load nor its keys reach the machine's servers.
TEST_SERVICES ?= local
# The SSO demo host (dev/sso_host.py): on "localhost", another site than the service's 127.0.0.1.
SSO_HOST_PORT ?= 8001
SSO_HOST := http://localhost:$(SSO_HOST_PORT)
PYTEST_ARGS ?=
# Test processes run side by side (pytest-xdist): most tests wait on a server, a browser or a
# subprocess, so more processes than cores still shorten the run. TEST_WORKERS=0 runs one process.
TEST_WORKERS ?= 3
BENCH_ARGS ?=

VENV := .venv
STAMP := $(VENV)/.installed
WITH_SERVICES := $(VENV)/bin/python dev/services.py --mode $(SERVICES) --
WITH_TEST_SERVICES := $(VENV)/bin/python dev/services.py --mode $(TEST_SERVICES) --
# worksteal: a process that runs out of tests takes some of another's, so long tests (a browser
# journey, a served process) do not leave one process running alone at the end.
PYTEST := $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist worksteal
# The markers are registered in pyproject.toml; tests/conftest.py marks the three suites by folder.
FAST := not browser and not faults and not contract and not slow

.DEFAULT_GOAL := help
.PHONY: help venv run test test-fast chromium openid-provider isso bench lock clean

## help    list these targets (the default)
help:
	@sed -n 's/^## /make /p' $(MAKEFILE_LIST)

## venv    create .venv and install the project with its dev and local extras
venv: $(STAMP)

## run     migrate, load the demo data and serve, with the SSO demo host beside (SERVICES=local: throwaway PostgreSQL/Redis)
run: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(WITH_SERVICES) sh -c 'commentsvc migrate && commentsvc demo --sso-host $(SSO_HOST) && { python dev/sso_host.py --port $(SSO_HOST_PORT) --site demo & } && exec commentsvc serve'

## test    run the test suite (PYTEST_ARGS="-k name" to narrow it)
test: $(STAMP) chromium openid-provider isso
	$(VENV)/bin/ruff check src tests bench dev
	$(WITH_TEST_SERVICES) $(PYTEST) $(PYTEST_ARGS)

## test-fast the suite but its browser, fault, contract and slow tests, for quick checks while working
test-fast: $(STAMP)
	$(VENV)/bin/ruff check src tests bench dev
	$(WITH_TEST_SERVICES) $(PYTEST) -m "$(FAST)" $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium: installed here when running as root (as CI does);
# elsewhere the tests say loudly that they were skipped (and fail under CI=true).
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The OpenID provider the sign-in tests start (tests/oidc/provider.mjs): the `oidc-provider` package
# at the version package-lock.json pins, from the npm registry into tests/oidc/node_modules.
OIDC_STAMP := tests/oidc/node_modules/.installed
openid-provider: $(OIDC_STAMP)
$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "The sign-in tests need Node.js (>= 20) and npm to run their OpenID provider"; exit 1; }
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Isso the import tests run to write a real Isso database (tests/isso_server.py): the
# versions tests/isso/requirements.txt pins, from PyPI into a venv of its own, tests/isso/.venv.
ISSO_STAMP := tests/isso/.venv/.installed
isso: $(ISSO_STAMP)
$(ISSO_STAMP): tests/isso/requirements.txt
	rm -rf tests/isso/.venv
	$(PYTHON) -m venv tests/isso/.venv
	tests/isso/.venv/bin/python -m pip install --quiet -r tests/isso/requirements.txt
	touch $@

## bench   run the benchmark (bench/run.py, BENCH_ARGS=...)
bench: $(STAMP)
	$(WITH_SERVICES) $(VENV)/bin/python bench/run.py $(BENCH_ARGS)

## lock    re-resolve pyproject.toml's dependencies into constraints.txt
lock: $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -e '.[dev,local]'
	$(VENV)/bin/python -m pip freeze --exclude-editable | grep -viE '^(pip|setuptools|wheel)==' | LC_ALL=C sort -f -t= -k1,1 > constraints.txt
	touch $(STAMP)

## clean   remove .venv, .data (throwaway databases) and caches
clean:
	rm -rf $(VENV) .data .pytest_cache .hypothesis .ruff_cache build dist tests/oidc/node_modules tests/isso/.venv
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +

$(STAMP): $(VENV)/bin/python pyproject.toml constraints.txt
	$(VENV)/bin/python -m pip install -c constraints.txt -e '.[dev,local]'
	touch $@

# Debian ships Python's venv module (ensurepip) apart, in python3.X-venv: install it as root, else
# say which package is missing.
$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python >= 3.11, or run make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "commentsvc needs Python >= 3.11, and $(PYTHON) is $$($(PYTHON) -V 2>&1): run make PYTHON=python3.11 ..."; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  pkg=$$($(PYTHON) -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])'); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "$(PYTHON) cannot make a venv without $$pkg: installing it"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$pkg" || exit 1; \
	  else \
	    echo "$(PYTHON) cannot make a venv: install the $$pkg package (sudo apt-get install $$pkg)"; exit 1; \
	  fi; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
