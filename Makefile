# Two commands for a fresh machine:
#   make run    runs Tandem on its embedded default (no Redis, no database) at http://127.0.0.1:8080
#   make test   installs what the tests need and runs lint, types and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make run` installs only what running needs; `make test` adds the test and load-test tools.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test check browser clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/tandem serve

browser:
	@scripts/ensure_chromium.sh

test: $(TEST_STAMP) browser
	scripts/test.sh

check: $(TEST_STAMP)
	$(BIN)/ruff check rooms server media speech clients tests load_tests
	$(BIN)/mypy
	web_client/tools/check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
