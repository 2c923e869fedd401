# Everything a newcomer needs: `make run` starts the service, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt bench sync migrate clean

$(UV):
	@echo "uv not found: installing it into .tools/ (one time)"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

sync: .venv/.synced

run: sync
	$(UV) run --frozen decline serve --host $(HOST) --port $(PORT)

migrate: sync
	$(UV) run --frozen decline migrate

lint: sync
	$(UV) run --frozen ruff check service tests bench alembic
	$(UV) run --frozen mypy

fmt: sync
	$(UV) run --frozen ruff check --fix service tests bench alembic
	$(UV) run --frozen ruff format service tests bench alembic

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
test: lint
	$(UV) run --frozen pytest -n auto -p no:cacheprovider $(PYTEST_ARGS)

bench: sync
	$(UV) run --frozen python -m bench

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
