# The two commands: `make run` (try the tracker) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format messages screenshots

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# The demo as people will get it (DEBUG off: the tracker's own error pages), with the local defaults of LOCAL=1.
run: $(VENV)/.run-deps
	LOCAL=1 DEBUG=0 $(PY) manage.py migrate --noinput
	LOCAL=1 DEBUG=0 $(PY) manage.py load_demo
	LOCAL=1 DEBUG=0 $(PY) manage.py runtracker 127.0.0.1:8000

test: $(VENV)/.test-deps
	bash scripts/test.sh

# Pictures of the main pages for the README, taken by the browser tests.
screenshots: $(VENV)/.test-deps
	SECRET_KEY=screenshots-only SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest -q tests/e2e/test_browser.py tests/e2e/test_browser_casework.py tests/e2e/test_browser_statements.py

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.test-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the translation catalogue after changing UI text; the compiled .mo is committed.
messages: $(VENV)/.test-deps
	DEBUG=1 $(PY) manage.py makemessages --locale zh_Hans --ignore ".venv/*" --ignore "var/*"
	DEBUG=1 $(PY) manage.py compilemessages --locale zh_Hans --ignore ".venv/*"
