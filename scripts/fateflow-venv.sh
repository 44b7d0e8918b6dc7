#!/usr/bin/env bash
# Build (once) the real FATE Flow 2.2.0 venv the FateJob integration tests run, OUTSIDE the project's
# venv (its pins clash with pulumi's), cached by a hash of the install inputs. Prints the venv path last.
# Recipe and traps: docs/fate-job.md (torch first from the machine's CPU build, --no-deps, setuptools<81).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inputs="$here/fateflow"
key="$(cat "$inputs/constraints.txt" "$inputs/requirements-fate-deps.txt" "$0" | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
venv="$cache/fateflow-$key"
if [ -f "$venv/.complete" ]; then echo "$venv"; exit 0; fi
mkdir -p "$cache"
rm -rf "$venv"
echo "building the FATE Flow 2.2.0 venv in $venv (a few minutes, once)" >&2
export PIP_CACHE_DIR="$cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m venv "$venv"
"$venv/bin/pip" install -q torch==2.13.0 >&2
"$venv/bin/pip" install -q --no-deps fate-flow==2.2.0 pyfate==2.2.0 fate-client==2.2.0 >&2
"$venv/bin/pip" install -q -r "$inputs/requirements-fate-deps.txt" -c "$inputs/constraints.txt" >&2
"$venv/bin/python" -c "import fate_flow, fate, pkg_resources" >&2
# `fate_flow init` writes its home into the installed package: one home per venv, made here once.
# Ports are moved off FATE's defaults (19380 HTTP, 19360 gRPC) so a test server never meets a real one.
mkdir -p "$venv/hf"
HF_HOME="$venv/hf" "$venv/bin/fate_flow" init --ip 127.0.0.1 --port 19380 --home "$venv/home" >&2
sed -i 's/^  grpc_port: 9360$/  grpc_port: 19360/' "$venv/home/conf/service_conf.yaml"
grep -q "grpc_port: 19360" "$venv/home/conf/service_conf.yaml"
touch "$venv/.complete"
echo "$venv"
