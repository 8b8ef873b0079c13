# `make demo` runs the example project; `make test` runs the test suite.
# Each creates the virtual environment in .venv/ when it is missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= sqlite
PYTEST_ARGS ?=

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-example: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[example]'
	touch $@

demo: $(VENV)/.installed-example
	cd example && ../$(BIN)/python manage.py migrate --noinput
	cd example && ../$(BIN)/python manage.py seed_demo
	cd example && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed-test
	DB=$(DB) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/python -m ruff check drf_eager tests example
	$(BIN)/python -m ruff format --check drf_eager tests example

clean:
	rm -rf $(VENV) build dist *.egg-info example/db.sqlite3
