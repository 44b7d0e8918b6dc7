#!/usr/bin/env bash
# checkov in a cached venv of its own (its pins clash with the project's); prints the venv path last.
set -euo pipefail
venv="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation/checkov-3.3.30"
if [ ! -x "$venv/bin/checkov" ]; then
  rm -rf "$venv"; mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check checkov==3.3.30 >&2
fi
echo "$venv"
