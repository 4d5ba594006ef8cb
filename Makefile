# tp8 — the two commands a newcomer needs are `make site` and `make test`.
# Both create .venv when it is missing and install the project into it.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tp8-installed
# Optional package index for torch/torchvision (e.g. PyTorch's CPU wheels), used before the install.
TORCH_INDEX ?=

# Real ImageNet weights for an offline machine: use ../shared/weights when it is there.
TP8_WEIGHTS_DIR ?= $(abspath $(wildcard ../shared/weights))
export TP8_WEIGHTS_DIR

.PHONY: install test lint format site serve bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX),$(PY) -m pip install torch torchvision --index-url $(TORCH_INDEX))
	$(PY) -m pip install -e ".[dev]"
	@touch $@

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: lint
	$(PY) -m pytest

site: $(STAMP)
	$(PY) -m mkdocs build --strict

serve: $(STAMP)
	$(PY) -m mkdocs serve

bench: $(STAMP)
	$(PY) benchmarks/bench_techniques.py

clean:
	rm -rf site site-screenshots .pytest_cache .ruff_cache
