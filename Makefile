# The two commands a user needs: `make demo` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
STAMP_BASE := $(VENV)/.installed

# Debian packages the tests use: WordNet 3.0 (lemmatizer), an English word list, Chromium (dashboard browser tests)
SYSTEM_PACKAGES := wordnet-base wamerican chromium

.PHONY: demo test test-fast lint bench clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[demo]"
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(STAMP_BASE)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: not root, so the Debian packages$$missing are not installed; tests that read them are skipped"; fi

demo: $(STAMP_BASE) system-deps
	$(BIN)/glassbox train --dataset digits --model cnn --optimizer adam --epochs 20 --out runs/demo

test: $(STAMP) system-deps
	$(BIN)/python -m ruff check src tests bench examples
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --timeout 900 -q

test-fast: $(STAMP) system-deps
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests bench examples

bench: $(STAMP)
	$(BIN)/python bench/ops.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
