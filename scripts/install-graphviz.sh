#!/usr/bin/env bash
# Debian's Graphviz (`dot`), which `python -m fedctl graph` calls through the `graphviz` Python package
# to lay out and draw the federation (tests/test_fedctl_graph.py looks at what it draws).
set -euo pipefail
command -v dot >/dev/null && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends graphviz fonts-dejavu-core >/dev/null
command -v dot >/dev/null
