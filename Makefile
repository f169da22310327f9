# bpcore — two commands for a newcomer:  make book   and   make test
# Every target sets up what it needs (idempotent); see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON  ?= $(shell command -v python3.11 || command -v python3)
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.bpcore-installed
PROFILE ?= quick
FIG     ?=
ARGS    ?=
MATHJAX := book/_mathjax/mathjax/tex-chtml.js
MATHJAX_VERSION := 3.2.2
JB_FLAGS := -W -n --keep-going

export TI_SKIP_VERSION_CHECK := ON
export TI_LOG_LEVEL := warn
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book notebooks html figure test bench clean mathjax

help:
	@echo "make book      set up, execute all figure notebooks (PROFILE=$(PROFILE)), build the HTML book"
	@echo "make test      set up, run the test-suite"
	@echo "make figure FIG=fig01_me_ceiling ARGS=\"-p lam_max 3\"   rerun one notebook, rebuild its page"
	@echo "make bench     run the benchmarks in bench/"
	@echo "make clean     remove build products (keeps .venv and data/)"

$(STAMP): pyproject.toml
	@if [ ! -x "$(BIN)/python" ]; then \
	  echo "[setup] creating $(VENV) with $(PYTHON)"; \
	  "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 11), "bpcore needs Python 3.11 (taichi 1.7.4 wheels); found %s" % sys.version.split()[0]'; \
	  "$(PYTHON)" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

setup: $(STAMP)

$(MATHJAX):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch MathJax 3 (apt-get install npm)"; exit 1; }
	rm -rf .cache/npm book/_mathjax && mkdir -p .cache/npm book/_mathjax
	npm install --silent --no-audit --no-fund --prefix .cache/npm mathjax@$(MATHJAX_VERSION)
	cp -r .cache/npm/node_modules/mathjax/es5 book/_mathjax/mathjax

mathjax: $(MATHJAX)

notebooks: $(STAMP)
	$(BIN)/python -m bpcore notebooks --profile $(PROFILE)

html: $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build book $(JB_FLAGS)
	@echo "Book: $(abspath book/_build/html/index.html)"

book: $(STAMP) $(MATHJAX)
	$(MAKE) --no-print-directory notebooks PROFILE=$(PROFILE)
	$(MAKE) --no-print-directory html

figure: $(STAMP) $(MATHJAX)
	@test -n "$(FIG)" || { echo "usage: make figure FIG=fig01_me_ceiling ARGS=\"-p lam_max 3\""; exit 2; }
	$(BIN)/python -m bpcore notebook $(FIG) --profile $(PROFILE) $(ARGS)
	$(MAKE) --no-print-directory html

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf book/_build book/figures .pytest_cache .cache/npm
	find . -name __pycache__ -type d -prune -not -path "./$(VENV)/*" -exec rm -rf {} +
