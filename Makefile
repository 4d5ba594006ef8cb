# tp8 — the two commands a newcomer needs are `make site` and `make test`.
# Both create .venv when it is missing and install the project into it.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tp8-installed
# Where torch and torchvision come from (tools/install_torch.py): PyPI's Linux x86_64 build bundles CUDA (4.5 GB of
# a 6.6 GB .venv). auto: PyTorch's CPU wheels (TORCH_CPU_INDEX) when no NVIDIA GPU is found and that index answers, else
# PyPI; pypi: PyPI's build; a URL: that index (a CUDA or ROCm one, say).
TORCH_INDEX ?= auto
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

# Real ImageNet weights for an offline machine: use ../shared/weights when it is there.
TP8_WEIGHTS_DIR ?= $(abspath $(wildcard ../shared/weights))
export TP8_WEIGHTS_DIR

.PHONY: install system-deps test lint format site serve pages notebooks notebooks-check vendor bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) tools/install_torch.py --cpu-index "$(TORCH_CPU_INDEX)" --index-url $(TORCH_INDEX)
	$(PY) -m pip install -e ".[dev]"
	@touch $@

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# System programs: npm for the site's assets, Chromium for the browser tests (installed from Debian's
# packages when root or passwordless sudo allows, else one line says what to run).
system-deps:
	@tools/system_deps.sh npm chromium

test: system-deps lint
	$(PY) -m pytest

# The site (mkdocs.yml, tools/site_hooks.py; tools/README.md maps the build): each notebook page of
# docs/ is read once and executed once, its corrigé, with a cache in .cache/notebooks keyed on its code,
# tp8, the weights and the files it reads (nothing changed: nothing runs); its énoncé comes from that
# run, so the solutions switch executes nothing. MathJax, the fonts and TensorFlow.js come from npm once
# (.cache/vendor) and are served by the site itself; notebooks/ (the students' .ipynb, opened by Colab
# from GitHub) is refreshed — commit it with the pages. The execution setting (execute, exclude,
# timeouts, workers) is extra.tp8_build in mkdocs.yml; TP8_SITE_* variables override it for one build.
NO_MKDOCS_2_WARNING ?= 1
export NO_MKDOCS_2_WARNING
SERVE_ADDR ?= 127.0.0.1:8000

site: $(STAMP)
	@tools/system_deps.sh npm
	$(PY) -m mkdocs build --strict

# Live preview: pages, tp8 and the site's assets are watched; a changed page is re-executed alone.
serve: $(STAMP)
	$(PY) -m mkdocs serve --livereload --dev-addr $(SERVE_ADDR)

# Execute what must run and check both hand-outs of every page, without building the site (the cache
# warmed, as `make site` leaves it; notebooks/ written too).
pages: $(STAMP)
	$(PY) tools/site_notebooks.py run

# Rewrite notebooks/ and notebooks/exercices/ (the exercises, solutions taken out) from docs/*.py
# (the build does it too, through the same functions), or check that they are up to date.
notebooks: $(STAMP)
	$(PY) tools/site_notebooks.py sync

notebooks-check: $(STAMP)
	$(PY) tools/site_notebooks.py check

# Fetch MathJax, the Roboto fonts and TensorFlow.js with npm into .cache/vendor (the build does it when missing).
vendor: $(STAMP)
	$(PY) tools/site_assets.py vendor

# Every benchmarks/bench_*.py in turn (speed ratios measured in the same run; see each file's docstring).
bench: $(STAMP)
	@set -e; for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf site site-screenshots .pytest_cache .ruff_cache
