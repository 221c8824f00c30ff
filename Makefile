# Every target bootstraps its own virtual environment from pyproject.toml: nothing else to install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: verify spin-check pins certificates every-bound test bench diagrams docs conform capture mbt packetdrill-live system-tools lint lock clean

# The exact versions come from requirements.lock (made by pip-tools from pyproject.toml's ranges:
# `make lock`), so every machine gets byte-identical reports and SVGs; tcpspec itself is installed
# editable on top, without letting pip re-resolve anything.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "tcpspec needs Python 3.11+: install python3 and run make again"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

## make lock: re-pin requirements.lock from pyproject.toml's ranges (pip-tools)
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --extra docs --extra cluster --strip-extras --no-emit-index-url \
	  --no-emit-find-links --no-emit-trusted-host --annotation-style=line --unsafe-package tcpspec \
	  --output-file requirements.lock pyproject.toml

## make verify: every property holds at the default bounds (explicit and Z3 engines, which must
## agree), the proofs for every bound still hold (their certificates re-checked), and every
## mutant is caught
verify: $(STAMP)
	$(BIN)/tcpspec verify --mutants --every-bound

## make spin-check: the Promela exported from the rules, checked by SPIN, has exactly the explicit
## engine's state count and safety verdicts, for every default scenario and every mutant
spin-check: $(STAMP) system-tools
	$(BIN)/python -m tcpspec.checks.spincheck

## make pins: rewrite tests/pins.json, the explicit engine's pinned results (states, transitions,
## verdicts, counterexamples per scenario and mutant) that tests/test_pins.py compares against;
## run it when a change of spec/ changes them on purpose, and review the diff
pins: $(STAMP)
	$(BIN)/python -m tcpspec.checks.pins --write

## make certificates: rewrite checks/symbolic/certificates.json, the inductive invariant Houdini
## finds per scenario (which `tcpspec verify` re-checks in one Z3 query instead of running
## Houdini); run it when a change of spec/ makes verify say a certificate no longer holds
certificates: $(STAMP)
	$(BIN)/python -m tcpspec.checks.symbolic.certificate --write
	$(BIN)/python -m tcpspec.checks.symbolic.every_bound --write

## make every-bound: every safety property in every default scenario, for every bound (a few
## minutes: see docs/reference.md)
every-bound: $(STAMP)
	$(BIN)/tcpspec prove --every-bound

## make test: the test suite (the capture tests need root, iproute2 and tshark: see system-tools)
test: $(STAMP) system-tools
	$(BIN)/pytest

## system tools for the conformance tests, the explorer's browser tests (headless Chromium,
## its WebDriver and a Korean font for the screenshots) and the SPIN cross-check (spin, gcc):
## installed when we are root (CI), else explained
system-tools:
	@if command -v tshark >/dev/null && command -v ip >/dev/null && command -v chromium \
	  >/dev/null && command -v chromedriver >/dev/null && command -v spin >/dev/null && \
	  command -v gcc >/dev/null && fc-list :lang=ko | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing tshark, iproute2, chromium, chromium-driver, fonts-nanum, spin and gcc for the tests"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq tshark iproute2 chromium chromium-driver fonts-nanum spin gcc >/dev/null; \
	else echo "note: capture, browser and SPIN tests will skip: install tshark, iproute2, chromium," \
	  "chromium-driver, fonts-nanum, spin and gcc (as root) to run them"; fi

## make diagrams: regenerate diagrams/ (state machine, product graphs, sequence charts) and the
## generated parts of the documentation (docs/generated/) from the model
diagrams: $(STAMP)
	$(BIN)/python -m tcpspec.diagrams

## make docs: the documentation site (English and Korean) from docs/, into site/
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "open site/index.html (Korean: site/ko/index.html)"

## make conform: the captured Linux connections are behaviours of the model
conform: $(STAMP)
	$(BIN)/tcpspec conform --host 10.99.0.1 --fifo --min-rto 0.2 tests/fixtures/pcap/*.pcap

## make capture SCENARIO=normal OUT=x.pcap: capture a real connection in private namespaces (root)
capture: $(STAMP)
	$(BIN)/python -m tcpspec.checks.conformance.capture $(SCENARIO) $(OUT)

## make mbt: model-based tests: scripts generated from the model, replayed against the kernel (root)
mbt: $(STAMP)
	$(BIN)/python -m tcpspec.checks.conformance.mbt

## make packetdrill-live: the generated packetdrill tests the harness can run, against this kernel
## (root): every disagreement is reported, as `make mbt` does
packetdrill-live: $(STAMP)
	$(BIN)/python -m tcpspec.checks.conformance.testgen

## make bench: states, states/s, wall time and peak memory at growing bounds; Z3 BMC, induction
## and synthesis times
bench: $(STAMP)
	$(BIN)/python -m tcpspec.checks.bench

## make lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# mypy cannot follow pyproject's package-dir mapping: give it the installed package's layout
	@rm -rf build/typecheck && mkdir -p build/typecheck/tcpspec
	@for f in tcpspec/*; do ln -s ../../../$$f build/typecheck/tcpspec/; done
	@ln -s ../../../spec build/typecheck/tcpspec/spec
	@ln -s ../../../checks build/typecheck/tcpspec/checks
	@ln -s ../../../diagrams/generator build/typecheck/tcpspec/diagrams
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis
