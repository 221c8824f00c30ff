# Every target bootstraps its own virtual environment from pyproject.toml: nothing else to install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: verify test bench diagrams docs lint clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "tcpspec needs Python 3.11+: install python3 and run make again"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make verify: every property holds at the default bounds and every mutant is caught
verify: $(STAMP)
	$(BIN)/tcpspec verify
	$(BIN)/tcpspec mutants

## make test: the test suite
test: $(STAMP)
	$(BIN)/pytest

## make bench: states, states/s, wall time and peak memory at growing bounds
bench: $(STAMP)
	$(BIN)/python -m checks.bench

## make lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
