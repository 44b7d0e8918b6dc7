#!/usr/bin/env bash
# Build (once) the embedded cluster's binaries from the Go module proxy: kube-apiserver,
# kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes), etcd (its server module) and
# kwok's controller (simulated nodes and pods). Pins live in tools/cluster/go.mod + go.sum; the cache key
# hashes them and this script. A complete bin dir is reused; a half-built one (no .complete marker) is
# rebuilt. Progress goes to stderr; the bin dir is the LAST stdout line (the Makefile reads `tail -n 1`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
module="$here/../tools/cluster"
key="$(cat "$module/go.mod" "$module/go.sum" "$0" | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
out="$cache/cluster-$key"
mkdir -p "$cache"
# One builder at a time (two `make test` runs on one machine would otherwise delete each other's build).
exec 9>"$cache/cluster-$key.lock"
flock 9
if [ -f "$out/.complete" ]; then echo "$out/bin"; exit 0; fi
command -v go >/dev/null || { echo "build-cluster: no Go toolchain on PATH (needs Go >= 1.26)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/bin"
cd "$module"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -modcacherw -buildvcs=false"
kube_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
started=$SECONDS
echo "build-cluster: building Kubernetes $kube_version, etcd and kwok into $out (cold: ~20-30 min on 2 cores, once)" >&2

# Download first, so a refused module is named plainly instead of drowning in compile output.
echo "build-cluster: [0/6] downloading modules" >&2
if ! download_log="$(go mod download 2>&1)"; then
  echo "$download_log" >&2
  refused="$(grep -oE '[A-Za-z0-9._~/-]+@v[0-9][^: ]*' <<<"$download_log" | sort -u | tr '\n' ' ')"
  echo "build-cluster: the Go module proxy refused or could not serve: ${refused:-see above}" >&2
  echo "build-cluster: fix the pin in tools/cluster/go.mod (versions served: go list -m -versions MODULE)" >&2
  exit 1
fi

# The servers report their version (kubectl version, /version) from these variables.
major="${kube_version#v}"; minor="${major#*.}"; major="${major%%.*}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

step=0
build() {  # build NAME PACKAGE: one binary, timed, into the bin dir
  step=$((step + 1))
  local t=$SECONDS
  echo "build-cluster: [$step/6] $1 ($2)" >&2
  go build -trimpath -ldflags "$ldflags" -o "$out/bin/$1" "$2"
  echo "build-cluster: [$step/6] $1 done in $((SECONDS - t)) s" >&2
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kubectl k8s.io/kubernetes/cmd/kubectl
build etcd go.etcd.io/etcd/server/v3
build kwok sigs.k8s.io/kwok/cmd/kwok
# kwok's own upstream stages (node start + lease heartbeat, pod ready/complete/delete, volume provisioning)
# come with the module: copied beside the binaries so fedctl/cluster.py runs exactly what this kwok ships.
kwok_dir="$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
mkdir -p "$out/stages"
for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
             pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete \
             volume/fast/pvc-provision volume/fast/pv-bind volume/fast/pvc-delete volume/fast/pv-delete \
             volume/fast/storage-class; do
  cp "$kwok_dir/kustomize/stage/$stage.yaml" "$out/stages/"
done
chmod u+w "$out/stages"/*
"$out/bin/kube-apiserver" --version >&2
printf '%s\n' "$kube_version" > "$out/version"
touch "$out/.complete"
echo "build-cluster: done in $((SECONDS - started)) s" >&2
echo "$out/bin"
