# Two commands for a fresh machine:
#   make run    runs Tandem on its embedded default (no Redis, no database) at http://127.0.0.1:8080
#   make test   installs what the tests need and runs lint, types and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tandem serve

browser:
	@scripts/ensure_chromium.sh

test: $(STAMP) browser
	scripts/test.sh

check: $(STAMP)
	$(BIN)/ruff check rooms server media clients tests load_tests
	$(BIN)/mypy
	web_client/tools/check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
