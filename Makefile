# make run | test | lint | bench — each installs what it needs first (uv, then .venv).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

SYSTEM_UV := $(shell command -v uv 2>/dev/null)
UV := $(if $(SYSTEM_UV),$(SYSTEM_UV),.tools/bin/uv)
VENV := .venv/bin

.PHONY: help sync run test lint bench

help:
	@echo "make run    install, then serve on http://127.0.0.1:8000 with demo data"
	@echo "make test   install, then the whole test suite, ruff, mypy and the dependency rule"
	@echo "make lint   ruff, mypy and the dependency rule only"
	@echo "make bench  GraphQL against the hand-written baseline (ARGS='--customers 10000')"

# Only when no uv is on PATH: a private one, so that python3 is all a machine needs.
.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

sync: $(if $(SYSTEM_UV),,.tools/bin/uv)
	$(UV) sync --frozen --all-extras

run: sync
	$(VENV)/rapport serve --seed-demo

test: sync
	$(VENV)/pytest
	$(static_checks)

lint: sync
	$(static_checks)

bench: sync
	$(VENV)/python bench/run.py $(ARGS)

define static_checks
$(VENV)/ruff check .
$(VENV)/mypy --strict api infrastructure domain bench tests
$(VENV)/lint-imports
endef
