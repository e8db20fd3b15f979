# The project's verbs. `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := $(CURDIR)/.bench/demo.db
NKB := $(BIN)/notes-kb --db $(DEMO_DB)

.PHONY: install demo test lint format bench bench-quick golden clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	$(BIN)/python -m compileall -q notes_kb
	touch $(STAMP)

demo: install
	@mkdir -p .bench && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@echo '$$ notes-kb import notes/'
	@$(NKB) import notes/
	@echo; echo '$$ notes-kb search "machine learning julia"'
	@$(NKB) search --limit 5 "machine learning julia"
	@echo; echo '$$ notes-kb tags'
	@$(NKB) tags --sort count | head -n 15
	@echo; echo '$$ notes-kb revisit list'
	@$(NKB) revisit list

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check notes_kb tests
	$(BIN)/ruff format --check notes_kb tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format notes_kb tests
	$(BIN)/ruff check --fix notes_kb tests

bench: install
	$(BIN)/python -m compileall -q notes_kb
	$(BIN)/python -m tests.bench.run

bench-quick: install
	$(BIN)/python -m compileall -q notes_kb
	$(BIN)/python -m tests.bench.run --quick

golden: install
	NOTES_KB_UPDATE_GOLDEN=1 $(BIN)/pytest tests/test_golden.py

clean:
	rm -rf $(VENV) .bench .pytest_cache .mypy_cache .ruff_cache .hypothesis
