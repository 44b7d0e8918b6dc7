#!/usr/bin/env bash
# Build (once) the real FATE Flow 2.2.0 venv the FateJob integration tests run, OUTSIDE the project's
# venv (its pins clash with pulumi's), cached by a hash of the install inputs (scripts/fateflow/ and this
# script). A complete venv is reused; a half-built one (no .complete marker) is rebuilt. Prints the venv
# path as its LAST stdout line (everything else goes to stderr): the Makefile reads it with `tail -n 1`.
# Recipe and traps (docs/fate-job.md): torch first (the machine's CPU build), then FATE's packages with
# --no-deps (fate-flow pins typing-extensions 4.8.0, which torch 2.13 cannot use), then their dependency
# list under constraints (setuptools<81: FATE registers its components through pkg_resources).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inputs="$here/fateflow"
key="$(cat "$inputs/constraints.txt" "$inputs/requirements-fate-deps.txt" "$0" | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
venv="$cache/fateflow-$key"
mkdir -p "$cache"
# One builder at a time (two `make test` runs on one machine would otherwise delete each other's venv).
exec 9>"$cache/fateflow-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then echo "$venv"; exit 0; fi
rm -rf "$venv"
echo "building the FATE Flow 2.2.0 venv in $venv (a few minutes, once)" >&2
# The server imports transformers: keep its cache (and pip's) in folders this script owns.
export PIP_CACHE_DIR="$cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HOME="$venv/hf"
python3 -m venv "$venv"
"$venv/bin/pip" install -q torch==2.13.0 >&2
"$venv/bin/pip" install -q --no-deps fate-flow==2.2.0 pyfate==2.2.0 fate-client==2.2.0 >&2
"$venv/bin/pip" install -q -r "$inputs/requirements-fate-deps.txt" -c "$inputs/constraints.txt" >&2
# FATE's components are found through pkg_resources entry points: fail here, not in every job.
"$venv/bin/python" -c "
import fate_flow
from fate.components.core._cpn_search import list_components, load_component
list_components()  # imports pkg_resources, as the server does
load_component('toy_example')" >&2
# `fate_flow init` writes its home into the installed package (settings.py): this home is the TEMPLATE
# tests/support/fateflow_server.py copies per test session (own ports, own sqlite, own job dirs).
mkdir -p "$venv/hf"
"$venv/bin/fate_flow" init --ip 127.0.0.1 --port 19380 --home "$venv/home" >&2
sed -i 's/^  grpc_port: 9360$/  grpc_port: 19360/' "$venv/home/conf/service_conf.yaml"
grep -q "grpc_port: 19360" "$venv/home/conf/service_conf.yaml"
touch "$venv/.complete"
echo "$venv"
