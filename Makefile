# Self-documenting Makefile: every target with a `##` comment shows up in `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DS_STAMP := $(VENV)/.installed-datascience
# The ASL language service of the AWS Toolkit for VS Code, for `validate` (package.json, exact pins).
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)
PORT   ?= 8083

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing the project into $(VENV) (first run only)…"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* ; touch $@

$(DS_STAMP): $(STAMP)
	@echo "Installing the optional Step Functions Data Science SDK (takes a few minutes once)…"
	@$(PY) -m pip install --quiet -e '.[dev,datascience]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "Installing the ASL language service into node_modules/ (first run only)…"; \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm not found: validate skips the ASL language-service check (install Node.js 18+ with npm)"; \
	fi

.PHONY: install
install: $(STAMP) ## Create .venv and install the project (done automatically by the other targets)

.PHONY: demo
demo: $(STAMP) ## Run every workflow end to end on the embedded engine, triggered as AWS triggers it
	@$(PY) -m local demo

.PHONY: test
test: $(STAMP) $(DS_STAMP) $(NODE_STAMP) ## Validate the project and run the whole test suite
	@$(PY) -m local validate
	@$(PY) -m pytest

.PHONY: validate
validate: $(STAMP) $(NODE_STAMP) ## Check the whole project before deploying (ASL, SDK calls, mocks, IAM, template…)
	@$(PY) -m local validate

.PHONY: fmt
fmt: $(STAMP) ## Rewrite the definitions in canonical (Workflow Studio export) form
	@$(PY) -m local fmt

.PHONY: graph
graph: $(STAMP) ## Redraw every workflow's diagram.svg and README Mermaid diagram
	@$(PY) -m local graph

.PHONY: serve
serve: $(STAMP) ## Serve the Step Functions API and the stack's services on localhost:$(PORT)
	@$(PY) -m local serve --port $(PORT)

.PHONY: lint
lint: $(STAMP) ## Run ruff over the project
	@$(VENV)/bin/ruff check local tasks tests

.PHONY: help
help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'
