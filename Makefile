# Set-up and checks. `make demo` and `make test` work on a fresh Debian machine
# with Python 3.11 (no conda): each creates .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= clients/demo-harbor
# Quiet installs: setuptools' one note about editable installs (that a folder named like
# the package in the working directory may shadow it) is for developers, not for `make demo`.
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet

# The data, engine and validation tests, run again by `make test-lowest` on the lowest
# versions pyproject.toml allows (docs/dependencies.md says why each floor is what it is).
LOWEST_TESTS := tests/data tests/engine tests/test_periods.py
LOWEST := .venv-lowest

.PHONY: demo test lint typecheck pytest test-lowest venv clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

# Stamp files: reinstall only when pyproject.toml or setup.py changes.
$(VENV)/.runtime-installed: pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed

## demo: run the demo client end to end; prints where report.html and report.pdf are
demo: $(VENV)/.runtime-installed
	$(BIN)/kpikit run $(DEMO) --refresh

## test: lint, type-check, run the whole test suite, then the engine tests on the lowest versions
test: $(VENV)/.test-installed lint typecheck pytest test-lowest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check kpikit tests benchmarks notebooks setup.py
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy
	$(BIN)/mypy notebooks/_sources

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

$(BIN)/uv: | $(BIN)/python
	$(PIP_INSTALL) uv

# lowest-direct: every direct dependency (runtime and test) at its declared floor; what they
# pull in resolves as usual. A fresh venv each time pyproject.toml changes.
$(LOWEST)/.installed: pyproject.toml setup.py | $(BIN)/uv
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test]'
	touch $@

## test-lowest: the data, engine and validation tests on the lowest allowed dependency versions
# pandas 2.x warns at import that pyarrow (not a dependency) is missing; -o because pytest's
# -W takes a literal message and this one starts with a newline.
test-lowest: $(LOWEST)/.installed
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider -o 'filterwarnings=ignore:\s*Pyarrow will become:DeprecationWarning' $(LOWEST_TESTS)

bench: $(VENV)/.test-installed
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(LOWEST) .mypy_cache .ruff_cache .pytest_cache test-artifacts
