# Two commands: `make run` (the whole system, embedded) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
# Debian packages the tests and the embedded demo use.
SYSTEM_PACKAGES := mosquitto mosquitto-clients postgresql chromium

.PHONY: run test lint bench bench-quick system-deps venv clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# As root, install what is missing from Debian's packages; otherwise say what to install.
system-deps:
	@missing=""; \
	command -v mosquitto >/dev/null || test -x /usr/sbin/mosquitto || missing="$$missing mosquitto mosquitto-clients"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing from Debian:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "!! missing system packages:$$missing"; \
	    echo "!! install them with: sudo apt-get install$$missing"; \
	  fi; \
	fi

run: venv
	@command -v mosquitto >/dev/null || test -x /usr/sbin/mosquitto || echo "note: mosquitto not installed; an in-process broker is used (apt-get install mosquitto for the real one)"
	PORT=$(PORT) $(PY) -m app.embedded

test: venv system-deps
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: venv system-deps
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "note: wrk not installed (apt-get install wrk); api_bbox falls back to a Python load generator"
	@set -e; for b in $$(ls tests/benchmarks/*.py | grep -v __init__ | xargs -n1 basename | sed 's/\.py$$//'); do \
	  echo "== $$b"; $(PY) -m tests.benchmarks.$$b $(BENCH_ARGS); done

bench-quick:
	$(MAKE) bench BENCH_ARGS=--quick

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
