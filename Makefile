# One entry point for people and CI. `make plan` and `make test` need nothing but python3: they create .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The policy pack's own virtualenv, the one policies/PulumiPolicy.yaml names (runtime.options.virtualenv).
POLICY_VENV := policies/venv
STACK  ?= dev
BASE   ?= origin/main
# Self-managed state by default: no Pulumi Cloud account needed. Override with e.g. s3://bucket/prefix.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_BACKEND_URL

# The stacks of this project: every Pulumi.<stack>.yaml here.
STACKS := $(sort $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))

.PHONY: help venv plan-venv policy-venv plan test lint typecheck unit policy-check plan-diff bench tenant-move preview up check-cli check-stack check-python clean
.DEFAULT_GOAL := help

## help: this list of targets
help:
	@echo "make TARGET [STACK=$(STACK)]; stacks: $(STACKS)"
	@sed -n 's/^## \([^:]*\): /  \1\t/p' $(MAKEFILE_LIST) | expand -t 18

# Refused before pip runs, in one line (pyproject.toml says the same in requires-python).
check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "matih-minio needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1 || echo missing): run make PYTHON=python3.11 (or newer)"; exit 2; }

# A typo in STACK never reaches `pulumi stack select --create` (it would create a stray stack).
check-stack:
	@test -n "$(STACK)" || { echo "STACK is empty; stacks: $(STACKS)"; exit 2; }
	@test -f "Pulumi.$(STACK).yaml" || { echo "No stack file Pulumi.$(STACK).yaml; stacks: $(STACKS)"; exit 2; }

## venv: .venv with everything: the program, the planning tools and the test toolchain
venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-plan.txt requirements-dev.txt constraints.txt
	@$(MAKE) --no-print-directory check-python
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(VENV)/.plan-installed $@

# What planning needs (make plan, policy-check, plan-diff, tenant-move) and no test toolchain: a newcomer's first run.
plan-venv: $(VENV)/.plan-installed

$(VENV)/.plan-installed: requirements.txt requirements-plan.txt constraints.txt
	@$(MAKE) --no-print-directory check-python
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-plan.txt -c constraints.txt
	touch $@

# The CLI runs a local policy pack from its virtualenv but never creates it: only a published pack gets its
# dependencies installed (pulumi pkg/engine/update.go LoadLocalPolicyPackAnalyzers loads the pack as it is;
# pkg/backend/httpstate/policypack.go installRequiredPolicy installs; read at v3.259.0, we pin 3.272). So preview and
# up create it first.
policy-venv: $(POLICY_VENV)/.installed

$(POLICY_VENV)/.installed: policies/requirements.txt constraints.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/pip install --quiet --disable-pip-version-check -r policies/requirements.txt -c constraints.txt
	touch $@

## plan: the planned resources of STACK under the mock engine (JSON=file also writes the inventory)
plan: check-stack plan-venv
	$(BIN)/python -m tools.plan --stack $(STACK) $(if $(JSON),--json $(JSON))

## test: lint, format check, type check and the whole test suite (what CI runs)
test: lint typecheck unit

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy components tools policies

unit: venv
	$(BIN)/pytest -q

## policy-check: every policy of the pack over the offline plan of STACK (PLAN=file to check a saved plan)
policy-check: $(if $(PLAN),,check-stack) venv
	$(BIN)/python -m tools.policy_check $(if $(PLAN),--plan $(PLAN),--stack $(STACK))

## plan-diff: Markdown desired-state diff of STACK between BASE and the working tree
plan-diff: check-stack plan-venv
	$(BIN)/python -m tools.plan_diff --base $(BASE) --stack $(STACK) $(if $(OUTPUT),--output $(OUTPUT)) $(if $(FULL),--full-output $(FULL))

## mutate: mutation testing of the pure layer and the risk rules, module by module (slow, not in CI)
# MODULES=components/model/erasure.py picks modules, JOBS=2 runs two mutants at a time (default one: shared machine),
# EVERY=4 tests every 4th mutant only (README: Mutation testing).
.PHONY: mutate
mutate: venv
	$(BIN)/python -m tools.mutate $(MODULES) $(if $(JOBS),--jobs $(JOBS)) $(if $(EVERY),--every $(EVERY))

## bench: Markdown table of cost, state, policy sizes and graph shape for 10 to 1,000 tenants on the prod program
bench: venv
	$(BIN)/python -m tools.bench

check-cli:
	@command -v pulumi >/dev/null || { echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/install/ (make plan works without it)"; exit 2; }
	@# Inside the cluster (prod's self-hosted runner) the providers use the pod's service account: no context needed.
	@test -n "$$KUBERNETES_SERVICE_HOST" || { command -v kubectl >/dev/null && kubectl config current-context >/dev/null 2>&1; } || { echo "No Kubernetes context: set one with kubectl config use-context, or matih-minio:kubernetes.context in Pulumi.$(STACK).yaml (inside a cluster, KUBERNETES_SERVICE_HOST is enough)"; exit 2; }
	@test -n "$$PULUMI_CONFIG_PASSPHRASE$$PULUMI_CONFIG_PASSPHRASE_FILE" || { echo "Set PULUMI_CONFIG_PASSPHRASE (or _FILE): the self-managed backend encrypts secrets with it"; exit 2; }

# `pulumi login file://DIR` refuses a DIR that does not exist (pulumi pkg/backend/diy/backend.go `New`:
# massageBlobPath, then blobmux.OpenBucket, no MkdirAll; read at v3.259.0): create it. A bucket URL is left alone.
.PHONY: state-dir
state-dir:
	@case "$(PULUMI_BACKEND_URL)" in file://*) dir="$(PULUMI_BACKEND_URL)"; dir="$${dir#file://}"; mkdir -p "$${dir%%\?*}";; esac

## tenant-move: the procedure that moves TENANT from stack SOURCE to stack DEST (pulumi state move, every URN)
tenant-move: plan-venv
	$(BIN)/python -m tools.tenant_move --tenant "$(TENANT)" --source "$(SOURCE)" --dest "$(DEST)"

## preview / up: the real Pulumi commands (CLI, cluster and credentials needed), with the policy pack
preview: check-stack check-cli venv policy-venv state-dir
	pulumi login $(PULUMI_BACKEND_URL)
	pulumi stack select --create $(STACK)
	pulumi preview --diff --stack $(STACK) --policy-pack policies --policy-pack-config policies/config.$(STACK).json

up: check-stack check-cli venv policy-venv state-dir
	pulumi login $(PULUMI_BACKEND_URL)
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK) --policy-pack policies --policy-pack-config policies/config.$(STACK).json

## clean: remove the virtualenvs and caches
clean:
	rm -rf $(VENV) $(POLICY_VENV) .pytest_cache .mypy_cache .ruff_cache build
