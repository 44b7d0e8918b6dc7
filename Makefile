# The two commands a newcomer needs (see README.md):
#   make render   set up the venv and render every stack offline into out/ (no cluster, no Pulumi CLI)
#   make test     set up the venv and the real test peers (Traffic Server, FATE Flow), then run all tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup render rendered test bench

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

render: setup
	$(PY) -m fedctl render --out out

# The committed, reviewable render (secrets redacted, generated values normalised); a test compares it.
rendered: setup
	$(PY) -m fedctl.snapshot --out rendered

test: setup
	bash scripts/install-traffic-server.sh
	bash scripts/install-mariadb.sh
	bash scripts/install-checkov.sh
	bash scripts/install-graphviz.sh
	bash scripts/install-nginx-lua.sh
	FATE_FLOW_VENV="$$(bash scripts/fateflow-venv.sh | tail -n 1)" \
	FATE_CLUSTER_BIN="$$(bash scripts/build-cluster.sh | tail -n 1)" \
	FATE_FEDERATION_PULSAR_HOME="$$(bash scripts/install-pulsar.sh | tail -n 1)" \
	FATE_FEDERATION_ENGINE_BIN="$$(bash scripts/build-engine.sh | tail -n 1)" \
	FATE_FEDERATION_REQUIRE_PEERS=1 \
	$(PY) -m pytest tests -q -p no:cacheprovider

bench: setup
	bash scripts/install-traffic-server.sh
	export FATE_FLOW_VENV="$$(bash scripts/fateflow-venv.sh | tail -n 1)"; \
	export FATE_FEDERATION_PULSAR_HOME="$$(bash scripts/install-pulsar.sh | tail -n 1)"; \
	export FATE_FEDERATION_ENGINE_BIN="$$(bash scripts/build-engine.sh | tail -n 1)"; \
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
