# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin

.PHONY: run test lint format bootstrap clean bench image

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

$(BIN)/python: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	@touch $(BIN)/python

## run: the whole platform on an embedded PostgreSQL (Ctrl-C stops it)
run: $(BIN)/python
	$(BIN)/python -m shared.devtools.run

## test: lint, then the whole test suite on a throwaway PostgreSQL
test: lint
	$(BIN)/pytest

## lint: ruff (format and check), mypy, import contracts
lint: $(BIN)/python
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy shared services
	$(BIN)/lint-imports

format: $(BIN)/python
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bootstrap: roles, schemas and migrations against BOOTSTRAP_ADMIN_URL
bootstrap: $(BIN)/python
	$(BIN)/python -m shared.bootstrap

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

## image: the runtime image, tagged with the project's version (pyproject.toml)
VERSION = $(shell $(PYTHON) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
image:
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) -t improvement-platform:$(VERSION) .
