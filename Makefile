# `make demo` runs the example project; `make test` runs the test suite with coverage;
# `make lint` and `make typecheck` check the code; `make docs` builds docs/ with MkDocs.
# Each creates the virtual environment in .venv/ when it is missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= sqlite
# A requirement that pins Django, with a VENV of its own: DJANGO='Django>=6.0,<7'.
DJANGO ?=
# `make test` measures the coverage of drf_eager/ and fails under fail_under (pyproject.toml).
# COVERAGE= turns it off, for instance when PYTEST_ARGS selects a few tests.
COVERAGE ?= --cov --cov-report=term-missing:skip-covered
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' $(if $(DJANGO),'$(DJANGO)')
	touch $@

$(VENV)/.installed-lint: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lint]' $(if $(DJANGO),'$(DJANGO)')
	touch $@

$(VENV)/.installed-docs: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

$(VENV)/.installed-example: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[example]'
	touch $@

demo: $(VENV)/.installed-example
	cd example && ../$(BIN)/python manage.py migrate --noinput
	cd example && ../$(BIN)/python manage.py seed_demo
	cd example && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed-test
	DB=$(DB) $(BIN)/python -m pytest $(COVERAGE) $(PYTEST_ARGS)

lint: $(VENV)/.installed-lint
	$(BIN)/python -m ruff check drf_eager tests example
	$(BIN)/python -m ruff format --check drf_eager tests example

typecheck: $(VENV)/.installed-lint
	$(BIN)/python -m mypy

docs: $(VENV)/.installed-docs
	$(BIN)/python -m mkdocs build --strict --site-dir build/site

docs-serve: $(VENV)/.installed-docs
	$(BIN)/python -m mkdocs serve --dev-addr 127.0.0.1:8001

clean:
	rm -rf $(VENV) build dist *.egg-info example/db.sqlite3 .coverage .mypy_cache
