# LearnPulse: two commands for a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit clock-spread bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/learnpulse demo --program examples/program.yaml

serve: $(STAMP)
	$(BIN)/learnpulse serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -rs

# The suite again with the machine's clock on a holiday, a DST change, 23:59 and a Sunday
# (needs libfaketime, Debian's faketime; says so and skips without it).
clock-spread: $(STAMP)
	$(BIN)/python -m tests.clock_spread

test: lint typecheck unit clock-spread

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
