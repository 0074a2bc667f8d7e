# The two commands a user needs: `make demo` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
STAMP_BASE := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[demo]"
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	$(BIN)/glassbox train --dataset digits --model mlp --optimizer adam --epochs 20 --out runs/demo

test: $(STAMP)
	$(BIN)/python -m ruff check src tests bench examples
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --timeout 900 -q

test-fast: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests bench examples

bench: $(STAMP)
	$(BIN)/python bench/ops.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
