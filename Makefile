# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   install into .venv, ingest seeds/, answer a question with citations, write the
#               seed day's briefing (offline)
#   make test   install the test extras into .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
QA := $(VENV)/bin/qa
QUESTION ?= What did Wang Yi say is the most urgent task?

.PHONY: demo test clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.local-installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.local-installed
	$(QA) ingest seeds/
	$(QA) ask "$(QUESTION)"
	$(QA) brief 2023-12-06 --out briefing.md
	cat briefing.md

test: $(VENV)/.test-installed
	$(VENV)/bin/ruff check qa vectorstore tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
