# Two commands on a fresh machine (Python 3.11, git, npm):
#   make repro   - create .venv, install everything, run the whole pipeline (dvc repro)
#   make test    - create .venv, install everything, run the test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Stage commands say `python`; it must be the venv's, for dvc and for the end-to-end tests alike.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup repro test lint bench clean

setup: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

repro: $(STAMP)
	$(BIN)/dvc repro

# pytest exits 5 when it collects nothing, which fails this target: an empty suite never passes.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench.numpy_mlp

clean:
	rm -rf $(VENV) dvc_plots .pytest_cache .ruff_cache
