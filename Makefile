# Every target bootstraps its own virtual environment from pyproject.toml: nothing else to install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: verify test bench diagrams conform capture system-tools lint clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "tcpspec needs Python 3.11+: install python3 and run make again"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make verify: every property holds at the default bounds (explicit and Z3 engines, which must
## agree) and every mutant is caught
verify: $(STAMP)
	$(BIN)/tcpspec verify
	$(BIN)/tcpspec mutants

## make test: the test suite (the capture tests need root, iproute2 and tshark: see system-tools)
test: $(STAMP) system-tools
	$(BIN)/pytest

## system tools for the conformance tests: installed when we are root (CI), else explained
system-tools:
	@if command -v tshark >/dev/null && command -v ip >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing tshark and iproute2 for the capture tests"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq tshark iproute2 >/dev/null; \
	else echo "note: capture tests will skip: install tshark and iproute2 (as root) to run them"; fi

## make diagrams: regenerate diagrams/ (state machine, product graphs, sequence charts) from the model
diagrams: $(STAMP)
	$(BIN)/python -m diagrams

## make conform: the captured Linux connections are behaviours of the model
conform: $(STAMP)
	$(BIN)/python -m checks.conform tests/fixtures/pcap/*.pcap

## make capture SCENARIO=normal OUT=x.pcap: capture a real connection in private namespaces (root)
capture: $(STAMP)
	$(BIN)/python -m checks.capture $(SCENARIO) $(OUT)

## make bench: states, states/s, wall time and peak memory at growing bounds; Z3 BMC, induction
## and synthesis times
bench: $(STAMP)
	$(BIN)/python -m checks.bench

## make lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
