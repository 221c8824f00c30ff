# Every target bootstraps its own virtual environment from pyproject.toml: nothing else to install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: verify test bench diagrams docs conform capture mbt system-tools lint clean

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

## make diagrams: regenerate diagrams/ (state machine, product graphs, sequence charts) and the
## generated parts of the documentation (docs/generated/) from the model
diagrams: $(STAMP)
	$(BIN)/python -m diagrams

## make docs: the documentation site (English and Korean) from docs/, into site/
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "open site/index.html (Korean: site/ko/index.html)"

## make conform: the captured Linux connections are behaviours of the model
conform: $(STAMP)
	$(BIN)/tcpspec conform --host 10.99.0.1 --fifo --min-rto 0.2 tests/fixtures/pcap/*.pcap

## make capture SCENARIO=normal OUT=x.pcap: capture a real connection in private namespaces (root)
capture: $(STAMP)
	$(BIN)/python -m checks.capture $(SCENARIO) $(OUT)

## make mbt: model-based tests: scripts generated from the model, replayed against the kernel (root)
mbt: $(STAMP)
	$(BIN)/python -m checks.mbt

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
