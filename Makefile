# Two commands on a fresh machine: `make up` runs the platform, `make test` passes the suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?= --demo
PYTEST_ARGS ?=

.PHONY: up test install install-test browser docs lint-imports bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The dashboard's browser test drives Debian's chromium through Playwright (no browser download).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "make test needs Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

up: install
	$(BIN)/kf up $(ARGS)

lint-imports: install-test
	$(BIN)/lint-imports --no-cache

docs: install
	$(BIN)/kf docs

test: install-test browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/kf docs --check
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
