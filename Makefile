# Two commands on a fresh machine: `make up` runs the platform, `make test` passes the suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?= --demo
PYTEST_ARGS ?=

.PHONY: up test install install-test docs lint-imports bench clean

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

up: install
	$(BIN)/kf up $(ARGS)

lint-imports: install-test
	$(BIN)/lint-imports --no-cache

docs: install
	$(BIN)/kf docs

test: install-test
	$(BIN)/lint-imports --no-cache
	$(BIN)/kf docs --check
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
