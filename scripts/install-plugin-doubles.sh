#!/usr/bin/env bash
# Write (once) the STAND-IN (test-double) `pulumi-resource-tls` and `pulumi-resource-random` plugins: two
# wrapper scripts that run fedctl.plugin_doubles from THIS checkout with the project venv's python. They
# are not the real providers: the Go module proxy refuses pulumi-tls and pulumi-random at every version
# (docs/real-engine.md, "Stand-in tls and random plugins"). The engine finds plugins on PATH, so put the
# printed dir on PATH only where the doubles are wanted.
# Cached by a hash of this script and the checkout's absolute path (the wrappers point into the checkout;
# CI runs from a clean clone elsewhere). A dir without its .complete marker is rewritten. Prints the dir as
# its LAST stdout line: the Makefile reads it with `tail -n 1`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="$repo/.venv/bin/python"
[ -x "$python" ] || { echo "no project venv at $repo/.venv: run \`make setup\` first" >&2; exit 1; }
key="$( (cat "$0"; echo "$repo") | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
dir="$cache/plugin-doubles-$key"
mkdir -p "$cache"
exec 9>"$cache/plugin-doubles-$key.lock"
flock 9
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
rm -rf "$dir"
mkdir -p "$dir"
for name in tls random; do
  cat > "$dir/pulumi-resource-$name" <<WRAPPER
#!/bin/sh
# STAND-IN (test double) for pulumi-resource-$name, written by scripts/install-plugin-doubles.sh: not the real provider.
PYTHONPATH="$repo\${PYTHONPATH:+:\$PYTHONPATH}" exec "$python" -m fedctl.plugin_doubles $name "\$@"
WRAPPER
  chmod 755 "$dir/pulumi-resource-$name"
done
touch "$dir/.complete"
echo "$dir"
