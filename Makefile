# Minyi developer entry points. Every target sets up its own virtual environment first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
export AWS_REGION ?= ap-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= $(AWS_REGION)

.PHONY: run test unit integration e2e build validate lint bench replay-dlq clean diagram

$(STAMP): requirements-dev.txt src/requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## make run: the whole system on embedded AWS (moto) at http://127.0.0.1:$(PORT)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m infra.local

## make test: template checks, sam build, then every test (unit, integration, built artifacts, e2e)
test: $(STAMP) validate build
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

validate: $(STAMP)
	$(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml

build: $(STAMP)
	$(BIN)/sam build --template template.yaml --cached --parallel >/dev/null
	@echo "sam build: .aws-sam/build ready"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m scripts.bench

diagram: $(STAMP)
	$(BIN)/python -m infra.statemachine_diagram --write README.md

replay-dlq: $(STAMP)
	$(BIN)/python -m infra.replay_dlq --queue-url "$(QUEUE_URL)" --function-name "$(FUNCTION)"

clean:
	rm -rf $(VENV) .aws-sam
