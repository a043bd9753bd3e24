# The two commands of the README: `make run` and `make test`. Each makes the virtual
# environment in .venv and installs the locked versions (again only when the lock changed).
# `make lock` upgrades the lock on purpose: commit it with the test run that proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV := uv==0.13.9

.PHONY: run test check bench lock

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/paylink run

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: check
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.jobs
	$(BIN)/python -m bench.pay_page
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.reconcile
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.pdf
	$(BIN)/python -m bench.api_create

lock: $(STAMP)
	$(BIN)/pip install --quiet '$(UV)'
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --universal \
		--python-version 3.11 --upgrade --quiet -o requirements.lock
