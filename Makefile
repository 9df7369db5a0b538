# Minyi developer entry points. Every target sets up its own virtual environment first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
export AWS_REGION ?= ap-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= $(AWS_REGION)

.PHONY: run test test-browser unit integration e2e iam build validate validate-once lint bench replay-dlq clean diagram messages

## Two pinned sets, each behind its own stamp (scripts/install.py: uv from the package index, else pip;
## INSTALLER=pip forces pip): the runtime set for run, bench and replay-dlq; the dev set (SAM CLI,
## linters, pytest) on top of it for everything else. Versions: constraints.txt.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): requirements-run.txt src/requirements.txt constraints.txt pyproject.toml scripts/install.py
	$(PYTHON) scripts/install.py --venv $(VENV) --stamp $@ -r requirements-run.txt

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PYTHON) scripts/install.py --venv $(VENV) --stamp $@ -r requirements-dev.txt --compile-bytecode


## make run: the whole system on embedded AWS (moto) at http://127.0.0.1:$(PORT)
run: $(RUN_STAMP)
	PORT=$(PORT) $(BIN)/python -m infra.local

## make test: template checks and sam build (`make validate-once build`, run alongside the tests at a lower
## CPU priority; the tests of tests/build wait for it), and every test (unit, integration, built artifacts,
## e2e, ...) on pytest-xdist workers (tests/conftest.py tells which tests share a worker); prints its
## duration last. The repository's own modules are compiled first (what changed since the last run), so
## the test processes and local runtimes read bytecode even where PYTHONDONTWRITEBYTECODE is set; pytest
## runs without it, so that it keeps the test modules as it rewrites them for its asserts (each worker
## rewrote them all again otherwise: about 4 s of CPU each).
## TEST_WORKERS=1 runs the tests in one process; the default is one worker per core plus one (many tests wait
## on timers and a local runtime's answers, so a third worker on two cores keeps them busy).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder)
test: $(STAMP)
	@start=$$(date +%s); checks=$$(mktemp -d); \
	$(BIN)/python -m compileall -q -j 0 src functions infra scripts tests >/dev/null; \
	( nice -n 10 $(MAKE) --no-print-directory validate-once build >$$checks/log 2>&1; echo $$? >$$checks/status.new; \
	  mv $$checks/status.new $$checks/status ) & \
	MINYI_TEMPLATE_CHECKS=$$checks PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q $(XDIST); status=$$?; wait; \
	if [ "$$(cat $$checks/status)" != 0 ]; then \
	  [ -e $$checks/reported ] || cat $$checks/log; echo "make test: make validate-once build failed"; status=1; \
	fi; rm -rf $$checks; echo "make test: $$(( $$(date +%s) - start )) s"; exit $$status

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) tests/integration

e2e: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) tests/e2e

## make iam: the IAM check (infra/iam_check.py) - a compact set of flows reaching every function runs on the
## integration stack, each AWS call is recorded with its IAM action and real ARN, and each is evaluated against
## its function's (or the state machine's) role in the samtranslator-expanded template. Fails naming each
## function, action and resource IAM would deny. `make test` runs it too (tests/integration/test_iam.py).
iam: $(STAMP)
	$(BIN)/python -m infra.iam_check

## make test-browser: the citizen app and the staff console in Debian's Chromium (tests/browser; `make test`
## runs them too, skipped without /usr/bin/chromium unless MINYI_REQUIRE_BROWSER=1, as .ci/run sets).
## Screenshots land in tests/e2e/screenshots/; UPDATE_DOCS_SCREENSHOTS=1 also refreshes docs/screenshots/.
test-browser: $(STAMP)
	MINYI_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/browser

validate: $(STAMP)
	$(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml --regions $$($(BIN)/python -m scripts.deploy_regions)

## make validate-once (what `make test` runs): the same checks as `make validate` in one cfn-lint run, half
## the CPU. `sam validate --lint` is cfn-lint (its rules, its SAM transform) in cfn-lint's default region,
## us-east-1, as sam passes no region: so one run over us-east-1 and the deploy regions covers both lines.
validate-once: $(STAMP)
	$(BIN)/cfn-lint template.yaml --regions us-east-1 $$($(BIN)/python -m scripts.deploy_regions)

## make build: sam build for the Lambda target (python3.13, x86_64) through src/Makefile and functions/Makefile,
## plus the layer's dependencies as CPython 3.11 wheels (.aws-sam/host-layer) for tests/build on this machine
HOST_LAYER := .aws-sam/host-layer
build: $(STAMP) $(HOST_LAYER)/.built
	LAYER_PYTHON=$(CURDIR)/$(BIN)/python $(BIN)/sam build --template template.yaml --cached --parallel >/dev/null
	@echo "sam build: .aws-sam/build ready"

$(HOST_LAYER)/.built: src/requirements.txt src/Makefile $(STAMP)
	rm -rf $(HOST_LAYER)
	$(MAKE) -C src --no-print-directory build-MinyiLayer ARTIFACTS_DIR=$(CURDIR)/$(HOST_LAYER) \
		LAYER_PYTHON=$(CURDIR)/$(BIN)/python LAYER_PYTHON_VERSION=$$($(BIN)/python -c 'import sys;print("%d.%d" % sys.version_info[:2])')
	rm -rf $(HOST_LAYER)/python/minyi
	touch $@

## make lint: ruff, mypy, import-linter's contracts (.importlinter: the layers, independent adapters, no
## circles), and checkov on template.yaml (zero failed checks; each skip has its reason in the resource's
## Metadata). checkov pins boto3 exactly, so it has its own virtual environment.
CHECKOV_VENV := $(VENV)/checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt constraints-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -c constraints-checkov.txt -r requirements-checkov.txt
	touch $@

lint: $(STAMP) $(CHECKOV_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

## make messages: compile the one message catalogue (src/minyi/locale/*/LC_MESSAGES/minyi.po) with Babel:
## the .mo files the platform reads (scripts/compile_mo.py; tests/unit/test_text.py checks drift), and the web
## clients' strings (web.* and the term.* glossary) to web/i18n/<lang>.json (scripts/compile_messages.py;
## tests/unit/test_web_messages.py checks drift). Both are committed.
messages: $(STAMP)
	$(BIN)/python -m scripts.compile_mo
	$(BIN)/python -m scripts.compile_messages

## make bench: the four targets of issue 8 and the detailed tables; QUICK=1 for a short run
bench: $(RUN_STAMP)
	$(BIN)/python -m scripts.bench $(if $(QUICK),--quick)

diagram: $(STAMP)
	$(BIN)/python -m infra.statemachine_diagram --write README.md

replay-dlq: $(RUN_STAMP)
	$(BIN)/python -m infra.replay_dlq --queue-url "$(QUEUE_URL)" --function-name "$(FUNCTION)"

clean:
	rm -rf $(VENV) .aws-sam
