# aigw: `make run` starts the gateway, `make test` runs every test.
# Both install what they need (uv from PyPI into .tools/, then .venv/ from uv.lock).

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install run test lint protos bench services clean

install: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) uv.lock pyproject.toml runtime/pyproject.toml services/*/pyproject.toml edge/pyproject.toml fakeprovider/pyproject.toml
	$(UV) sync --frozen --all-packages
	@touch $(STAMP)

run: install
	$(VENV)/bin/aigw up

services:
	@scripts/ensure_services.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy runtime/aigw_runtime services/*/aigw_* edge/aigw_edge fakeprovider/aigw_fakeprovider

test: install services lint
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadfile

protos: install
	$(VENV)/bin/python scripts/gen_protos.py

bench: install
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) $(TOOLS) .aigw .pytest_cache .mypy_cache .ruff_cache
