# Self-documenting Makefile: every target with a `##` comment shows up in `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DS_STAMP := $(VENV)/.installed-datascience
# The ASL language service of the AWS Toolkit for VS Code, for `validate` (package.json, exact pins).
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)
# checkov has its own virtualenv: its pins (boto3 1.35, packaging<24, networkx<2.7) conflict with the project's.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cat requirements-checkov.txt | sha1sum | cut -c1-12)
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

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	@echo "Installing checkov into $(CHECKOV_VENV) (first run only, about 20 s)…"
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@rm -f $(CHECKOV_VENV)/.installed-* ; touch $@

.PHONY: install
install: $(STAMP) ## Create .venv and install the project (done automatically by the other targets)

.PHONY: demo
demo: $(STAMP) ## Run every workflow end to end on the embedded engine, triggered as AWS triggers it
	@$(PY) -m local demo

.PHONY: test
test: $(STAMP) $(DS_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) ## Lint, validate the project, scan the template (checkov), run the whole test suite
	@$(VENV)/bin/ruff check local tasks tests
	@# The suite validates the project (tests/functional/test_validate.py runs every check of `validate`); checkov
	@# runs beside it (pytest's two workers leave the cores idle while they start), its output shown once pytest
	@# ends; either failing fails the target. Bytecode caches are written (into the git-ignored __pycache__
	@# folders) even where PYTHONDONTWRITEBYTECODE is set: without them each of the suite's ~30 Python processes
	@# compiles the project again and each pytest worker rewrites every test module's asserts again (~5 s of
	@# processor time per run).
	@logs=$$(mktemp -d); trap 'rm -rf "$$logs"' EXIT; \
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml > "$$logs/checkov" 2>&1 & checkov=$$!; \
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest; tests=$$?; \
	wait $$checkov; scanned=$$?; \
	echo "--- checkov (exit $$scanned)"; cat "$$logs/checkov"; \
	echo "--- pytest (exit $$tests)"; \
	exit $$(( tests || scanned ))

.PHONY: security
security: $(CHECKOV_STAMP) ## Scan template.yaml with checkov (skips and their reasons: .checkov.yaml, README "Security")
	@$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

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
serve: $(STAMP) ## Serve the Step Functions API, the stack's services and the console on localhost (PORT=8083); prints the console's URL
	@$(PY) -m local serve --port $(PORT)

.PHONY: console-screenshot
console-screenshot: $(STAMP) ## Redraw docs/console-execution.png, the README's picture of the console (needs Debian's chromium)
	@$(PY) -m local.console.screenshot docs/console-execution.png

.PHONY: bench
bench: $(STAMP) ## Benchmark the local engine (start-up, main paths, speed-up over stock moto)
	@$(PY) -m local bench

.PHONY: cost
cost: $(STAMP) ## Cost per million business events, Standard against Express
	@$(PY) -m local cost

.PHONY: lint
lint: $(STAMP) ## Run ruff over the project
	@$(VENV)/bin/ruff check local tasks tests

.PHONY: help
help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'
