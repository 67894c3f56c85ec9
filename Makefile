# servingops — the two commands a new user runs are `make demo` and `make test`.
SHELL := /bin/bash
PY    ?= python3
VENV  := .venv
BIN   := $(VENV)/bin

.PHONY: venv pulumi chromium test lint demo drift stop plane bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==25.3
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

pulumi: venv
	@bash tools/pulumi/build.sh

# Debian's Chromium for the browser tests (tests/browser): installed once, a no-op after.
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || CHROMIUM=$(CHROMIUM) bash tools/chromium.sh

test: venv pulumi chromium
	bash tools/run-tests.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: venv pulumi
	bash tools/demo.sh up

drift: venv pulumi
	bash tools/demo.sh drift

stop:
	bash tools/plane.sh stop

plane: venv
	bash tools/plane.sh start

bench: venv pulumi $(VENV)/.bench-installed
	$(BIN)/python -m bench

# the optional `bench` extra (matplotlib, check-jsonschema): not in the default install
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,bench]'
	touch $@

clean:
	rm -rf $(VENV) .servingops .pytest_cache .mypy_cache

.PHONY: test-latest
# The official-client suites against the newest databricks-sdk / openai / mlflow-skinny
# (separate .venv-latest; `make test` keeps the pinned versions).
test-latest:
	bash tools/test-latest.sh
