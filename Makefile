# Two commands on a fresh machine (Python 3.11, 3.12 or 3.13, git, npm):
#   make repro   - create .venv, install everything, run the whole pipeline (dvc repro)
#   make test    - create .venv, install everything, run the test suite
# The interpreter: python3.11 when present, else the first of python3, python3.12, python3.13 whose
# version the pinned packages support (3.11 to 3.13). `make PYTHON=/path/to/python` overrides.
SUPPORTED_PYTHON := 3.11, 3.12 or 3.13
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for py in python3.11 python3 python3.12 python3.13; do \
	$$py -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 \
	&& { echo $$py; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Stage commands say `python`; it must be the venv's, for dvc and for the end-to-end tests alike.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help setup quick repro site push pull committee report app test test-fast lint bench clean notebook-numpy notebook-torch-mlp notebook-cnn-simple notebook-cnn-improved

# Every target with a one-line description (the `##` comment on its line).
help:  ## this list
	@grep -E '^[a-z$$][^:]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\(addprefix notebook-.*\)?:.*## /notebook-NAME:##/; s/^([a-z-]+):.*## /\1:##/' \
		| awk -F':##' '{ printf "  make %-16s %s\n", $$1, $$2 }'

setup: $(STAMP)  ## create .venv and install the pinned requirements and this package

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: needs Python $(SUPPORTED_PYTHON) (python3.11, or python3 of one of those versions) on PATH; none was found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# With a default DVC remote (see README, "Share results"), first take what it already has: data, models
# and the run-cache of every run pushed there (missing objects are fine), then run only what is still
# missing. Without a remote, or when it cannot be reached, `dvc repro` trains everything as usual.
PULL_FIRST = if remote=$$($(BIN)/dvc remote default 2>/dev/null) && [ -n "$$remote" ]; then \
		echo "make $(1): pulling what DVC remote '$$remote' already has"; \
		{ $(BIN)/dvc pull --run-cache --allow-missing && $(BIN)/python -m tools.share_run_cache pull; } \
		|| echo "make $(1): could not pull from DVC remote '$$remote'; running the pipeline instead" >&2; \
	fi

repro: $(STAMP)  ## run the pipeline (dvc repro), pulling first what a default remote already has
	@$(call PULL_FIRST,repro)
	$(BIN)/dvc repro

# Every model's stage and their comparison (not the number reader's: bench/quick.py says why) on the
# real data with bench/quick.yaml's smaller, shorter settings, as a DVC
# experiment in a temporary copy (--temp): the workspace, its params and its committed results stay as
# they are; `dvc exp show` lists it, `dvc exp apply` brings it into the workspace.
quick: $(STAMP)  ## first real results in minutes: every model, small, as a DVC experiment (README)
	flags="$$($(BIN)/python -m bench.quick)" && eval "$(BIN)/dvc exp run --temp $$flags"
	$(BIN)/python -m tools.quick_summary

# The web stage's page (site/) and what it needs, pulled or run as `make repro` does; then how to open it.
site: $(STAMP)  ## build site/, the page that runs every model in a browser (docs/using.md)
	@$(call PULL_FIRST,site)
	$(BIN)/dvc repro web
	@echo "make site: open it with  $(BIN)/python -m http.server --directory site --bind 127.0.0.1 8000  then http://127.0.0.1:8000/"

# Data, models and the run-cache (so others restore runs instead of retraining them), to/from the
# default DVC remote. tools/share_run_cache.py moves what `--run-cache` leaves behind: the objects of the
# committed (cache: false) metrics and plots, without which a clone cannot restore a run.
push: $(STAMP)  ## push data, models and the run-cache to the default DVC remote
	@{ $(BIN)/dvc push --run-cache && $(BIN)/python -m tools.share_run_cache push; } || { $(call REMOTE_FAILED,push); }

pull: $(STAMP)  ## pull data, models and the run-cache from the default DVC remote
	@{ $(BIN)/dvc pull --run-cache && $(BIN)/python -m tools.share_run_cache pull; } || { $(call REMOTE_FAILED,pull); }

REMOTE_FAILED = echo "make $(1): DVC remote '$$($(BIN)/dvc remote default 2>/dev/null || echo none)' failed \
	(see dvc's message above). Nothing was deleted; \`dvc repro\` alone still works: it trains what is missing." >&2; exit 1

# What a CI bot would post on a pull request, made offline: metrics, params and pictures against main.
# Every model trained with 8 seeds as the DVC experiment "committee" (--temp: the workspace stays as it
# is), then the seeds' mean ± std and the CNN committee's curve into bench/results/; then the committee
# of CNNs that differ in more than their seed (bench/committee.yaml's candidates, trained in-process),
# chosen on validation, its members then trained again on train+val.
committee: $(STAMP)  ## train every model with 8 seeds (a DVC experiment) and diverse CNNs, then the committees
	$(BIN)/python -m bench.seeds --run
	$(BIN)/python -m bench.committee
	$(BIN)/python -m bench.diverse_committee

report: $(STAMP)  ## report.md: metrics, params and pictures against main, as a CI bot would post it
	$(BIN)/python -m tools.pr_report --base main --out report.md

# pytest exits 5 when it collects nothing, which fails this target: an empty suite never passes.
test: $(STAMP)  ## ruff and the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The unit tests only, no dvc/git pipelines and no browser: about a minute on 2 cores.
test-fast: $(STAMP)  ## the unit tests only (no dvc/git pipelines, no browser)
	$(BIN)/python -m pytest -m "not e2e and not browser"

lint: $(STAMP)  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Speed and accuracy targets: the trainers on the prepared data (about 10 minutes on 2 cores), then
# `mnist-dvc predict`, reading photos (bench.photos, docs/photos.md) and the app with the pipeline's models
# (about 12 minutes), then every model beside its peers in one run (bench.peers, about 18 minutes).
bench: $(STAMP)  ## dvc repro, then every benchmark script (results in bench/results/)
	$(BIN)/dvc repro
	$(BIN)/python -m bench.numpy_mlp
	$(BIN)/python -m bench.torch_models --notebook
	$(BIN)/python -m bench.predict
	$(BIN)/python -m bench.photos
	$(BIN)/python -m bench.app
	$(BIN)/python -m bench.peers --peer-epochs 4

clean:  ## remove .venv and the tools' caches
	rm -rf $(VENV) dvc_plots .pytest_cache .ruff_cache

# The notebook's four configurations, each as one DVC experiment (`dvc exp show` lists them afterwards).
# Each runs from HEAD in a temporary directory (--temp): only the trainer concerned and evaluate rerun,
# and the workspace is left as it was. `dvc exp apply <name>` brings one into the workspace. Their values
# live in bench/notebook.yaml (also read by bench.torch_models and bench.peers), checked against the
# stage's params schema before DVC is called.
NOTEBOOK_CONFIGS := numpy torch-mlp cnn-simple cnn-improved

$(addprefix notebook-,$(NOTEBOOK_CONFIGS)): notebook-%: $(STAMP)  ## one of the notebook's configurations as a DVC experiment: numpy, torch-mlp, cnn-simple, cnn-improved
	flags="$$($(BIN)/python -m bench.notebook $*)" && eval "$(BIN)/dvc exp run --temp -n notebook-$* $$flags"

# The local web app: draw a digit, every model answers (http://127.0.0.1:7860).
app: $(STAMP)  ## the local web app: draw a digit, every model answers
	$(BIN)/mnist-dvc app
