#!/usr/bin/env bash
# checkov in a cached venv of its own (its pins clash with the project's, e.g. packaging); the venv's
# path is printed last. The one place that knows where that venv lives: tests/support/manifest_checks.py
# asks this script (with --no-install: print the path if the venv is there, exit 3 if not).
set -euo pipefail
version=3.3.30
venv="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation/checkov-$version"
if [ ! -x "$venv/bin/checkov" ]; then
  if [ "${1:-}" = "--no-install" ]; then
    echo "checkov $version is not installed: run bash scripts/install-checkov.sh" >&2
    exit 3
  fi
  rm -rf "$venv"; mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "checkov==$version" >&2
fi
echo "$venv"
