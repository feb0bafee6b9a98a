# Every target creates or updates .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck imports pytest screenshots bench test-deps venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## The wizard on the built-in sandbox (creates or resumes ./demo-session).
demo: $(STAMP)
	$(BIN)/onboard-tui demo

## Everything CI runs: test servers, lint, types, import contracts, the whole suite.
test: test-deps $(STAMP) check pytest

test-deps:
	bash scripts/install-test-deps.sh

check: lint typecheck imports

lint: $(STAMP)
	$(BIN)/ruff check onboard_tui tests bench scripts
	$(BIN)/ruff format --check onboard_tui tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

screenshots: $(STAMP)
	$(BIN)/python scripts/make_screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
