# The two set-up commands (see README):
#   make demo   venv + install + quick suite on the built-in models + leaderboard table
#   make test   venv + install with test extras + the test suite
PYTHON ?= python3
VENV ?= .venv
# A CPU build of torch; on a GPU machine override, e.g. make test TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
DEMO_OUT ?= results/demo-quick
PYTEST_ARGS ?=

.PHONY: demo test gl install install-test lint

gl:
	@scripts/check_gl.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: gl $(BIN)/python
	$(BIN)/pip install -q -e ".[sim]"

install-test: gl $(BIN)/python
	@scripts/check_browser.sh
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[test]"

demo: install
	rm -rf $(DEMO_OUT)
	$(BIN)/cosmos3-eval run --model random --suite quick --out $(DEMO_OUT) --no-progress
	$(BIN)/cosmos3-eval run --model oracle --suite quick --out $(DEMO_OUT) --no-progress
	$(BIN)/cosmos3-eval leaderboard $(DEMO_OUT) --out leaderboard/

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
