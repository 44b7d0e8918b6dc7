#!/usr/bin/env bash
# Regenerate go.mod's replace block after changing the k8s.io/kubernetes pin: k8s.io/kubernetes replaces
# each staging module (k8s.io/api, k8s.io/client-go, ...) with ./staging/src/k8s.io/X, which a module
# that requires it cannot see; map each to the published k8s.io/X v0.N.M of the same minor instead.
# Usage: tools/cluster/gen-replaces.sh v1.36.3   (then: go mod tidy)
set -euo pipefail
cd "$(dirname "$0")"
version="${1:?usage: $0 v1.N.M}"
staging="v0.${version#v1.}"
gomod="$(go mod download -json "k8s.io/kubernetes@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
go mod edit -require="k8s.io/kubernetes@$version"
for module in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod"); do
  # A staging module the proxy does not publish (sample-cli-plugin) cannot be replaced: skip it.
  if go mod download "$module@$staging" 2>/dev/null; then
    go mod edit -replace="$module=$module@$staging"
  else
    echo "skipped $module@$staging (not served)" >&2
  fi
done
