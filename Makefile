# The two commands a newcomer needs (see README.md):
#   make federation  build what is missing, start the embedded cluster (real control plane, SIMULATED pods),
#                    `pulumi up` the whole federation in bootstrap order, print its status
#   make test        set up everything the tests need (venvs, toolchains, real peers), then run every test
# Also: make render (offline render into out/, nothing to build), make cluster / make cluster-stop.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup render rendered test bench federation cluster cluster-stop

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

render: setup
	$(PY) -m fedctl render --out out

# The embedded default: a file backend in .state/ with a generated passphrase (kept there, never committed).
# A `pulumi` CLI already on PATH (a full install, with its plugins) is used first; else the one built here.
STATE := $(CURDIR)/.state
federation: setup
	@mkdir -p $(STATE) && chmod 700 $(STATE)
	@[ -s $(STATE)/passphrase ] || (umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $(STATE)/passphrase)
	export PATH="$$PATH:$$(bash scripts/build-engine.sh | tail -n 1)"; \
	export PULUMI_CONFIG_PASSPHRASE_FILE=$(STATE)/passphrase; \
	$(PY) -m fedctl cluster start --bin-dir "$$(bash scripts/build-cluster.sh | tail -n 1)" && \
	KUBECONFIG="$${XDG_CACHE_HOME:-$$HOME/.cache}/fate-federation/embedded-cluster/kubeconfig" \
	$(PY) -m fedctl up exchange party-a party-b --backend "file://$(STATE)" \
	  --stand-in-plugins "$$(bash scripts/install-plugin-doubles.sh | tail -n 1)" && \
	$(PY) -m fedctl status exchange party-a party-b --backend "file://$(STATE)"

cluster: setup
	$(PY) -m fedctl cluster start --bin-dir "$$(bash scripts/build-cluster.sh | tail -n 1)"

cluster-stop: setup
	$(PY) -m fedctl cluster stop

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
	FATE_FEDERATION_PLUGIN_DOUBLES="$$(bash scripts/install-plugin-doubles.sh | tail -n 1)" \
	FATE_FEDERATION_REQUIRE_PEERS=1 \
	$(PY) -m pytest tests -q -p no:cacheprovider

bench: setup
	bash scripts/install-traffic-server.sh
	bash scripts/install-nginx-lua.sh
	export FATE_FLOW_VENV="$$(bash scripts/fateflow-venv.sh | tail -n 1)"; \
	export FATE_FEDERATION_PULSAR_HOME="$$(bash scripts/install-pulsar.sh | tail -n 1)"; \
	export FATE_FEDERATION_ENGINE_BIN="$$(bash scripts/build-engine.sh | tail -n 1)"; \
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
