# Set-up and checks. `make demo` and `make test` work on a fresh Debian machine
# with Python 3.11 (no conda): each creates .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= clients/demo-harbor
# Quiet installs: setuptools' one note about editable installs (that a folder named like
# the package in the working directory may shadow it) is for developers, not for `make demo`.
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet

.PHONY: demo test lint typecheck pytest venv clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed

## demo: run the demo client end to end; prints where report.html and report.pdf are
demo: $(VENV)/.runtime-installed
	$(BIN)/kpikit run $(DEMO)

## test: lint, type-check and run the whole test suite
test: $(VENV)/.test-installed lint typecheck pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check kpikit tests benchmarks notebooks

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy
	$(BIN)/mypy notebooks/_sources

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.test-installed
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
