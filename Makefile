# Everything a fresh machine needs: `make demo` and `make test` each set up .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: web demo test lint typecheck bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

web: $(STAMP)
	$(BIN)/rotation serve --samples

demo: $(STAMP)
	$(BIN)/rotation demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/rotation bench

# Retake docs/screenshots/*.png (1300×900) by walking the pages in Chromium (/usr/bin/chromium).
screenshots: $(STAMP)
	ROTATION_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/web/test_browser.py

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
